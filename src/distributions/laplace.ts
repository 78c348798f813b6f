// Laplace(mu, b): density exp(-|x - mu| / b) / (2 b) (Stan's double_exponential with scale b).
// Sampled by the inverse CDF (cdf.ts).
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import { LAPLACE_CDF } from './cdf.js';
import type { DistArgs } from './distribution.js';
import type { Rng } from './rng.js';
import { uniform } from './sampling.js';
import { f32 } from './support.js';

export class Laplace extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Laplace', args, 0);
  }

  get mu(): tf.Tensor {
    return this.params.mu!;
  }

  get b(): tf.Tensor {
    return this.params.b!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const u = uniform(this.drawShape(sampleShape), rng);
    const out = tf.tidy(() =>
      tf.add(this.raw.mu!, tf.mul(this.raw.b!, LAPLACE_CDF.quantileFromLogCdf(tf.log(u)))),
    );
    u.dispose();
    return out;
  }

  /** -|x - mu| / b - log(2 b) */
  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() =>
      tf.neg(
        tf.add(
          tf.div(tf.abs(tf.sub(f32(x), this.raw.mu!)), this.raw.b!),
          tf.add(tf.log(this.raw.b!), Math.LN2),
        ),
      ),
    );
  }

  mean(): tf.Tensor {
    return tf.clone(this.mu);
  }

  /** 2 b^2 */
  variance(): tf.Tensor {
    return tf.tidy(() => tf.mul(2, tf.square(this.b)));
  }
}
