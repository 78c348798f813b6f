// A sum of the ELBO's element terms ± t_k (the draws' −log q, closed-form −KLs, the model's log
// densities) as ONE node of the gradient tape (backend/customOp.ts): each term's gradient is ±dy
// summed over the axes it was broadcast along. Added one by one with tf.add and tf.neg, every
// term recorded a node that kept copies of its inputs for the backward pass (an Identity kernel
// each) and added its own gradient kernels: on a VAE of digits a step is ~120 small kernels,
// each mostly tfjs's JavaScript cost.
import * as tf from '@tensorflow/tfjs';
import { sumToShape } from '../../backend/broadcast.js';
import { customOp } from '../../backend/customOp.js';

export class TermSum {
  private readonly terms: tf.Tensor[] = [];
  private readonly signs: number[] = [];

  /** Add +t. */
  add(t: tf.Tensor): void {
    this.terms.push(t);
    this.signs.push(1);
  }

  /** Add −t. */
  sub(t: tf.Tensor): void {
    this.terms.push(t);
    this.signs.push(-1);
  }

  /** Σ_k ± t_k, broadcast (undefined: no terms; one added term is returned as it is). */
  value(): tf.Tensor | undefined {
    const { terms, signs } = this;
    if (terms.length === 0) return undefined;
    if (terms.length === 1 && signs[0] === 1) return terms[0];
    const [out] = customOp(terms, (ts) => {
      // −t_0 + t_1 as t_1 − t_0: the same float32 value (negation is exact, and a sum of two
      // commutes), one Neg kernel fewer
      const swap = signs[0] === -1 && signs[1] === 1;
      let acc = swap ? tf.sub(ts[1], ts[0]) : signs[0] === 1 ? ts[0] : tf.neg(ts[0]);
      for (let k = swap ? 2 : 1; k < ts.length; k++)
        acc = signs[k] === 1 ? tf.add(acc, ts[k]) : tf.sub(acc, ts[k]);
      return {
        outputs: [acc],
        save: [],
        grads: ([dy]) =>
          ts.map((t, k) => () => sumToShape(signs[k] === 1 ? dy : tf.neg(dy), t.shape)),
      };
    });
    return out;
  }
}
