// Multinomial(n, p): counts over K categories (event shape [K]) summing to n.
// log pmf: the chain of conditional binomials, x_k ~ Binomial(n - x_<k, p_k / p_>=k), each in
// Loader's saddle-point form, so the result is accurate for large n in float32 (the textbook
// lgamma(n + 1) - sum lgamma(x_k + 1) + … cancels catastrophically there).
// Sampling (exact): for small n, n categorical draws counted per category (denseBincount);
// otherwise the same chain of conditional binomial draws, one vectorised draw per category.
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import { sampleBinomial } from './binomial.js';
import { rowLayout, sampleCategorical } from './categorical.js';
import type { ChildStats, ConjugateMessage, DistArgs, ExpFamily } from './distribution.js';
import { childMoments, noConjugateParent } from './moments.js';
import type { Rng } from './rng.js';
import { binomialLogPmf } from './saddle.js';
import { readBack } from './sampling.js';
import { numel } from './shapes.js';
import { lgamma, logSumExp, softmaxStable } from './special.js';
import { f32, isInteger, mask, maskOutside } from './support.js';

/** below this many categorical draws in total, sample by counting draws */
const COUNTING_LIMIT = 4_000_000;

export class Multinomial extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Multinomial', args, 1);
  }

  get n(): tf.Tensor {
    return this.params.n!;
  }

  /** normalised probabilities [...batch, K] */
  probs(): tf.Tensor {
    return tf.tidy(() => tf.div(this.params.p!, tf.sum(this.params.p!, -1, true)));
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const K = this.eventShape[0]!;
    const full = this.drawShape(sampleShape);
    const Bn = numel(full);
    const nMax = readBack<number>(() => tf.max(this.n));
    const p = this.probs();
    let out: tf.Tensor;
    if (Bn * nMax <= COUNTING_LIMIT) {
      out = sampleByCounting(this.n, p, sampleShape, nMax, rng);
    } else {
      out = sampleByBinomials(this.n, p, sampleShape, rng);
    }
    const res = tf.reshape(out, [...full, K]);
    tf.dispose([p, out]);
    return res;
  }

  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const xf = f32(x);
      const p = tf.div(this.raw.p!, tf.sum(this.raw.p!, -1, true));
      // conditional binomials: n_k = n - sum_{j<k} x_j, p_k' = p_k / sum_{j>=k} p_j
      const nk = tf.sub(tf.expandDims(this.raw.n!, -1), tf.cumsum(xf, xf.rank - 1, true));
      const tail = tf.cumsum(p, p.rank - 1, false, true); // sum_{j>=k} p_j
      const tailNext = tf.sub(tail, p); // sum_{j>k} p_j
      const pos = mask((t) => tf.greater(t, 0), tail);
      const safeTail = tf.where(pos, tail, tf.onesLike(tail));
      const pk = tf.where(pos, tf.clipByValue(tf.div(p, safeTail), 0, 1), tf.zerosLike(p));
      const qk = tf.where(
        pos,
        tf.clipByValue(tf.div(tf.maximum(tailNext, 0), safeTail), 0, 1),
        tf.onesLike(p),
      );
      const ok = mask(
        (u, m) =>
          tf.logicalAnd(isInteger(u), tf.logicalAnd(tf.greaterEqual(u, 0), tf.greaterEqual(m, u))),
        xf,
        nk,
      );
      const xS = tf.where(ok, xf, tf.zerosLike(xf));
      const nS = tf.where(ok, nk, tf.zerosLike(nk));
      const terms = binomialLogPmf(xS, nS, pk, qk, tf.log(pk), tf.log(qk));
      const total = tf.sum(terms, -1);
      const bad = mask(
        (o, u, n) => tf.logicalOr(tf.any(tf.logicalNot(o), -1), tf.notEqual(tf.sum(u, -1), n)),
        ok,
        xf,
        this.raw.n!,
      );
      return maskOutside(bad, total);
    });
  }

  mean(): tf.Tensor {
    return tf.tidy(() => tf.mul(tf.expandDims(this.n, -1), this.probs()));
  }

  variance(): tf.Tensor {
    return tf.tidy(() => {
      const p = this.probs();
      return tf.mul(tf.expandDims(this.n, -1), tf.mul(p, tf.sub(1, p)));
    });
  }
}

/** n categorical draws per row, masked to each row's n, counted with denseBincount */
function sampleByCounting(
  n: tf.Tensor,
  p: tf.Tensor,
  sampleShape: readonly number[],
  nMax: number,
  rng: Rng,
): tf.Tensor {
  const { K, Bn, Sn } = rowLayout(p, sampleShape);
  if (nMax === 0) return tf.zeros([Sn * Bn, K]);
  const draws = sampleCategorical(p, [nMax, Sn], rng); // [nMax, Sn, ...batch]
  const out = tf.tidy(() => {
    const d = tf.transpose(tf.reshape(draws, [nMax, Sn * Bn])); // [Sn*Bn, nMax]
    const nRows = tf.reshape(tf.tile(tf.reshape(n, [1, Bn]), [Sn, 1]), [Sn * Bn, 1]);
    const weights = tf.cast(tf.less(tf.range(0, nMax, 1, 'float32'), nRows), 'float32');
    return tf.denseBincount(d as tf.Tensor2D, weights as tf.Tensor2D, K);
  });
  draws.dispose();
  return out;
}

/** x_k ~ Binomial(n - x_<k, p_k / p_>=k) for k = 0 … K-2, the remainder in the last category */
function sampleByBinomials(
  n: tf.Tensor,
  p: tf.Tensor,
  sampleShape: readonly number[],
  rng: Rng,
): tf.Tensor {
  const K = p.shape[p.rank - 1]!;
  const batch = p.shape.slice(0, -1);
  const full = [...sampleShape, ...batch];
  const Rn = numel(full);
  let remaining = tf.tidy(() => tf.reshape(tf.broadcastTo(f32(n), full), [Rn]));
  const tails = tf.tidy(() => tf.cumsum(p, p.rank - 1, false, true));
  const cols: tf.Tensor[] = [];
  for (let k = 0; k < K - 1; k++) {
    const [pk, qk] = tf.tidy(() => {
      const pcol = tf.reshape(
        tf.broadcastTo(tf.slice(p, [...batch.map(() => 0), k], [...batch, 1]), [...full, 1]),
        [Rn],
      );
      const tcol = tf.reshape(
        tf.broadcastTo(tf.slice(tails, [...batch.map(() => 0), k], [...batch, 1]), [...full, 1]),
        [Rn],
      );
      const pos = tf.greater(tcol, 0);
      const safe = tf.where(pos, tcol, tf.onesLike(tcol));
      const pk = tf.where(pos, tf.clipByValue(tf.div(pcol, safe), 0, 1), tf.zerosLike(pcol));
      const qk = tf.where(
        pos,
        tf.clipByValue(tf.div(tf.maximum(tf.sub(tcol, pcol), 0), safe), 0, 1),
        tf.onesLike(pcol),
      );
      return [pk, qk];
    });
    const xk = sampleBinomial(remaining, pk, qk, [], rng);
    const next = tf.sub(remaining, xk);
    tf.dispose([pk, qk, remaining]);
    remaining = next;
    cols.push(xk);
  }
  cols.push(remaining);
  const out = tf.stack(cols, 1);
  tf.dispose([...cols, tails]);
  return out;
}

/**
 * Multinomial with FIXED n as an exponential family in p: eta = log p (not minimal), T(x) = x,
 * A = n logsumexp(eta), log h = lgamma(n + 1) - sum lgamma(x_k + 1).
 * Its message to a Dirichlet parent p (Multinomial(n, p = theta)):
 *   log p(x | theta) = <x, log theta> + log h(x).
 */
export function multinomialExpFamily(n: tf.Tensor): ExpFamily {
  const messageToParent = (arg: string, child: ChildStats): ConjugateMessage => {
    if (arg !== 'p') throw noConjugateParent('Multinomial', arg);
    return tf.tidy(() => {
      const [x] = childMoments(child, (v) => [f32(v)]) as tf.Tensor[];
      return { eta: [tf.clone(x!)], rest: tf.zeros(x!.shape.slice(0, -1)) };
    });
  };
  return {
    messageToParent,
    family: 'Multinomial',
    naturalParams: (args) =>
      tf.tidy(() => [tf.sub(tf.log(args.p!), tf.log(tf.sum(args.p!, -1, true)))]),
    fromNatural: (eta) =>
      tf.tidy(() => ({
        n: tf.broadcastTo(f32(n), eta[0]!.shape.slice(0, -1)),
        p: softmaxStable(eta[0]!),
      })),
    sufficientStats: (x) => tf.tidy(() => [tf.clone(f32(x))]),
    expectedStats: (eta) =>
      tf.tidy(() => [tf.mul(tf.expandDims(f32(n), -1), softmaxStable(eta[0]!))]),
    logNormalizer: (eta) => tf.tidy(() => tf.mul(n, logSumExp(eta[0]!, -1))),
    logBaseMeasure: (x) =>
      tf.tidy(() => tf.sub(lgamma(tf.add(f32(n), 1)), tf.sum(lgamma(tf.add(f32(x), 1)), -1))),
  };
}
