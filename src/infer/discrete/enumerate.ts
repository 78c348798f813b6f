// Vectorised enumeration of the joint states of a component, batched over copies and chunked
// over states to bound memory. A chunk is the block of states in which the leading variables are
// fixed and the trailing ones run over all their values, so that
//  - each factor's index map splits into a per-chunk constant (leading variables) plus one
//    precomputed int32 map (trailing variables): one add and one gather per factor per chunk;
//  - the marginals of the trailing variables are reshape-and-sum reductions of the chunk's
//    weights, and those of the leading variables are the chunk's total (added in float64).
// The per-chunk maxima and sums are combined in float64 JavaScript.
//
// The log joint of a state is a sum of many float32 terms; a plain float32 sum rounds at the
// scale of the total (ulp(20) ≈ 2e-6). The terms are added with Knuth's TwoSum, carrying the
// rounding error in a second tensor (double-float accumulation).
import * as tf from '@tensorflow/tfjs';
import { prod, strides } from '../../util/shape.js';
import { aligned, type LogTable, permute, splitScope } from './table.js';

/** -∞ stands in as this (finite, so that compensated sums stay NaN-free; exp gives 0). */
const LOG_FLOOR = -1e30;

export interface Enumerated {
  /** log Z per copy (float64) */
  readonly logZ: Float64Array;
  /** per variable, [C * card] row-major posterior probabilities (float64) */
  readonly marginals: Float64Array[];
}

/** Default number of table entries (copies × states) per chunk. */
export const CHUNK_ENTRIES = 1 << 21;

/**
 * Enumerate all joint states of variables 0 … cards.length-1. `tables` hold the factors
 * ([C, states of their scope]); they are read, not disposed.
 */
export function enumerateJoint(
  cards: readonly number[],
  tables: readonly LogTable[],
  copies: number,
  chunkEntries = CHUNK_ENTRIES,
): Enumerated {
  const n = cards.length;
  // trailing variables t … n-1 span one chunk
  let t = n;
  let chunk = 1;
  while (t > 0 && chunk * cards[t - 1] * copies <= Math.max(chunkEntries, copies)) {
    t--;
    chunk *= cards[t];
  }
  const leadCards = cards.slice(0, t);
  const trailCards = cards.slice(t);
  const nChunks = prod(leadCards);
  const leadStr = strides(leadCards);
  const trailStr = strides(trailCards);
  const trailVars = trailCards.map((_, j) => t + j);
  const split = splitScope(trailVars, trailCards);

  // every factor with its leading variables first: a chunk is then a column slice of it
  const ordered = tables.map((tab) => {
    const lead = tab.vars.filter((v) => v < t).sort((a, b) => a - b);
    const trail = tab.vars.filter((v) => v >= t);
    const p = permute(tab, [...lead, ...trail]);
    const ls = strides(lead.map((v) => cards[v]));
    const restStates = prod(trail.map((v) => cards[v]));
    return { p, lead, ls, trail, restStates };
  });
  const runMax = new Float64Array(copies).fill(Number.NEGATIVE_INFINITY);
  const runSum = new Float64Array(copies);
  const leadMarg = leadCards.map((c) => new Float64Array(copies * c));
  const trailMarg = trailCards.map((c) => new Float64Array(copies * c));
  const trailTotal = trailCards.reduce((a, c) => a + c, 0);
  const digit = new Int32Array(t);
  try {
    for (let q = 0; q < nChunks; q++) {
      for (let i = 0; i < t; i++) digit[i] = Math.floor(q / leadStr[i]) % leadCards[i];
      const [mx, sums, margs] = tf.tidy(() => {
        let hi: tf.Tensor = tf.zeros([copies, split.s1, split.s2]);
        let lo: tf.Tensor = tf.zeros([copies, split.s1, split.s2]);
        for (const f of ordered) {
          let offset = 0;
          f.lead.forEach((v, i) => {
            offset += digit[v] * f.ls[i];
          });
          const slice =
            f.lead.length === 0
              ? f.p.t
              : (tf.slice(
                  f.p.t,
                  [0, offset * f.restStates],
                  [copies, f.restStates],
                ) as tf.Tensor2D);
          // clamp -∞ to a finite floor so that TwoSum stays NaN-free (exp of it is still 0)
          const term = tf.maximum(
            aligned({ vars: f.trail, cards: f.trail.map((v) => cards[v]), t: slice }, split),
            LOG_FLOOR,
          );
          const s = tf.add(hi, term);
          const bb = tf.sub(s, hi);
          lo = tf.add(lo, tf.add(tf.sub(hi, tf.sub(s, bb)), tf.sub(term, bb)));
          hi = s;
        }
        hi = tf.reshape(hi, [copies, chunk]);
        hi = tf.where(tf.less(hi, LOG_FLOOR / 2), tf.fill(hi.shape, Number.NEGATIVE_INFINITY), hi);
        lo = tf.reshape(lo, [copies, chunk]);
        const m = tf.max(hi, 1, true);
        const shift = tf.where(tf.isFinite(m), m, tf.zerosLike(m));
        const w = tf.exp(tf.add(tf.sub(hi, shift), lo));
        const parts = trailCards.map((c, j) =>
          tf.sum(tf.reshape(w, [copies, chunk / (trailStr[j] * c), c, trailStr[j]]), [1, 3]),
        );
        return [
          tf.squeeze(shift, [1]),
          tf.sum(w, 1),
          parts.length > 0 ? tf.concat(parts, 1) : tf.zeros([copies, 0]),
        ];
      });
      const mxv = mx.dataSync();
      const sv = sums.dataSync();
      const mg = margs.dataSync();
      mx.dispose();
      sums.dispose();
      margs.dispose();
      for (let c = 0; c < copies; c++) {
        if (sv[c] === 0) continue;
        const m = mxv[c];
        if (m > runMax[c]) {
          const scale = runMax[c] === Number.NEGATIVE_INFINITY ? 0 : Math.exp(runMax[c] - m);
          runSum[c] *= scale;
          for (const a of leadMarg)
            for (let k = 0; k < a.length / copies; k++) a[c * (a.length / copies) + k] *= scale;
          for (const a of trailMarg)
            for (let k = 0; k < a.length / copies; k++) a[c * (a.length / copies) + k] *= scale;
          runMax[c] = m;
        }
        const scale = Math.exp(m - runMax[c]);
        runSum[c] += sv[c] * scale;
        for (let i = 0; i < t; i++) leadMarg[i][c * leadCards[i] + digit[i]] += sv[c] * scale;
        let off = 0;
        trailCards.forEach((card, j) => {
          for (let k = 0; k < card; k++)
            trailMarg[j][c * card + k] += mg[c * trailTotal + off + k] * scale;
          off += card;
        });
      }
    }
  } finally {
    for (const f of ordered) f.p.t.dispose();
  }
  const logZ = new Float64Array(copies);
  const marginals = [...leadMarg, ...trailMarg];
  for (let c = 0; c < copies; c++) {
    logZ[c] = runSum[c] > 0 ? runMax[c] + Math.log(runSum[c]) : Number.NEGATIVE_INFINITY;
    marginals.forEach((a, i) => {
      for (let k = 0; k < cards[i]; k++) a[c * cards[i] + k] /= runSum[c];
    });
  }
  return { logZ, marginals };
}
