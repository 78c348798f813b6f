// Normal(mu, sigma) with sigma the standard deviation (Stan's parameterisation).
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type {
  ChildStats,
  ConjugateMessage,
  CoParents,
  DistArgs,
  ExpFamily,
} from './distribution.js';
import { childMoments, coMoments, noConjugateParent } from './moments.js';
import type { Rng } from './rng.js';
import { normal } from './sampling.js';
import { f32 } from './support.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

export class Normal extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Normal', args, 0);
  }

  get mu(): tf.Tensor {
    return this.params.mu!;
  }

  get sigma(): tf.Tensor {
    return this.params.sigma!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    return sampleNormal(this.mu, this.sigma, this.drawShape(sampleShape), rng);
  }

  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => normalLogDensity(f32(x), this.raw.mu!, this.raw.sigma!));
  }

  mean(): tf.Tensor {
    return tf.clone(this.mu);
  }

  variance(): tf.Tensor {
    return tf.square(this.sigma);
  }
}

/**
 * f(mu + sigma z) with z ~ Normal(0, 1) of `shape` (mu and sigma broadcast against it): Normal
 * draws, or LogNormal's with f = exp.
 */
export function sampleNormal(
  mu: tf.Tensor,
  sigma: tf.Tensor,
  shape: readonly number[],
  rng: Rng,
  f: (y: tf.Tensor) => tf.Tensor = (y) => y,
): tf.Tensor {
  const z = normal(shape, rng);
  const out = tf.tidy(() => f(tf.add(mu, tf.mul(sigma, z))));
  z.dispose();
  return out;
}

/** -((x - mu)/sigma)^2 / 2 - log sigma - log sqrt(2 pi); -Inf at x = +-Inf */
export function normalLogDensity(x: tf.Tensor, mu: tf.Tensor, sigma: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(x, mu), sigma);
    return tf.sub(tf.mul(-0.5, tf.square(z)), tf.add(tf.log(sigma), LOG_SQRT_2PI));
  });
}

/**
 * A Normal child's messages, with tau = sigma^-2 its precision and T(x) = [x, x^2]:
 * - to a Gamma precision tau in sigma = (c tau)^-1/2 (c known, 1 unless scaled), mu known or
 *   with moments [E mu, E mu^2]:
 *     log p(x | tau) = (log c + log tau)/2 - c tau (x - mu)^2 / 2 - log sqrt(2 pi)
 *                    = <[1/2, -c E(x - mu)^2 / 2], [log tau, tau]> + log(c) / 2 + log h,
 *   E(x - mu)^2 = E x^2 - 2 E x E mu + E mu^2 ((x - mu)^2 itself when both are known);
 * - to a Normal mean mu (T(mu) = [mu, mu^2]), sigma known or with precision moments
 *   [E log tau, E tau]:
 *     log p(x | mu) = <[E tau E x, -E tau / 2], [mu, mu^2]> + E log tau / 2 - E tau E x^2 / 2 + log h.
 */
function normalMessageToParent(arg: string, child: ChildStats, co: CoParents): ConjugateMessage {
  return tf.tidy(() => {
    const [x, x2] = childMoments(child, (v) => normalExpFamily.sufficientStats(v)) as tf.Tensor[];
    if (arg === 'sigma') {
      let sq: tf.Tensor;
      if ('value' in child && co.values?.mu && !co.moments?.mu) {
        sq = tf.square(tf.sub(f32(child.value), f32(co.values.mu)));
      } else {
        const [m, m2] = coMoments(co, 'mu', (v) => [f32(v), tf.square(f32(v))]);
        sq = tf.add(tf.sub(x2!, tf.mul(tf.mul(2, x!), m!)), m2!);
      }
      const half = tf.fill(sq.shape, 0.5);
      if (!co.coefficient) return { eta: [half, tf.mul(sq, -0.5)], rest: tf.zerosLike(sq) };
      const c = tf.broadcastTo(f32(co.coefficient), sq.shape);
      return { eta: [half, tf.mul(tf.mul(c, sq), -0.5)], rest: tf.mul(tf.log(c), 0.5) };
    }
    if (arg === 'mu') {
      const [logTau, tau] = coMoments(co, 'sigma', (s) => [
        tf.mul(-2, tf.log(f32(s))),
        tf.pow(f32(s), -2),
      ]);
      return {
        eta: [tf.mul(tau!, x!), tf.broadcastTo(tf.mul(tau!, -0.5), x!.shape)],
        rest: tf.sub(tf.mul(logTau!, 0.5), tf.mul(tf.mul(tau!, x2!), 0.5)),
      };
    }
    throw noConjugateParent('Normal', arg);
  });
}

/**
 * Both parameters unknown: eta = [mu / sigma^2, -1 / (2 sigma^2)], T(x) = [x, x^2],
 * A = -eta1^2 / (4 eta2) - log(-2 eta2) / 2, log h = -log sqrt(2 pi);
 * E[T] = [mu, mu^2 + sigma^2]. The conjugate prior of a Normal mean (known precision).
 */
export const normalExpFamily: ExpFamily = {
  family: 'Normal',
  naturalParams: (args) =>
    tf.tidy(() => {
      const prec = tf.reciprocal(tf.square(args.sigma!));
      return [tf.mul(args.mu!, prec), tf.mul(-0.5, prec)];
    }),
  fromNatural: (eta) =>
    tf.tidy(() => {
      const v = tf.div(-0.5, eta[1]!);
      return { mu: tf.mul(eta[0]!, v), sigma: tf.sqrt(v) };
    }),
  sufficientStats: (x) => tf.tidy(() => [f32(x), tf.square(f32(x))]),
  expectedStats: (eta) =>
    tf.tidy(() => {
      const v = tf.div(-0.5, eta[1]!);
      const mu = tf.mul(eta[0]!, v);
      return [mu, tf.add(tf.square(mu), v)];
    }),
  logNormalizer: (eta) =>
    tf.tidy(() =>
      tf.sub(
        tf.div(tf.square(eta[0]!), tf.mul(-4, eta[1]!)),
        tf.mul(0.5, tf.log(tf.mul(-2, eta[1]!))),
      ),
    ),
  logBaseMeasure: (x) => tf.fill(x.shape, -LOG_SQRT_2PI),
  expectedLogBaseMeasure: (eta) => tf.fill(eta[0]!.shape, -LOG_SQRT_2PI),
  messageToParent: normalMessageToParent,
  float64: {
    naturalParams: (args) => {
      const prec = args.sigma!.map((s) => 1 / (s * s));
      return [args.mu!.map((m, i) => m * prec[i]!), prec.map((p) => -0.5 * p)];
    },
    fromNatural: (eta) => {
      const v = eta[1]!.map((e) => -0.5 / e);
      return { mu: eta[0]!.map((e, i) => e * v[i]!), sigma: v.map(Math.sqrt) };
    },
    logNormalizer: (eta) =>
      eta[0]!.map((e, i) => (e * e) / (-4 * eta[1]![i]!) - 0.5 * Math.log(-2 * eta[1]![i]!)),
    // E[x] = mu, E[x^2] = mu^2 + sigma^2
    expectedStats: (eta) => {
      const v = eta[1]!.map((e) => -0.5 / e);
      const mu = eta[0]!.map((e, i) => e * v[i]!);
      return [mu, mu.map((m, i) => m * m + v[i]!)];
    },
  },
};

/**
 * The Normal with KNOWN sigma as a one-parameter family in mu (Normal–Normal conjugacy):
 * eta = [mu / sigma^2], T(x) = [x], A = eta^2 sigma^2 / 2, log h = -x^2/(2 sigma^2) - log sigma
 * - log sqrt(2 pi). `sigma` broadcasts against the batch.
 */
export function normalKnownSigmaExpFamily(sigma: tf.Tensor): ExpFamily {
  return {
    family: 'Normal',
    naturalParams: (args) => tf.tidy(() => [tf.div(args.mu!, tf.square(sigma))]),
    fromNatural: (eta) =>
      tf.tidy(() => ({
        mu: tf.mul(eta[0]!, tf.square(sigma)),
        sigma: tf.broadcastTo(
          sigma,
          eta[0]!.shape.length >= sigma.rank ? eta[0]!.shape : sigma.shape,
        ),
      })),
    sufficientStats: (x) => tf.tidy(() => [f32(x)]),
    expectedStats: (eta) => tf.tidy(() => [tf.mul(eta[0]!, tf.square(sigma))]),
    logNormalizer: (eta) =>
      tf.tidy(() => tf.mul(0.5, tf.mul(tf.square(eta[0]!), tf.square(sigma)))),
    logBaseMeasure: (x) =>
      tf.tidy(() =>
        tf.sub(
          tf.div(tf.square(f32(x)), tf.mul(-2, tf.square(sigma))),
          tf.add(tf.log(sigma), LOG_SQRT_2PI),
        ),
      ),
    // E[x^2] = mu^2 + sigma^2
    expectedLogBaseMeasure: (eta) =>
      tf.tidy(() => {
        const s2 = tf.square(sigma);
        const ex2 = tf.add(tf.square(tf.mul(eta[0]!, s2)), s2);
        return tf.sub(tf.div(ex2, tf.mul(-2, s2)), tf.add(tf.log(sigma), LOG_SQRT_2PI));
      }),
    messageToParent: (arg, child, co) =>
      normalMessageToParent(arg, child, { ...co, values: { sigma, ...co.values } }),
  };
}
