// Saddle-point forms of the Poisson, binomial and gamma log densities (Loader 2000, "Fast and
// accurate computation of binomial probabilities"; the method of R's dpois/dbinom). The textbook
// forms k log(lambda) - lambda - lgamma(k + 1) add terms of size ~k log k that cancel down to a
// result of size ~log k; in float32 that loses everything beyond ~1e-7 * k log k (an absolute
// error of 0.06 at k = 1e6). The forms below are sums of O(1) terms: the deviance bd0 and the
// Stirling remainders.
import * as tf from '@tensorflow/tfjs';
import {
  addAll,
  lgamma,
  lgammaCorrection,
  log1p,
  noGrad,
  polyval,
  toFloat,
  xlogy,
} from './special.js';
import { lgamma64 } from './special64.js';

const LOG_2PI = Math.log(2 * Math.PI);
const LOG_SQRT_2PI = 0.5 * LOG_2PI;

/** stirlerr(n) = lgamma(n + 1) - [(n + 1/2) log n - n + log sqrt(2 pi)] for n = 0, 1, 2, 3. */
const STIRLERR_SMALL = [0, 1, 2, 3].map((n) =>
  n === 0 ? 0 : lgamma64(n + 1) - ((n + 0.5) * Math.log(n) - n + LOG_SQRT_2PI),
);

/**
 * Stirling's remainder stirlerr(n) = lgamma(n + 1) - (n + 1/2) log n + n - log sqrt(2 pi), for
 * n >= 0. With `integer` the n < 3.5 values come from a table (n must then be integral);
 * otherwise from lgamma. stirlerr(0) is reported as 0 (callers treat n = 0 separately).
 */
export function stirlerr(n: tf.Tensor, integer = false): tf.Tensor {
  return tf.tidy(() => {
    const nf = toFloat(n);
    const big = noGrad((v) => tf.greaterEqual(v, 3.5), nf);
    const series = lgammaCorrection(tf.maximum(nf, 3.5));
    let small: tf.Tensor;
    if (integer) {
      const idx = tf.cast(tf.clipByValue(nf, 0, 3), 'int32');
      small = tf.gather(tf.tensor1d(STIRLERR_SMALL), idx);
    } else {
      const ns = tf.clipByValue(nf, 1e-30, 3.5);
      small = tf.add(
        tf.sub(lgamma(tf.add(ns, 1)), tf.mul(tf.add(ns, 0.5), tf.log(ns))),
        tf.sub(ns, LOG_SQRT_2PI),
      );
      small = tf.where(
        noGrad((v) => tf.equal(v, 0), nf),
        tf.zerosLike(nf),
        small,
      );
    }
    return tf.where(big, series, small);
  });
}

/**
 * The deviance term bd0(x, m) = x log(x / m) + m - x >= 0 (Loader 2000), for x, m >= 0, with a
 * series in v = (x - m)/(x + m) when x is close to m (where the direct form cancels):
 * bd0 = (x - m) v + 2 x sum_{j>=1} v^(2j+1) / (2j + 1).
 */
export function bd0(x: tf.Tensor, m: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const xf = toFloat(x);
    const mf = toFloat(m);
    const diff = tf.sub(xf, mf);
    const sum = tf.add(xf, mf);
    const near = noGrad((d, s) => tf.less(tf.abs(d), tf.mul(s, 0.1)), diff, sum);
    // near branch (x + m > 0 there)
    const sumSafe = tf.where(near, sum, tf.onesLike(sum));
    const v = tf.div(tf.where(near, diff, tf.zerosLike(diff)), sumSafe);
    const v2 = tf.square(v);
    const series = tf.add(
      tf.mul(diff, v),
      tf.mul(
        tf.mul(tf.mul(xf, 2), tf.mul(v, v2)),
        polyval(v2, [1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11]),
      ),
    );
    // direct branch: x log(x/m) + m - x; x = 0 gives m; m = 0 < x gives +Inf
    const mSafe = tf.where(near, tf.onesLike(mf), mf);
    const xSafe = tf.where(near, tf.onesLike(xf), xf);
    const direct = tf.add(xlogy(xSafe, tf.div(xSafe, mSafe)), tf.sub(mSafe, xSafe));
    return tf.where(near, series, direct);
  });
}

/**
 * log Poisson(k | rate) for integers k >= 0 and rate >= 0 (no support checks here):
 * -stirlerr(k) - bd0(k, rate) - log(2 pi k)/2, and -rate at k = 0.
 */
export function poissonLogPmf(k: tf.Tensor, rate: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const kf = toFloat(k);
    const r = toFloat(rate);
    const zero = noGrad((v) => tf.equal(v, 0), kf);
    const kSafe = tf.where(zero, tf.onesLike(kf), kf);
    const general = tf.neg(
      addAll([stirlerr(kSafe, true), bd0(kSafe, r), tf.mul(0.5, tf.add(tf.log(kSafe), LOG_2PI))]),
    );
    return tf.where(zero, tf.neg(tf.mul(r, tf.onesLike(kf))), general);
  });
}

/**
 * log Binomial(k | n, p) for integers 0 <= k <= n, given p and q = 1 - p separately (so that
 * both can be accurate, e.g. from logits) and their logs. Loader's form:
 * stirlerr(n) - stirlerr(k) - stirlerr(n-k) - bd0(k, np) - bd0(n-k, nq) - log(2 pi k (n-k)/n)/2,
 * with n log q at k = 0 and n log p at k = n.
 */
export function binomialLogPmf(
  k: tf.Tensor,
  n: tf.Tensor,
  p: tf.Tensor,
  q: tf.Tensor,
  logP: tf.Tensor,
  logQ: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const kf = toFloat(k);
    const nf = toFloat(n);
    const nk = tf.sub(nf, kf);
    const atZero = noGrad((v) => tf.equal(v, 0), kf);
    const atN = noGrad((v) => tf.equal(v, 0), nk);
    const edge = tf.logicalOr(atZero, atN);
    // interior: 0 < k < n (so n >= 2)
    const kS = tf.where(edge, tf.onesLike(kf), kf);
    const nS = tf.where(edge, tf.fill(nf.shape, 2), nf);
    const nkS = tf.sub(nS, kS);
    const interior = tf.sub(
      tf.sub(stirlerr(nS, true), tf.add(stirlerr(kS, true), stirlerr(nkS, true))),
      addAll([
        bd0(kS, tf.mul(nS, p)),
        bd0(nkS, tf.mul(nS, q)),
        tf.mul(
          0.5,
          addAll([tf.log(kS), log1p(tf.neg(tf.div(kS, nS))), tf.fill(kS.shape, LOG_2PI)]),
        ),
      ]),
    );
    // k = 0: n log q; k = n: n log p (0 when n = 0, also for q = 0 or p = 0)
    const edgeValue = tf.where(atZero, xlogyLog(nf, logQ), xlogyLog(nf, logP));
    return tf.where(edge, edgeValue, interior);
  });
}

/** n * logv with the convention 0 * (-Inf) = 0. */
function xlogyLog(n: tf.Tensor, logv: tf.Tensor): tf.Tensor {
  const zero = noGrad((v) => tf.equal(v, 0), n);
  return tf.where(zero, tf.zerosLike(n), tf.mul(n, tf.where(zero, tf.zerosLike(logv), logv)));
}

/**
 * The gamma kernel K(a, y) = a log y - y - lgamma(a) (the log density of Gamma(a, 1) at y, plus
 * log y), for a > 0, y >= 0, as a parameter part plus a data part. For a >= 3.5 it is
 * [log(a / 2 pi)/2 - lgammaCorrection(a)] + [-bd0(a, y)], which has no cancellation when y is near
 * a (a concentrated gamma); below, [-lgamma(a)] + [a log y - y]. Gamma, Beta and Dirichlet log
 * densities are built from it; the parameter part is computed on the parameters' own shape.
 */
export function gammaKernel(a: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(gammaKernelParam(a), gammaKernelData(a, y)));
}

/** the parameter part of K(a, y) (see gammaKernel) */
export function gammaKernelParam(a: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const af = toFloat(a);
    const big = noGrad((v) => tf.greaterEqual(v, 3.5), af);
    const aB = tf.maximum(af, 3.5);
    const saddle = tf.sub(tf.mul(0.5, tf.sub(tf.log(aB), LOG_2PI)), lgammaCorrection(aB));
    const aS = tf.where(big, tf.onesLike(af), af);
    return tf.where(big, saddle, tf.neg(lgamma(aS)));
  });
}

/** the data part of K(a, y) (see gammaKernel) */
export function gammaKernelData(a: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const af = toFloat(a);
    const yf = toFloat(y);
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(af.shape, yf.shape);
    const big = tf.broadcastTo(
      noGrad((v) => tf.greaterEqual(v, 3.5), af),
      shape,
    );
    const aF = tf.broadcastTo(af, shape);
    const yF = tf.broadcastTo(yf, shape);
    const saddle = tf.neg(bd0(tf.where(big, aF, yF), yF));
    const direct = tf.sub(xlogy(tf.where(big, tf.zerosLike(aF), aF), yF), yF);
    return tf.where(big, saddle, direct);
  });
}

/** C(s) = lgamma(s) - s log s + s; -log(s)/2 + log sqrt(2 pi) + lgammaCorrection(s) for s >= 3.5. */
export function gammaRatioConstant(s: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const sf = toFloat(s);
    const big = noGrad((v) => tf.greaterEqual(v, 3.5), sf);
    const sB = tf.maximum(sf, 3.5);
    const stirling = tf.add(tf.sub(LOG_SQRT_2PI, tf.mul(0.5, tf.log(sB))), lgammaCorrection(sB));
    const sS = tf.where(big, tf.onesLike(sf), sf);
    const direct = tf.add(tf.sub(lgamma(sS), tf.mul(sS, tf.log(sS))), sS);
    return tf.where(big, stirling, direct);
  });
}
