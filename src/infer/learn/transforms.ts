// Unconstrained coordinates of constrained params for em's gradient M-step and cavi's
// variational M-step (transform.ts says which transform a param gets): gradient steps move u freely and θ = T(u) stays in the
// param's domain (the bijections of Stan's reference manual, "Constraint transforms"):
//   identity   θ = u
//   lower      θ = lo + softplus(u)                    u = log(expm1(θ − lo))
//   upper      θ = hi − softplus(u)                    u = log(expm1(hi − θ))
//   interval   θ = lo + (hi − lo)·sigmoid(u)           u = logit((θ − lo)/(hi − lo))
//   simplex    θ = softmax(u) over the last axis       u = log θ − mean(log θ)
//   cholesky   θ = L Lᵀ, L = strict-lower(u) + diag(softplus(diag u))   (Pinheiro & Bates 1996)
// softplus rather than exp keeps the gradient bounded for large u. A value on the boundary
// (a weight declared 0 for real(0,)) cannot be represented: it starts just inside, at distance
// EDGE (relative to the interval's width for `interval`).
// `forward` is the tfjs map (differentiated by the M-step); `forward64` the same map in float64
// on the host, which gives the params em reports and hands to the next E-step.
import * as tf from '@tensorflow/tfjs';
import { log1pexp64 } from '../../distributions/special64.js';
import { choleskyBlocks } from '../../linalg/dense64.js';
import { prod } from '../../util/shape.js';
import type { Transform } from './transform.js';

/** How far inside its domain a boundary value starts. */
export const EDGE = 1e-6;

/** softplus⁻¹(x) = log(expm1(x)) for x > 0, without overflow. */
function softplusInv(x: number): number {
  const y = Math.max(x, EDGE);
  return y > 30 ? y + Math.log(-Math.expm1(-y)) : Math.log(Math.expm1(y));
}

function sigmoid64(u: number): number {
  return u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u));
}

/** The last axis length (the simplex's K, or the covariance's D). */
function last(shape: readonly number[]): number {
  return shape[shape.length - 1] ?? 1;
}

/** θ = T(u) as tfjs ops (differentiable); u has the param's full shape. */
export function forward(t: Transform, u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (t.kind) {
      case 'identity':
        return tf.clone(u);
      case 'lower':
        return tf.add(tf.softplus(u), t.lower);
      case 'upper':
        return tf.sub(t.upper, tf.softplus(u));
      case 'interval':
        return tf.add(tf.mul(tf.sigmoid(u), t.upper - t.lower), t.lower);
      case 'simplex':
        return tf.softmax(u);
      case 'cholesky': {
        const D = last(u.shape);
        const B = u.size / (D * D);
        const eye = tf.eye(D);
        const strict = tf.sub(tf.linalg.bandPart(tf.ones([D, D]), -1, 0), eye);
        const x = tf.reshape(u, [B, D, D]);
        const L = tf.add(tf.mul(x, strict), tf.mul(tf.softplus(x), eye));
        return tf.reshape(tf.matMul(L, L, false, true), u.shape);
      }
    }
  });
}

/** θ = T(u) in float64 on the host. */
export function forward64(t: Transform, u: Float64Array, shape: readonly number[]): Float64Array {
  const out = new Float64Array(u.length);
  switch (t.kind) {
    case 'identity':
      out.set(u);
      break;
    case 'lower':
      for (let i = 0; i < u.length; i++) out[i] = t.lower + log1pexp64(u[i]);
      break;
    case 'upper':
      for (let i = 0; i < u.length; i++) out[i] = t.upper - log1pexp64(u[i]);
      break;
    case 'interval':
      for (let i = 0; i < u.length; i++) out[i] = t.lower + (t.upper - t.lower) * sigmoid64(u[i]);
      break;
    case 'simplex': {
      const K = last(shape);
      for (let r = 0; r < u.length; r += K) {
        let m = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < K; k++) m = Math.max(m, u[r + k]);
        let z = 0;
        for (let k = 0; k < K; k++) z += Math.exp(u[r + k] - m);
        for (let k = 0; k < K; k++) out[r + k] = Math.exp(u[r + k] - m) / z;
      }
      break;
    }
    case 'cholesky': {
      const D = last(shape);
      const L = new Float64Array(D * D);
      for (let b = 0; b < u.length; b += D * D) {
        L.fill(0);
        for (let i = 0; i < D; i++)
          for (let j = 0; j <= i; j++)
            L[i * D + j] = i === j ? log1pexp64(u[b + i * D + i]) : u[b + i * D + j];
        for (let i = 0; i < D; i++)
          for (let j = 0; j <= i; j++) {
            let s = 0;
            for (let k = 0; k <= j; k++) s += L[i * D + k] * L[j * D + k];
            out[b + i * D + j] = s;
            out[b + j * D + i] = s;
          }
      }
      break;
    }
  }
  return out;
}

/** u = T⁻¹(θ) in float64 (θ on a boundary starts EDGE inside it). */
export function inverse64(
  t: Transform,
  theta: ArrayLike<number>,
  shape: readonly number[],
): Float64Array {
  const n = theta.length;
  const u = new Float64Array(n);
  switch (t.kind) {
    case 'identity':
      for (let i = 0; i < n; i++) u[i] = theta[i];
      break;
    case 'lower':
      for (let i = 0; i < n; i++) u[i] = softplusInv(theta[i] - t.lower);
      break;
    case 'upper':
      for (let i = 0; i < n; i++) u[i] = softplusInv(t.upper - theta[i]);
      break;
    case 'interval':
      for (let i = 0; i < n; i++) {
        const x = Math.min(1 - EDGE, Math.max(EDGE, (theta[i] - t.lower) / (t.upper - t.lower)));
        u[i] = Math.log(x / (1 - x));
      }
      break;
    case 'simplex': {
      const K = last(shape);
      for (let r = 0; r < n; r += K) {
        let mean = 0;
        for (let k = 0; k < K; k++) {
          u[r + k] = Math.log(Math.max(theta[r + k], EDGE));
          mean += u[r + k] / K;
        }
        for (let k = 0; k < K; k++) u[r + k] -= mean;
      }
      break;
    }
    case 'cholesky': {
      const D = last(shape);
      const L = choleskyBlocks(Float64Array.from(theta), D, n / (D * D), 'the starting covariance');
      for (let b = 0; b < n; b += D * D)
        for (let i = 0; i < D; i++)
          for (let j = 0; j <= i; j++)
            u[b + i * D + j] = i === j ? softplusInv(L[b + i * D + i]) : L[b + i * D + j];
      break;
    }
  }
  return u;
}

/** A starting value inside the domain when the param declares none: 0, lo + 1, hi − 1, the midpoint, uniform, I. */
export function neutral(t: Transform, shape: readonly number[]): Float64Array {
  const n = prod(shape);
  const out = new Float64Array(n);
  switch (t.kind) {
    case 'identity':
      break;
    case 'lower':
      out.fill(t.lower + 1);
      break;
    case 'upper':
      out.fill(t.upper - 1);
      break;
    case 'interval':
      out.fill((t.lower + t.upper) / 2);
      break;
    case 'simplex':
      out.fill(1 / last(shape));
      break;
    case 'cholesky': {
      const D = last(shape);
      for (let b = 0; b < n; b += D * D) for (let i = 0; i < D; i++) out[b + i * D + i] = 1;
      break;
    }
  }
  return out;
}
