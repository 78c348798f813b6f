// Gamma(shape, rate): density rate^a x^(a-1) e^(-rate x) / Gamma(a) on x > 0.
// Sampling is done in log space (Marsaglia & Tsang 2000, with the boost
// log G(a) = log G(a + 1) + log(U) / a for a < 1), because tfjs' randomGamma(0.01) returns exact
// zeros for a third of the draws in float32; `sampleLogGamma` is shared by Beta and Dirichlet.
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type {
  ChildStats,
  ConjugateMessage,
  CoParents,
  DistArgs,
  ExpFamily,
} from './distribution.js';
import { childMoments, coValue, noConjugateParent } from './moments.js';
import type { Rng } from './rng.js';
import { gammaKernelData, gammaKernelParam } from './saddle.js';
import { normal, type Proposal, readBack, rejectionSample, TINY, uniform } from './sampling.js';
import { numel } from './shapes.js';
import { addAll, digamma, lgamma, log1p, polyval } from './special.js';
import { digamma64, lgamma64 } from './special64.js';
import { f32, mask, maskOutside } from './support.js';

/** log1p(w) - w, accurate also for small |w| (series below 0.1). */
function log1pMinusX(w: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const small = tf.less(tf.abs(w), 0.1);
    const ws = tf.where(small, w, tf.zerosLike(w));
    // sum_{k>=2} (-1)^(k+1) w^k / k
    const coeffs = [-1 / 2, 1 / 3, -1 / 4, 1 / 5, -1 / 6, 1 / 7, -1 / 8, 1 / 9, -1 / 10];
    const series = tf.mul(tf.square(ws), polyval(ws, coeffs));
    const wd = tf.where(small, tf.zerosLike(w), w);
    return tf.where(small, series, tf.sub(log1p(wd), wd));
  });
}

/**
 * One Marsaglia–Tsang proposal per element for Gamma(a) with a >= 1, d = a - 1/3, c = 1/sqrt(9d):
 * x ~ N(0, 1), w = c x, v = (1 + w)^3, accept if log U < x^2/2 + d (1 - v + log v). The test is
 * rewritten as x^2/6 - c x^3/9 + 3 d (log1p(w) - w) so that no term of size d cancels (exact
 * for d up to 1e7 and beyond in float32). The value is log(d v).
 */
function proposeLogGamma(params: readonly tf.Tensor[], rng: Rng): Proposal {
  const [d, c] = params as [tf.Tensor, tf.Tensor];
  const n = d.shape[0]!;
  const x = normal([n], rng);
  const u = uniform([n], rng);
  return tf.tidy(() => {
    const w = tf.mul(c, x);
    const valid = tf.greater(w, -1);
    const wS = tf.where(valid, w, tf.zerosLike(w));
    const x2 = tf.square(x);
    const rhs = addAll([
      tf.div(x2, 6),
      tf.neg(tf.div(tf.mul(c, tf.mul(x2, x)), 9)),
      tf.mul(tf.mul(d, 3), log1pMinusX(wS)),
    ]);
    const ok = tf.logicalAnd(valid, tf.less(tf.log(u), rhs));
    const accept = tf.logicalOr(ok, tf.logicalNot(tf.isFinite(d)));
    const value = tf.add(tf.log(d), tf.mul(3, log1p(wS)));
    tf.dispose([x, u]);
    return { value, accept };
  });
}

/**
 * log of Gamma(alpha, 1) draws of the given shape (alpha broadcasts to it). Exact and finite for
 * any alpha > 0: Dirichlet(0.01) rows are softmax(log G). A constant alpha (one distinct value,
 * e.g. a Dirichlet(rep(eta, V)) prior) uses tfjs' float64 randomGamma at alpha (+1 if boosted);
 * otherwise vectorised Marsaglia–Tsang rejection on the tensor.
 */
export function sampleLogGamma(alpha: tf.Tensor, shape: readonly number[], rng: Rng): tf.Tensor {
  const n = numel(shape);
  if (n === 0) return tf.zeros(shape as number[]);
  if (alpha.size <= 1 << 20) {
    const [lo, hi] = readBack<number[]>(() => tf.stack([tf.min(alpha), tf.max(alpha)]));
    if (lo === hi && lo! > 0 && Number.isFinite(lo!)) return logGammaConstant(lo!, shape, rng);
  }
  const [a, d, c, boosted] = tf.tidy(() => {
    const a = tf.reshape(tf.broadcastTo(f32(alpha), shape as number[]), [n]);
    const boosted = tf.less(a, 1);
    const aB = tf.where(boosted, tf.add(a, 1), a);
    const d = tf.sub(aB, 1 / 3);
    return [a, d, tf.rsqrt(tf.mul(d, 9)), boosted];
  });
  const logG = rejectionSample([d, c], proposeLogGamma, rng);
  const anyBoosted = readBack<boolean>(() => tf.any(boosted));
  const out = tf.tidy(() => {
    let r = logG;
    if (anyBoosted) {
      const u = uniform([n], rng);
      r = tf.where(boosted, tf.add(logG, tf.div(tf.log(u), a)), logG);
    }
    return tf.reshape(r, shape as number[]);
  });
  tf.dispose([a, d, c, boosted, logG]);
  return out;
}

/** log Gamma(alpha, 1) draws for one alpha: tfjs' randomGamma (float64 Marsaglia–Tsang) at alpha >= 1 */
function logGammaConstant(alpha: number, shape: readonly number[], rng: Rng): tf.Tensor {
  const boosted = alpha < 1;
  const g = tf.randomGamma(
    shape as number[],
    boosted ? alpha + 1 : alpha,
    1,
    'float32',
    rng.nextSeed(),
  );
  const u = boosted ? uniform(shape, rng) : undefined;
  const out = tf.tidy(() => {
    const lg = tf.log(g);
    return u ? tf.add(lg, tf.div(tf.log(u), alpha)) : lg;
  });
  tf.dispose(u ? [g, u] : [g]);
  return out;
}

export class Gamma extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Gamma', args, 0);
  }

  get shape(): tf.Tensor {
    return this.params.shape!;
  }

  get rate(): tf.Tensor {
    return this.params.rate!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const lg = sampleLogGamma(this.raw.shape!, this.drawShape(sampleShape), rng);
    const out = tf.tidy(() => tf.maximum(tf.exp(tf.sub(lg, tf.log(this.raw.rate!))), TINY));
    lg.dispose();
    return out;
  }

  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => gammaLogDensity(f32(x), this.raw.shape!, this.raw.rate!));
  }

  mean(): tf.Tensor {
    return tf.div(this.shape, this.rate);
  }

  variance(): tf.Tensor {
    return tf.tidy(() => tf.div(this.shape, tf.square(this.rate)));
  }
}

/**
 * log Gamma(x | a, rate) = K(a, rate x) - log x (K: the gamma kernel, saddle-point form for
 * large a; its parameter part is computed on the parameters' shape). At x = 0 the limit: +Inf
 * (a < 1), log rate (a = 1), -Inf (a > 1); -Inf for x < 0 and x = +Inf.
 */
export function gammaLogDensity(x: tf.Tensor, a: tf.Tensor, rate: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const pos = mask((v) => tf.greater(v, 0), x);
    const xS = tf.where(pos, x, tf.onesLike(x));
    const interior = tf.add(
      gammaKernelParam(a),
      tf.sub(gammaKernelData(a, tf.mul(rate, xS)), tf.log(xS)),
    );
    const atZero = tf.where(
      mask((v) => tf.less(v, 1), a),
      tf.scalar(Number.POSITIVE_INFINITY),
      tf.where(
        mask((v) => tf.greater(v, 1), a),
        tf.scalar(Number.NEGATIVE_INFINITY),
        tf.log(rate),
      ),
    );
    const v = tf.where(
      mask((u) => tf.equal(u, 0), x),
      atZero,
      interior,
    );
    return maskOutside(
      mask((u) => tf.logicalOr(tf.less(u, 0), tf.equal(u, Number.POSITIVE_INFINITY)), x),
      v,
    );
  });
}

/**
 * A Gamma child's message to a conjugate Gamma parent lambda in its rate c × lambda (c known,
 * 1 unless scaled), the shape s known:
 *   log p(x | lambda) = s log(c lambda) + (s - 1) log x - c lambda x - lgamma(s)
 *                     = <[s, -c x], [log lambda, lambda]> + [s log c + (s - 1) log x - lgamma(s)].
 */
function gammaMessageToParent(arg: string, child: ChildStats, co: CoParents): ConjugateMessage {
  if (arg !== 'rate') throw noConjugateParent('Gamma', arg);
  return tf.tidy(() => {
    const [logX, x] = childMoments(child, (v) => gammaExpFamily.sufficientStats(v)) as tf.Tensor[];
    const s = f32(coValue(co, 'shape', 'Gamma'));
    const c = co.coefficient ? f32(co.coefficient) : undefined;
    const rest = tf.sub(tf.mul(tf.sub(s, 1), logX!), lgamma(s));
    return {
      eta: [tf.mul(s, tf.onesLike(x!)), tf.neg(c ? tf.mul(c, x!) : x!)],
      rest: c ? tf.add(tf.mul(s, tf.log(c)), rest) : tf.mul(rest, tf.onesLike(x!)),
    };
  });
}

/**
 * eta = [shape - 1, -rate], T(x) = [log x, x], A = lgamma(shape) - shape log(rate), h = 1;
 * E[T] = [psi(shape) - log(rate), shape / rate]. The conjugate prior of a Poisson, Exponential
 * or Gamma rate and of a Normal precision (their messages are in those family files).
 */
export const gammaExpFamily: ExpFamily = {
  family: 'Gamma',
  naturalParams: (args) => tf.tidy(() => [tf.sub(args.shape!, 1), tf.neg(args.rate!)]),
  fromNatural: (eta) => tf.tidy(() => ({ shape: tf.add(eta[0]!, 1), rate: tf.neg(eta[1]!) })),
  sufficientStats: (x) => tf.tidy(() => [tf.log(f32(x)), f32(x)]),
  expectedStats: (eta) =>
    tf.tidy(() => {
      const a = tf.add(eta[0]!, 1);
      const rate = tf.neg(eta[1]!);
      return [tf.sub(digamma(a), tf.log(rate)), tf.div(a, rate)];
    }),
  logNormalizer: (eta) =>
    tf.tidy(() => {
      const a = tf.add(eta[0]!, 1);
      return tf.sub(lgamma(a), tf.mul(a, tf.log(tf.neg(eta[1]!))));
    }),
  logBaseMeasure: (x) => tf.zerosLike(f32(x)),
  expectedLogBaseMeasure: (eta) => tf.zerosLike(eta[0]!),
  messageToParent: gammaMessageToParent,
  float64: {
    naturalParams: (args) => [args.shape!.map((a) => a - 1), args.rate!.map((r) => -r)],
    fromNatural: (eta) => ({ shape: eta[0]!.map((e) => e + 1), rate: eta[1]!.map((e) => -e) }),
    logNormalizer: (eta) =>
      eta[0]!.map((e, i) => lgamma64(e + 1) - (e + 1) * Math.log(-eta[1]![i]!)),
    // E[log x] = psi(a) - log(rate), E[x] = a / rate
    expectedStats: (eta) => [
      eta[0]!.map((e, i) => digamma64(e + 1) - Math.log(-eta[1]![i]!)),
      eta[0]!.map((e, i) => (e + 1) / -eta[1]![i]!),
    ],
  },
};
