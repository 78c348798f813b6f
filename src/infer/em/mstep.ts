// Closed-form M-steps of EM (Dempster, Laird & Rubin 1977; Bishop, PRML §9.2.2) from the
// responsibilities r_ik = p(z_i = k | x_i, θ) of the E-step, in float64 on the host:
//   mixture weights       π_k = Σ_i r_ik / N
//   Bernoulli probability p   = Σ_i r_i1 / N
//   means                 μ_k = Σ_i r_ik x_i / N_k,             N_k = Σ_i r_ik
//   covariances           Σ_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / N_k
//   per-dimension sds     σ_kd = sqrt(Σ_i r_ik (x_id − μ_kd)² / N_k)
// The sums are float64 loops over the cases, two passes: the second-order sums are centred on
// the new means, so Σ r x xᵀ − N μ μᵀ (what the raw moments of discrete/estep.ts expectedStats
// would give) never cancels; a log-likelihood that must not decrease needs that. A component with N_k below 1e-10 keeps its old
// params (nothing to estimate them from). A covariance that is not positive definite (a
// component on fewer than D+1 distinct points) gets a ridge 1e-6·trace/D·I, repeated ×10
// until its Cholesky factorisation succeeds — only then, so ordinary steps are exact EM.
import { choleskyBlocks, NotPositiveDefiniteError } from '../../linalg/dense64.js';

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

/** μ_k = Σ_i r_ik x_i / N_k into `mu` [K × D] (kept where N_k is empty). */
export function meansUpdate(
  r: Float64Array,
  x: ArrayLike<number>,
  N: number,
  K: number,
  D: number,
  nk: Float64Array,
  mu: Float64Array,
): void {
  const s = new Float64Array(K * D);
  for (let i = 0; i < N; i++)
    for (let k = 0; k < K; k++) {
      const w = r[i * K + k];
      if (w === 0) continue;
      for (let d = 0; d < D; d++) s[k * D + d] += w * x[i * D + d];
    }
  for (let k = 0; k < K; k++)
    if (nk[k] > EMPTY_COMPONENT) for (let d = 0; d < D; d++) mu[k * D + d] = s[k * D + d] / nk[k];
}

/** Σ_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / N_k into `Sigma` [K × D × D]. */
export function covariancesUpdate(
  r: Float64Array,
  x: ArrayLike<number>,
  N: number,
  K: number,
  D: number,
  nk: Float64Array,
  mu: Float64Array,
  Sigma: Float64Array,
): void {
  const c = new Float64Array(D);
  for (let k = 0; k < K; k++) {
    if (!(nk[k] > EMPTY_COMPONENT)) continue;
    const S = new Float64Array(D * D);
    for (let i = 0; i < N; i++) {
      const w = r[i * K + k];
      if (w === 0) continue;
      for (let d = 0; d < D; d++) c[d] = x[i * D + d] - mu[k * D + d];
      for (let a = 0; a < D; a++) {
        const wa = w * c[a];
        for (let b = 0; b <= a; b++) S[a * D + b] += wa * c[b];
      }
    }
    for (let a = 0; a < D; a++)
      for (let b = 0; b <= a; b++) {
        const v = S[a * D + b] / nk[k];
        S[a * D + b] = v;
        S[b * D + a] = v;
      }
    Sigma.set(positiveDefinite(S, D), k * D * D);
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

/** σ_kd = sqrt(Σ_i r_ik (x_id − μ_kd)² / N_k) into `sigma` [K × D]; a zero variance keeps the old σ. */
export function sdsUpdate(
  r: Float64Array,
  x: ArrayLike<number>,
  N: number,
  K: number,
  D: number,
  nk: Float64Array,
  mu: Float64Array,
  sigma: Float64Array,
): void {
  const v = new Float64Array(K * D);
  for (let i = 0; i < N; i++)
    for (let k = 0; k < K; k++) {
      const w = r[i * K + k];
      if (w === 0) continue;
      for (let d = 0; d < D; d++) {
        const c = x[i * D + d] - mu[k * D + d];
        v[k * D + d] += w * c * c;
      }
    }
  for (let k = 0; k < K; k++) {
    if (!(nk[k] > EMPTY_COMPONENT)) continue;
    for (let d = 0; d < D; d++) {
      const s = Math.sqrt(v[k * D + d] / nk[k]);
      if (s > 0) sigma[k * D + d] = s;
    }
  }
}
