// Closed-form M-steps of EM (Dempster, Laird & Rubin 1977; Bishop, PRML §9.2.2) from the
// responsibilities r_ik = p(z_i = k | x_i, θ) of the E-step:
//   mixture weights       π_k = Σ_i r_ik / N
//   Bernoulli probability p   = Σ_i r_i1 / N
//   means                 μ_k = Σ_i r_ik x_i / N_k,             N_k = Σ_i r_ik
//   covariances           Σ_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / N_k
//   per-dimension sds     σ_kd = sqrt(Σ_i r_ik (x_id − μ_kd)² / N_k)
// The sums over the cases of a Gaussian slot are tfjs products over blocks of at most
// BLOCK_ROWS cases: each block's sum is float32 (one matmul, rounding ~ √rows · 2⁻²⁴ relative),
// and the blocks are summed in float64 on the host. Two passes: N_k and Σ r x first (the new
// means), then the second-order sums centred on each component's new mean,
// (x − μ_k)ᵀ diag(r_k) (x − μ_k), so that Σ r x xᵀ − N_k μ μᵀ (what raw moments would give)
// never cancels in float32: a log-likelihood that must not decrease needs that. A component with
// N_k below 1e-10 keeps its old params (nothing to estimate them from). A covariance that is not
// positive definite (a component on fewer than D+1 distinct points) gets a ridge 1e-6·trace/D·I,
// repeated ×10 until its Cholesky factorisation succeeds — only then, so ordinary steps are
// exact EM.
import * as tf from '@tensorflow/tfjs';
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

/** Rows per block: each float32 sum runs over at most this many cases. */
export const BLOCK_ROWS = 4096;
/** Floats of the centred values (components × rows × D) per batch of blocks (≈ 32 MB). */
const BATCH_FLOATS = 1 << 23;

/**
 * The cases' values x [N × D] as float32 blocks [B, rows, D], the last one padded with zero
 * rows (their weights are zero too), uploaded once for a whole run. Dispose when done.
 */
export class CaseBlocks {
  readonly x: tf.Tensor3D;
  readonly rows: number;
  readonly blocks: number;

  constructor(
    x: ArrayLike<number>,
    readonly N: number,
    readonly D: number,
  ) {
    this.rows = Math.max(1, Math.min(BLOCK_ROWS, N));
    this.blocks = Math.max(1, Math.ceil(N / this.rows));
    const data = new Float32Array(this.blocks * this.rows * D);
    for (let j = 0; j < N * D; j++) data[j] = x[j];
    this.x = tf.tensor3d(data, [this.blocks, this.rows, D]);
  }

  /** per-case weights r [N × K] (float64) as float32 blocks [B, rows, K], zero-padded */
  weights(r: Float64Array, K: number): tf.Tensor3D {
    const data = new Float32Array(this.blocks * this.rows * K);
    for (let j = 0; j < this.N * K; j++) data[j] = r[j];
    return tf.tensor3d(data, [this.blocks, this.rows, K]);
  }

  dispose(): void {
    this.x.dispose();
  }
}

/** Σ over the blocks (float64) of float32 block sums [B, …]: the flat [size / B] result. */
function blockSum(t: tf.Tensor): Float64Array {
  const d = t.dataSync();
  const n = d.length / t.shape[0];
  const out = new Float64Array(n);
  for (let b = 0; b < t.shape[0]; b++) for (let j = 0; j < n; j++) out[j] += d[b * n + j];
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
  const { D, blocks, rows } = data;
  const R = data.weights(r, K);
  try {
    // pass 1: N_k and Σ_i r_ik x_i
    const [n32, s32] = tf.tidy(() => [tf.sum(R, 1), tf.matMul(R, data.x, true, false)]);
    const nk = blockSum(n32);
    const s = blockSum(s32);
    tf.dispose([n32, s32]);
    for (let k = 0; k < K; k++)
      if (nk[k] > EMPTY_COMPONENT) for (let d = 0; d < D; d++) mu[k * D + d] = s[k * D + d] / nk[k];
    if (!scale) return nk;
    // pass 2: Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ, or its diagonal, centred on the new means
    const width = scale.full ? D * D : D;
    const acc = new Float64Array(K * width);
    const per = Math.max(1, Math.floor(BATCH_FLOATS / (K * rows * D)));
    const muT = tf.tensor4d(Float32Array.from(mu), [1, K, 1, D]);
    try {
      for (let b0 = 0; b0 < blocks; b0 += per) {
        const nb = Math.min(per, blocks - b0);
        const part = tf.tidy(() => {
          const x = tf.slice(data.x, [b0, 0, 0], [nb, rows, D]);
          const w = tf.slice(R, [b0, 0, 0], [nb, rows, K]);
          const c = tf.sub(tf.expandDims(x, 1), muT); // [nb, K, rows, D]
          const wT = tf.expandDims(tf.transpose(w, [0, 2, 1]), 3); // [nb, K, rows, 1]
          const flat = (t: tf.Tensor) => tf.reshape(t, [nb * K, rows, t.shape[3] as number]);
          const sq = scale.full
            ? tf.matMul(flat(tf.mul(c, wT)), flat(c), true, false)
            : tf.matMul(flat(wT), flat(tf.square(c)), true, false);
          return tf.reshape(sq, [nb, K * width]);
        });
        const sums = blockSum(part);
        part.dispose();
        for (let j = 0; j < acc.length; j++) acc[j] += sums[j];
      }
    } finally {
      muT.dispose();
    }
    for (let k = 0; k < K; k++) {
      if (!(nk[k] > EMPTY_COMPONENT)) continue;
      if (scale.full) {
        // (r ⊙ c)ᵀ c is symmetric up to float32 rounding: average its two triangles
        const S = new Float64Array(D * D);
        const a0 = k * D * D;
        for (let a = 0; a < D; a++)
          for (let b = 0; b <= a; b++) {
            const v = (acc[a0 + a * D + b] + acc[a0 + b * D + a]) / 2 / nk[k];
            S[a * D + b] = v;
            S[b * D + a] = v;
          }
        scale.values.set(positiveDefinite(S, D), a0);
      } else {
        for (let d = 0; d < D; d++) {
          const sd = Math.sqrt(acc[k * D + d] / nk[k]);
          if (sd > 0) scale.values[k * D + d] = sd;
        }
      }
    }
    return nk;
  } finally {
    R.dispose();
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
