// Accumulating whitened rows into the information form of a Gaussian over θ (Bishop, PRML
// eq. 3.50–3.51 generalised to any set of factors):
//   J = Σ AᵀA,  h = Σ Aᵀb,  m = J⁻¹h,  S = J⁻¹,  R = Σ ‖b − A m‖²,
// per block of a blocked layout (rows carry their block in `seg`). Small factors are summed in
// float64 on the host; large ones as tfjs matMuls whose results are added in float64.
import * as tf from '@tensorflow/tfjs';
import { gramF64, residualF64 } from '../../backend/gram.js';
import { sum64 } from '../../compile/evaluator.js';
import type { GaussianLayout } from './layout.js';
import type { FactorRows } from './rows.js';

/** Default rows × cols² up to which a factor is accumulated in float64 on the host. */
export const HOST_FLOPS = 3e7;

export interface AccumulateOptions {
  /** rows × cols² up to which a factor is accumulated on the host (0: always through tfjs) */
  readonly hostFlops?: number;
  /**
   * rows per block of the tfjs product (default: about 2¹⁸ / cols, see blockRows); given, the
   * tfjs product is used even where the wasm kernel of backend/gram.ts applies (for tests)
   */
  readonly blockRows?: number;
}

/** Add the rows' AᵀA and Aᵀb (times scale²) into J and h. */
export function accumulate(
  r: FactorRows,
  layout: GaussianLayout,
  J: Float64Array,
  h: Float64Array,
  options: AccumulateOptions = {},
): void {
  const hostFlops = options.hostFlops ?? HOST_FLOPS;
  const T = r.b.shape[0] ?? 0;
  const D = layout.cols;
  const s2 = r.scale * r.scale;
  if (T === 0) return;
  if (T * D * D <= hostFlops) {
    const A = r.A.dataSync();
    const b = r.b.dataSync();
    const seg = r.seg?.dataSync();
    const touched = new Set<number>();
    for (let t = 0; t < T; t++) {
      const blk = seg ? seg[t] : 0;
      touched.add(blk);
      const oJ = blk * D * D;
      const oh = blk * D;
      const row = t * D;
      const bt = b[t] * s2;
      for (let i = 0; i < D; i++) {
        const ai = A[row + i];
        if (ai === 0) continue;
        h[oh + i] += ai * bt;
        const ais = ai * s2;
        for (let j = 0; j <= i; j++) J[oJ + i * D + j] += ais * A[row + j];
      }
    }
    // the loop filled the lower triangles
    for (const blk of touched) {
      const o = blk * D * D;
      for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) J[o + j * D + i] = J[o + i * D + j];
    }
    return;
  }
  const seg = r.seg;
  if (!layout.blocked || !seg || layout.blocks === 1) {
    // the wasm backend's AᵀA kernel on the tensor's own memory (backend/gram.ts), else tfjs
    const fast = options.blockRows === undefined ? gramF64(r.A, r.b) : undefined;
    if (fast) {
      for (let i = 0; i < D * D; i++) J[i] += s2 * fast.G[i];
      for (let i = 0; i < D; i++) h[i] += s2 * fast.g[i];
    } else productByRowBlocks(r, T, D, J, h, s2, options.blockRows);
    return;
  }
  const [Jt, ht] = tf.tidy(() => {
    const M = layout.blocks;
    const per = T / M;
    const contiguous =
      Number.isInteger(per) &&
      tf
        .all(tf.equal(seg, tf.floorDiv(tf.range(0, T, 1, 'int32'), tf.scalar(per, 'int32'))))
        .dataSync()[0] === 1;
    if (contiguous) {
      const A3 = tf.reshape(r.A, [M, per, D]);
      const A3t = tf.transpose(A3, [0, 2, 1]);
      return [tf.matMul(A3t, A3), tf.matMul(A3t, tf.reshape(r.b, [M, per, 1]))];
    }
    const outer = tf.reshape(tf.mul(tf.expandDims(r.A, 2), tf.expandDims(r.A, 1)), [T, D * D]);
    const idx = tf.expandDims(seg, 1);
    return [
      tf.scatterND(idx, outer, [M, D * D]),
      tf.scatterND(idx, tf.mul(r.A, tf.expandDims(r.b, 1)), [M, D]),
    ];
  });
  const jd = Jt.dataSync();
  const hd = ht.dataSync();
  for (let i = 0; i < J.length; i++) J[i] += s2 * jd[i];
  for (let i = 0; i < h.length; i++) h[i] += s2 * hd[i];
  Jt.dispose();
  ht.dispose();
}

/** Floats in one row block of the product: [rows × cols] stays in cache (≈ 1 MB). */
const BLOCK_FLOATS = 1 << 18;

/**
 * Rows per block: about BLOCK_FLOATS / cols, made odd. The block's transpose [cols, rows] is the
 * left operand of XNNPACK's GEMM, which reads several of its rows at once: with a row length in
 * bytes that is a multiple of 4 KiB those reads alias in the L1 cache and the product ran 2.4×
 * slower (measured on [100,000, 50]: 2048 or 4096 or 8192 rows per block 60 ms, 5243 rows 25 ms).
 */
export function blockRows(cols: number, requested?: number): number {
  const rows = requested ?? Math.max(64, Math.floor(BLOCK_FLOATS / Math.max(1, cols)));
  return rows | 1;
}

/**
 * J += s² Σ_k A_kᵀA_k and h += s² Σ_k A_kᵀb_k over row blocks A_k of a few thousand rows: each
 * block one float32 matMul, the block sums finished in float64. Faster than one matMul over
 * every row (the block is in cache) and more accurate: a float32 sum runs over one block's rows
 * (relative error ~ √rows · 2⁻²⁴), not over all T. The blocks are sliced on the device (the
 * wasm Slice kernel copies just the rows, backend/slice.ts): no download of A, whose 4·T·cols
 * bytes of JavaScript garbage cost a major GC after every fit. AᵀA as transpose + matMul:
 * tfjs-wasm runs only the untransposed, unbatched product on XNNPACK's GEMM (BatchMatMul.cc;
 * any transposed operand takes a scalar loop), and the GEMM's left operand must be [cols, rows]
 * row-major, so one transposed copy of each block is the least the kernel allows. Aᵀb as the
 * row bᵀA: a matrix–vector product is fast only with the vector on the left, and it reuses
 * the packed A_k that XNNPACK caches for the same right operand.
 */
function productByRowBlocks(
  r: FactorRows,
  T: number,
  D: number,
  J: Float64Array,
  h: Float64Array,
  s2: number,
  requestedRows?: number,
): void {
  const rows = blockRows(D, requestedRows);
  const jt: tf.Tensor[] = [];
  const ht: tf.Tensor[] = [];
  let sums: tf.Tensor;
  try {
    for (let t0 = 0; t0 < T; t0 += rows) {
      const n = Math.min(rows, T - t0);
      // one block's slice and transpose are freed before the next (the heap stays small)
      const [j, hk] = tf.tidy(() => {
        const x = n === T ? r.A : tf.slice(r.A, [t0, 0], [n, D]);
        const y = tf.reshape(n === T ? r.b : tf.slice(r.b, [t0], [n]), [1, n]);
        return [tf.matMul(tf.transpose(x), x), tf.matMul(y, x)];
      });
      jt.push(j);
      ht.push(hk);
    }
    // one download for every block: [blocks, D, D] then [blocks, 1, D]
    sums = tf.tidy(() =>
      tf.concat([tf.reshape(tf.stack(jt), [-1]), tf.reshape(tf.stack(ht), [-1])]),
    );
  } finally {
    for (const t of [...jt, ...ht]) t.dispose();
  }
  const d = sums.dataSync();
  sums.dispose();
  const blocks = Math.ceil(T / rows);
  const DD = D * D;
  for (let k = 0; k < blocks; k++) {
    for (let i = 0; i < DD; i++) J[i] += s2 * d[k * DD + i];
    const o = blocks * DD + k * D;
    for (let i = 0; i < D; i++) h[i] += s2 * d[o + i];
  }
}

/** Σ_t (b_t − a_t · m_block(t))² over the factor's rows. */
export function residualSS(
  r: FactorRows,
  layout: GaussianLayout,
  m: Float64Array,
  options: AccumulateOptions = {},
): number {
  const hostFlops = options.hostFlops ?? HOST_FLOPS;
  const T = r.b.shape[0] ?? 0;
  const D = layout.cols;
  if (T === 0) return 0;
  if (T * D * D <= hostFlops) {
    const A = r.A.dataSync();
    const b = r.b.dataSync();
    const seg = r.seg?.dataSync();
    let s = 0;
    for (let t = 0; t < T; t++) {
      const o = (seg ? seg[t] : 0) * D;
      let fit = 0;
      for (let i = 0; i < D; i++) fit += A[t * D + i] * m[o + i];
      const e = b[t] - fit;
      s += e * e;
    }
    return s * r.scale * r.scale;
  }
  if (!(layout.blocked && r.seg && layout.blocks > 1) && options.blockRows === undefined) {
    // the wasm backend's kernel on the tensors in place (backend/gram.ts), else tfjs
    const fast = residualF64(r.A, r.b, m);
    if (fast !== undefined) return fast * r.scale * r.scale;
  }
  const sq = tf.tidy(() => {
    const mt = tf.tensor2d(Float32Array.from(m), [layout.blocks, D]);
    const fit =
      layout.blocked && r.seg && layout.blocks > 1
        ? tf.sum(tf.mul(r.A, tf.gather(mt, r.seg)), 1)
        : tf.reshape(tf.matMul(r.A, tf.transpose(mt)), [T]);
    return tf.square(tf.sub(r.b, fit));
  });
  const s = sum64(sq);
  sq.dispose();
  return s * r.scale * r.scale;
}
