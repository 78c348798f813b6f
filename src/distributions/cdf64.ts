// Float64 host CDFs, survival functions and quantiles of the families whose CDF is a regularised
// incomplete gamma or beta function (which tfjs lacks), for truncation on the host
// (truncatedHost.ts). @stdlib's implementations (Boost's algorithms) are accurate to a few ulps
// in double precision, in both tails (each has an `upper` flag computing Q = 1 - P directly):
//   Gamma(k, r):    F(x) = P(k, r x)                      x = P^-1(k, p) / r
//   Beta(a, b):     F(x) = I_x(a, b)                      x = I^-1(a, b, p)
//   StudentT(nu, mu, sigma), t = (x - mu) / sigma, w = nu / (nu + t^2):
//                   P(T <= -|t|) = I_w(nu/2, 1/2) / 2     (Abramowitz & Stegun 26.7.1)
//                   t^2 = nu v / w for the lower tail 2p = I_w(nu/2, 1/2), v = 1 - w taken
//                   from I_v(1/2, nu/2) = 1 - 2p by the upper-tail inverse (no cancellation near
//                   t = 0).
import betainc from '@stdlib/math-base-special-betainc';
import betaincinv from '@stdlib/math-base-special-betaincinv';
import gammainc from '@stdlib/math-base-special-gammainc';
import gammaincinv from '@stdlib/math-base-special-gammaincinv';
import type { DistName } from './signatures.js';

/** One element's CDF in float64: F(x) and 1 - F(x), and the quantiles from either tail. */
export interface Cdf64 {
  /** [F(x), 1 - F(x)], each computed directly (not as 1 minus the other) */
  tails(x: number): [number, number];
  /** x with F(x) = p (upper: with 1 - F(x) = p) */
  quantile(p: number, upper: boolean): number;
}

type Params64 = Readonly<Record<string, number>>;

function gammaCdf(p: Params64): Cdf64 {
  const k = p.shape!;
  const r = p.rate!;
  return {
    tails: (x) => {
      if (!(x > 0)) return x <= 0 ? [0, 1] : [Number.NaN, Number.NaN];
      if (x === Number.POSITIVE_INFINITY) return [1, 0];
      return [gammainc(r * x, k, true, false), gammainc(r * x, k, true, true)];
    },
    quantile: (q, upper) => gammaincinv(q, k, upper) / r,
  };
}

function betaCdf(p: Params64): Cdf64 {
  const a = p.a!;
  const b = p.b!;
  return {
    tails: (x) => {
      if (x <= 0) return [0, 1];
      if (x >= 1) return [1, 0];
      if (Number.isNaN(x)) return [Number.NaN, Number.NaN];
      return [betainc(x, a, b, true, false), betainc(x, a, b, true, true)];
    },
    quantile: (q, upper) => betaincinv(q, a, b, upper),
  };
}

function studentTCdf(p: Params64): Cdf64 {
  const nu = p.nu!;
  const mu = p.mu!;
  const sigma = p.sigma!;
  /** P(T <= -|t|) */
  const tail = (t: number): number => {
    if (!Number.isFinite(t)) return Number.isNaN(t) ? Number.NaN : 0;
    const t2 = t * t;
    // w = nu / (nu + t^2); for t^2 < nu the complement t^2 / (nu + t^2) is the small one
    return t2 < nu
      ? 0.5 * betainc(t2 / (nu + t2), 0.5, nu / 2, true, true)
      : 0.5 * betainc(nu / (nu + t2), nu / 2, 0.5, true, false);
  };
  /** t <= 0 with P(T <= t) = q <= 1/2 */
  const lowerQuantile = (q: number): number => {
    if (q >= 0.5) return 0;
    if (q <= 0) return Number.NEGATIVE_INFINITY;
    const w = betaincinv(2 * q, nu / 2, 0.5, false);
    const v = betaincinv(2 * q, 0.5, nu / 2, true);
    return -Math.sqrt((nu * v) / w);
  };
  return {
    tails: (x) => {
      const t = (x - mu) / sigma;
      const s = tail(t);
      return t <= 0 ? [s, 1 - s] : [1 - s, s];
    },
    quantile: (q, upper) => {
      // F(t) = q: below the median the lower tail; above it, t = -lowerQuantile(1 - q)
      const low = upper ? q > 0.5 : q <= 0.5;
      const small = upper ? 1 - q : q;
      const t = low ? lowerQuantile(small) : -lowerQuantile(upper ? q : 1 - q);
      return mu + sigma * t;
    },
  };
}

const HOST: Partial<Record<DistName, (p: Params64) => Cdf64>> = {
  Gamma: gammaCdf,
  Beta: betaCdf,
  StudentT: studentTCdf,
};

/** The float64 CDF of one element of `family` with parameters `p`, if Plato has it on the host. */
export function cdf64(family: DistName, p: Params64): Cdf64 | undefined {
  return HOST[family]?.(p);
}

/** Is `family`'s CDF evaluated on the host (truncation needs its parameters fixed)? */
export function hasHostCdf(family: DistName): boolean {
  return HOST[family] !== undefined;
}
