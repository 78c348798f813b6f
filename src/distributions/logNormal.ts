// LogNormal(mu, sigma): log x ~ Normal(mu, sigma), on x > 0.
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type { DistArgs } from './distribution.js';
import { normalLogDensity, sampleNormal } from './normal.js';
import type { Rng } from './rng.js';
import { f32, mask, maskOutside } from './support.js';

export class LogNormal extends BaseDistribution {
  constructor(args: DistArgs) {
    super('LogNormal', args, 0);
  }

  get mu(): tf.Tensor {
    return this.params.mu!;
  }

  get sigma(): tf.Tensor {
    return this.params.sigma!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    return sampleNormal(this.mu, this.sigma, this.drawShape(sampleShape), rng, tf.exp);
  }

  /** Normal(log x | mu, sigma) - log x; -Inf for x <= 0 */
  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const xf = f32(x);
      const pos = mask((v) => tf.greater(v, 0), xf);
      const xS = tf.where(pos, xf, tf.onesLike(xf));
      const lx = tf.log(xS);
      return maskOutside(
        tf.logicalNot(pos),
        tf.sub(normalLogDensity(lx, this.raw.mu!, this.raw.sigma!), lx),
      );
    });
  }

  /** exp(mu + sigma^2 / 2) */
  mean(): tf.Tensor {
    return tf.tidy(() => tf.exp(tf.add(this.mu, tf.mul(0.5, tf.square(this.sigma)))));
  }

  /** (exp(sigma^2) - 1) exp(2 mu + sigma^2) */
  variance(): tf.Tensor {
    return tf.tidy(() => {
      const s2 = tf.square(this.sigma);
      return tf.mul(tf.expm1(s2), tf.exp(tf.add(tf.mul(2, this.mu), s2)));
    });
  }
}
