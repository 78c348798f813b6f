// `w[d, n] ~ Categorical(beta[z[d, n]])`: a categorical whose probability table is indexed by
// a discrete node. Gathering the rows would build a [tokens, V] matrix (LDA: 200,000 × 5000
// floats = 4 GB), so neither sampling nor logProb does:
// - sampling draws u ~ U(0, 1) per element and inverts the row's CDF with a batched binary
//   search (ceil(log2 V) + 1 rounds of one gather each) on the [R, V] CDF table;
// - logProb gathers only the probability of the observed category, p[row, x] / sum_v p[row, v].
import * as tf from '@tensorflow/tfjs';
import { broadcastShapes } from '../util/shape.js';
import type { RowGather } from './gather.js';

export type TableParam = 'p' | 'logits';

/** Normalised CDF rows [R, V] of the table (probabilities or logits). */
function cdfTable(flat: tf.Tensor, param: TableParam): tf.Tensor {
  const p = param === 'logits' ? tf.softmax(flat) : flat;
  return tf.cumsum(p, 1);
}

/**
 * Draws of shape `shape` (= [n, ...batch]), row g.rows broadcast to it; float32 categories.
 * Inverse-CDF: the draw is the number of CDF entries <= u · cdf[V-1], found by a branchless
 * binary search over power-of-two steps (the CDF is padded with +Inf to 2^k columns), one
 * gatherND per step. Zero-probability categories are never drawn: the CDF does not increase
 * across them. Positions are float32 while they are exact (R · 2^k < 2^24), else int32.
 */
export function sampleTable(
  g: RowGather,
  param: TableParam,
  shape: readonly number[],
  seed: number,
): tf.Tensor {
  return tf.tidy(() => {
    const [R, V] = g.flat.shape;
    const k = Math.ceil(Math.log2(Math.max(V, 2)));
    const Vp = 2 ** k;
    let cdf = cdfTable(g.flat, param);
    const total = tf.slice(cdf, [0, V - 1], [R, 1]);
    if (Vp > V) cdf = tf.concat([cdf, tf.fill([R, Vp - V], Number.POSITIVE_INFINITY)], 1);
    const cdfFlat = tf.reshape(cdf, [R * Vp, 1]);
    const rows = tf.broadcastTo(g.rows, [...shape]);
    const target = tf.mul(
      tf.randomUniform([...shape], 0, 1, 'float32', seed),
      tf.reshape(tf.gatherND(total, tf.expandDims(rows, -1)), [...shape]),
    );
    const exact = R * Vp < 2 ** 24;
    // pos + step - 1 is the CDF column compared at each step; base = row * Vp
    let pos: tf.Tensor = exact
      ? tf.mul(tf.cast(rows, 'float32'), Vp)
      : tf.mul(rows, tf.scalar(Vp, 'int32'));
    const base = pos;
    for (let step = Vp / 2; step >= 1; step /= 2) {
      const at = exact
        ? tf.cast(tf.add(pos, step - 1), 'int32')
        : tf.add(pos, tf.scalar(step - 1, 'int32'));
      const c = tf.reshape(tf.gatherND(cdfFlat, tf.expandDims(at, -1)), [...shape]);
      const le = tf.cast(tf.lessEqual(c, target), exact ? 'float32' : 'int32');
      pos = tf.add(pos, exact ? tf.mul(le, step) : tf.mul(le, tf.scalar(step, 'int32')));
    }
    const draw = tf.cast(tf.sub(pos, base), 'float32');
    // u · total < total, so the count is <= V - 1 except by float rounding
    return tf.minimum(draw, V - 1);
  });
}

/**
 * log p(x | row) for categories x (float, [s, ...batch]) and rows g.rows (broadcast):
 * one gather of the selected entries, never the whole rows. Outside {0..V-1}: -Infinity.
 */
export function logProbTable(g: RowGather, param: TableParam, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [R, V] = g.flat.shape;
    const outShape = broadcast(g.rows.shape, x.shape);
    const rows = tf.broadcastTo(g.rows, outShape);
    const xs = tf.broadcastTo(x, outShape);
    const valid = tf.logicalAnd(
      tf.logicalAnd(tf.greaterEqual(xs, 0), tf.less(xs, V)),
      tf.equal(xs, tf.floor(xs)),
    );
    const xi = tf.cast(tf.clipByValue(xs, 0, V - 1), 'int32');
    const flat1 = tf.reshape(g.flat, [R * V, 1]);
    const at = tf.add(tf.mul(rows, tf.scalar(V, 'int32')), xi);
    const sel = tf.reshape(tf.gatherND(flat1, tf.expandDims(at, -1)), outShape);
    // per-row normaliser, computed on the [R, V] table once (R rows, not one per element)
    const norm = param === 'logits' ? tf.logSumExp(g.flat, 1) : tf.log(tf.sum(g.flat, 1));
    const normAt = tf.reshape(
      tf.gatherND(tf.reshape(norm, [R, 1]), tf.expandDims(rows, -1)),
      outShape,
    );
    const lp = param === 'logits' ? tf.sub(sel, normAt) : tf.sub(tf.log(sel), normAt);
    return tf.where(valid, lp, tf.fill(outShape, Number.NEGATIVE_INFINITY));
  });
}

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const out = broadcastShapes(a, b);
  if (!out) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
  return out;
}
