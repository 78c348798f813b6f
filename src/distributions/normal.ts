// Normal(mu, sigma) with sigma the standard deviation (Stan's parameterisation).
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type { DistArgs, ExpFamily } from './distribution.js';
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
 * Both parameters unknown: eta = [mu / sigma^2, -1 / (2 sigma^2)], T(x) = [x, x^2],
 * A = -eta1^2 / (4 eta2) - log(-2 eta2) / 2, log h = -log sqrt(2 pi).
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
  };
}
