// Standard CDFs in log space and their inverses, on float32 tensors, for truncation
// (truncated.ts). Everything is computed as logs of the tail that is small, so that a bound five
// or thirty standard deviations out keeps its digits:
// - the normal: log erfc from Numerical Recipes' `erfcc` (Press et al. 1992, §6.2; fractional
//   error < 1.2e-7 for every x >= 0), whose form t exp(-x^2 + P(t)) is taken in log space, so
//   log Phi(z) is finite and accurate down to z = -1e18 instead of underflowing at z = -13;
//   its inverse from Acklam's rational approximation (relative error 1.15e-9), whose tail branch
//   reads sqrt(-2 log p) and therefore takes log p directly;
// - Cauchy, half-Cauchy, Laplace, exponential and uniform: closed forms, each tail written
//   through the small quantity (atan(1/|z|), exp(-|z|)).
import * as tf from '@tensorflow/tfjs';
import { log1mexp, log1p, noGrad, polyval } from './special.js';

/** A comparison of x with a constant, off the gradient tape (tfjs has no gradient for it). */
function off(cmp: (a: tf.Tensor, b: number) => tf.Tensor, x: tf.Tensor, c: number): tf.Tensor {
  return noGrad((v) => cmp(v, c), x);
}

const LN2 = Math.LN2;
const SQRT1_2 = Math.SQRT1_2;

/** A family's standardised CDF: log F(z), log (1 - F(z)) and the two quantiles from logs. */
export interface StdCdf {
  logCdf(z: tf.Tensor): tf.Tensor;
  logSf(z: tf.Tensor): tf.Tensor;
  /** z with log F(z) = lp (any lp <= 0) */
  quantileFromLogCdf(lp: tf.Tensor): tf.Tensor;
  /** z with log (1 - F(z)) = lq (any lq <= 0) */
  quantileFromLogSf(lq: tf.Tensor): tf.Tensor;
}

/** Numerical Recipes' erfcc coefficients: erfc(x) = t exp(-x^2 + P(t)), t = 1 / (1 + x/2), x >= 0 */
const ERFCC = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

/** log erfc(x) for x >= 0 (pass max(x, 0)); +Inf gives -Inf */
function logErfcPos(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.reciprocal(tf.add(1, tf.mul(0.5, x)));
    return tf.add(tf.log(t), tf.sub(polyval(t, ERFCC), tf.square(x)));
  });
}

/** log Phi(z), the standard normal log CDF, accurate in both tails */
export function logNdtr(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // Phi(z) = erfc(-z / sqrt 2) / 2; for z <= 0 the log of erfc directly, above it log1p of
    // minus the small upper tail erfc(z / sqrt 2) / 2
    const w = tf.mul(tf.abs(z), SQRT1_2);
    const lt = tf.sub(logErfcPos(w), LN2); // log of the tail beyond |z|
    const upper = log1p(tf.neg(tf.exp(lt)));
    return tf.where(off(tf.lessEqual, z, 0), lt, upper);
  });
}

// Acklam's inverse normal CDF (P. J. Acklam, "An algorithm for computing the inverse normal
// cumulative distribution function", 2003)
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [
  -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Horner with coefficients highest power first */
function horner(t: tf.Tensor, coeffs: readonly number[]): tf.Tensor {
  return polyval(t, [...coeffs].reverse());
}

/** z with log Phi(z) = lp for lp <= log(1/2) (the lower half) */
function ndtriLowerHalf(lp: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const tail = off(tf.less, lp, Math.log(P_LOW));
    // tail: q = sqrt(-2 log p)
    const q = tf.sqrt(tf.mul(-2, tf.minimum(lp, Math.log(P_LOW))));
    const zt = tf.div(horner(q, C), tf.add(tf.mul(horner(q, D), q), 1));
    // centre: p - 1/2, r = (p - 1/2)^2
    const c = tf.sub(tf.exp(tf.maximum(lp, Math.log(P_LOW))), 0.5);
    const r = tf.square(c);
    const zc = tf.div(tf.mul(horner(r, A), c), tf.add(tf.mul(horner(r, B), r), 1));
    return tf.where(tail, zt, zc);
  });
}

/** z with log Phi(z) = lp, any lp <= 0 */
export function ndtriLog(lp: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const lower = off(tf.lessEqual, lp, -LN2);
    const low = ndtriLowerHalf(tf.minimum(lp, -LN2));
    const high = tf.neg(ndtriLowerHalf(tf.minimum(log1mexp(tf.minimum(lp, 0)), -LN2)));
    return tf.where(lower, low, high);
  });
}

export const NORMAL_CDF: StdCdf = {
  logCdf: logNdtr,
  logSf: (z) => tf.tidy(() => logNdtr(tf.neg(z))),
  quantileFromLogCdf: ndtriLog,
  quantileFromLogSf: (lq) => tf.tidy(() => tf.neg(ndtriLog(lq))),
};

/**
 * The half-normal (sigma = 1): F(z) = erf(z / sqrt 2), 1 - F(z) = 2 Phi(-z). Near 0 the CDF
 * is tf.erf itself (small and exact there); beyond z = 1 it is log1p(-2 Phi(-z)).
 */
export const HALF_NORMAL_CDF: StdCdf = {
  logCdf: (z) =>
    tf.tidy(() => {
      const zp = tf.maximum(z, 0);
      const small = tf.log(tf.erf(tf.mul(tf.minimum(zp, 1), SQRT1_2)));
      const large = log1mexp(tf.minimum(tf.add(logNdtr(tf.neg(tf.maximum(zp, 1))), LN2), 0));
      return tf.where(off(tf.lessEqual, zp, 1), small, large);
    }),
  logSf: (z) => tf.tidy(() => tf.minimum(tf.add(logNdtr(tf.neg(tf.maximum(z, 0))), LN2), 0)),
  // F = p  <=>  Phi(-z) = (1 - p) / 2
  quantileFromLogCdf: (lp) =>
    tf.tidy(() => tf.maximum(tf.neg(ndtriLog(tf.sub(log1mexp(tf.minimum(lp, 0)), LN2))), 0)),
  quantileFromLogSf: (lq) => tf.tidy(() => tf.maximum(tf.neg(ndtriLog(tf.sub(lq, LN2))), 0)),
};

/** log of F(z) = 1/2 + atan(z) / pi for the standard Cauchy; the tail as atan(1/|z|) / pi */
function cauchyLogCdf(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const zc = tf.clipByValue(z, -1, 1);
    const centre = tf.log(tf.add(0.5, tf.div(tf.atan(zc), Math.PI)));
    const tailArg = tf.div(-1, tf.where(off(tf.less, z, -1), z, tf.fill(z.shape, -1)));
    const lowTail = tf.log(tf.div(tf.atan(tailArg), Math.PI));
    const upArg = tf.reciprocal(tf.where(off(tf.greater, z, 1), z, tf.onesLike(z)));
    const upTail = log1p(tf.neg(tf.div(tf.atan(upArg), Math.PI)));
    return tf.where(off(tf.less, z, -1), lowTail, tf.where(off(tf.greater, z, 1), upTail, centre));
  });
}

/** z with F(z) = p for the standard Cauchy: -1 / tan(pi p) for p <= 1/2 (exact in the tail) */
function cauchyQuantileLow(lp: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(-1, tf.tan(tf.mul(Math.PI, tf.exp(tf.minimum(lp, -LN2))))));
}

export const CAUCHY_CDF: StdCdf = {
  logCdf: cauchyLogCdf,
  logSf: (z) => tf.tidy(() => cauchyLogCdf(tf.neg(z))),
  quantileFromLogCdf: (lp) =>
    tf.tidy(() =>
      tf.where(
        off(tf.lessEqual, lp, -LN2),
        cauchyQuantileLow(lp),
        tf.neg(cauchyQuantileLow(log1mexp(tf.minimum(lp, 0)))),
      ),
    ),
  quantileFromLogSf: (lq) =>
    tf.tidy(() =>
      tf.where(
        off(tf.lessEqual, lq, -LN2),
        tf.neg(cauchyQuantileLow(lq)),
        cauchyQuantileLow(log1mexp(tf.minimum(lq, 0))),
      ),
    ),
};

/** the half-Cauchy (sigma = 1): F(z) = (2/pi) atan z, 1 - F(z) = (2/pi) atan(1/z) */
function halfCauchyLogTail(z: tf.Tensor, upper: boolean): tf.Tensor {
  return tf.tidy(() => {
    const zp = tf.maximum(z, 0);
    // the small side: (2/pi) atan(z) below 1 for the CDF, (2/pi) atan(1/z) above 1 for the tail
    const small = upper ? off(tf.greaterEqual, zp, 1) : off(tf.lessEqual, zp, 1);
    const arg = upper ? tf.reciprocal(tf.maximum(zp, 1)) : tf.minimum(zp, 1);
    const other = upper ? tf.minimum(zp, 1) : tf.reciprocal(tf.maximum(zp, 1));
    const direct = tf.log(tf.mul(2 / Math.PI, tf.atan(arg)));
    const comp = log1p(tf.neg(tf.mul(2 / Math.PI, tf.atan(other))));
    return tf.where(small, direct, comp);
  });
}

export const HALF_CAUCHY_CDF: StdCdf = {
  logCdf: (z) => halfCauchyLogTail(z, false),
  logSf: (z) => halfCauchyLogTail(z, true),
  // F = p: z = tan(pi p / 2) for p <= 1/2, else 1 / tan(pi (1 - p) / 2)
  quantileFromLogCdf: (lp) =>
    tf.tidy(() => {
      const low = tf.tan(tf.mul(Math.PI / 2, tf.exp(tf.minimum(lp, -LN2))));
      const q = tf.exp(tf.minimum(log1mexp(tf.minimum(lp, 0)), -LN2));
      const high = tf.reciprocal(tf.tan(tf.mul(Math.PI / 2, q)));
      return tf.where(off(tf.lessEqual, lp, -LN2), low, high);
    }),
  quantileFromLogSf: (lq) =>
    tf.tidy(() => {
      const high = tf.reciprocal(tf.tan(tf.mul(Math.PI / 2, tf.exp(tf.minimum(lq, -LN2)))));
      const p = tf.exp(tf.minimum(log1mexp(tf.minimum(lq, 0)), -LN2));
      const low = tf.tan(tf.mul(Math.PI / 2, p));
      return tf.where(off(tf.lessEqual, lq, -LN2), high, low);
    }),
};

/** the standard Laplace: F(z) = exp(z) / 2 below 0, 1 - exp(-z) / 2 above */
function laplaceLogCdf(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.where(
      off(tf.lessEqual, z, 0),
      tf.sub(tf.minimum(z, 0), LN2),
      log1p(tf.mul(-0.5, tf.exp(tf.neg(tf.maximum(z, 0))))),
    ),
  );
}

/** z with F(z) = p: log(2p) for p <= 1/2, else -log(2 (1 - p)) */
function laplaceQuantile(lp: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.where(
      off(tf.lessEqual, lp, -LN2),
      tf.add(lp, LN2),
      tf.neg(tf.add(log1mexp(tf.minimum(lp, 0)), LN2)),
    ),
  );
}

export const LAPLACE_CDF: StdCdf = {
  logCdf: laplaceLogCdf,
  logSf: (z) => tf.tidy(() => laplaceLogCdf(tf.neg(z))),
  quantileFromLogCdf: laplaceQuantile,
  quantileFromLogSf: (lq) => tf.tidy(() => tf.neg(laplaceQuantile(lq))),
};

/** the unit exponential: F(z) = 1 - exp(-z), 1 - F(z) = exp(-z) on z >= 0 */
export const EXPONENTIAL_CDF: StdCdf = {
  logCdf: (z) => tf.tidy(() => log1mexp(tf.neg(tf.maximum(z, 0)))),
  logSf: (z) => tf.tidy(() => tf.neg(tf.maximum(z, 0))),
  quantileFromLogCdf: (lp) => tf.tidy(() => tf.neg(log1mexp(tf.minimum(lp, 0)))),
  quantileFromLogSf: (lq) => tf.tidy(() => tf.neg(lq)),
};

/** the unit uniform: F(z) = z on [0, 1] */
export const UNIFORM_CDF: StdCdf = {
  logCdf: (z) => tf.tidy(() => tf.log(tf.clipByValue(z, 0, 1))),
  logSf: (z) => tf.tidy(() => log1p(tf.neg(tf.clipByValue(z, 0, 1)))),
  quantileFromLogCdf: (lp) => tf.tidy(() => tf.exp(lp)),
  quantileFromLogSf: (lq) => tf.tidy(() => tf.neg(tf.expm1(lq))),
};
