// Exponential(rate) on x >= 0.
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type {
  ChildStats,
  ConjugateMessage,
  CoParents,
  DistArgs,
  ExpFamily,
} from './distribution.js';
import { childMoments, noConjugateParent } from './moments.js';
import type { Rng } from './rng.js';
import { uniform } from './sampling.js';
import { f32, mask, maskOutside } from './support.js';

export class Exponential extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Exponential', args, 0);
  }

  get rate(): tf.Tensor {
    return this.params.rate!;
  }

  /** -log(U) / rate with U in (0, 1): never 0 or Inf */
  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const u = uniform(this.drawShape(sampleShape), rng);
    const out = tf.tidy(() => tf.div(tf.neg(tf.log(u)), this.rate));
    u.dispose();
    return out;
  }

  /** log(rate) - rate x on x >= 0 */
  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const xf = f32(x);
      const bad = mask(
        (u) => tf.logicalOr(tf.less(u, 0), tf.equal(u, Number.POSITIVE_INFINITY)),
        xf,
      );
      const xS = tf.where(bad, tf.zerosLike(xf), xf);
      return maskOutside(bad, tf.sub(tf.log(this.raw.rate!), tf.mul(this.raw.rate!, xS)));
    });
  }

  mean(): tf.Tensor {
    return tf.reciprocal(this.rate);
  }

  variance(): tf.Tensor {
    return tf.tidy(() => tf.reciprocal(tf.square(this.rate)));
  }
}

/**
 * An Exponential child's message to a Gamma parent lambda in its rate c × lambda (c known, 1
 * unless scaled):
 *   log p(x | lambda) = log(c lambda) - c lambda x = <[1, -c x], [log lambda, lambda]> + log c.
 */
function exponentialMessageToParent(
  arg: string,
  child: ChildStats,
  co: CoParents,
): ConjugateMessage {
  if (arg !== 'rate') throw noConjugateParent('Exponential', arg);
  return tf.tidy(() => {
    const [x] = childMoments(child, (v) => [f32(v)]) as tf.Tensor[];
    if (!co.coefficient) return { eta: [tf.onesLike(x!), tf.neg(x!)], rest: tf.zerosLike(x!) };
    const c = tf.broadcastTo(f32(co.coefficient), x!.shape);
    return { eta: [tf.onesLike(x!), tf.neg(tf.mul(c, x!))], rest: tf.log(c) };
  });
}

/** eta = [-rate], T(x) = [x], A = -log(-eta), h = 1. */
export const exponentialExpFamily: ExpFamily = {
  family: 'Exponential',
  naturalParams: (args) => tf.tidy(() => [tf.neg(args.rate!)]),
  fromNatural: (eta) => tf.tidy(() => ({ rate: tf.neg(eta[0]!) })),
  sufficientStats: (x) => tf.tidy(() => [f32(x)]),
  expectedStats: (eta) => tf.tidy(() => [tf.div(-1, eta[0]!)]),
  logNormalizer: (eta) => tf.tidy(() => tf.neg(tf.log(tf.neg(eta[0]!)))),
  logBaseMeasure: (x) => tf.zerosLike(f32(x)),
  expectedLogBaseMeasure: (eta) => tf.zerosLike(eta[0]!),
  messageToParent: exponentialMessageToParent,
};
