// Small helpers for support checks in log densities: -Infinity outside the support, never NaN.
import * as tf from '@tensorflow/tfjs';
import { noGrad } from './special.js';

/**
 * Tensors of bound data whose every entry binding has checked in its node's support
 * (graph/support.ts, which names the variable and entry of a bad value): a log density may skip
 * its per-call check for them (Bernoulli does). Marked by the engine that uploads the data, and
 * carried by compile/model.ts to the value it scores.
 */
const checkedData = new WeakSet<tf.Tensor>();

/** Mark `x` as checked bound data (see checkedData); returns it. */
export function markInSupport<T extends tf.Tensor>(x: T): T {
  checkedData.add(x);
  return x;
}

/** Is `x` marked as checked bound data? */
export function inSupport(x: tf.Tensor): boolean {
  return checkedData.has(x);
}

/** where `outside` is true, -Infinity; else `value` (broadcast to their common shape) */
export function maskOutside(outside: tf.Tensor, value: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(outside.shape, value.shape);
    return tf.where(
      tf.broadcastTo(outside, shape),
      tf.fill(shape, Number.NEGATIVE_INFINITY),
      tf.broadcastTo(value, shape),
    );
  });
}

/** x is an integer (finite) */
export function isInteger(x: tf.Tensor): tf.Tensor {
  return noGrad((v) => tf.logicalAnd(tf.equal(v, tf.round(v)), tf.isFinite(v)), x);
}

/** a boolean mask computed off the gradient tape (see noGrad) */
export function mask(f: (...xs: tf.Tensor[]) => tf.Tensor, ...xs: tf.Tensor[]): tf.Tensor {
  return noGrad(f, ...xs);
}

/** float32 view of x (int32 and bool cast) */
export function f32(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

/** the constant `v` in the shape of t */
export function full(t: tf.Tensor, v: number): tf.Tensor {
  return tf.fill(t.shape, v);
}

/**
 * A log density on [0, ∞): `f` evaluated at x with the entries outside (x < 0, x = +Inf) set to 0,
 * and -Infinity there. Call inside tidy.
 */
export function onNonNegative(x: tf.Tensor, f: (xs: tf.Tensor) => tf.Tensor): tf.Tensor {
  const xf = f32(x);
  const bad = mask((u) => tf.logicalOr(tf.less(u, 0), tf.equal(u, Number.POSITIVE_INFINITY)), xf);
  return maskOutside(bad, f(tf.where(bad, tf.zerosLike(xf), xf)));
}
