// StudentT(nu, mu, sigma): the location-scale t with nu degrees of freedom (Stan's
// student_t). Sampled as mu + sigma Z / sqrt(V / nu) with Z ~ Normal(0, 1) and
// V = 2 G, G ~ Gamma(nu / 2, 1), from the log-space gamma sampler (finite for any nu > 0).
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type { DistArgs } from './distribution.js';
import { sampleLogGamma } from './gamma.js';
import type { Rng } from './rng.js';
import { normal } from './sampling.js';
import { lbeta, log1p } from './special.js';
import { f32 } from './support.js';

export class StudentT extends BaseDistribution {
  constructor(args: DistArgs) {
    super('StudentT', args, 0);
  }

  get nu(): tf.Tensor {
    return this.params.nu!;
  }

  get mu(): tf.Tensor {
    return this.params.mu!;
  }

  get sigma(): tf.Tensor {
    return this.params.sigma!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const shape = this.drawShape(sampleShape);
    const z = normal(shape, rng);
    const halfNu = tf.tidy(() => tf.mul(0.5, this.raw.nu!));
    const logG = sampleLogGamma(halfNu, shape, rng);
    // sqrt(V / nu) = exp((log G + log 2 - log nu) / 2)
    const out = tf.tidy(() => {
      const scale = tf.exp(tf.mul(-0.5, tf.sub(tf.add(logG, Math.LN2), tf.log(this.raw.nu!))));
      return tf.add(this.raw.mu!, tf.mul(this.raw.sigma!, tf.mul(z, scale)));
    });
    tf.dispose([z, halfNu, logG]);
    return out;
  }

  /**
   * lgamma((nu+1)/2) - lgamma(nu/2) - log(nu pi)/2 - log sigma - (nu+1)/2 log1p(z^2 / nu).
   * The two lgammas nearly cancel for large nu; their difference is
   * lgamma(1/2) - lbeta(nu/2, 1/2), so the normaliser is -lbeta(nu/2, 1/2) - log(nu)/2 - log sigma.
   */
  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => studentTLogDensity(f32(x), this.raw.nu!, this.raw.mu!, this.raw.sigma!));
  }

  /** mu for nu > 1, NaN otherwise (no mean) */
  mean(): tf.Tensor {
    return tf.tidy(() => tf.where(tf.greater(this.nu, 1), this.mu, tf.fill(this.mu.shape, NaN)));
  }

  /** sigma^2 nu / (nu - 2) for nu > 2, Inf for 1 < nu <= 2, NaN for nu <= 1 */
  variance(): tf.Tensor {
    return tf.tidy(() => {
      const v = tf.div(tf.mul(tf.square(this.sigma), this.nu), tf.sub(this.nu, 2));
      return tf.where(
        tf.greater(this.nu, 2),
        v,
        tf.where(tf.greater(this.nu, 1), tf.fill(v.shape, Infinity), tf.fill(v.shape, NaN)),
      );
    });
  }
}

export function studentTLogDensity(
  x: tf.Tensor,
  nu: tf.Tensor,
  mu: tf.Tensor,
  sigma: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(x, mu), sigma);
    const norm = tf.add(
      tf.add(lbeta(tf.mul(0.5, nu), tf.fill(nu.shape, 0.5)), tf.mul(0.5, tf.log(nu))),
      tf.log(sigma),
    );
    const kernel = tf.mul(tf.mul(0.5, tf.add(nu, 1)), log1p(tf.div(tf.square(z), nu)));
    return tf.neg(tf.add(kernel, norm));
  });
}
