// Helpers on plate-aligned values (see context.ts): a tensor [s, c1..cm, ...valueShape].
import * as tf from '@tensorflow/tfjs';
import { reshape } from '../backend/reshape.js';
import { broadcastShapes, prod } from '../util/shape.js';

export function valueShape(t: tf.Tensor, m: number): number[] {
  return t.shape.slice(1 + m);
}

export { prod };

/** Insert size-1 value axes after the plate axes so the value rank becomes `rank` (right-aligned). */
export function liftRank(t: tf.Tensor, m: number, rank: number): tf.Tensor {
  const v = valueShape(t, m);
  if (v.length >= rank) return t;
  const pad = new Array<number>(rank - v.length).fill(1);
  return reshape(t, [...t.shape.slice(0, 1 + m), ...pad, ...v]);
}

/** Right-align the value shapes of several PAVs (NumPy broadcasting of values). */
export function alignRanks(ts: readonly tf.Tensor[], m: number): tf.Tensor[] {
  const r = Math.max(...ts.map((t) => t.rank - 1 - m));
  return ts.map((t) => liftRank(t, m, r));
}

/** A float32 PAV holding a constant: [1, 1 × m, ...shape]. */
export function constant(
  values: number | readonly number[] | Float32Array,
  shape: readonly number[],
  m: number,
): tf.Tensor {
  const lead = new Array<number>(1 + m).fill(1);
  if (typeof values === 'number') return tf.fill([...lead, ...shape], values);
  return tf.tensor(values as number[] | Float32Array, [...lead, ...shape], 'float32');
}

export function toInt(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'int32' ? t : tf.cast(t, 'int32');
}

export function toFloat(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}

/**
 * Expand a PAV to a node's full layout [s, ...batch, ...event]: the plate axes broadcast to
 * their lengths, the value shape right-aligned and broadcast to `event`.
 */
export function toNodeLayout(
  t: tf.Tensor,
  m: number,
  batch: readonly number[],
  event: readonly number[],
  what: string,
): tf.Tensor {
  const v = valueShape(t, m);
  if (v.length > event.length || !broadcastShapes(v, event)?.every((d, i) => d === event[i])) {
    throw new Error(
      `${what}: a value of shape [${v.join(', ')}] does not fit the shape [${event.join(', ')}]`,
    );
  }
  const lifted = liftRank(t, m, event.length);
  const target = [lifted.shape[0], ...batch, ...event];
  if (lifted.shape.every((d, i) => d === target[i])) return lifted;
  return expandTo(lifted, target);
}

/**
 * tf.broadcastTo, but float32 tensors are expanded as t · ones(shape): bit-identical (x · 1 = x
 * for every float, -0, ±Inf and NaN included) and far faster on the wasm backend, whose Tile
 * kernel (what broadcastTo runs) took ~8 ms for [1, 1, 5000] -> [1, 20, 5000] against
 * ~0.3 ms for the broadcasting multiply (measured, tfjs 4.22). The ones come from tf.fill (the
 * backend's Fill kernel): tf.ones builds them in JavaScript and uploads them, ~3 ms per million.
 */
export function expandTo(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (t.dtype !== 'float32') return tf.broadcastTo(t, [...shape]);
  return tf.tidy(() => tf.mul(t, tf.fill([...shape], 1)));
}
