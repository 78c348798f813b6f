// tf.sum over axes on the gradient tape as one node that saves nothing. tfjs's Sum keeps a
// clone of its input for the gradient (an Identity kernel, a copy on wasm, and a tape node),
// though the gradient reads only the input's shape, and its gradient reshapes dy to the kept
// dimensions (a Reshape kernel) before broadcasting it by a product with ones. Here the
// forward is the same Sum kernel, and the gradient tfjs's own product, dy viewed in the kept
// dimensions (reshape.ts) times ones: the same values, two kernels fewer a call.
import * as tf from '@tensorflow/tfjs';
import { customOp } from './customOp.js';
import { reshape } from './reshape.js';
import { sharesData } from './view.js';

/** Σ x over `axes` (negative from the end), like tf.sum; differentiable in a float32 x. */
export function sum(x: tf.Tensor, axes: readonly number[]): tf.Tensor {
  if (!tf.engine().isTapeOn() || !sharesData() || x.dtype !== 'float32')
    return tf.sum(x, [...axes]);
  const summed = new Set(axes.map((a) => (a < 0 ? a + x.rank : a)));
  const kept = x.shape.map((n, a) => (summed.has(a) ? 1 : n));
  const [y] = customOp([x], ([xi]) => ({
    outputs: [tf.sum(xi, [...summed])],
    save: [],
    grads: ([dy]) => [() => tf.mul(reshape(dy, kept), tf.ones(xi.shape))],
  }));
  return y;
}
