// Bernoulli(p) or Bernoulli(logits = l) on {0, 1}. p = 0 and p = 1 are legal: Bernoulli(1) has
// logProb(1) = 0 and logProb(0) = -Inf (the deterministic nodes of logical networks).
import * as tf from '@tensorflow/tfjs';
import { bernoulliLogits } from '../backend/bernoulliLogits.js';
import { sumToShape } from '../backend/broadcast.js';
import { customOp } from '../backend/customOp.js';
import { BaseDistribution } from './base.js';
import type { ChildStats, ConjugateMessage, DistArgs, ExpFamily } from './distribution.js';
import { childMoments, noConjugateParent } from './moments.js';
import type { Rng } from './rng.js';
import { uniform } from './sampling.js';
import { log1p } from './special.js';
import { f32, inSupport, mask, maskOutside } from './support.js';

export class Bernoulli extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Bernoulli', args, 0);
  }

  /** P(x = 1) */
  probs(): tf.Tensor {
    return this.params.p ? tf.clone(this.params.p) : tf.sigmoid(this.params.logits!);
  }

  /** float32 draws in {0, 1} */
  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const u = uniform(this.drawShape(sampleShape), rng);
    const out = tf.tidy(() => tf.cast(tf.less(u, this.probs()), 'float32'));
    u.dispose();
    return out;
  }

  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const xf = f32(x);
      if (!this.raw.p) return logitsLogProb(xf, this.raw.logits!);
      const one = mask((u) => tf.equal(u, 1), xf);
      const zero = mask((u) => tf.equal(u, 0), xf);
      // select before the log so the unused branch cannot make a NaN gradient
      const p = this.raw.p;
      const lp = tf.log(tf.where(one, p, tf.onesLike(p)));
      const lq = log1p(tf.neg(tf.where(one, tf.zerosLike(p), p)));
      const v = tf.where(one, lp, lq);
      return maskOutside(tf.logicalNot(tf.logicalOr(one, zero)), v);
    });
  }

  mean(): tf.Tensor {
    return this.probs();
  }

  variance(): tf.Tensor {
    return tf.tidy(() => {
      const p = this.probs();
      return tf.mul(p, tf.sub(1, p));
    });
  }
}

/**
 * log p(x | l) = x l − softplus(l): −softplus(−l) at x = 1, −softplus(l) at x = 0 (binary
 * cross-entropy with logits), −∞ off {0, 1}. One node of the gradient tape (backend/customOp.ts)
 * with its gradient written out, ∂/∂l = x − σ(l) (summed over the axes l was broadcast along):
 * the form a VAE's decoder evaluates on every pixel at every step, where autodiff of the same
 * ops recorded ~10 nodes and ~25 kernels. The value and the gradient's factor are computed
 * together (backend/bernoulliLogits.ts: one SIMD kernel on wasm), and the factor is all the
 * tape keeps. The support check (two kernels and a select per call) is skipped for bound
 * data that binding has checked already (support.ts markInSupport). No gradient reaches x (a
 * discrete value).
 */
function logitsLogProb(x: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  const checked = inSupport(x);
  const [lp] = customOp([logits], ([l]) => {
    const [v, g] = bernoulliLogits(x, l);
    return {
      outputs: [checked ? v : maskOutside(tf.notEqual(tf.abs(tf.sub(1, tf.mul(2, x))), 1), v)],
      save: [g],
      grads: ([dy], [gs]) => [() => sumToShape(tf.mul(dy, gs), l.shape)],
    };
  });
  return lp;
}

/**
 * A Bernoulli child's message to a Beta parent p (Bernoulli(p = theta)):
 *   log p(x | theta) = x log theta + (1 - x) log(1 - theta) = <[x, 1 - x], [log theta, log(1 - theta)]>.
 */
function bernoulliMessageToParent(arg: string, child: ChildStats): ConjugateMessage {
  if (arg !== 'p') throw noConjugateParent('Bernoulli', arg);
  return tf.tidy(() => {
    const [x] = childMoments(child, (v) => [f32(v)]) as tf.Tensor[];
    return { eta: [tf.clone(x!), tf.sub(1, x!)], rest: tf.zerosLike(x!) };
  });
}

/** eta = [logit p], T(x) = [x], A = softplus(eta), h = 1; E[T] = [sigmoid(eta)]. */
export const bernoulliExpFamily: ExpFamily = {
  family: 'Bernoulli',
  naturalParams: (args) =>
    tf.tidy(() =>
      args.logits ? [tf.clone(args.logits)] : [tf.sub(tf.log(args.p!), log1p(tf.neg(args.p!)))],
    ),
  fromNatural: (eta) => tf.tidy(() => ({ p: tf.sigmoid(eta[0]!) })),
  sufficientStats: (x) => tf.tidy(() => [tf.clone(f32(x))]),
  expectedStats: (eta) => tf.tidy(() => [tf.sigmoid(eta[0]!)]),
  logNormalizer: (eta) => tf.softplus(eta[0]!),
  logBaseMeasure: (x) => tf.zerosLike(f32(x)),
  expectedLogBaseMeasure: (eta) => tf.zerosLike(eta[0]!),
  messageToParent: bernoulliMessageToParent,
};
