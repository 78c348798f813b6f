// tf.reshape and tf.clone without kernels where the backend's tensors share data (view.ts). On
// the gradient tape tf.reshape is a Reshape kernel plus a saved clone of its input (an Identity
// kernel, a copy on wasm, and a tape node of its own), and its gradient a second Reshape; here
// it is one tape node (backend/customOp.ts) that saves nothing: its value is a view of the
// input's data in the new shape, its gradient a view of dy's in the input's shape (the same
// values either way, so nothing numeric changes). Off the tape it is a view.
import * as tf from '@tensorflow/tfjs';
import { sameShape } from '../util/shape.js';
import { customOp } from './customOp.js';
import { sharesData, view } from './view.js';

/** t in `shape` (of t's size): t itself when it has that shape, else alias(t, shape). */
export function reshape(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return sameShape(t.shape, shape) ? t : alias(t, shape);
}

/**
 * A new tensor with t's values in `shape` (of t's size; t's own by default), differentiable in
 * t: tf.reshape (tf.clone in t's shape) without a kernel where the backend shares data.
 */
export function alias(t: tf.Tensor, shape: readonly number[] = t.shape): tf.Tensor {
  if (!sharesData()) return sameShape(t.shape, shape) ? tf.clone(t) : tf.reshape(t, [...shape]);
  if (!tf.engine().isTapeOn()) return view(t, shape);
  const [out] = customOp([t], ([x]) => ({
    outputs: [view(x, shape)],
    save: [],
    // alias again: a tape records the backward pass too when a higher-order gradient is taken
    grads: ([dy]) => [() => alias(dy, x.shape)],
  }));
  return out;
}
