// Starting loadings for factor analysis when the model and the init option give none: the
// maximum-likelihood solution of probabilistic PCA (Tipping & Bishop 1999, eq. 7–8) from the
// second moments M,
//   L = U_K (Λ_K − σ² I)^{1/2},   σ² = the mean of the P − K smallest eigenvalues of M,
// the closest isotropic-noise model to the factor-analysis optimum. The noise variances start
// from the residual diag(M − L Lᵀ) = σ² Σ_{k≤K} u_jk² + Σ_{k>K} λ_k u_jk², positive when σ² > 0.
// Restarts after the first perturb L by seeded Gaussian noise.
import { symmetricEigen64 } from '../../../linalg/dense64.js';

/** The PPCA loadings L [P × K] and σ² of M [P × P]. */
export function pcaStart(
  M: Float64Array,
  P: number,
  K: number,
): { L: Float64Array; sigma2: number } {
  const { values, vectors } = symmetricEigen64(M, P);
  let rest = 0;
  for (let k = K; k < P; k++) rest += Math.max(0, values[k]);
  const sigma2 = P > K ? rest / (P - K) : 0;
  const L = new Float64Array(P * K);
  for (let k = 0; k < Math.min(K, P); k++) {
    const s = Math.sqrt(Math.max(0, values[k] - sigma2));
    for (let j = 0; j < P; j++) L[j * K + k] = vectors[j * P + k] * s;
  }
  return { L, sigma2 };
}

/**
 * Noise variances from the residual diag(M − L Lᵀ), each at least `floor` × M_jj (a start must
 * be positive; the M-step then moves it freely).
 */
export function residualStart(
  M: Float64Array,
  L: Float64Array,
  P: number,
  K: number,
  floor = 0.01,
): Float64Array {
  const psi = new Float64Array(P);
  for (let j = 0; j < P; j++) {
    let s = M[j * P + j];
    for (let k = 0; k < K; k++) s -= L[j * K + k] * L[j * K + k];
    psi[j] = Math.max(s, floor * M[j * P + j]);
  }
  return psi;
}

/** L + scale · rms(L) · g with g standard normal (Box–Muller on `rand`): a restart's start. */
export function perturbed(L: Float64Array, rand: () => number, scale = 0.5): Float64Array {
  let ss = 0;
  for (const v of L) ss += v * v;
  const rms = Math.sqrt(ss / Math.max(1, L.length)) || 1;
  const out = new Float64Array(L.length);
  for (let i = 0; i < L.length; i++) {
    const u = 1 - rand();
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    out[i] = L[i] + scale * rms * g;
  }
  return out;
}
