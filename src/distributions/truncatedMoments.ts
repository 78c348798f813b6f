// Mean and variance of truncated families, in float64 on the host (a summary, read once: never
// in an engine's per-step path), per element:
// - Normal(mu, sigma) on [lo, hi], a = (lo - mu)/sigma, b = (hi - mu)/sigma, with
//   p_a = phi(a)/Z, p_b = phi(b)/Z, Z = Phi(b) - Phi(a) (Johnson, Kotz & Balakrishnan 1994, §10.1):
//     mean = mu + sigma (p_a - p_b),  var = sigma^2 (1 + a p_a - b p_b - (p_a - p_b)^2).
//   Far in a tail the ratios are formed through Mills' ratio m(x) = Q(x)/phi(x) (Q = 1 - Phi), so
//   that nothing underflows and the cancellation in the variance stays within float64:
//   for a >= 0, p_a = 1 / (m(a) - r m(b)), p_b = r p_a with r = phi(b)/phi(a) = exp((a^2 - b^2)/2);
//   for b <= 0 the same on the reflection -X. m(x) is erfc-based below x = 5 and Laplace's
//   continued fraction m(x) = 1/(x + 1/(x + 2/(x + 3/(x + …)))) above (Abramowitz & Stegun 26.2.14).
// - Uniform(a, b): uniform on the intersection [max(lo, a), min(hi, b)].
// - Gamma(k, r) and Beta(a, b) through the incomplete functions of the shifted shapes:
//     Gamma:  E[X^j 1(lo<X<hi)] = Gamma(k+j)/(Gamma(k) r^j) (P(k+j, r hi) - P(k+j, r lo))
//     Beta:   E[X^j 1(lo<X<hi)] = B(a+j, b)/B(a, b) (I_hi(a+j, b) - I_lo(a+j, b))
//   each difference taken from the smaller tail.
import betainc from '@stdlib/math-base-special-betainc';
import erfc from '@stdlib/math-base-special-erfc';
import gammainc from '@stdlib/math-base-special-gammainc';
import type { DistName } from './signatures.js';

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Mills' ratio Q(x)/phi(x) for x >= 0 */
function mills(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 0;
  if (x < 5) return (0.5 * erfc(x * SQRT1_2) * SQRT_2PI) / Math.exp(-0.5 * x * x);
  // the continued fraction, evaluated from the back (60 terms: below 1e-16 for x >= 5)
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / f;
  return 1 / f;
}

/** [mean, variance] of the standard normal on [a, b] */
function stdNormalMoments(a: number, b: number): [number, number] {
  if (b <= 0) {
    const [m, v] = stdNormalMoments(-b, -a);
    return [-m, v];
  }
  let pa: number;
  let pb: number;
  if (a >= 0) {
    // both ends in the upper half: scale by phi(a)
    const r = b === Number.POSITIVE_INFINITY ? 0 : Math.exp(0.5 * (a - b) * (a + b));
    pa = 1 / (mills(a) - r * mills(b));
    pb = r * pa;
  } else {
    const phi = (x: number) => (Number.isFinite(x) ? Math.exp(-0.5 * x * x) / SQRT_2PI : 0);
    const z = 1 - 0.5 * erfc(-a * SQRT1_2) - 0.5 * erfc(b * SQRT1_2);
    pa = phi(a) / z;
    pb = phi(b) / z;
  }
  const ta = Number.isFinite(a) ? a * pa : 0;
  const tb = Number.isFinite(b) ? b * pb : 0;
  const d = pa - pb;
  return [d, 1 + ta - tb - d * d];
}

type P = Readonly<Record<string, number>>;

/** F(hi) - F(lo) from the smaller tail, given [F, 1 - F] at each end */
function diff(at: (x: number, upper: boolean) => number, lo: number, hi: number): number {
  const upper = at(lo, false) > 0.5;
  return upper ? at(lo, true) - at(hi, true) : at(hi, false) - at(lo, false);
}

function gammaMoments(p: P, lo: number, hi: number): [number, number] {
  const k = p.shape!;
  const r = p.rate!;
  const tail = (s: number) => (x: number, upper: boolean) =>
    x <= 0
      ? upper
        ? 1
        : 0
      : x === Number.POSITIVE_INFINITY
        ? upper
          ? 0
          : 1
        : gammainc(r * x, s, true, upper);
  const z = diff(tail(k), lo, hi);
  const m1 = ((k / r) * diff(tail(k + 1), lo, hi)) / z;
  const m2 = ((k * (k + 1)) / (r * r)) * (diff(tail(k + 2), lo, hi) / z);
  return [m1, m2 - m1 * m1];
}

function betaMoments(p: P, lo: number, hi: number): [number, number] {
  const a = p.a!;
  const b = p.b!;
  const tail = (s: number) => (x: number, upper: boolean) =>
    x <= 0 ? (upper ? 1 : 0) : x >= 1 ? (upper ? 0 : 1) : betainc(x, s, b, true, upper);
  const z = diff(tail(a), lo, hi);
  const m1 = ((a / (a + b)) * diff(tail(a + 1), lo, hi)) / z;
  const m2 = ((a * (a + 1)) / ((a + b) * (a + b + 1))) * (diff(tail(a + 2), lo, hi) / z);
  return [m1, m2 - m1 * m1];
}

/** The families truncatedMoments has formulas for. */
export const MOMENT_FAMILIES: ReadonlySet<DistName> = new Set<DistName>([
  'Normal',
  'Gamma',
  'Beta',
  'Uniform',
]);

/**
 * [mean, variance] of one element of `family` with parameters `p` truncated to [lo, hi] (either
 * infinite), or undefined for a family without these formulas (their moments are NaN).
 */
export function truncatedMoments(
  family: DistName,
  p: P,
  lo: number,
  hi: number,
): [number, number] | undefined {
  switch (family) {
    case 'Normal': {
      const { mu, sigma } = p as { mu: number; sigma: number };
      const [m, v] = stdNormalMoments((lo - mu) / sigma, (hi - mu) / sigma);
      return [mu + sigma * m, sigma * sigma * v];
    }
    case 'Gamma':
      return gammaMoments(p, Math.max(lo, 0), hi);
    case 'Beta':
      return betaMoments(p, Math.max(lo, 0), Math.min(hi, 1));
    case 'Uniform': {
      // uniform again, on the intersection
      const a = Math.max(lo, p.lo!);
      const b = Math.min(hi, p.hi!);
      return [(a + b) / 2, (b - a) ** 2 / 12];
    }
    default:
      return undefined;
  }
}
