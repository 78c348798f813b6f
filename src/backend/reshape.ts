// tf.reshape and tf.clone without kernels where the backend's tensors share data (view.ts). On
// the gradient tape tf.reshape is a Reshape kernel plus a saved clone of its input (an Identity
// kernel, a copy on wasm, and a tape node of its own), and its gradient a second Reshape; here
// it is one tape node that saves nothing: its value is a view of the input's data in the new
// shape, its gradient a view of dy's in the input's shape (the same values either way, so
// nothing numeric changes). Off the tape it is a view. The node is added the way tfjs's own
// engine.clone adds its node (engine.addTapeNode, tfjs-core 4.22; private in its typings, hence
// the cast): a view runs no ops, so nothing needs runKernelFunc's scopes around it.
import * as tf from '@tensorflow/tfjs';
import { sameShape } from '../util/shape.js';
import { sharesData, view } from './view.js';

interface TapeInternals {
  addTapeNode(
    kernelName: string,
    inputs: Record<string, tf.Tensor>,
    outputs: tf.Tensor[],
    gradientsFunc: (dy: tf.Tensor) => Record<string, () => tf.Tensor>,
    saved: tf.Tensor[],
    attrs: Record<string, never>,
  ): void;
}

/** t in `shape` (of t's size): t itself when it has that shape, else alias(t, shape). */
export function reshape(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return sameShape(t.shape, shape) ? t : alias(t, shape);
}

/**
 * t in `shape` for a t that no gradient can reach (data, constants: no differentiated tensor
 * feeds it): never a tape node, which tfjs would record and then prune as off every path.
 */
export function reshapeConstant(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (sameShape(t.shape, shape)) return t;
  return sharesData() ? view(t, shape) : tf.reshape(t, [...shape]);
}

/**
 * A new tensor with t's values in `shape` (of t's size; t's own by default), differentiable in
 * t: tf.reshape (tf.clone in t's shape) without a kernel where the backend shares data.
 */
export function alias(t: tf.Tensor, shape: readonly number[] = t.shape): tf.Tensor {
  if (!sharesData()) return sameShape(t.shape, shape) ? tf.clone(t) : tf.reshape(t, [...shape]);
  const engine = tf.engine();
  const out = view(t, shape);
  if (!engine.isTapeOn()) return out;
  // alias again in the gradient: a tape records the backward pass too when a higher-order
  // gradient is taken
  (engine as unknown as TapeInternals).addTapeNode(
    'PlatoAlias',
    { x: t },
    [out],
    (dy) => ({ x: () => alias(dy, t.shape) }),
    [],
    {},
  );
  return out;
}
