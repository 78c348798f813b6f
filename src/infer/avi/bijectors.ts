// The bijectors x = T(u) from the unconstrained space, where q is a mean-field Gaussian, onto a
// latent's support, with log|det ∂T/∂u| (the change of variables: log q(x) = log q(u) − log|J|;
// Kucukelbir et al. 2017, ADVI §2.3; Stan's reference manual, "Constraint transforms"):
//   real            x = u                                   log|J| = 0
//   positive        x = exp(u)                              log|J| = u
//   unit-interval   x = σ(u)                                log|J| = −softplus(−u) − softplus(u)
//   interval        x = lo + (hi − lo)σ(u)                  log|J| = log(hi − lo) − softplus(−u) − softplus(u)
//   lower-bounded   x = lo + exp(u)                         log|J| = u
//   upper-bounded   x = hi − exp(u)                         log|J| = u
//   simplex[K]      stick-breaking over K − 1 coordinates:  y_k = u_k − log(K − 1 − k),
//                   z_k = σ(y_k), x_k = z_k Π_{j<k}(1 − z_j), x_{K−1} = Π_{j<K−1}(1 − z_j)
//                   log|J| = Σ_k log z_k + log(1 − z_k) + log Π_{j<k}(1 − z_j)
// exp rather than softplus for positive latents: then q is a LogNormal, a closed family whose
// parameters the result reports. Every log is taken as −softplus of the logit, never log σ.
import * as tf from '@tensorflow/tfjs';
import type { AviSupport } from './plan.js';

/** x = T(u) and log|J| per coordinate of u's batch (the simplex's last axis summed). */
export interface Mapped {
  readonly x: tf.Tensor;
  /** log|det J|: u's shape (the simplex: without its last axis) */
  readonly logDet: tf.Tensor;
}

/** Keep σ(u) strictly inside (0, 1) in float32 (σ(17) rounds to 1, where a Beta's log(1 − x) is −∞). */
const UNIT_EDGE = 1e-6;

/** The ends of a bounded support (broadcasting with u); absent: infinite. */
export interface SupportBounds {
  readonly lo?: tf.Tensor;
  readonly hi?: tf.Tensor;
}

/** Does the support's bijector read bounds (model.ts AviModel.bounds)? */
export function hasBounds(support: AviSupport): boolean {
  return support === 'interval' || support === 'lower-bounded' || support === 'upper-bounded';
}

/** Map u onto the support; `bounds` are the interval's (or half-line's) ends. */
export function bijectForward(support: AviSupport, u: tf.Tensor, bounds?: SupportBounds): Mapped {
  switch (support) {
    case 'real':
      return { x: u, logDet: tf.zerosLike(u) };
    case 'positive':
      return { x: tf.exp(u), logDet: u };
    case 'unit-interval': {
      const x = tf.clipByValue(tf.sigmoid(u), UNIT_EDGE, 1 - UNIT_EDGE);
      return { x, logDet: tf.neg(tf.add(tf.softplus(tf.neg(u)), tf.softplus(u))) };
    }
    case 'lower-bounded':
      if (!bounds?.lo) throw new Error('internal: a lower-bounded latent without its bound');
      return { x: tf.add(bounds.lo, tf.exp(u)), logDet: u };
    case 'upper-bounded':
      if (!bounds?.hi) throw new Error('internal: an upper-bounded latent without its bound');
      return { x: tf.sub(bounds.hi, tf.exp(u)), logDet: u };
    case 'interval': {
      if (!bounds?.lo || !bounds.hi) throw new Error('internal: an interval latent without bounds');
      const width = tf.sub(bounds.hi, bounds.lo);
      const s = tf.clipByValue(tf.sigmoid(u), UNIT_EDGE, 1 - UNIT_EDGE);
      const x = tf.add(bounds.lo, tf.mul(width, s));
      const logDet = tf.sub(tf.log(width), tf.add(tf.softplus(tf.neg(u)), tf.softplus(u)));
      return { x, logDet };
    }
    case 'simplex':
      return stickBreaking(u);
  }
}

/** Stick-breaking (Stan's simplex transform) over the last axis: K − 1 coordinates → K. */
function stickBreaking(u: tf.Tensor): Mapped {
  const K1 = u.shape[u.rank - 1];
  // the offsets −log(K − 1 − k) centre u = 0 at the uniform simplex
  const offset = tf.tensor1d(Array.from({ length: K1 }, (_, k) => -Math.log(K1 - k)));
  const y = tf.add(u, offset);
  const logZ = tf.neg(tf.softplus(tf.neg(y)));
  const log1mZ = tf.neg(tf.softplus(y));
  const logRest = tf.cumsum(log1mZ, -1, true); // log Π_{j<k}(1 − z_j)
  const head = tf.exp(tf.add(logRest, logZ));
  const last = tf.exp(tf.sum(log1mZ, -1, true));
  const x = tf.concat([head, last], -1);
  const logDet = tf.sum(tf.add(tf.add(logZ, log1mZ), logRest), -1);
  return { x, logDet };
}
