// The parameter domains of the distributions (Stan's), as data: Normal(mu, sigma) needs
// sigma > 0, Binomial's n a non-negative integer, and so on. Written once here, tfjs-free, so
// that binding can check values known before running in float64 (src/graph/argChecks.ts) and
// the compiled plan can check computed arguments with tensors (src/compile/argDomains.ts).

/** An interval, closed unless `open`, optionally of integers; `text` completes "expected p …". */
export interface Domain {
  readonly text: string;
  readonly lo?: number;
  readonly loOpen?: boolean;
  readonly hi?: number;
  readonly integer?: boolean;
}

export const POSITIVE: Domain = { text: '> 0', lo: 0, loOpen: true };
export const NON_NEGATIVE: Domain = { text: '≥ 0', lo: 0 };
export const PROBABILITY: Domain = { text: 'in [0, 1]', lo: 0, hi: 1 };
export const COUNT: Domain = { text: 'to be a non-negative integer', lo: 0, integer: true };

/** Per family and argument name; arguments not listed need only not be NaN. */
export const ARG_DOMAINS: Readonly<Record<string, Readonly<Record<string, Domain>>>> = {
  Normal: { sigma: POSITIVE },
  LogNormal: { sigma: POSITIVE },
  Bernoulli: { p: PROBABILITY },
  Categorical: { p: NON_NEGATIVE },
  Binomial: { n: COUNT, p: PROBABILITY },
  Multinomial: { n: COUNT, p: NON_NEGATIVE },
  Poisson: { rate: NON_NEGATIVE },
  Beta: { a: POSITIVE, b: POSITIVE },
  Gamma: { shape: POSITIVE, rate: POSITIVE },
  Exponential: { rate: POSITIVE },
  Dirichlet: { alpha: POSITIVE },
  StudentT: { nu: POSITIVE, sigma: POSITIVE },
  Cauchy: { sigma: POSITIVE },
  HalfNormal: { sigma: POSITIVE },
  HalfCauchy: { sigma: POSITIVE },
  NegativeBinomial: { mu: POSITIVE, phi: POSITIVE },
  Laplace: { b: POSITIVE },
};

/** Is `x` inside `d`? NaN never is. */
export function inDomain(d: Domain, x: number): boolean {
  if (Number.isNaN(x)) return false;
  if (d.lo !== undefined && (d.loOpen ? !(x > d.lo) : !(x >= d.lo))) return false;
  if (d.hi !== undefined && !(x <= d.hi)) return false;
  return !d.integer || Number.isInteger(x);
}

/**
 * Families whose argument `p` is one probability vector along its last axis. A `p` known
 * before running (data, hypers, params, literals) must be a simplex within SIMPLEX_TOLERANCE:
 * nothing renormalises it silently.
 */
export const SIMPLEX_ARGS: Readonly<Record<string, string>> = {
  Categorical: 'p',
  Multinomial: 'p',
};

/**
 * |Σ p − 1| ≤ 1e-8, Stan's CONSTRAINT_TOLERANCE for its simplex check (stan/math
 * check_simplex), on sums formed in float64. Values computed in float32 (a literal vector
 * lowered to tfjs) are checked against FLOAT32_SIMPLEX_TOLERANCE instead.
 */
export const SIMPLEX_TOLERANCE = 1e-8;

/** float32 rounding of K summands: K · 2⁻²⁴ relative, with room for one rounding per entry. */
export function float32SimplexTolerance(k: number): number {
  return Math.max(1, k) * 2 ** -23;
}
