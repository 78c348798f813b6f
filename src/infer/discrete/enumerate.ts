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
import { expandTo } from '../../compile/value.js';
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
  const trailOff = trailCards.map((_, j) => trailCards.slice(0, j).reduce((a, c) => a + c, 0));
  const marg = [...leadMarg, ...trailMarg];
  const digit = new Int32Array(t);
  try {
    for (let q = 0; q < nChunks; q++) {
      for (let i = 0; i < t; i++) digit[i] = Math.floor(q / leadStr[i]) % leadCards[i];
      const [mx, sums, margs] = tf.tidy(() => {
        let hi: tf.Tensor | undefined;
        let lo: tf.Tensor | undefined;
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
          if (!hi) {
            const full = term.shape[1] === split.s1 && term.shape[2] === split.s2;
            hi = full ? term : expandTo(term, [copies, split.s1, split.s2]);
            continue;
          }
          const s = tf.add(hi, term);
          const bb = tf.sub(s, hi);
          const err = tf.add(tf.sub(hi, tf.sub(s, bb)), tf.sub(term, bb));
          lo = lo ? tf.add(lo, err) : err;
          hi = s;
        }
        // every entry is finite (floored): a copy whose maximum is at the floor has all its
        // states at probability 0 here, and the host skips it
        const h = tf.reshape(hi ?? tf.zeros([copies, chunk]), [copies, chunk]);
        const m = tf.max(h, 1, true);
        const d = tf.sub(h, m);
        const w = tf.exp(lo ? tf.add(d, tf.reshape(lo, [copies, chunk])) : d);
        const parts = trailCards.map((c, j) =>
          tf.sum(tf.reshape(w, [copies, chunk / (trailStr[j] * c), c, trailStr[j]]), [1, 3]),
        );
        return [
          tf.reshape(m, [copies]),
          tf.sum(w, 1),
          parts.length === 0
            ? tf.zeros([copies, 0])
            : parts.length === 1
              ? parts[0]
              : tf.concat(parts, 1),
        ];
      });
      const mxv = mx.dataSync();
      const sv = sums.dataSync();
      const mg = margs.dataSync();
      mx.dispose();
      sums.dispose();
      margs.dispose();
      for (let c = 0; c < copies; c++) {
        const m = mxv[c];
        if (!(m > LOG_FLOOR / 2) || sv[c] === 0) continue;
        if (m > runMax[c]) {
          if (runSum[c] > 0) {
            // rescale what earlier chunks added to the new maximum
            const scale = Math.exp(runMax[c] - m);
            runSum[c] *= scale;
            for (let i = 0; i < marg.length; i++) {
              const a = marg[i];
              const card = cards[i];
              for (let k = c * card; k < (c + 1) * card; k++) a[k] *= scale;
            }
          }
          runMax[c] = m;
        }
        const scale = m === runMax[c] ? 1 : Math.exp(m - runMax[c]);
        runSum[c] += sv[c] * scale;
        for (let i = 0; i < t; i++) leadMarg[i][c * leadCards[i] + digit[i]] += sv[c] * scale;
        for (let j = 0; j < trailCards.length; j++) {
          const a = trailMarg[j];
          const card = trailCards[j];
          const src = c * trailTotal + trailOff[j];
          for (let k = 0; k < card; k++) a[c * card + k] += mg[src + k] * scale;
        }
      }
    }
  } finally {
    for (const f of ordered) f.p.t.dispose();
  }
  const logZ = new Float64Array(copies);
  for (let c = 0; c < copies; c++) {
    const z = runSum[c];
    logZ[c] = z > 0 ? runMax[c] + Math.log(z) : Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const a = marg[i];
      for (let k = c * cards[i]; k < (c + 1) * cards[i]; k++) a[k] /= z;
    }
  }
  return { logZ, marginals: marg };
}

/**
 * The components of ONE variable of K states, per copy, on the host: the factors' log-potentials
 * summed in float64 (a sum of float32 entries, exact where the batched enumeration needs
 * TwoSum), log Z = m + log Σ_k exp(s_k − m) and the posterior exp(s_k − log Z). A mixture's
 * cases are such components: this is one pass over the C × K entries instead of a dozen tensor
 * operations on them. `tables[f]` is factor f's node table [K × E_f] (state-major, as
 * tables.ts evaluates it) or [K] when every element has the same column, `elems[f][c]` the
 * element of it that copy c reads; the posteriors are written into `out` [copies × K] when given.
 */
export function enumerateOne(
  K: number,
  tables: readonly Float32Array[],
  elems: readonly Int32Array[],
  copies: number,
  out?: Float64Array,
): Enumerated {
  const logZ = new Float64Array(copies);
  const p = out ?? new Float64Array(copies * K);
  // s_ck = Σ_f T_f[k, e_f(c)], row by row of the state-major tables (sequential reads)
  p.fill(0, 0, copies * K);
  tables.forEach((T, f) => {
    const E = T.length / K;
    const el = elems[f];
    for (let k = 0; k < K; k++) {
      const row = k * E;
      if (E === 1) {
        const v = T[k];
        for (let c = 0; c < copies; c++) p[c * K + k] += v;
      } else for (let c = 0; c < copies; c++) p[c * K + k] += T[row + el[c]];
    }
  });
  for (let c = 0; c < copies; c++) {
    const o = c * K;
    let m = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) if (p[o + k] > m) m = p[o + k];
    if (m === Number.NEGATIVE_INFINITY || Number.isNaN(m)) {
      // every state impossible (or a NaN table): log Z = -∞, the posterior undefined
      logZ[c] = m;
      for (let k = 0; k < K; k++) p[o + k] = Number.NaN;
      continue;
    }
    let z = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(p[o + k] - m);
      p[o + k] = e;
      z += e;
    }
    for (let k = 0; k < K; k++) p[o + k] /= z;
    logZ[c] = m + Math.log(z);
  }
  return { logZ, marginals: [p] };
}
