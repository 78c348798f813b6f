// A continuous family restricted to [lo, hi] and renormalised (`x ~ Normal(0, 1) T[0, ]`):
//   log p_T(x) = log p(x) - log(F(hi) - F(lo)) on [lo, hi], -Infinity elsewhere.
// Each truncatable family is viewed as a monotone map of a standard variable z (location-scale,
// or log then location-scale for LogNormal) with a log-space CDF and quantile (cdf.ts). The mass
// F(b) - F(a) of the standardised interval is formed from the tail that is small:
//   a above the median:  log Q(a) + log(1 - Q(b)/Q(a))     (Q = 1 - F)
//   b below the median:  log F(b) + log(1 - F(a)/F(b))
//   otherwise:           log(1 - F(a) - Q(b))             (both terms <= 1/2)
// so a bound 30 standard deviations out keeps its digits in float32. Draws are by the inverse
// CDF in the same tail: p = F(a) + U (F(b) - F(a)) (or q = Q(b) + U (Q(a) - Q(b)) above the
// median), formed as a log-sum-exp and inverted by the log-space quantile, then clipped into
// [lo, hi] against rounding. Families without such a CDF are refused by the checker.
import * as tf from '@tensorflow/tfjs';
import {
  CAUCHY_CDF,
  EXPONENTIAL_CDF,
  HALF_CAUCHY_CDF,
  HALF_NORMAL_CDF,
  LAPLACE_CDF,
  NORMAL_CDF,
  type StdCdf,
  UNIFORM_CDF,
} from './cdf.js';
import { hasHostCdf } from './cdf64.js';
import type { Distribution } from './distribution.js';
import type { Rng } from './rng.js';
import { uniform } from './sampling.js';
import type { DistName } from './signatures.js';
import { log1mexp, log1p } from './special.js';
import { f32, mask } from './support.js';
import {
  type HostMassCache,
  hostMass,
  TruncatedDistribution,
  truncateOnHost,
} from './truncatedHost.js';

/** x = fromStd(z), z = toStd(x), increasing; z's CDF is `cdf` */
export interface StdView {
  readonly cdf: StdCdf;
  toStd(x: tf.Tensor): tf.Tensor;
  fromStd(z: tf.Tensor): tf.Tensor;
}

/** z = (x - loc) / scale; `scale` is formed inside the caller's tidy (a derived tensor) */
function locScale(
  cdf: StdCdf,
  loc: tf.Tensor | number,
  scale: tf.Tensor | (() => tf.Tensor),
): StdView {
  const s = () => (typeof scale === 'function' ? scale() : scale);
  return {
    cdf,
    toStd: (x) => tf.div(tf.sub(x, loc), s()),
    fromStd: (z) => tf.add(tf.mul(z, s()), loc),
  };
}

type Params = Readonly<Record<string, tf.Tensor>>;

const VIEWS: Partial<Record<DistName, (p: Params) => StdView>> = {
  Normal: (p) => locScale(NORMAL_CDF, p.mu!, p.sigma!),
  Cauchy: (p) => locScale(CAUCHY_CDF, p.mu!, p.sigma!),
  Laplace: (p) => locScale(LAPLACE_CDF, p.mu!, p.b!),
  HalfNormal: (p) => locScale(HALF_NORMAL_CDF, 0, p.sigma!),
  HalfCauchy: (p) => locScale(HALF_CAUCHY_CDF, 0, p.sigma!),
  Exponential: (p) => locScale(EXPONENTIAL_CDF, 0, () => tf.reciprocal(p.rate!)),
  Uniform: (p) => locScale(UNIFORM_CDF, p.lo!, () => tf.sub(p.hi!, p.lo!)),
  // log x ~ Normal(mu, sigma); bounds <= 0 map to -Infinity
  LogNormal: (p) => ({
    cdf: NORMAL_CDF,
    toStd: (x) => tf.div(tf.sub(tf.log(tf.maximum(x, 0)), p.mu!), p.sigma!),
    fromStd: (z) => tf.exp(tf.add(tf.mul(z, p.sigma!), p.mu!)),
  }),
};

/** log(exp(a) + exp(b)), -Infinity when both are */
function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.maximum(a, b);
    const finite = tf.isFinite(m);
    const ms = tf.where(finite, m, tf.zerosLike(m));
    const s = tf.add(ms, log1p(tf.exp(tf.sub(tf.minimum(a, b), ms))));
    return tf.where(finite, s, m);
  });
}

/** A standardised bound's log CDF and log survival function, both -Infinity/0 at an infinite z. */
export type StdBound = { readonly logCdf: tf.Tensor; readonly logSf: tf.Tensor };

/**
 * The log CDF and log SF of a bound x in the view's standard scale, safe for gradients at the
 * edges, where log F(z) or log(1 - F(z)) is -Infinity (an absent bound, z = ±Infinity; a
 * LogNormal bound at 0; an Exponential bound at 0): there the derivative is infinite, and the
 * unused branch of a single `where` multiplies it by a zero gradient into NaN. The double-where
 * trick: the edge entries are first replaced by the family's median (finite CDF and derivative
 * there), the CDF taken at that safe point, and the exact limits (-Infinity or 0) put back by a
 * second `where` whose mask is off the tape.
 */
export function stdBound(view: StdView, x: tf.Tensor): StdBound {
  return tf.tidy(() => {
    const { cdf } = view;
    const atLow = mask((v) => tf.equal(cdf.logCdf(view.toStd(v)), -Infinity), x);
    const atHigh = mask((v) => tf.equal(cdf.logSf(view.toStd(v)), -Infinity), x);
    const edge = tf.logicalOr(atLow, atHigh);
    const median = view.fromStd(cdf.quantileFromLogCdf(tf.fill(x.shape, -Math.LN2)));
    const z = view.toStd(tf.where(edge, median, x));
    const ninf = tf.fill(x.shape, Number.NEGATIVE_INFINITY);
    const zero = tf.zerosLike(x);
    return {
      logCdf: tf.where(edge, tf.where(atLow, ninf, zero), cdf.logCdf(z)),
      logSf: tf.where(edge, tf.where(atHigh, ninf, zero), cdf.logSf(z)),
    };
  });
}

/**
 * log(F(b) - F(a)) for bounds a <= b given by their log CDFs and log SFs, and whether a lies
 * above the median (then the mass and the draws are formed from the upper tail).
 */
export function logIntervalMass(a: StdBound, b: StdBound): { logZ: tf.Tensor; upper: tf.Tensor } {
  return tf.tidy(() => {
    const la = a.logCdf;
    const lb = b.logCdf;
    const sa = a.logSf;
    const sb = b.logSf;
    const upper = mask((v) => tf.greater(v, -Math.LN2), la);
    const lowerTail = mask((v) => tf.lessEqual(v, -Math.LN2), lb);
    const fromUpper = tf.add(sa, log1mexp(tf.minimum(tf.sub(sb, sa), 0)));
    const fromLower = tf.add(lb, log1mexp(tf.minimum(tf.sub(la, lb), 0)));
    const middle = log1p(tf.neg(tf.add(tf.exp(la), tf.exp(sb))));
    const logZ = tf.where(upper, fromUpper, tf.where(lowerTail, fromLower, middle));
    return { logZ, upper };
  });
}

/** Can `family` be truncated (has it a standardised CDF view)? */
export function isTruncatable(family: DistName): boolean {
  return VIEWS[family] !== undefined || hasHostCdf(family);
}

class Truncated extends TruncatedDistribution {
  private readonly view: StdView;
  protected readonly owned: readonly tf.Tensor[];
  protected readonly lo: tf.Tensor;
  protected readonly hi: tf.Tensor;
  private readonly a: StdBound;
  private readonly b: StdBound;
  protected readonly logZ: tf.Tensor;
  private readonly upper: tf.Tensor;

  constructor(base: Distribution, lower: tf.Tensor | undefined, upper: tf.Tensor | undefined) {
    super(base);
    const make = VIEWS[base.family];
    if (!make || base.eventShape.length > 0) {
      throw new Error(`${base.family} cannot be truncated (no CDF)`);
    }
    this.view = make(base.params);
    const shape = [...base.batchShape];
    const [lo, hi, a, b, mass] = tf.tidy(() => {
      const lo = lower ? tf.broadcastTo(f32(lower), shape) : tf.fill(shape, -Infinity);
      const hi = upper ? tf.broadcastTo(f32(upper), shape) : tf.fill(shape, Infinity);
      const a = stdBound(this.view, lo);
      const b = stdBound(this.view, hi);
      return [lo, hi, a, b, logIntervalMass(a, b)] as const;
    });
    this.lo = lo;
    this.hi = hi;
    this.a = a;
    this.b = b;
    this.logZ = mass.logZ;
    this.upper = mass.upper;
    this.owned = [lo, hi, a.logCdf, a.logSf, b.logCdf, b.logSf, mass.logZ, mass.upper];
  }

  sample(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const shape = [...sampleShape, ...this.batchShape];
    if (shape.some((d) => d === 0)) return tf.zeros(shape);
    const u = uniform(shape, rng);
    const out = tf.tidy(() => {
      const { cdf } = this.view;
      const step = tf.add(tf.log(u), this.logZ);
      const zLow = cdf.quantileFromLogCdf(logAddExp(this.a.logCdf, step));
      const zUp = cdf.quantileFromLogSf(logAddExp(this.b.logSf, step));
      const x = this.view.fromStd(tf.where(this.upper, zUp, zLow));
      // rounding can step just outside; NaN parameters stay NaN, and an interval of no mass
      // under the family (HalfNormal T[-2, -1]) has no draws: NaN, not a clipped bound
      const clipped = tf.minimum(tf.maximum(x, this.lo), this.hi);
      return tf.where(tf.isFinite(this.logZ), clipped, tf.fill(clipped.shape, Number.NaN));
    });
    u.dispose();
    return out;
  }
}

/**
 * `base` restricted to [lower, upper] (either may be absent; each broadcasts to the batch).
 * The result owns `base` (dispose releases both). Throws for a family without a CDF. A family
 * whose CDF is evaluated on the host (Gamma, Beta, StudentT: truncatedHost.ts) takes its float64
 * normaliser from `cache` when given (its parameters must then be fixed).
 */
export function truncate(
  base: Distribution,
  lower: tf.Tensor | undefined,
  upper: tf.Tensor | undefined,
  cache?: HostMassCache,
): Distribution {
  if (hasHostCdf(base.family)) {
    const args = [base.family, base.params, lower, upper, base.batchShape] as const;
    return truncateOnHost(base, cache ? cache.get(...args) : hostMass(...args));
  }
  return new Truncated(base, lower, upper);
}
