// Uniform(lo, hi) on [lo, hi].
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type { DistArgs } from './distribution.js';
import type { Rng } from './rng.js';
import { uniform } from './sampling.js';
import { f32, mask, maskOutside } from './support.js';

export class Uniform extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Uniform', args, 0);
  }

  get lo(): tf.Tensor {
    return this.params.lo!;
  }

  get hi(): tf.Tensor {
    return this.params.hi!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const u = uniform(this.drawShape(sampleShape), rng);
    const out = tf.tidy(() => tf.add(this.lo, tf.mul(tf.sub(this.hi, this.lo), u)));
    u.dispose();
    return out;
  }

  /** -log(hi - lo) on [lo, hi], -Inf elsewhere */
  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const xf = f32(x);
      const inside = mask(
        (u, lo, hi) => tf.logicalAnd(tf.greaterEqual(u, lo), tf.lessEqual(u, hi)),
        xf,
        this.raw.lo!,
        this.raw.hi!,
      );
      const v = tf.mul(tf.onesLike(xf), tf.neg(tf.log(tf.sub(this.raw.hi!, this.raw.lo!))));
      return maskOutside(tf.logicalNot(inside), v);
    });
  }

  mean(): tf.Tensor {
    return tf.tidy(() => tf.mul(0.5, tf.add(this.lo, this.hi)));
  }

  variance(): tf.Tensor {
    return tf.tidy(() => tf.div(tf.square(tf.sub(this.hi, this.lo)), 12));
  }
}
