// HalfCauchy(sigma): |X| for X ~ Cauchy(0, sigma), on x >= 0 (a scale prior; Gelman 2006);
// no mean or variance. Sampled by the inverse CDF sigma tan(pi U / 2) (cdf.ts).
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import { HALF_CAUCHY_CDF } from './cdf.js';
import type { DistArgs } from './distribution.js';
import type { Rng } from './rng.js';
import { uniform } from './sampling.js';
import { log1p } from './special.js';
import { onNonNegative } from './support.js';

const LOG_2_OVER_PI = Math.log(2 / Math.PI);

export class HalfCauchy extends BaseDistribution {
  constructor(args: DistArgs) {
    super('HalfCauchy', args, 0);
  }

  get sigma(): tf.Tensor {
    return this.params.sigma!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const u = uniform(this.drawShape(sampleShape), rng);
    const out = tf.tidy(() =>
      tf.mul(this.raw.sigma!, HALF_CAUCHY_CDF.quantileFromLogCdf(tf.log(u))),
    );
    u.dispose();
    return out;
  }

  /** log(2 / pi) - log sigma - log1p((x / sigma)^2) on x >= 0 */
  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() =>
      onNonNegative(x, (xs) => {
        const z = tf.div(xs, this.raw.sigma!);
        return tf.sub(LOG_2_OVER_PI, tf.add(log1p(tf.square(z)), tf.log(this.raw.sigma!)));
      }),
    );
  }

  mean(): tf.Tensor {
    return tf.fill(this.sigma.shape, NaN);
  }

  variance(): tf.Tensor {
    return tf.fill(this.sigma.shape, NaN);
  }
}
