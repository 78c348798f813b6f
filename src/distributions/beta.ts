// Beta(a, b) on [0, 1]. Sampled as G_a / (G_a + G_b) from log-space gamma draws (sigmoid of the
// difference), so a, b << 1 give neither exact 0/1 nor NaN. The log density uses the gamma kernel
// (saddle-point form for large a, b), which stays accurate for concentrated posteriors.
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type { DistArgs, ExpFamily } from './distribution.js';
import { sampleLogGamma } from './gamma.js';
import type { Rng } from './rng.js';
import { gammaKernelData, gammaKernelParam, gammaRatioConstant } from './saddle.js';
import { HALF_ULP_ONE, TINY } from './sampling.js';
import { addAll, digamma, lbeta, log1p } from './special.js';
import { digamma64, lbeta64 } from './special64.js';
import { f32, mask, maskOutside } from './support.js';

export class Beta extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Beta', args, 0);
  }

  get a(): tf.Tensor {
    return this.params.a!;
  }

  get b(): tf.Tensor {
    return this.params.b!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const shape = this.drawShape(sampleShape);
    const la = sampleLogGamma(this.raw.a!, shape, rng);
    const lb = sampleLogGamma(this.raw.b!, shape, rng);
    const out = tf.tidy(() => tf.clipByValue(tf.sigmoid(tf.sub(la, lb)), TINY, 1 - HALF_ULP_ONE));
    tf.dispose([la, lb]);
    return out;
  }

  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => betaLogDensity(f32(x), this.raw.a!, this.raw.b!));
  }

  mean(): tf.Tensor {
    return tf.tidy(() => tf.div(this.a, tf.add(this.a, this.b)));
  }

  variance(): tf.Tensor {
    return tf.tidy(() => {
      const s = tf.add(this.a, this.b);
      return tf.div(tf.mul(this.a, this.b), tf.mul(tf.square(s), tf.add(s, 1)));
    });
  }
}

/**
 * One component of the Dirichlet/Beta density, split into its parameter part (shape of alpha)
 * and data part: K(alpha, s x) - log x = Kparam(alpha) + [Kdata(alpha, s x) - log x], the log term
 * given (log x or log1p(-x)). alpha = 1 exactly: [0] + [log s - s x], finite also at x = 0.
 */
export function simplexComponentParam(alpha: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.where(
      mask((a) => tf.equal(a, 1), alpha),
      tf.scalar(0),
      gammaKernelParam(alpha),
    ),
  );
}

/** the data part of a Dirichlet/Beta component (see simplexComponentParam) */
export function simplexComponentData(
  alpha: tf.Tensor,
  s: tf.Tensor,
  x: tf.Tensor,
  logX: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const sx = tf.mul(s, x);
    const general = tf.sub(gammaKernelData(alpha, sx), logX);
    return tf.where(
      mask((a) => tf.equal(a, 1), alpha),
      tf.sub(tf.log(s), sx),
      general,
    );
  });
}

/**
 * log Beta(x | a, b) = C(a + b) + [K(a, s x) - log x] + [K(b, s (1 - x)) - log(1 - x)] with
 * C(s) = lgamma(s) - s log s + s (an exact rearrangement of the textbook form that stays
 * accurate for large a, b). At x = 0 (or 1): the limit, +Inf for a < 1 (b < 1), -Inf for
 * a > 1, log b for a = 1. -Inf outside [0, 1].
 */
export function betaLogDensity(x: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const s = tf.add(a, b);
    const param = addAll([
      gammaRatioConstant(s),
      simplexComponentParam(a),
      simplexComponentParam(b),
    ]);
    const at0 = mask((v) => tf.equal(v, 0), x);
    const at1 = mask((v) => tf.equal(v, 1), x);
    const xS = tf.where(tf.logicalOr(at0, at1), tf.scalar(0.5), x);
    const yS = tf.sub(1, xS);
    const data = tf.add(
      simplexComponentData(a, s, xS, tf.log(xS)),
      simplexComponentData(b, s, yS, log1p(tf.neg(xS))),
    );
    const finite = tf.add(param, data);
    // at a boundary: +-Inf unless the parameter there is 1; then the density is the other
    // parameter (Beta(0 | 1, b) = b)
    const edge = (p: tf.Tensor, q: tf.Tensor) =>
      tf.where(
        mask((v) => tf.greater(v, 1), p),
        tf.scalar(Number.NEGATIVE_INFINITY),
        tf.where(
          mask((v) => tf.less(v, 1), p),
          tf.scalar(Number.POSITIVE_INFINITY),
          tf.log(q),
        ),
      );
    const v = tf.where(at0, edge(a, b), tf.where(at1, edge(b, a), finite));
    return maskOutside(
      mask((u) => tf.logicalOr(tf.less(u, 0), tf.greater(u, 1)), x),
      v,
    );
  });
}

/**
 * eta = [a - 1, b - 1], T(x) = [log x, log(1 - x)], A = lbeta(a, b), h = 1;
 * E[T] = [psi(a) - psi(a + b), psi(b) - psi(a + b)]. The conjugate prior of a Bernoulli or
 * Binomial p (their messages: bernoulli.ts, binomial.ts).
 */
export const betaExpFamily: ExpFamily = {
  family: 'Beta',
  naturalParams: (args) => tf.tidy(() => [tf.sub(args.a!, 1), tf.sub(args.b!, 1)]),
  fromNatural: (eta) => tf.tidy(() => ({ a: tf.add(eta[0]!, 1), b: tf.add(eta[1]!, 1) })),
  sufficientStats: (x) => tf.tidy(() => [tf.log(f32(x)), log1p(tf.neg(f32(x)))]),
  expectedStats: (eta) =>
    tf.tidy(() => {
      const a = tf.add(eta[0]!, 1);
      const b = tf.add(eta[1]!, 1);
      const ds = digamma(tf.add(a, b));
      return [tf.sub(digamma(a), ds), tf.sub(digamma(b), ds)];
    }),
  logNormalizer: (eta) => tf.tidy(() => lbeta(tf.add(eta[0]!, 1), tf.add(eta[1]!, 1))),
  logBaseMeasure: (x) => tf.zerosLike(f32(x)),
  expectedLogBaseMeasure: (eta) => tf.zerosLike(eta[0]!),
  float64: {
    naturalParams: (args) => [args.a!.map((a) => a - 1), args.b!.map((b) => b - 1)],
    fromNatural: (eta) => ({ a: eta[0]!.map((e) => e + 1), b: eta[1]!.map((e) => e + 1) }),
    logNormalizer: (eta) => eta[0]!.map((e, i) => lbeta64(e + 1, eta[1]![i]! + 1)),
    // E[log p] = psi(a) - psi(a + b), E[log(1 - p)] = psi(b) - psi(a + b)
    expectedStats: (eta) => {
      const s = eta[0]!.map((e, i) => digamma64(e + eta[1]![i]! + 2));
      return [
        eta[0]!.map((e, i) => digamma64(e + 1) - s[i]!),
        eta[1]!.map((e, i) => digamma64(e + 1) - s[i]!),
      ];
    },
  },
};
