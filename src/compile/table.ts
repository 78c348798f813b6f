// `w[d, n] ~ Categorical(beta[z[d, n]])`: a categorical whose probability table is indexed by
// a discrete node. Gathering the rows would build a [tokens, V] matrix (LDA: 200,000 × 5000
// floats = 4 GB), so neither sampling nor logProb does:
// - sampling draws u ~ U(0, 1) per element and inverts the row's CDF with a batched binary
//   search (ceil(log2 V) + 1 rounds of one gather each) on the [R, V] CDF table;
// - logProb gathers only the probability of the observed category, p[row, x] / sum_v p[row, v].
import * as tf from '@tensorflow/tfjs';
import { broadcastShapes, prod } from '../util/shape.js';
import type { RowGather } from './gather.js';

export type TableParam = 'p' | 'logits';

/** Normalised CDF rows [R, V] of the table (probabilities or logits). */
function cdfTable(flat: tf.Tensor, param: TableParam): tf.Tensor {
  const p = param === 'logits' ? tf.softmax(flat) : flat;
  return tf.cumsum(p, 1);
}

/**
 * Draws of shape `shape` (= [n, ...batch]), row g.rows broadcast to it; float32 categories.
 * Inverse-CDF sampling: the draw is the number of CDF entries <= u · total. With few rows
 * (R · 2^24 < 2^31) one searchSorted over int32 keys does it (`sampleByKeys`); otherwise a
 * branchless binary search with one gather per step (`sampleByGathers`).
 */
export function sampleTable(
  g: RowGather,
  param: TableParam,
  shape: readonly number[],
  seed: number,
): tf.Tensor {
  const S = keyBits(g.flat.shape[0]);
  return S >= MIN_KEY_BITS
    ? sampleByKeys(g, param, shape, seed, S)
    : sampleByGathers(g, param, shape, seed);
}

/** Keys must resolve the normalised CDF at least as finely as float32 does near its top (2^-24). */
const MIN_KEY_BITS = 24;

/** The largest S with R · 2^S <= 2^31 - 1 (every key fits in int32), at most 30. */
function keyBits(R: number): number {
  return Math.min(30, Math.floor(Math.log2((2 ** 31 - 1) / Math.max(R, 1))));
}

/**
 * One int32 searchSorted over all rows at once: key[r, v] = r · 2^S + round(cdf[r, v] / total_r
 * · 2^S) is non-decreasing over the flattened [R · V] table (the last key of a row, exactly
 * (r + 1) · 2^S since cdf / total = 1 there, is <= every key of the next row), and the value
 * r · 2^S + floor(u · 2^S) (u <= 1 - 2^-24) lies in row r's range, so the number
 * of keys <= it is r · V + (the category). The normalised CDF is float32 (relative error
 * 2^-24) and the grid 2^-S <= 2^-24 of the total, so the categories' probabilities are those
 * of the float32 CDF to its own resolution; a zero-probability category has the same key as
 * its predecessor and is never drawn.
 */
function sampleByKeys(
  g: RowGather,
  param: TableParam,
  shape: readonly number[],
  seed: number,
  S: number,
): tf.Tensor {
  return tf.tidy(() => {
    const [R, V] = g.flat.shape;
    const unit = 2 ** S;
    const cdf = cdfTable(g.flat, param);
    const total = tf.slice(cdf, [0, V - 1], [R, 1]);
    // row offsets r · 2^S are exact in float32; expanded in float and cast, because a
    // broadcasting int32 add is ~15x slower than a same-shape one on wasm (measured)
    const rowsAt = tf.reshape(tf.range(0, R * unit, unit, 'float32'), [R, 1]);
    const offsets = tf.cast(tf.mul(tf.ones([R, V]), rowsAt), 'int32');
    const keys = tf.add(tf.cast(tf.round(tf.mul(tf.div(cdf, total), unit)), 'int32'), offsets);
    const size = prod(shape);
    const rows = tf.reshape(tf.broadcastTo(g.rows, [...shape]), [1, size]);
    // u · 2^S is exact (a power-of-two scaling) and the cast truncates, i.e. floors u >= 0;
    // a u rounded up to 1 by float32 becomes the largest float32 below 1, so the draw stays
    // in its row
    const u = tf.minimum(tf.randomUniform([1, size], 0, 1, 'float32', seed), 1 - 2 ** -24);
    const frac = tf.cast(tf.mul(u, unit), 'int32');
    const values = tf.add(tf.mul(rows, tf.scalar(unit, 'int32')), frac);
    const count = tf.searchSorted(tf.reshape(keys, [1, R * V]), values, 'right');
    const draw = tf.sub(count, tf.mul(rows, tf.scalar(V, 'int32')));
    // in range already for a valid table; a NaN or negative one (no longer sorted) must still
    // give categories, not indices into other rows
    return tf.reshape(tf.clipByValue(tf.cast(draw, 'float32'), 0, V - 1), [...shape]);
  });
}

/**
 * The binary search over power-of-two steps (the CDF is padded with +Inf to 2^k columns),
 * one gatherND per step. Zero-probability categories are never drawn: the CDF does not
 * increase across them. Positions are float32 while they are exact (R · 2^k < 2^24), else int32.
 */
function sampleByGathers(
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
