// Broadcasting without tfjs's `broadcastTo`, which tiles: on tfjs-wasm, broadcasting a [1, 1, 1, 4]
// or a [1, 1000, 200, 1] tensor to [1, 1000, 200, 4] took 36–45 ms by `broadcastTo` and 3–4 ms as
// a sum with zeros (a broadcasting binary op; measured, tfjs 4.22). Used where a chain's scan
// broadcasts every step (a conditional's branches).
import * as tf from '@tensorflow/tfjs';

/** `v` broadcast to `shape` (v itself when it has that shape); call inside tf.tidy. */
export function broadcast(v: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (v.shape.length === shape.length && v.shape.every((d, i) => d === shape[i])) return v;
  // a 0 extent: tf.add broadcasts it correctly, broadcastTo does not (tfjs 4.22)
  if (v.dtype === 'bool')
    return tf.notEqual(tf.add(tf.cast(v, 'int32'), tf.zeros([...shape], 'int32')), 0);
  return tf.add(v, tf.zeros([...shape], v.dtype));
}
