// Categorical(p) or Categorical(logits = l) on {0, …, K-1}, K the last axis of the parameter.
// Draws are int32 indices. Two samplers, chosen by measurement on wasm:
// - few draws per row (<= 16): tf.multinomial, one fused C++ kernel (for 200,000 rows of K = 20,
//   ~50 ms against ~130 ms for cumsum + search on logits; far ahead for K = 5000); its rare draw
//   of a probability-0 category (the float32 CDF can end short of 1) is redrawn by inverse CDF;
// - many draws per row: inverse CDF, a cumsum of the (unnormalised) weights and a binary search
//   (`searchSorted`, side 'right', so a category of probability 0 is never drawn).
// `sampleCategoricalRows` draws from rows of a shared table without materialising one row per
// draw (LDA's w[d, n] ~ Categorical(beta[z[d, n]])): ~85 ms for 200,000 draws from 20 rows of
// V = 5000 (gathering the rows instead would copy 10^9 floats).
import * as tf from '@tensorflow/tfjs';
import { maxOf } from '../util/array.js';
import { BaseDistribution } from './base.js';
import type { ChildStats, ConjugateMessage, DistArgs, ExpFamily } from './distribution.js';
import { noConjugateParent } from './moments.js';
import type { Rng } from './rng.js';
import { countTrue, indicesWhere, readBack, uniform } from './sampling.js';
import { numel } from './shapes.js';
import { logSumExp, softmaxStable } from './special.js';
import { f32, isInteger, mask, maskOutside } from './support.js';

export class Categorical extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Categorical', args, 0);
  }

  /** number of categories */
  get K(): number {
    const t = this.params.p ?? this.params.logits!;
    return t.shape[t.rank - 1]!;
  }

  /** normalised log probabilities [...batch, K] */
  logProbs(): tf.Tensor {
    return tf.tidy(() => categoricalLogProbs(this.params));
  }

  /** normalised probabilities [...batch, K] */
  probs(): tf.Tensor {
    return tf.tidy(() =>
      this.params.p ? normalize(this.params.p) : softmaxStable(this.params.logits!),
    );
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    if (numel(sampleShape) <= MULTINOMIAL_MAX_SAMPLES) {
      const logits = tf.tidy(() =>
        this.params.p ? tf.log(this.params.p) : tf.clone(this.params.logits!),
      );
      const out = sampleCategoricalLogits(logits, sampleShape, rng);
      logits.dispose();
      return out;
    }
    const w = tf.tidy(() => categoricalWeights(this.params));
    const out = sampleCategorical(w, sampleShape, rng);
    w.dispose();
    return out;
  }

  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => gatherLogProb(this.logProbs(), f32(x), this.batchShape));
  }

  /** the probability vector, [...batch, K] (as DESIGN §5 reports a Categorical's mean) */
  mean(): tf.Tensor {
    return this.probs();
  }

  /** p (1 - p) per category, [...batch, K] (variance of the one-hot encoding) */
  variance(): tf.Tensor {
    return tf.tidy(() => {
      const p = this.probs();
      return tf.mul(p, tf.sub(1, p));
    });
  }
}

/**
 * Removes only float32 rounding: a p known before running is checked to be a simplex within
 * 1e-8 (domains.ts; src/graph/argChecks.ts, src/compile/argDomains.ts), and a drawn one (a
 * Dirichlet draw) is one up to rounding, so no user's row is silently renormalised here.
 */
function normalize(p: tf.Tensor): tf.Tensor {
  return tf.div(p, tf.sum(p, -1, true));
}

/** normalised log probabilities from {p} or {logits} */
export function categoricalLogProbs(params: Readonly<Record<string, tf.Tensor>>): tf.Tensor {
  return tf.tidy(() => {
    if (params.p) return tf.sub(tf.log(params.p), tf.log(tf.sum(params.p, -1, true)));
    const l = params.logits!;
    return tf.sub(l, logSumExp(l, -1, true));
  });
}

/** non-negative unnormalised weights (p itself, or exp(logits - max)) */
export function categoricalWeights(params: Readonly<Record<string, tf.Tensor>>): tf.Tensor {
  return tf.tidy(() => {
    if (params.p) return tf.clone(params.p);
    const l = params.logits!;
    return tf.exp(tf.sub(l, tf.max(l, -1, true)));
  });
}

/**
 * log p[x] per element: logp [...batch, K], x [...any, ...batch] (float or int); -Inf where x is
 * not an integer in [0, K). One gather from the flattened table, no one-hot.
 */
export function gatherLogProb(
  logp: tf.Tensor,
  x: tf.Tensor,
  batchShape: readonly number[],
): tf.Tensor {
  return tf.tidy(() => {
    const K = logp.shape[logp.rank - 1]!;
    const Bn = numel(batchShape);
    const valid = mask(
      (u) => tf.logicalAnd(isInteger(u), tf.logicalAnd(tf.greaterEqual(u, 0), tf.less(u, K))),
      x,
    );
    const xi = tf.cast(tf.where(valid, x, tf.zerosLike(x)), 'int32');
    const bIdx = tf.reshape(
      tf.mul(tf.range(0, Bn, 1, 'int32'), tf.scalar(K, 'int32')),
      batchShape as number[],
    );
    const idx = tf.add(xi, bIdx);
    const v = tf.gather(tf.reshape(logp, [Bn * K]), idx);
    return maskOutside(tf.logicalNot(valid), v);
  });
}

/** Draws of `sampleShape` from each row of w [...batch, K]: Bn rows, Sn draws per row. */
export function rowLayout(
  w: tf.Tensor,
  sampleShape: readonly number[],
): { K: number; batch: number[]; Bn: number; Sn: number } {
  const batch = w.shape.slice(0, -1);
  return { K: w.shape[w.rank - 1]!, batch, Bn: numel(batch), Sn: numel(sampleShape) };
}

/** Draws [Bn, Sn] (row-major by batch row) as [...sampleShape, ...batch]. */
function sampleMajor(d: tf.Tensor, sampleShape: readonly number[], batch: number[]): tf.Tensor {
  return tf.reshape(d.shape[1] === 1 ? d : tf.transpose(d), [...sampleShape, ...batch]);
}

/** up to this many draws per row, tf.multinomial (fused in C++) beats cumsum + search */
const MULTINOMIAL_MAX_SAMPLES = 16;

/**
 * Inverse-CDF search of u * total in each row's cdf [B, K] (side 'right'). With u <= 1 - 2^-24 the
 * product rounds strictly below the total, so the search never runs off the end and never returns
 * a category whose cdf step is zero: categories of probability 0 are never drawn.
 */
function searchRows(cdf: tf.Tensor2D, u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.searchSorted(cdf, tf.mul(u, tf.max(cdf, 1, true)), 'right'));
}

/**
 * Draws from Categorical(w / sum(w)) for non-negative weights w [...batch, K]: int32
 * [...sampleShape, ...batch]. Inverse CDF (cumsum + binary search), so w need not sum to 1; the
 * cost per draw is O(log K) after an O(K) cumsum per row.
 */
export function sampleCategorical(
  w: tf.Tensor,
  sampleShape: readonly number[],
  rng: Rng,
): tf.Tensor {
  const { K, batch, Bn, Sn } = rowLayout(w, sampleShape);
  if (Bn * Sn === 0) return tf.zeros([...sampleShape, ...batch], 'int32');
  const u = uniform([Bn, Sn], rng);
  return tf.tidy(() => {
    const cdf = tf.cumsum(tf.reshape(w, [Bn, K]), 1) as tf.Tensor2D;
    const idx = searchRows(cdf, u);
    u.dispose();
    return sampleMajor(idx, sampleShape, batch);
  });
}

/**
 * Draws from Categorical(softmax(logits)) for logits [...batch, K] (-Inf allowed): int32
 * [...sampleShape, ...batch]. tf.multinomial for few draws per row, whose rare draws of a
 * probability-0 category (its cdf can fall short of 1 in float32) are redrawn exactly by inverse
 * CDF; inverse CDF directly for many draws per row.
 */
export function sampleCategoricalLogits(
  logits: tf.Tensor,
  sampleShape: readonly number[],
  rng: Rng,
): tf.Tensor {
  const { K, batch, Bn, Sn } = rowLayout(logits, sampleShape);
  // tf.multinomial needs at least 2 outcomes; one category is drawn by the inverse CDF (always 0)
  if (K < 2 || Sn > MULTINOMIAL_MAX_SAMPLES || Bn * Sn === 0) {
    const w = tf.tidy(() => tf.exp(tf.sub(logits, tf.max(logits, -1, true))));
    const out = sampleCategorical(w, sampleShape, rng);
    w.dispose();
    return out;
  }
  const l2 = tf.reshape(logits, [Bn, K]) as tf.Tensor2D;
  const draws = tf.multinomial(l2, Sn, rng.nextSeed()); // [Bn, Sn]
  const [flatDraws, bad] = tf.tidy(() => {
    const flat = tf.reshape(draws, [Bn * Sn]);
    const row = tf.reshape(tf.tile(tf.expandDims(tf.range(0, Bn, 1, 'int32'), 1), [1, Sn]), [
      Bn * Sn,
    ]);
    const chosen = tf.gather(
      tf.reshape(l2, [Bn * K]),
      tf.add(tf.mul(row, tf.scalar(K, 'int32')), flat),
    );
    return [flat, tf.equal(chosen, Number.NEGATIVE_INFINITY)];
  });
  const nBad = countTrue(bad);
  let fixed = flatDraws;
  if (nBad > 0) {
    const where = indicesWhere(bad, nBad);
    const rows = tf.tidy(() => tf.floorDiv(where, tf.scalar(Sn, 'int32')));
    const w = tf.tidy(() => tf.exp(tf.sub(l2, tf.max(l2, 1, true))));
    const redrawn = sampleCategoricalRows(w, rows, rng);
    fixed = tf.tidy(() => tf.tensorScatterUpdate(flatDraws, tf.expandDims(where, 1), redrawn));
    tf.dispose([where, rows, w, redrawn, flatDraws]);
  }
  const out = tf.tidy(() => sampleMajor(tf.reshape(fixed, [Bn, Sn]), sampleShape, batch));
  tf.dispose([l2, draws, fixed, bad]);
  return out;
}

/**
 * Draws x_i ~ Categorical(table[rows_i]) for a table of weights [R, K] and row indices (int32,
 * any shape): int32 of the shape of `rows`. The draws are grouped by row (a sort by row via
 * topk), so each draw does one binary search in its own row's CDF; memory is O(N + R K), never
 * O(N K).
 */
export function sampleCategoricalRows(table: tf.Tensor, rows: tf.Tensor, rng: Rng): tf.Tensor {
  if (table.rank !== 2)
    throw new Error(`sampleCategoricalRows: table must be [R, K], got [${table.shape}]`);
  const [R, K] = table.shape as [number, number];
  const N = rows.size;
  if (N === 0) return tf.zeros(rows.shape, 'int32');
  const flat = tf.tidy(() => tf.cast(tf.reshape(rows, [N]), 'int32'));
  const counts = readBack<number[]>(() =>
    tf.bincount(flat as tf.Tensor1D, tf.tensor1d([], 'float32'), R),
  );
  if (counts.reduce((a, b) => a + b, 0) !== N) {
    flat.dispose();
    throw new Error(`sampleCategoricalRows: row indices must lie in [0, ${R})`);
  }
  const M = maxOf(counts);
  const starts: number[] = [];
  let acc = 0;
  for (const c of counts) {
    starts.push(acc);
    acc += c;
  }
  // sort the draws by row: topk of -row gives the order and the sorted rows themselves
  const [order, sortedRows] = tf.tidy(() => {
    const { values, indices } = tf.topk(tf.neg(tf.cast(flat, 'float32')), N, true);
    return [indices, tf.cast(tf.neg(values), 'int32')];
  });
  const w = tf.tidy(() => tf.cast(table, 'float32')) as tf.Tensor2D;
  const cdf = tf.cumsum(w, 1) as tf.Tensor2D;
  let vals: tf.Tensor;
  if (R * M <= 2 * N + 64 * R) {
    // balanced: one [R, M] grid of uniforms; the j-th draw of row r takes grid[r, j]
    const u = uniform([R, M], rng);
    vals = tf.tidy(() => {
      const S = searchRows(cdf, u);
      // sorted draw i is the (i - starts[r])-th of row r: grid cell r M + i - starts[r]
      const offsets = tf.tensor1d(
        starts.map((st, r) => r * M - st),
        'int32',
      );
      const cell = tf.add(tf.range(0, N, 1, 'int32'), tf.gather(offsets, sortedRows));
      return tf.gather(tf.reshape(S, [R * M]), cell);
    });
    u.dispose();
  } else {
    // unbalanced: one search per non-empty row
    const parts: tf.Tensor[] = [];
    for (let r = 0; r < R; r++) {
      if (counts[r] === 0) continue;
      const u = uniform([1, counts[r]!], rng);
      parts.push(
        tf.tidy(() => {
          const c = tf.slice(cdf, [r, 0], [1, K]) as tf.Tensor2D;
          return tf.reshape(searchRows(c, u), [counts[r]!]);
        }),
      );
      u.dispose();
    }
    vals = tf.concat(parts, 0);
    tf.dispose(parts);
  }
  const out = tf.tidy(() =>
    tf.reshape(tf.scatterND(tf.expandDims(order, 1), vals, [N]), rows.shape),
  );
  tf.dispose([flat, order, sortedRows, w, cdf, vals]);
  return out;
}

/**
 * The Categorical over K states as an exponential family (K must be given for the one-hot
 * sufficient statistic): eta = log p (not minimal), T(x) = onehot(x), A = logsumexp(eta), h = 1.
 * Its message to a Dirichlet parent p (Categorical(p = theta)):
 *   log p(x | theta) = <onehot(x), log theta>;
 * for an observed x the one-hot rows stay indices (`oneHot: K`), for a latent one E[onehot(x)].
 */
export function categoricalExpFamily(K?: number): ExpFamily {
  const messageToParent = (arg: string, child: ChildStats): ConjugateMessage => {
    if (arg !== 'p') throw noConjugateParent('Categorical', arg);
    if ('moments' in child) {
      const q = child.moments[0]!;
      return { eta: [tf.clone(q)], rest: tf.zeros(q.shape.slice(0, -1)) };
    }
    if (K === undefined) {
      throw new Error("Categorical messages need K: use expFamilyOf('Categorical', { K })");
    }
    return tf.tidy(() => ({
      eta: [tf.cast(child.value, 'int32')],
      rest: tf.zeros(child.value.shape),
      oneHot: K,
    }));
  };
  return {
    messageToParent,
    expectedLogBaseMeasure: (eta) => tf.zeros(eta[0]!.shape.slice(0, -1)),
    family: 'Categorical',
    naturalParams: (args) => tf.tidy(() => [categoricalLogProbs(args)]),
    fromNatural: (eta) => tf.tidy(() => ({ p: softmaxStable(eta[0]!) })),
    sufficientStats: (x) => {
      if (K === undefined) {
        throw new Error(
          "Categorical sufficient statistics need K: use expFamilyOf('Categorical', { K })",
        );
      }
      // tfjs-wasm's oneHot with dtype float32 returns all zeros (4.22): one-hot in int32, then cast
      return tf.tidy(() => [tf.cast(tf.oneHot(tf.cast(x, 'int32'), K), 'float32')]);
    },
    expectedStats: (eta) => tf.tidy(() => [softmaxStable(eta[0]!)]),
    logNormalizer: (eta) => logSumExp(eta[0]!, -1),
    logBaseMeasure: (x) => tf.zeros(x.shape),
  };
}
