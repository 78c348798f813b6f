// Cauchy(mu, sigma): the location-scale Cauchy (Stan's cauchy); no mean or variance. Sampled by
// the inverse CDF from the log-space quantile of cdf.ts (exact in both tails).
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import { CAUCHY_CDF } from './cdf.js';
import type { DistArgs } from './distribution.js';
import type { Rng } from './rng.js';
import { uniform } from './sampling.js';
import { log1p } from './special.js';
import { f32 } from './support.js';

const LOG_PI = Math.log(Math.PI);

export class Cauchy extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Cauchy', args, 0);
  }

  get mu(): tf.Tensor {
    return this.params.mu!;
  }

  get sigma(): tf.Tensor {
    return this.params.sigma!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const u = uniform(this.drawShape(sampleShape), rng);
    const out = tf.tidy(() =>
      tf.add(this.raw.mu!, tf.mul(this.raw.sigma!, CAUCHY_CDF.quantileFromLogCdf(tf.log(u)))),
    );
    u.dispose();
    return out;
  }

  /** -log(pi sigma) - log1p(z^2) */
  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const z = tf.div(tf.sub(f32(x), this.raw.mu!), this.raw.sigma!);
      return tf.neg(tf.add(log1p(tf.square(z)), tf.add(tf.log(this.raw.sigma!), LOG_PI)));
    });
  }

  /** undefined: NaN */
  mean(): tf.Tensor {
    return tf.fill(this.mu.shape, NaN);
  }

  variance(): tf.Tensor {
    return tf.fill(this.mu.shape, NaN);
  }
}
