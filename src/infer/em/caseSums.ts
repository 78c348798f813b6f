// The weighted sums over the cases that a Gaussian slot's M-step needs (mstep.ts), as tfjs
// products over blocks of at most BLOCK_ROWS cases: each block's sum is one float32 matmul
// (rounding ~ √rows · 2⁻²⁴ relative to the sum of the terms' sizes), and the blocks are summed
// in float64 on the host. Every product is a 2-D matmul without transposes — the only matmul
// tfjs-wasm runs through XNNPACK; a batched one (one matrix per block and component) runs a
// plain loop several times slower.
//
//   pass 1   N_k = Σ_i r_ik,   Σ_i r_ik (x_i − m)           (m: the data's mean)
//   pass 2   Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ, or its diagonal, about the NEW means μ_k
//
// Pass 2 is centred on each component: u_ik = r_ik (x_i − μ_k), and
//   S_k = Σ_i u_ik (x_i − μ_k)ᵀ = Σ_i u_ik (x_i − m)ᵀ − (Σ_i u_ik)(μ_k − m)ᵀ,
// one matmul of the u (per component) with the cases' [x − m, 1] (shared by the components).
// Σ_i u_ik vanishes at the exact mean, so the correction is tiny, and the products u (x − m)
// round at |u| |x − m| instead of |u| |x − μ_k|: their rounding adds up to about
// 2⁻²⁴ √rows · |μ_k − m| / σ_k relative to S_k's √rows · 2⁻²⁴ from the accumulation — below
// it while the components lie within √rows = 64 of their widths from the data's mean. What
// raw moments would give, Σ r x xᵀ − N_k μ μᵀ, cancels instead at (|μ_k| / σ_k)².
import * as tf from '@tensorflow/tfjs';

/** Rows per block: each float32 sum runs over at most this many cases. */
export const BLOCK_ROWS = 4096;

/**
 * The cases' values x [N × D] in blocks, uploaded once for a whole run: per block [x − m, 1]
 * [rows, D + 1] and its transpose. Dispose when done.
 */
export class CaseBlocks {
  /** the values' mean (float64) */
  readonly mean: Float64Array;
  private readonly xa: tf.Tensor2D[] = [];
  private readonly xaT: tf.Tensor2D[] = [];
  private readonly rows: number[] = [];

  constructor(
    x: ArrayLike<number>,
    readonly N: number,
    readonly D: number,
  ) {
    const m = new Float64Array(D);
    for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) m[d] += x[i * D + d];
    for (let d = 0; d < D; d++) m[d] /= N;
    this.mean = m;
    const W = D + 1;
    for (let i0 = 0; i0 < N; i0 += BLOCK_ROWS) {
      const n = Math.min(BLOCK_ROWS, N - i0);
      const a = new Float32Array(n * W);
      const aT = new Float32Array(n * W);
      for (let j = 0; j < n; j++) {
        for (let d = 0; d < D; d++) {
          const v = x[(i0 + j) * D + d] - m[d];
          a[j * W + d] = v;
          aT[d * n + j] = v;
        }
        a[j * W + D] = 1;
        aT[D * n + j] = 1;
      }
      this.rows.push(n);
      this.xa.push(tf.tensor2d(a, [n, W]));
      this.xaT.push(tf.tensor2d(aT, [W, n]));
    }
  }

  /** the responsibilities r [N × K] (float64) per block, transposed: [K, rows] float32 */
  weights(r: Float64Array, K: number): BlockWeights {
    const rt: tf.Tensor2D[] = [];
    let i0 = 0;
    for (const n of this.rows) {
      const t = new Float32Array(K * n);
      // one row of the transpose at a time: sequential writes, the block's r stays in cache
      for (let k = 0; k < K; k++) for (let j = 0; j < n; j++) t[k * n + j] = r[(i0 + j) * K + k];
      rt.push(tf.tensor2d(t, [K, n]));
      i0 += n;
    }
    return { K, rt, dispose: () => tf.dispose(rt) };
  }

  /** pass 1: N_k [K] and Σ_i r_ik (x_i − m) [K × D] */
  firstMoments(w: BlockWeights): { n: Float64Array; s: Float64Array } {
    const { K } = w;
    const D = this.D;
    const sums = blockSums(this.xa.map((xa, b) => () => tf.matMul(w.rt[b], xa))); // [K, D + 1]
    const n = new Float64Array(K);
    const s = new Float64Array(K * D);
    for (let k = 0; k < K; k++) {
      n[k] = sums[k * (D + 1) + D];
      for (let d = 0; d < D; d++) s[k * D + d] = sums[k * (D + 1) + d];
    }
    return { n, s };
  }

  /**
   * pass 2: Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ [K × D × D] (`full`), or its diagonal [K × D],
   * about the means `mu` [K × D] (float64).
   */
  scatter(w: BlockWeights, mu: Float64Array, full: boolean): Float64Array {
    const { K } = w;
    const D = this.D;
    const W = D + 1;
    const m = this.mean;
    // row (k, a) of C: x_a − μ_ka from [x − m, 1] (one product and one addition: exact rounding)
    const C = new Float32Array(K * D * W);
    for (let k = 0; k < K; k++)
      for (let a = 0; a < D; a++) {
        const row = k * D + a;
        C[row * W + a] = 1;
        C[row * W + D] = -(mu[k * D + a] - m[a]);
      }
    const Ct = tf.tensor2d(C, [K * D, W]);
    try {
      // the right-hand factors of the products are the blocks' values, the same in every
      // M-step: tfjs-wasm keeps XNNPACK's packed copy of a right-hand factor it has seen
      const sums = blockSums(
        this.xaT.map((xaT, b) => () => {
          const n = this.rows[b];
          const c = tf.matMul(Ct, xaT); // [K·D, rows]: x − μ_k, per component
          const u = tf.reshape(tf.mul(tf.reshape(c, [K, D, n]), tf.reshape(w.rt[b], [K, 1, n])), [
            K * D,
            n,
          ]); // r_k (x − μ_k)
          return full ? tf.matMul(u, this.xa[b]) : tf.sum(tf.mul(u, c), 1);
        }),
      );
      if (!full) return sums;
      // S_k[a, b] = Σ u_ka (x_b − m_b) − (Σ u_ka)(μ_kb − m_b)
      const S = new Float64Array(K * D * D);
      for (let k = 0; k < K; k++)
        for (let a = 0; a < D; a++) {
          const row = (k * D + a) * W;
          for (let b = 0; b < D; b++)
            S[(k * D + a) * D + b] = sums[row + b] - sums[row + D] * (mu[k * D + b] - m[b]);
        }
      return S;
    } finally {
      Ct.dispose();
    }
  }

  dispose(): void {
    tf.dispose(this.xa);
    tf.dispose(this.xaT);
  }
}

/** One M-step's responsibilities, uploaded once for both passes. */
export interface BlockWeights {
  readonly K: number;
  readonly rt: readonly tf.Tensor2D[];
  dispose(): void;
}

/** Σ over the blocks, in float64, of each block's float32 result (all of one shape). */
function blockSums(parts: readonly (() => tf.Tensor)[]): Float64Array {
  const all = tf.tidy(() => tf.stack(parts.map((f) => f())));
  const d = all.dataSync();
  all.dispose();
  const n = d.length / parts.length;
  const out = new Float64Array(n);
  for (let b = 0; b < parts.length; b++) for (let j = 0; j < n; j++) out[j] += d[b * n + j];
  return out;
}
