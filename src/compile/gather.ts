// Batched indexing of a plate-aligned value by scalar index values (discrete nodes, int data,
// plate indices), vectorised over samples and plates with ONE gather: the target's batch
// axes (s, plates) and its indexed value axes are flattened into a row axis, and every
// result element computes its row number. Nothing of the size batch × table is materialised.
import * as tf from '@tensorflow/tfjs';
import '../backend/gradients.js';
import { sameShape } from '../util/shape.js';
import { prod, toInt, valueShape } from './value.js';

/** A gather not yet performed: result[e] = flat[rows[e]]. */
export interface RowGather {
  /** [R, ...rest]: the target with its batch and indexed axes flattened into rows */
  readonly flat: tf.Tensor;
  /** int32 [s, c1..cm]: the row of every result element */
  readonly rows: tf.Tensor;
}

/**
 * Rows of `t` (a PAV in an m-axis context) selected along its value axes `at` (distinct,
 * any order) by the int PAVs `idx` (value shape []). Remaining value axes keep their order.
 */
export function rowGather(
  t: tf.Tensor,
  m: number,
  at: readonly number[],
  idx: readonly tf.Tensor[],
): RowGather {
  const v = valueShape(t, m);
  const batch = t.shape.slice(0, 1 + m);
  const others = v.map((_, i) => i).filter((i) => !at.includes(i));
  const perm = [
    ...batch.map((_, i) => i),
    ...at.map((a) => 1 + m + a),
    ...others.map((o) => 1 + m + o),
  ];
  const moved = perm.every((p, i) => p === i) ? t : tf.transpose(t, perm);
  const atDims = at.map((a) => v[a]);
  const F = prod(atDims);
  const rest = others.map((o) => v[o]);
  const flat = tf.reshape(moved, [prod(batch) * F, ...rest]);

  // flat index into the indexed axes: sum_j idx_j * stride_j
  let rows: tf.Tensor | undefined;
  let stride = F;
  for (let j = 0; j < at.length; j++) {
    stride /= atDims[j];
    const term = stride === 1 ? toInt(idx[j]) : tf.mul(toInt(idx[j]), tf.scalar(stride, 'int32'));
    rows = rows ? tf.add(rows, term) : term;
  }
  if (!rows) throw new Error('internal: rowGather without indices');
  // plus the offset of the target's own batch element (only along axes where it varies)
  let bstride = F;
  for (let b = batch.length - 1; b >= 0; b--) {
    if (batch[b] > 1) {
      const shape = new Array<number>(1 + m).fill(1);
      shape[b] = batch[b];
      const off = tf.reshape(tf.range(0, batch[b] * bstride, bstride, 'int32'), shape);
      rows = addBroadcastInt(rows, off, prod(batch) * F);
    }
    bstride *= batch[b];
  }
  return { flat, rows };
}

/**
 * a + b for int32 tensors whose shapes broadcast, below `bound`: in float32 when that is exact
 * (bound ≤ 2^24), as wasm's broadcasting int32 Add is ~35x slower than float32's (measured,
 * tfjs 4.22: [10, 100000, 8] + [10, 1, 1] 537 ms against 15 ms, 29 ms with the casts).
 */
function addBroadcastInt(a: tf.Tensor, b: tf.Tensor, bound: number): tf.Tensor {
  if (sameShape(a.shape, b.shape) || bound > 2 ** 24) return tf.add(a, b);
  return tf.cast(tf.add(tf.cast(a, 'float32'), tf.cast(b, 'float32')), 'int32');
}

/** tf.gatherND rather than tf.gather: ~10x faster on the wasm backend (measured, tfjs 4.22). */
export function applyRowGather(g: RowGather): tf.Tensor {
  return tf.gatherND(g.flat, tf.expandDims(g.rows, -1));
}
