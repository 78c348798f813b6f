// One EM iteration of maximum-likelihood factor analysis on the data's moments, in float64
// (Ghahramani & Hinton 1996; Bishop PRML §12.2.4). The model, with standardised latents u:
//   u_i ~ N(0, I_K),   x_i | u_i ~ N(L u_i + m, Ψ),   Ψ = diag(ψ),   so   x_i ~ N(m, C),  C = L Lᵀ + Ψ.
// E-step: the posterior of u_i is N(B (x_i − m), G) with one covariance for every case,
//   A = I + Lᵀ Ψ⁻¹ L,   G = A⁻¹,   B = G Lᵀ Ψ⁻¹,
// and with M = Σ_i (x_i − m)(x_i − m)ᵀ / N the expected statistics the M-step needs are
//   Σ_i (x_i − m) E[u_i]ᵀ / N = M Bᵀ =: SB        Σ_i E[u_i u_iᵀ] / N = G + B M Bᵀ =: Ezz.
// M-step: L = SB Ezz⁻¹ and ψ_j = (M − 2 SB Lᵀ + L Ezz Lᵀ)_jj, which is (M − L SBᵀ)_jj at the
// new L (the expected squared residual of coordinate j). The log-likelihood at the E-step's
// params, with the matrix determinant lemma and Woodbury's identity,
//   ℓ = −N/2 [P log 2π + log|C| + tr(C⁻¹ M)],   log|C| = Σ log ψ_j + log|A|,
//   tr(C⁻¹ M) = Σ_j M_jj / ψ_j − tr(G Lᵀ Ψ⁻¹ M Ψ⁻¹ L) = Σ_j M_jj / ψ_j − Σ_jk SB_jk L_jk / ψ_j,
// costs nothing beyond the E-step. Every iterate depends on the data only through M, so an
// iteration costs O(P²K), whatever N.
import { choleskyBlocks, inverseBlocks, logDetBlocks } from '../../../linalg/dense64.js';

/** The E-step's statistics at (L, ψ, M), and ℓ there. */
export interface FaEStep {
  /** ℓ = Σ_i log N(x_i; m, L Lᵀ + Ψ) */
  readonly logLik: number;
  /** [K × K] posterior covariance of every u_i */
  readonly G: Float64Array;
  /** [K × P]: E[u_i] = B (x_i − m) */
  readonly B: Float64Array;
  /** [P × K] Σ (x_i − m) E[u_i]ᵀ / N */
  readonly SB: Float64Array;
  /** [K × K] Σ E[u_i u_iᵀ] / N */
  readonly Ezz: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** M = S + (x̄ − m)(x̄ − m)ᵀ: the second moments about m from the centred ones. */
export function momentsAbout(S: Float64Array, mean: Float64Array, m: Float64Array): Float64Array {
  const P = mean.length;
  const M = Float64Array.from(S);
  for (let a = 0; a < P; a++) {
    const da = mean[a] - m[a];
    if (da === 0) continue;
    for (let b = 0; b < P; b++) M[a * P + b] += da * (mean[b] - m[b]);
  }
  return M;
}

/** The E-step at loadings L [P × K] and noise variances ψ [P], with M [P × P] and N cases. */
export function faEStep(
  L: Float64Array,
  psi: Float64Array,
  M: Float64Array,
  N: number,
  P: number,
  K: number,
): FaEStep {
  // A = I + Lᵀ Ψ⁻¹ L
  const A = new Float64Array(K * K);
  const LoverPsi = new Float64Array(P * K);
  for (let j = 0; j < P; j++)
    for (let k = 0; k < K; k++) LoverPsi[j * K + k] = L[j * K + k] / psi[j];
  for (let a = 0; a < K; a++) {
    for (let b = 0; b <= a; b++) {
      let s = a === b ? 1 : 0;
      for (let j = 0; j < P; j++) s += LoverPsi[j * K + a] * L[j * K + b];
      A[a * K + b] = s;
      A[b * K + a] = s;
    }
  }
  const cholA = choleskyBlocks(A, K, 1, 'factor analysis: I + Lᵀ Ψ⁻¹ L');
  const G = inverseBlocks(cholA, K);
  // B = G (Ψ⁻¹ L)ᵀ
  const B = new Float64Array(K * P);
  for (let k = 0; k < K; k++)
    for (let j = 0; j < P; j++) {
      let s = 0;
      for (let a = 0; a < K; a++) s += G[k * K + a] * LoverPsi[j * K + a];
      B[k * P + j] = s;
    }
  // SB = M Bᵀ
  const SB = new Float64Array(P * K);
  for (let j = 0; j < P; j++)
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let l = 0; l < P; l++) s += M[j * P + l] * B[k * P + l];
      SB[j * K + k] = s;
    }
  // Ezz = G + B SB
  const Ezz = new Float64Array(K * K);
  for (let a = 0; a < K; a++)
    for (let b = 0; b <= a; b++) {
      let s = G[a * K + b];
      for (let j = 0; j < P; j++) s += B[a * P + j] * SB[j * K + b];
      Ezz[a * K + b] = s;
      Ezz[b * K + a] = s;
    }
  let logDetC = logDetBlocks(cholA, K)[0];
  let trace = 0;
  for (let j = 0; j < P; j++) {
    logDetC += Math.log(psi[j]);
    let s = M[j * P + j];
    for (let k = 0; k < K; k++) s -= SB[j * K + k] * L[j * K + k];
    trace += s / psi[j];
  }
  const logLik = -0.5 * N * (P * LOG_2PI + logDetC + trace);
  return { logLik, G, B, SB, Ezz };
}

/** L = SB Ezz⁻¹ [P × K]. */
export function loadingsUpdate(e: FaEStep, P: number, K: number): Float64Array {
  const inv = inverseBlocks(choleskyBlocks(e.Ezz, K, 1, 'factor analysis: Σ E[u uᵀ]'), K);
  const L = new Float64Array(P * K);
  for (let j = 0; j < P; j++)
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let a = 0; a < K; a++) s += e.SB[j * K + a] * inv[a * K + k];
      L[j * K + k] = s;
    }
  return L;
}

/**
 * The expected squared residual of each coordinate at loadings L (the new ones, or fixed ones):
 * r_j = M_jj − 2 Σ_k L_jk SB_jk + Σ_ab L_ja Ezz_ab L_jb. The ML noise variance is r_j; one
 * shared variance (PPCA) is their mean.
 */
export function residualVariances(
  e: FaEStep,
  L: Float64Array,
  M: Float64Array,
  P: number,
  K: number,
): Float64Array {
  const r = new Float64Array(P);
  for (let j = 0; j < P; j++) {
    let s = M[j * P + j];
    for (let a = 0; a < K; a++) {
      const la = L[j * K + a];
      s -= 2 * la * e.SB[j * K + a];
      for (let b = 0; b < K; b++) s += la * e.Ezz[a * K + b] * L[j * K + b];
    }
    r[j] = s;
  }
  return r;
}
