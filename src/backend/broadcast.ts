// Broadcasting without tfjs's `broadcastTo`, which tiles: on tfjs-wasm, broadcasting a [1, 1, 1, 4]
// or a [1, 1000, 200, 1] tensor to [1, 1000, 200, 4] took 36–45 ms by `broadcastTo` and 3–4 ms as
// a sum with zeros (a broadcasting binary op; measured, tfjs 4.22). Used where a chain's scan
// broadcasts every step (a conditional's branches).
import * as tf from '@tensorflow/tfjs';
import { sameShape } from '../util/shape.js';
import { reshape } from './reshape.js';

/** `v` broadcast to `shape` (v itself when it has that shape); call inside tf.tidy. */
export function broadcast(v: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (sameShape(v.shape, shape)) return v;
  // a 0 extent: tf.add broadcasts it correctly, broadcastTo does not (tfjs 4.22)
  if (v.dtype === 'bool')
    return tf.notEqual(tf.add(tf.cast(v, 'int32'), tf.zeros([...shape], 'int32')), 0);
  return tf.add(v, tf.zeros([...shape], v.dtype));
}

/**
 * tf.broadcastTo(v, shape) (a Tile; v's own shape: a copy), v's rank first raised by a view
 * (reshape.ts) instead of tf.broadcastTo's Reshape kernel. For small broadcasts (a gradient's
 * scalar spread over a block); `broadcast` above is faster for large ones.
 */
export function tileTo(v: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const lead = new Array<number>(shape.length - v.rank).fill(1);
  return tf.broadcastTo(reshape(v, [...lead, ...v.shape]), [...shape]);
}

/**
 * g summed over the axes along which a tensor of `shape` was broadcast to g's shape, in `shape`:
 * the gradient of that tensor from the gradient g of a broadcasting op's output (g itself when
 * nothing was broadcast; no reshape either when the sum has the shape already).
 */
export function sumToShape(g: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const extra = g.rank - shape.length;
  const axes: number[] = [];
  // an axis of g's of size 1 sums nothing: the reshape below drops or keeps it (no Sum kernel)
  for (let a = 0; a < g.rank; a++)
    if (g.shape[a] !== 1 && (a < extra || shape[a - extra] === 1)) axes.push(a);
  const s = axes.length > 0 ? tf.sum(g, axes) : g;
  return reshape(s, shape);
}
