// Special functions on float32 tfjs tensors: lgamma, digamma, trigamma, tetragamma and the
// log-space helpers every log density needs. tfjs has no lgamma/digamma, and tfjs-wasm's log1p is
// computed as log(1 + x), which loses all precision for |x| < 1e-7 (measured: 19% error at 1e-7).
//
// Large tensors: every function works elementwise with a FIXED sequence of ops (no
// data-dependent loops): each argument range has its own formula, all are evaluated, and
// `where` selects. Accuracy against @stdlib at the float32 input is about 4e-7 relative (see
// test/distributions/special.test.ts); the methods are chosen so that nothing large cancels:
// - lgamma: Stirling's series for x >= 3.5; below, reduction to lgamma(2 + p), |p| <= 1/2, by
//   at most two exact shifts and the series of lgamma(2 + p) (A&S 6.1.33, economised).
// - digamma: asymptotic series for x >= 6; below, shifts into a unit window around its
//   positive zero x0 = 1.46163… and the series about x0 (coefficients are Hurwitz zeta values,
//   DLMF 25.11.12, economised), so the result is relatively accurate even next to the zero.
// - trigamma, tetragamma: of one sign everywhere, so upward recurrence plus asymptotic series.
// Small tensors (<= 1024 elements): tfjs-wasm costs ~10 us per op whatever the size, so these
// read the values back and apply the float64 functions of special64.ts instead (20 us, not 800).
// lgamma, digamma and trigamma carry custom gradients (digamma, trigamma, tetragamma).
import * as tf from '@tensorflow/tfjs';
import { chebyshevFit, digamma64, hurwitzZeta64, lgamma64, trigamma64 } from './special64.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EULER = 0.5772156649015329;

/** The positive zero of digamma, split into float32 high and low parts. */
const DIGAMMA_ROOT = 1.4616321449683622;
const ROOT_HI = Math.fround(DIGAMMA_ROOT);
const ROOT_LO = Math.fround(DIGAMMA_ROOT - ROOT_HI);

/**
 * lgamma(2 + p) / p = (1 - gamma) + sum_{k>=2} (-1)^k (zeta(k) - 1) p^(k-1) / k (A&S 6.1.33),
 * summed to 60 terms in float64 and economised to degree 9 on |p| <= 0.52 (relative error 1e-9).
 */
const LGAMMA2_COEFFS = chebyshevFit(
  (p) => {
    let s = 1 - EULER;
    let pk = 1;
    for (let k = 2; k <= 60; k++) {
      pk *= p;
      s += (((-1) ** k * hurwitzZeta64(k, 2)) / k) * pk;
    }
    return s;
  },
  0.52,
  9,
);

/**
 * digamma(x0 + t) / t = sum_{k>=1} (-1)^(k+1) zeta(k + 1, x0) t^(k-1) (DLMF 25.11.12), summed to
 * 80 terms in float64 and economised to degree 11 on |t| <= 0.52 (relative error 2e-9).
 */
const DIGAMMA_ROOT_COEFFS = chebyshevFit(
  (t) => {
    let s = 0;
    let tk = 1;
    for (let k = 1; k <= 80; k++) {
      s += (-1) ** (k + 1) * hurwitzZeta64(k + 1, DIGAMMA_ROOT) * tk;
      tk *= t;
    }
    return s;
  },
  0.52,
  11,
);

/** Horner's rule: sum_k coeffs[k] t^k. */
export function polyval(t: tf.Tensor, coeffs: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    let acc: tf.Tensor = tf.scalar(coeffs[coeffs.length - 1]!);
    for (let k = coeffs.length - 2; k >= 0; k--) acc = tf.add(tf.mul(acc, t), coeffs[k]!);
    return acc;
  });
}

/** the sum of several tensors with broadcasting (tf.addN demands equal shapes) */
export function addAll(ts: readonly tf.Tensor[]): tf.Tensor {
  return tf.tidy(() => ts.slice(1).reduce((acc, t) => tf.add(acc, t), ts[0]!));
}

/** float32 tensor of `x` (casting int32/bool). */
export function toFloat(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

/**
 * An elementwise op with a custom gradient: value f(x), gradient dy * df(x). (tfjs records only
 * the custom op on the tape, so the many ops inside f cost nothing in backprop.)
 */
function withGradient(
  f: (x: tf.Tensor) => tf.Tensor,
  df: (x: tf.Tensor) => tf.Tensor,
): (x: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([x]);
    return {
      value: f(x),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => tf.mul(dy, df(saved[0]!))),
    };
  });
  return (x) => op(x);
}

/**
 * f(...xs) computed off the gradient tape, with a zero gradient for every x. tfjs registers no
 * gradients for comparisons (Greater, Equal, Any, …), so a mask computed from a tensor that is
 * being differentiated makes tf.grad throw; masks and branch selectors are computed through this.
 */
export function noGrad(f: (...xs: tf.Tensor[]) => tf.Tensor, ...xs: tf.Tensor[]): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ins = args.slice(0, xs.length) as tf.Tensor[];
    return {
      value: f(...ins),
      gradFunc: () => ins.map((t) => tf.zerosLike(t)),
    };
  });
  return op(...xs);
}

// ---------------------------------------------------------------------------------------------
// log1p and friends

/**
 * log(1 + x), accurate for small |x| (Goldberg 1991, Theorem 4: log(u) * x / (u - 1) with
 * u = fl(1 + x)). The gradient is 1 / (1 + x).
 */
export const log1p: (x: tf.Tensor) => tf.Tensor = withGradient(
  (x) =>
    tf.tidy(() => {
      const xf = toFloat(x);
      const u = tf.add(xf, 1);
      const d = tf.sub(u, 1);
      const safeD = tf.where(tf.equal(d, 0), tf.onesLike(d), d);
      const general = tf.mul(tf.log(u), tf.div(xf, safeD));
      // d == 0: log1p(x) = x to float32 precision; x = +Inf: u = d = Inf, x/d would be NaN
      return tf.where(tf.equal(d, 0), xf, tf.where(tf.equal(xf, Infinity), xf, general));
    }),
  (x) => tf.reciprocal(tf.add(toFloat(x), 1)),
);

/** x * log(y), defined as 0 where x == 0 (also for y == 0); gradient-safe. */
export function xlogy(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const zero = noGrad((a) => tf.equal(a, 0), x);
    const safeY = tf.where(zero, tf.onesLike(y), y);
    return tf.where(zero, tf.zerosLike(x), tf.mul(x, tf.log(safeY)));
  });
}

/** x * log(1 + y), defined as 0 where x == 0; gradient-safe. */
export function xlog1py(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const zero = noGrad((a) => tf.equal(a, 0), x);
    const safeY = tf.where(zero, tf.zerosLike(y), y);
    return tf.where(zero, tf.zerosLike(x), tf.mul(x, log1p(safeY)));
  });
}

/**
 * log(1 - exp(x)) for x <= 0 (Mächler 2012, "Accurately computing log(1 - exp(-|a|))"):
 * log(-expm1(x)) for x > -log 2, log1p(-exp(x)) below.
 */
export function log1mexp(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const near = noGrad((a) => tf.greater(a, -Math.LN2), x);
    const xNear = tf.where(near, x, tf.fill(x.shape, -1));
    const xFar = tf.where(near, tf.fill(x.shape, -1), x);
    const a = tf.log(tf.neg(tf.expm1(xNear)));
    const b = log1p(tf.neg(tf.exp(xFar)));
    return tf.where(near, a, b);
  });
}

/**
 * log(sum(exp(x))) over `axis`, robust to rows that are all -Infinity (gives -Infinity, not
 * NaN) and to +Infinity entries. The maximum is treated as a constant for the gradient.
 */
export function logSumExp(x: tf.Tensor, axis: number | number[] = -1, keepDims = false): tf.Tensor {
  return tf.tidy(() => {
    const m = noGrad((a) => safeMax(a, axis), x);
    const s = tf.sum(tf.exp(tf.sub(x, m)), axis, true);
    // a row that is all -Inf: log(0) + 0 = -Inf; a row with +Inf: exp(Inf) = Inf -> Inf
    const out = tf.add(tf.log(s), m);
    return keepDims ? out : tf.squeeze(out, normalizeAxes(axis, x.rank));
  });
}

/** the max over `axis` (kept), with non-finite maxima replaced by 0 */
function safeMax(x: tf.Tensor, axis: number | number[]): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.max(x, axis, true);
    return tf.where(tf.isFinite(m), m, tf.zerosLike(m));
  });
}

/** exp(x - logSumExp(x)) over the last axis (softmax that tolerates -Infinity entries). */
export function softmaxStable(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.exp(tf.sub(x, logSumExp(x, -1, true))));
}

function normalizeAxes(axis: number | number[], rank: number): number[] {
  const axes = Array.isArray(axis) ? axis : [axis];
  return axes.map((a) => (a < 0 ? a + rank : a));
}

// ---------------------------------------------------------------------------------------------
// lgamma

/** Stirling's tail lgamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)] (DLMF 5.11.1), x >= 3.5. */
const STIRLING_TAIL = [
  1 / 12,
  -1 / 360,
  1 / 1260,
  -1 / 1680,
  1 / 1188,
  -691 / 360360,
  1 / 156,
  -3617 / 122400,
];

/**
 * The tail of Stirling's series for lgamma (a.k.a. lgamma correction), accurate for x >= 3.5;
 * shape of x. Used by the saddle-point log densities (Loader 2000).
 */
export function lgammaCorrection(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const r = tf.reciprocal(x);
    return tf.mul(r, polyval(tf.square(r), STIRLING_TAIL));
  });
}

function lgammaTensor(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const xf = toFloat(x);
    // large: Stirling, (x - 1/2)(log x - 1) + (log sqrt(2 pi) - 1/2) + tail
    const big = tf.greaterEqual(xf, 3.5);
    const xs = tf.maximum(xf, 3.5);
    const stirling = tf.add(
      tf.mul(tf.sub(xs, 0.5), tf.sub(tf.log(xs), 1)),
      tf.add(lgammaCorrection(xs), LOG_SQRT_2PI - 0.5),
    );
    // small: x = r + p with r = round(x) in {0, 1, 2, 3} and p = x - r exact, |p| <= 1/2;
    // lgamma(x) = lgamma(2 + p) + log(x - 1) [r = 3] - log1p(p) [r = 1] - log(x) - log1p(x) [r = 0]
    const xm = tf.clipByValue(xf, 0, 3.5);
    const r = tf.round(xm);
    const p = tf.sub(xm, r);
    const core = tf.mul(p, polyval(p, LGAMMA2_COEFFS));
    const r3 = tf.equal(r, 3);
    const r1 = tf.equal(r, 1);
    const r0 = tf.equal(r, 0);
    const up = tf.log(tf.where(r3, tf.sub(xm, 1), tf.onesLike(xm)));
    const down1 = log1p(tf.where(r1, p, tf.zerosLike(p)));
    const xm0 = tf.where(r0, xm, tf.onesLike(xm));
    const down0 = tf.where(r0, tf.add(tf.log(xm0), log1p(xm0)), tf.zerosLike(xm));
    const small = tf.sub(tf.sub(tf.add(core, up), down1), down0);
    const out = tf.where(big, stirling, small);
    return tf.where(tf.less(xf, 0), tf.fill(xf.shape, Number.NaN), out);
  });
}

/**
 * log Gamma(x) for x > 0 (NaN for x < 0, +Infinity at 0), float32. The gradient is digamma.
 */
export const lgamma: (x: tf.Tensor) => tf.Tensor = withGradient(
  (x) => (x.size <= SMALL ? elementwise64(x, lgammaPos64) : lgammaTensor(x)),
  (x) => digamma(x),
);

// ---------------------------------------------------------------------------------------------
// digamma

/** psi(x) ~ log x - 1/(2x) - sum_k B_2k / (2k x^2k) (DLMF 5.11.2): coefficients of x^-2k. */
const DIGAMMA_ASYMPTOTIC = [1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760];

function digammaTensor(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const xf = toFloat(x);
    // large: asymptotic series
    const big = tf.greaterEqual(xf, 6);
    const xs = tf.maximum(xf, 6);
    const r2 = tf.reciprocal(tf.square(xs));
    const asym = tf.sub(
      tf.sub(tf.log(xs), tf.div(0.5, xs)),
      tf.mul(r2, polyval(r2, DIGAMMA_ASYMPTOTIC)),
    );
    // small: shift x by n into the window [x0 - 1/2, x0 + 1/2) around the zero x0, then
    // psi(x) = psi(x - n) + sum_{i=1..n} 1/(x - i) (n >= 1), psi(x) = psi(x + 1) - 1/x (n = -1)
    const xm = tf.clipByValue(xf, 0, 6);
    const n = tf.floor(tf.sub(xm, ROOT_HI - 0.5)); // in {-1, 0, …, 5}
    const neg = tf.less(n, 0);
    // t = x - n - x0, exactly: x - n is exact (Sterbenz), and x0_hi - 1 is representable
    const shifted = tf.sub(tf.sub(xm, tf.maximum(n, 0)), ROOT_HI);
    const t = tf.sub(tf.where(neg, tf.sub(xm, ROOT_HI - 1), shifted), ROOT_LO);
    const core = tf.mul(t, polyval(t, DIGAMMA_ROOT_COEFFS));
    let corr: tf.Tensor = tf.zerosLike(xm);
    for (let i = 1; i <= 5; i++) {
      const use = tf.greaterEqual(n, i);
      corr = tf.add(corr, tf.where(use, tf.reciprocal(tf.sub(xm, i)), tf.zerosLike(xm)));
    }
    const xSafe = tf.where(neg, xm, tf.onesLike(xm));
    corr = tf.sub(corr, tf.where(neg, tf.reciprocal(xSafe), tf.zerosLike(xm)));
    const small = tf.add(core, corr);
    const out = tf.where(big, asym, small);
    return tf.where(tf.less(xf, 0), tf.fill(xf.shape, Number.NaN), out);
  });
}

/** digamma psi(x) = d/dx lgamma(x) for x > 0 (NaN for x < 0, -Infinity at 0). Gradient: trigamma. */
export const digamma: (x: tf.Tensor) => tf.Tensor = withGradient(
  (x) => (x.size <= SMALL ? elementwise64(x, digammaPos64) : digammaTensor(x)),
  (x) => trigamma(x),
);

// ---------------------------------------------------------------------------------------------
// trigamma

/** psi'(x) ~ 1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1) (DLMF 5.15.8): coefficients of x^-(2k+1). */
const TRIGAMMA_ASYMPTOTIC = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6];

/**
 * Move x up to >= 6, where the asymptotic series are accurate: [x + n, sum_{i<n} term(x + i)]
 * with n <= 6 per element (the recurrence f(x) = f(x + n) + sum_{i<n} term(x + i)).
 */
function shiftUp(xf: tf.Tensor, term: (z: tf.Tensor) => tf.Tensor): [tf.Tensor, tf.Tensor] {
  let z = xf;
  let acc: tf.Tensor = tf.zerosLike(xf);
  for (let i = 0; i < 6; i++) {
    const low = tf.less(z, 6);
    acc = tf.add(acc, tf.where(low, term(z), tf.zerosLike(z)));
    z = tf.where(low, tf.add(z, 1), z);
  }
  return [z, acc];
}

/** the tensor form of trigamma (see trigamma) */
function trigammaTensor(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const xf = toFloat(x);
    // psi'(x) = psi'(x + n) + sum_{i<n} 1/(x + i)^2: all terms positive, no cancellation
    const [z, acc] = shiftUp(xf, (z) => tf.reciprocal(tf.square(z)));
    const r = tf.reciprocal(z);
    const r2 = tf.square(r);
    const asym = tf.add(
      tf.mul(r, tf.add(1, tf.mul(r, 0.5))),
      tf.mul(tf.mul(r2, r), polyval(r2, TRIGAMMA_ASYMPTOTIC)),
    );
    const out = tf.add(acc, asym);
    return tf.where(tf.less(xf, 0), tf.fill(xf.shape, Number.NaN), out);
  });
}

/** trigamma psi'(x) for x > 0 (NaN for x < 0, +Infinity at 0). Gradient: tetragamma. */
export const trigamma: (x: tf.Tensor) => tf.Tensor = withGradient(
  (x) => (x.size <= SMALL ? elementwise64(x, trigammaPos64) : trigammaTensor(x)),
  (x) => tetragamma(x),
);

/** psi''(x) ~ -1/x^2 - 1/x^3 - sum_k (2k + 1) B_2k / x^(2k+2): coefficients of x^-(2k+2) */
const TETRAGAMMA_ASYMPTOTIC = [-1 / 2, 1 / 6, -1 / 6, 3 / 10, -5 / 6, 691 / 210];

/** tetragamma psi''(x) = -2 zeta(3, x) for x > 0 (NaN for x < 0). */
export function tetragamma(x: tf.Tensor): tf.Tensor {
  if (x.size <= SMALL) {
    return elementwise64(x, (v) =>
      v < 0 ? Number.NaN : v === 0 ? Number.NEGATIVE_INFINITY : -2 * hurwitzZeta64(3, v),
    );
  }
  return tf.tidy(() => {
    const xf = toFloat(x);
    // psi''(x) = psi''(x + n) - 2 sum_{i<n} 1/(x + i)^3: all terms negative
    const [z, acc] = shiftUp(xf, (z) => tf.neg(tf.div(2, tf.pow(z, 3))));
    const r = tf.reciprocal(z);
    const r2 = tf.square(r);
    const asym = tf.sub(
      tf.mul(tf.mul(r2, r2), polyval(r2, TETRAGAMMA_ASYMPTOTIC)),
      tf.mul(r2, tf.add(1, r)),
    );
    return tf.where(tf.less(xf, 0), tf.fill(xf.shape, Number.NaN), tf.add(acc, asym));
  });
}

// ---------------------------------------------------------------------------------------------
// Small tensors: tfjs-wasm spends ~10 us per op whatever the size, so below SMALL elements the
// ~60 ops of a tensor lgamma cost far more than reading the values back and applying the float64
// functions of special64.ts (more accurate, too). Same results up to float32 rounding.

const SMALL = 1024;

function elementwise64(x: tf.Tensor, f: (v: number) => number): tf.Tensor {
  const v = x.dataSync();
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = f(v[i]!);
  return tf.tensor(out, x.shape, 'float32');
}

const lgammaPos64 = (v: number) => (v < 0 ? Number.NaN : lgamma64(v));
const digammaPos64 = (v: number) =>
  v < 0 ? Number.NaN : v === 0 ? Number.NEGATIVE_INFINITY : digamma64(v);
const trigammaPos64 = (v: number) =>
  v < 0 ? Number.NaN : v === 0 ? Number.POSITIVE_INFINITY : trigamma64(v);

// ---------------------------------------------------------------------------------------------
// Beta and multivariate gamma

/**
 * log Beta(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), elementwise with broadcasting.
 * For large arguments the three lgammas are large and nearly cancel in float32, so, as in
 * TensorFlow Probability's `lbeta`, Stirling's series is used for the large ones and the
 * leading terms are combined analytically (log1p of the small ratio x / (x + y)).
 */
export function lbeta(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const af = toFloat(a);
    const bf = toFloat(b);
    const x = tf.minimum(af, bf);
    const y = tf.maximum(af, bf);
    const s = tf.add(x, y);
    const T = 8;
    const yBig = noGrad((v) => tf.greaterEqual(v, T), y);
    const xBig = noGrad((v) => tf.greaterEqual(v, T), x);
    // both small
    const ss = lgamma(x).add(lgamma(y)).sub(lgamma(s));
    // y large: lgamma(y) - lgamma(s) = (y - 1/2) log1p(-x/s) + x (1 - log s) + corr(y) - corr(s)
    const yL = tf.maximum(y, T);
    const sL = tf.add(x, yL);
    const ratio = tf.div(x, sL);
    const corr = tf.sub(lgammaCorrection(yL), lgammaCorrection(sL));
    const tail = tf.add(
      tf.add(tf.mul(tf.sub(yL, 0.5), log1p(tf.neg(ratio))), tf.mul(x, tf.sub(1, tf.log(sL)))),
      corr,
    );
    const smallLarge = tf.add(lgamma(x), tail);
    // both large: log sqrt(2 pi) - log(y)/2 + (x - 1/2) log(x/s) + y log1p(-x/s) + corrections
    const xL = tf.maximum(x, T);
    const sLL = tf.add(xL, yL);
    const rLL = tf.div(xL, sLL);
    const largeLarge = addAll([
      tf.sub(LOG_SQRT_2PI, tf.mul(0.5, tf.log(yL))),
      tf.mul(tf.sub(xL, 0.5), tf.log(rLL)),
      tf.mul(yL, log1p(tf.neg(rLL))),
      lgammaCorrection(xL),
      lgammaCorrection(yL),
      tf.neg(lgammaCorrection(sLL)),
    ]);
    return tf.where(xBig, largeLarge, tf.where(yBig, smallLarge, ss));
  });
}

/**
 * log of the multivariate gamma function Gamma_d(a) = pi^(d(d-1)/4) prod_{j=1..d} Gamma(a + (1-j)/2)
 * (used by Wishart normalisers), elementwise over `a`.
 */
export function lmvgamma(a: tf.Tensor, d: number): tf.Tensor {
  return tf.tidy(() => {
    const af = toFloat(a);
    let acc: tf.Tensor = tf.fill(af.shape, (d * (d - 1) * Math.log(Math.PI)) / 4);
    for (let j = 1; j <= d; j++) acc = tf.add(acc, lgamma(tf.add(af, (1 - j) / 2)));
    return acc;
  });
}
