// The training step's loss when no score-function term joins it: the negated ELBO estimate
//   −ELBO^ = −(1/S) Σ_s (g_s + (N/B) Σ_b w_{s,b})
// from the global terms g [S] and the block's element terms w [S, B] (undefined: none), as ONE
// node of the gradient tape (backend/customOp.ts) with its gradient written out:
//   ∂/∂g_s = −1/S,   ∂/∂w_{s,b} = −(N/B)/S.
// Built from add, mul, sum, mean and neg, autodiff recorded five nodes whose gradients were ~18
// small kernels a step (reshapes, casts, broadcasts): on a VAE of digits a step is ~130
// kernels, each mostly tfjs's JavaScript cost.
import * as tf from '@tensorflow/tfjs';
import { tileTo } from '../../backend/broadcast.js';
import { customOp } from '../../backend/customOp.js';

/** −mean_s(g_s + scale · Σ_b w_{s,b}), a scalar (see the file's comment). Call inside tidy. */
export function negElboHat(g: tf.Tensor, w: tf.Tensor | undefined, scale: number): tf.Scalar {
  const S = g.shape[0];
  const inputs = w ? [g, w] : [g];
  const [loss] = customOp(inputs, ([gs, ws]) => {
    const total = ws ? tf.add(gs, tf.mul(tf.sum(ws, 1), scale)) : gs;
    return {
      outputs: [tf.mul(tf.sum(total), -1 / S)],
      save: [],
      grads: ([dy]) => [
        () => tileTo(tf.mul(dy, -1 / S), gs.shape),
        () => tileTo(tf.mul(dy, -scale / S), (ws as tf.Tensor).shape),
      ],
    };
  });
  return loss as tf.Scalar;
}
