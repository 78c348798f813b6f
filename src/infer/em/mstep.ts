// Closed-form M-steps of EM (Dempster, Laird & Rubin 1977; Bishop, PRML §9.2.2) from the
// responsibilities r_ik = p(z_i = k | x_i, θ) of the E-step:
//   mixture weights       π_k = Σ_i r_ik / N
//   Bernoulli probability p   = Σ_i r_i1 / N
//   means                 μ_k = Σ_i r_ik x_i / N_k,             N_k = Σ_i r_ik
//   covariances           Σ_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / N_k
//   per-dimension sds     σ_kd = sqrt(Σ_i r_ik (x_id − μ_kd)² / N_k)
// The sums over the cases of a Gaussian slot are tfjs products over blocks of cases finished in
// float64, in two passes — N_k and the means first, then the second-order sums centred on each
// component's new mean (caseSums.ts), so that Σ r x xᵀ − N_k μ μᵀ (what raw moments would give)
// never cancels in float32: a log-likelihood that must not decrease needs that. A component with
// N_k below 1e-10 keeps its old params (nothing to estimate them from). A covariance that is not
// positive definite (a component on fewer than D+1 distinct points) gets a ridge 1e-6·trace/D·I,
// repeated ×10 until its Cholesky factorisation succeeds — only then, so ordinary steps are
// exact EM.
import { choleskyBlocks, NotPositiveDefiniteError } from '../../linalg/dense64.js';
import type { CaseBlocks } from './caseSums.js';

/** N_k below this: the component keeps its params. */
export const EMPTY_COMPONENT = 1e-10;

/** Σ_i r_ik / N over the cases: r is [N × K] row-major. */
export function weightsUpdate(r: Float64Array, N: number, K: number): Float64Array {
  return counts(r, N, K).map((n) => n / N);
}

/** N_k = Σ_i r_ik. */
export function counts(r: Float64Array, N: number, K: number): Float64Array {
  const out = new Float64Array(K);
  for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) out[k] += r[i * K + k];
  return out;
}

/**
 * One Gaussian slot's M-step: the new means into `mu` [K × D] and, when given, the new
 * covariances (`scale.full`, [K × D × D]) or sds ([K × D]) into `scale.values`, from the
 * responsibilities r [N × K]. Components with N_k ≤ EMPTY_COMPONENT keep their params.
 * Returns N_k.
 */
export function gaussianUpdate(
  data: CaseBlocks,
  r: Float64Array,
  K: number,
  mu: Float64Array,
  scale?: { readonly full: boolean; readonly values: Float64Array },
): Float64Array {
  const { D, mean } = data;
  const w = data.weights(r, K);
  try {
    const { n, s } = data.firstMoments(w);
    for (let k = 0; k < K; k++)
      if (n[k] > EMPTY_COMPONENT)
        for (let d = 0; d < D; d++) mu[k * D + d] = mean[d] + s[k * D + d] / n[k];
    if (!scale) return n;
    const acc = data.scatter(w, mu, scale.full);
    for (let k = 0; k < K; k++) {
      if (!(n[k] > EMPTY_COMPONENT)) continue;
      if (scale.full) {
        // the two triangles differ by float32 rounding: average them
        const S = new Float64Array(D * D);
        const a0 = k * D * D;
        for (let a = 0; a < D; a++)
          for (let b = 0; b <= a; b++) {
            const v = (acc[a0 + a * D + b] + acc[a0 + b * D + a]) / 2 / n[k];
            S[a * D + b] = v;
            S[b * D + a] = v;
          }
        scale.values.set(positiveDefinite(S, D), a0);
      } else {
        for (let d = 0; d < D; d++) {
          const sd = Math.sqrt(acc[k * D + d] / n[k]);
          if (sd > 0) scale.values[k * D + d] = sd;
        }
      }
    }
    return n;
  } finally {
    w.dispose();
  }
}

/** S itself when its Cholesky factorisation succeeds; else S + ε I with ε = 1e-6·trace/D, ×10 until it does. */
export function positiveDefinite(S: Float64Array, D: number): Float64Array {
  let trace = 0;
  for (let d = 0; d < D; d++) trace += S[d * D + d];
  let eps = 1e-6 * (trace > 0 ? trace / D : 1);
  let A = S;
  for (let attempt = 0; attempt < 30; attempt++) {
    try {
      choleskyBlocks(A, D);
      return A;
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
      A = Float64Array.from(S);
      for (let d = 0; d < D; d++) A[d * D + d] += eps;
      eps *= 10;
    }
  }
  return A;
}
