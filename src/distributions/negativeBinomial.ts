// NegativeBinomial(mu, phi) on {0, 1, 2, …}: Stan's neg_binomial_2, mean mu and dispersion phi,
// variance mu + mu^2 / phi. Sampled as the Gamma–Poisson mixture Poisson(Lambda),
// Lambda ~ Gamma(phi, phi / mu) (log-space gamma, then the exact Poisson sampler).
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type { DistArgs } from './distribution.js';
import { sampleLogGamma } from './gamma.js';
import { samplePoisson } from './poisson.js';
import type { Rng } from './rng.js';
import { lbeta, log1p, xlogy } from './special.js';
import { f32, isInteger, mask, maskOutside } from './support.js';

export class NegativeBinomial extends BaseDistribution {
  constructor(args: DistArgs) {
    super('NegativeBinomial', args, 0);
  }

  get mu(): tf.Tensor {
    return this.params.mu!;
  }

  get phi(): tf.Tensor {
    return this.params.phi!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const shape = this.drawShape(sampleShape);
    const logG = sampleLogGamma(this.raw.phi!, shape, rng);
    // Lambda = G mu / phi with G ~ Gamma(phi, 1)
    const rate = tf.tidy(() =>
      tf.exp(tf.add(logG, tf.sub(tf.log(this.raw.mu!), tf.log(this.raw.phi!)))),
    );
    const out = samplePoisson(rate, [], rng);
    tf.dispose([logG, rate]);
    return out;
  }

  /**
   * log C(x + phi - 1, x) + phi log(phi / (mu + phi)) + x log(mu / (mu + phi)), with the binomial
   * coefficient as -lbeta(phi, x + 1) - log(x + phi) (no cancelling lgammas; Stan's
   * binomial_coefficient_log) and phi log(phi / (mu + phi)) = -phi log1p(mu / phi).
   */
  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const xf = f32(x);
      const ok = mask((u) => tf.logicalAnd(isInteger(u), tf.greaterEqual(u, 0)), xf);
      const xs = tf.where(ok, xf, tf.zerosLike(xf));
      const mu = this.raw.mu!;
      const phi = this.raw.phi!;
      const coef = tf.neg(tf.add(lbeta(phi, tf.add(xs, 1)), tf.log(tf.add(xs, phi))));
      const v = tf.add(
        coef,
        tf.sub(xlogy(xs, tf.div(mu, tf.add(mu, phi))), tf.mul(phi, log1p(tf.div(mu, phi)))),
      );
      return maskOutside(tf.logicalNot(ok), v);
    });
  }

  mean(): tf.Tensor {
    return tf.clone(this.mu);
  }

  /** mu + mu^2 / phi */
  variance(): tf.Tensor {
    return tf.tidy(() => tf.add(this.mu, tf.div(tf.square(this.mu), this.phi)));
  }
}
