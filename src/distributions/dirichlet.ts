// Dirichlet(alpha) on the simplex (event shape [K]). Draws are softmax(log G) of log-space gamma
// draws, so Dirichlet(0.01 * ones(5000)) rows sum to 1 with no NaN; entries whose true value is
// below the smallest normal float32 (1.2e-38) are floored there instead of underflowing to 0,
// which keeps log x finite for the log density of the draw.
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import { simplexComponentData, simplexComponentParam } from './beta.js';
import type { DistArgs, ExpFamily } from './distribution.js';
import { sampleLogGamma } from './gamma.js';
import type { Rng } from './rng.js';
import { gammaRatioConstant } from './saddle.js';
import { TINY } from './sampling.js';
import { digamma, lgamma, logSumExp } from './special.js';
import { digamma64, lgamma64 } from './special64.js';
import { f32, mask, maskOutside } from './support.js';

export class Dirichlet extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Dirichlet', args, 1);
  }

  get alpha(): tf.Tensor {
    return this.params.alpha!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const lg = sampleLogGamma(
      this.raw.alpha!,
      [...this.drawShape(sampleShape), ...this.eventShape],
      rng,
    );
    const out = tf.tidy(() => tf.maximum(tf.exp(tf.sub(lg, logSumExp(lg, -1, true))), TINY));
    lg.dispose();
    return out;
  }

  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => dirichletLogDensity(f32(x), this.raw.alpha!));
  }

  mean(): tf.Tensor {
    return tf.tidy(() => tf.div(this.alpha, tf.sum(this.alpha, -1, true)));
  }

  variance(): tf.Tensor {
    return tf.tidy(() => {
      const s = tf.sum(this.alpha, -1, true);
      return tf.div(tf.mul(this.alpha, tf.sub(s, this.alpha)), tf.mul(tf.square(s), tf.add(s, 1)));
    });
  }
}

/**
 * log Dirichlet(x | alpha) = C(s) + sum_k [K(alpha_k, s x_k) - log x_k], s = sum alpha, an exact
 * rearrangement of lgamma(s) - sum lgamma(alpha_k) + sum (alpha_k - 1) log x_k on the simplex
 * that stays accurate for large alpha. A zero x_k gives -Inf if alpha_k > 1, +Inf if alpha_k < 1
 * (-Inf wins); -Inf off the simplex (negative entries, or a sum off 1 by more than 1e-5 + K 1e-6).
 */
export function dirichletLogDensity(x: tf.Tensor, alpha: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const K = alpha.shape[alpha.rank - 1]!;
    const s = tf.sum(alpha, -1, true);
    const param = tf.add(
      tf.squeeze(gammaRatioConstant(s), [s.rank - 1]),
      tf.sum(simplexComponentParam(alpha), -1),
    );
    const zero = mask((v) => tf.equal(v, 0), x);
    const xS = tf.where(zero, tf.scalar(0.5), x);
    const comps = simplexComponentData(alpha, s, xS, tf.log(xS));
    // at x_k = 0 only alpha_k = 1 is finite, with data part log s - 0
    const data = tf.sum(tf.where(zero, tf.log(s), comps), -1);
    const finite = tf.add(param, data);
    const negInf = mask((z, a) => tf.any(tf.logicalAnd(z, tf.greater(a, 1)), -1), zero, alpha);
    const posInf = mask((z, a) => tf.any(tf.logicalAnd(z, tf.less(a, 1)), -1), zero, alpha);
    const v = tf.where(
      negInf,
      tf.scalar(Number.NEGATIVE_INFINITY),
      tf.where(posInf, tf.scalar(Number.POSITIVE_INFINITY), finite),
    );
    const tol = 1e-5 + K * 1e-6;
    const off = mask(
      (u) =>
        tf.logicalOr(
          tf.logicalOr(tf.any(tf.less(u, 0), -1), tf.any(tf.logicalNot(tf.isFinite(u)), -1)),
          tf.greater(tf.abs(tf.sub(tf.sum(u, -1), 1)), tol),
        ),
      x,
    );
    return maskOutside(off, v);
  });
}

/**
 * eta = alpha - 1, T(x) = log x, A = sum lgamma(alpha) - lgamma(sum alpha), h = 1;
 * E[T] = psi(alpha) - psi(sum alpha). The conjugate prior of a Categorical or Multinomial p.
 */
export const dirichletExpFamily: ExpFamily = {
  family: 'Dirichlet',
  naturalParams: (args) => tf.tidy(() => [tf.sub(args.alpha!, 1)]),
  fromNatural: (eta) => tf.tidy(() => ({ alpha: tf.add(eta[0]!, 1) })),
  sufficientStats: (x) => tf.tidy(() => [tf.log(f32(x))]),
  expectedStats: (eta) =>
    tf.tidy(() => {
      const alpha = tf.add(eta[0]!, 1);
      return [tf.sub(digamma(alpha), digamma(tf.sum(alpha, -1, true)))];
    }),
  logNormalizer: (eta) =>
    tf.tidy(() => {
      const alpha = tf.add(eta[0]!, 1);
      return tf.sub(tf.sum(lgamma(alpha), -1), lgamma(tf.sum(alpha, -1)));
    }),
  logBaseMeasure: (x) => tf.tidy(() => tf.zeros(x.shape.slice(0, -1))),
  expectedLogBaseMeasure: (eta) => tf.zeros(eta[0]!.shape.slice(0, -1)),
  float64: {
    naturalParams: (args) => [args.alpha!.map((a) => a - 1)],
    fromNatural: (eta) => ({ alpha: eta[0]!.map((e) => e + 1) }),
    logNormalizer: (eta, K) => {
      const e = eta[0]!;
      const out = new Float64Array(e.length / K);
      for (let m = 0; m < out.length; m++) {
        let s = 0;
        let sum = 0;
        for (let k = 0; k < K; k++) {
          s += lgamma64(e[m * K + k]! + 1);
          sum += e[m * K + k]! + 1;
        }
        out[m] = s - lgamma64(sum);
      }
      return out;
    },
    // E[log x_k] = psi(alpha_k) - psi(sum alpha)
    expectedStats: (eta, K) => {
      const e = eta[0]!;
      const out = new Float64Array(e.length);
      for (let m = 0; m < e.length / K; m++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += e[m * K + k]! + 1;
        const ps = digamma64(sum);
        for (let k = 0; k < K; k++) out[m * K + k] = digamma64(e[m * K + k]! + 1) - ps;
      }
      return [out];
    },
  },
};
