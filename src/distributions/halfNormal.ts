// HalfNormal(sigma): |X| for X ~ Normal(0, sigma), on x >= 0.
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type { DistArgs } from './distribution.js';
import type { Rng } from './rng.js';
import { normal } from './sampling.js';
import { onNonNegative } from './support.js';

/** log 2 - log sqrt(2 pi) */
const LOG_NORM = Math.LN2 - 0.5 * Math.log(2 * Math.PI);

export class HalfNormal extends BaseDistribution {
  constructor(args: DistArgs) {
    super('HalfNormal', args, 0);
  }

  get sigma(): tf.Tensor {
    return this.params.sigma!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const z = normal(this.drawShape(sampleShape), rng);
    const out = tf.tidy(() => tf.mul(this.raw.sigma!, tf.abs(z)));
    z.dispose();
    return out;
  }

  /** log 2 - log sqrt(2 pi) - log sigma - (x / sigma)^2 / 2 on x >= 0 */
  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() =>
      onNonNegative(x, (xs) => {
        const z = tf.div(xs, this.raw.sigma!);
        return tf.sub(tf.mul(-0.5, tf.square(z)), tf.sub(tf.log(this.raw.sigma!), LOG_NORM));
      }),
    );
  }

  /** sigma sqrt(2 / pi) */
  mean(): tf.Tensor {
    return tf.mul(this.sigma, Math.sqrt(2 / Math.PI));
  }

  /** sigma^2 (1 - 2 / pi) */
  variance(): tf.Tensor {
    return tf.tidy(() => tf.mul(tf.square(this.sigma), 1 - 2 / Math.PI));
  }
}
