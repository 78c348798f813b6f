// The table of distribution cases (NumPyro style): each family with a parameter generator, an
// independent float64 reference for its log density (written here, from @stdlib's gammaln and
// ml-matrix), its analytic moments, and points outside its support. distributions.test.ts runs
// every case through the same checks.
import gammaln from '@stdlib/math-base-special-gammaln';
import fc from 'fast-check';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type { DistName } from '../../src/lang/signatures.js';

export type Val = number | number[] | number[][];
export type Params = Record<string, Val>;

export interface Case {
  readonly name: string;
  readonly family: DistName;
  readonly eventRank: 0 | 1;
  /** the parameters of one batch element (wide ranges, for the log-density check) */
  readonly params: fc.Arbitrary<Params>;
  /** moderate parameters for the moment checks (finite, not too heavy-tailed) */
  readonly moderate: fc.Arbitrary<Params>;
  /** float64 log density of one element */
  readonly ref: (x: Val, p: Params) => number;
  /** analytic mean and variance of one element (vectors for vector families) */
  readonly mean: (p: Params) => number | number[];
  readonly variance: (p: Params) => number | number[];
  /** points outside the support of one element */
  readonly outside: (p: Params) => Val[];
  /** the statistic whose mean/variance are checked (Categorical: one-hot) */
  readonly stat?: (x: Val, p: Params) => number[];
  /**
   * the analytic quantile function, for families without a mean or variance (Cauchy): their
   * sample quantiles are checked instead of moments, and mean() and variance() must be NaN
   */
  readonly quantile?: (q: number, p: Params) => number;
}

const LOG_2PI = Math.log(2 * Math.PI);
const num = (v: Val) => v as number;
const vec = (v: Val) => v as number[];
const mat = (v: Val) => v as number[][];

/** log-uniform double in [lo, hi] */
const logU = (lo: number, hi: number) =>
  fc.double({ min: Math.log(lo), max: Math.log(hi), noNaN: true }).map(Math.exp);
const unif = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true });
/** a probability, sometimes exactly 0 or 1 */
const prob01 = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constant(1) },
  { weight: 6, arbitrary: unif(1e-6, 1 - 1e-6) },
);
/** K unnormalised probabilities, some exactly 0 but not all */
const weights = (K: number) =>
  fc
    .array(
      fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: unif(1e-3, 1) }),
      { minLength: K, maxLength: K },
    )
    .filter((ps) => ps.some((v) => v > 0));
const intLogU = (lo: number, hi: number) => logU(lo, hi).map((v) => Math.round(v));
const fr = Math.fround;

const NaNs = () => Number.NaN;

function studentTRef(x: number, nu: number, mu: number, s: number): number {
  const z = (x - mu) / s;
  return (
    gammaln((nu + 1) / 2) -
    gammaln(nu / 2) -
    0.5 * Math.log(nu * Math.PI) -
    Math.log(s) -
    ((nu + 1) / 2) * Math.log1p((z * z) / nu)
  );
}

const lbeta = (a: number, b: number) => gammaln(a) + gammaln(b) - gammaln(a + b);
/** x log y with 0 log 0 = 0 */
const xlogy = (x: number, y: number) => (x === 0 ? 0 : x * Math.log(y));

function normalRef(x: number, mu: number, s: number): number {
  const z = (x - mu) / s;
  return -0.5 * z * z - Math.log(s) - 0.5 * LOG_2PI;
}

function oneHot(k: number, K: number): number[] {
  return Array.from({ length: K }, (_, i) => (i === k ? 1 : 0));
}

export const CASES: Case[] = [
  {
    name: 'Normal',
    family: 'Normal',
    eventRank: 0,
    params: fc.record({ mu: unif(-100, 100), sigma: logU(1e-2, 1e2) }),
    moderate: fc.record({ mu: unif(-5, 5), sigma: logU(0.1, 10) }),
    ref: (x, p) => normalRef(num(x), fr(num(p.mu)), fr(num(p.sigma))),
    mean: (p) => num(p.mu),
    variance: (p) => num(p.sigma) ** 2,
    outside: () => [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
  },
  {
    name: 'LogNormal',
    family: 'LogNormal',
    eventRank: 0,
    params: fc.record({ mu: unif(-3, 3), sigma: logU(0.05, 1.5) }),
    moderate: fc.record({ mu: unif(-1, 1), sigma: logU(0.05, 0.5) }),
    ref: (x, p) => normalRef(Math.log(num(x)), fr(num(p.mu)), fr(num(p.sigma))) - Math.log(num(x)),
    mean: (p) => Math.exp(num(p.mu) + num(p.sigma) ** 2 / 2),
    variance: (p) => Math.expm1(num(p.sigma) ** 2) * Math.exp(2 * num(p.mu) + num(p.sigma) ** 2),
    outside: () => [0, -1, Number.POSITIVE_INFINITY],
  },
  {
    name: 'Uniform',
    family: 'Uniform',
    eventRank: 0,
    params: fc
      .record({ lo: unif(-10, 10), w: logU(0.01, 20) })
      .map((r) => ({ lo: r.lo, hi: r.lo + r.w })),
    moderate: fc
      .record({ lo: unif(-10, 10), w: logU(0.1, 20) })
      .map((r) => ({ lo: r.lo, hi: r.lo + r.w })),
    ref: (_x, p) => -Math.log(fr(num(p.hi)) - fr(num(p.lo))),
    mean: (p) => (num(p.lo) + num(p.hi)) / 2,
    variance: (p) => (num(p.hi) - num(p.lo)) ** 2 / 12,
    outside: (p) => [num(p.lo) - 1, num(p.hi) + 1],
  },
  {
    name: 'Exponential',
    family: 'Exponential',
    eventRank: 0,
    params: fc.record({ rate: logU(1e-2, 1e2) }),
    moderate: fc.record({ rate: logU(0.1, 10) }),
    ref: (x, p) => Math.log(fr(num(p.rate))) - fr(num(p.rate)) * num(x),
    mean: (p) => 1 / num(p.rate),
    variance: (p) => 1 / num(p.rate) ** 2,
    outside: () => [-1, -1e-3, Number.POSITIVE_INFINITY],
  },
  {
    name: 'Gamma',
    family: 'Gamma',
    eventRank: 0,
    params: fc.record({ shape: logU(1e-2, 1e4), rate: logU(1e-2, 1e2) }),
    moderate: fc.record({ shape: logU(0.5, 50), rate: logU(0.1, 10) }),
    ref: (x, p) => {
      const a = fr(num(p.shape));
      const r = fr(num(p.rate));
      return a * Math.log(r) + (a - 1) * Math.log(num(x)) - r * num(x) - gammaln(a);
    },
    mean: (p) => num(p.shape) / num(p.rate),
    variance: (p) => num(p.shape) / num(p.rate) ** 2,
    outside: () => [-1, Number.POSITIVE_INFINITY],
  },
  {
    name: 'Beta',
    family: 'Beta',
    eventRank: 0,
    params: fc.record({ a: logU(1e-2, 1e4), b: logU(1e-2, 1e4) }),
    moderate: fc.record({ a: logU(0.5, 50), b: logU(0.5, 50) }),
    ref: (x, p) => {
      const a = fr(num(p.a));
      const b = fr(num(p.b));
      return (a - 1) * Math.log(num(x)) + (b - 1) * Math.log1p(-num(x)) - lbeta(a, b);
    },
    mean: (p) => num(p.a) / (num(p.a) + num(p.b)),
    variance: (p) => {
      const [a, b] = [num(p.a), num(p.b)];
      return (a * b) / ((a + b) ** 2 * (a + b + 1));
    },
    outside: () => [-0.1, 1.1, -1e-9],
  },
  {
    name: 'Dirichlet',
    family: 'Dirichlet',
    eventRank: 1,
    params: fc.record({ alpha: fc.array(logU(1e-2, 1e3), { minLength: 4, maxLength: 4 }) }),
    moderate: fc.record({ alpha: fc.array(logU(0.5, 20), { minLength: 4, maxLength: 4 }) }),
    ref: (x, p) => {
      const al = vec(p.alpha).map(fr);
      const s = al.reduce((u, v) => u + v, 0);
      let lp = gammaln(s);
      al.forEach((a, k) => {
        lp += (a - 1) * Math.log(vec(x)[k]!) - gammaln(a);
      });
      return lp;
    },
    mean: (p) => {
      const s = vec(p.alpha).reduce((u, v) => u + v, 0);
      return vec(p.alpha).map((a) => a / s);
    },
    variance: (p) => {
      const s = vec(p.alpha).reduce((u, v) => u + v, 0);
      return vec(p.alpha).map((a) => (a * (s - a)) / (s * s * (s + 1)));
    },
    outside: () => [
      [0.5, 0.5, 0.5, 0.5],
      [-0.1, 0.6, 0.3, 0.2],
      [0.2, 0.2, 0.2, 0.2],
    ],
  },
  {
    name: 'Bernoulli(p)',
    family: 'Bernoulli',
    eventRank: 0,
    params: fc.record({ p: prob01 }),
    moderate: fc.record({ p: unif(0.05, 0.95) }),
    ref: (x, p) => xlogy(num(x), fr(num(p.p))) + xlogy(1 - num(x), 1 - fr(num(p.p))),
    mean: (p) => num(p.p),
    variance: (p) => num(p.p) * (1 - num(p.p)),
    outside: () => [0.5, 2, -1],
  },
  {
    name: 'Bernoulli(logits)',
    family: 'Bernoulli',
    eventRank: 0,
    params: fc.record({ logits: unif(-20, 20) }),
    moderate: fc.record({ logits: unif(-3, 3) }),
    ref: (x, p) => {
      const l = fr(num(p.logits));
      const sp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      return num(x) === 1 ? -sp(-l) : -sp(l);
    },
    mean: (p) => 1 / (1 + Math.exp(-num(p.logits))),
    variance: (p) => {
      const q = 1 / (1 + Math.exp(-num(p.logits)));
      return q * (1 - q);
    },
    outside: () => [0.5, 2, -1],
  },
  {
    name: 'Categorical(p)',
    family: 'Categorical',
    eventRank: 0,
    params: fc.record({
      p: weights(5),
    }),
    moderate: fc.record({ p: fc.array(unif(0.05, 1), { minLength: 5, maxLength: 5 }) }),
    ref: (x, p) => {
      const ps = vec(p.p).map(fr);
      return Math.log(ps[num(x)]!) - Math.log(ps.reduce((u, v) => u + v, 0));
    },
    mean: (p) => {
      const s = vec(p.p).reduce((u, v) => u + v, 0);
      return vec(p.p).map((v) => v / s);
    },
    variance: (p) => {
      const s = vec(p.p).reduce((u, v) => u + v, 0);
      return vec(p.p).map((v) => (v / s) * (1 - v / s));
    },
    outside: () => [-1, 5, 1.5],
    stat: (x) => oneHot(num(x), 5),
  },
  {
    name: 'Categorical(logits)',
    family: 'Categorical',
    eventRank: 0,
    params: fc.record({ logits: fc.array(unif(-10, 10), { minLength: 5, maxLength: 5 }) }),
    moderate: fc.record({ logits: fc.array(unif(-2, 2), { minLength: 5, maxLength: 5 }) }),
    ref: (x, p) => {
      const l = vec(p.logits).map(fr);
      const m = Math.max(...l);
      return l[num(x)]! - m - Math.log(l.reduce((u, v) => u + Math.exp(v - m), 0));
    },
    mean: (p) => {
      const e = vec(p.logits).map(Math.exp);
      const s = e.reduce((u, v) => u + v, 0);
      return e.map((v) => v / s);
    },
    variance: (p) => {
      const e = vec(p.logits).map(Math.exp);
      const s = e.reduce((u, v) => u + v, 0);
      return e.map((v) => (v / s) * (1 - v / s));
    },
    outside: () => [-1, 5, 2.5],
    stat: (x) => oneHot(num(x), 5),
  },
  {
    name: 'Binomial(p)',
    family: 'Binomial',
    eventRank: 0,
    params: fc.record({ n: intLogU(1, 1e6), p: prob01 }),
    moderate: fc.record({ n: fc.integer({ min: 1, max: 2000 }), p: unif(0.01, 0.99) }),
    ref: (x, p) => {
      const [n, k, q] = [num(p.n), num(x), fr(num(p.p))];
      return (
        gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + xlogy(k, q) + xlogy(n - k, 1 - q)
      );
    },
    mean: (p) => num(p.n) * num(p.p),
    variance: (p) => num(p.n) * num(p.p) * (1 - num(p.p)),
    outside: (p) => [-1, num(p.n) + 1, 0.5],
  },
  {
    name: 'Binomial(logits)',
    family: 'Binomial',
    eventRank: 0,
    params: fc.record({ n: intLogU(1, 1e5), logits: unif(-15, 15) }),
    moderate: fc.record({ n: fc.integer({ min: 1, max: 500 }), logits: unif(-4, 4) }),
    ref: (x, p) => {
      const [n, k, l] = [num(p.n), num(x), fr(num(p.logits))];
      const sp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) - k * sp(-l) - (n - k) * sp(l);
    },
    mean: (p) => num(p.n) / (1 + Math.exp(-num(p.logits))),
    variance: (p) => {
      const q = 1 / (1 + Math.exp(-num(p.logits)));
      return num(p.n) * q * (1 - q);
    },
    outside: (p) => [-1, num(p.n) + 1, 0.5],
  },
  {
    name: 'Multinomial',
    family: 'Multinomial',
    eventRank: 1,
    params: fc.record({
      n: intLogU(1, 1e5),
      p: weights(3),
    }),
    moderate: fc.record({
      n: fc.integer({ min: 1, max: 500 }),
      p: fc.array(unif(0.05, 1), { minLength: 3, maxLength: 3 }),
    }),
    ref: (x, p) => {
      const ps = vec(p.p).map(fr);
      const s = ps.reduce((u, v) => u + v, 0);
      const xs = vec(x);
      let lp = gammaln(num(p.n) + 1);
      xs.forEach((k, i) => {
        lp += xlogy(k, ps[i]! / s) - gammaln(k + 1);
      });
      return lp;
    },
    mean: (p) => {
      const s = vec(p.p).reduce((u, v) => u + v, 0);
      return vec(p.p).map((v) => (num(p.n) * v) / s);
    },
    variance: (p) => {
      const s = vec(p.p).reduce((u, v) => u + v, 0);
      return vec(p.p).map((v) => num(p.n) * (v / s) * (1 - v / s));
    },
    outside: (p) => [
      [num(p.n), 1, 0],
      [-1, num(p.n) + 1, 0],
      [num(p.n) - 0.5, 0.5, 0],
    ],
  },
  {
    name: 'Poisson',
    family: 'Poisson',
    eventRank: 0,
    params: fc.record({
      rate: fc.oneof(
        { weight: 1, arbitrary: fc.constant(0) },
        { weight: 8, arbitrary: logU(1e-3, 1e6) },
      ),
    }),
    moderate: fc.record({ rate: logU(0.05, 500) }),
    ref: (x, p) => {
      const r = fr(num(p.rate));
      return xlogy(num(x), r) - r - gammaln(num(x) + 1);
    },
    mean: (p) => num(p.rate),
    variance: (p) => num(p.rate),
    outside: () => [-1, 0.5, Number.POSITIVE_INFINITY],
  },
  {
    name: 'StudentT',
    family: 'StudentT',
    eventRank: 0,
    params: fc.record({ nu: logU(0.5, 1e3), mu: unif(-100, 100), sigma: logU(1e-2, 1e2) }),
    // nu >= 10: the sample variance's own variance (the 4th moment) is finite and estimable
    moderate: fc.record({ nu: logU(10, 50), mu: unif(-5, 5), sigma: logU(0.1, 10) }),
    ref: (x, p) => studentTRef(num(x), fr(num(p.nu)), fr(num(p.mu)), fr(num(p.sigma))),
    mean: (p) => num(p.mu),
    variance: (p) => (num(p.sigma) ** 2 * num(p.nu)) / (num(p.nu) - 2),
    outside: () => [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
  },
  {
    name: 'Cauchy',
    family: 'Cauchy',
    eventRank: 0,
    params: fc.record({ mu: unif(-100, 100), sigma: logU(1e-2, 1e2) }),
    moderate: fc.record({ mu: unif(-5, 5), sigma: logU(0.1, 10) }),
    ref: (x, p) => {
      const s = fr(num(p.sigma));
      const z = (num(x) - fr(num(p.mu))) / s;
      return -Math.log(Math.PI * s) - Math.log1p(z * z);
    },
    mean: NaNs,
    variance: NaNs,
    quantile: (q, p) => num(p.mu) + num(p.sigma) * Math.tan(Math.PI * (q - 0.5)),
    outside: () => [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
  },
  {
    name: 'HalfNormal',
    family: 'HalfNormal',
    eventRank: 0,
    params: fc.record({ sigma: logU(1e-2, 1e2) }),
    moderate: fc.record({ sigma: logU(0.1, 10) }),
    ref: (x, p) => normalRef(num(x), 0, fr(num(p.sigma))) + Math.LN2,
    mean: (p) => num(p.sigma) * Math.sqrt(2 / Math.PI),
    variance: (p) => num(p.sigma) ** 2 * (1 - 2 / Math.PI),
    outside: () => [-1, -1e-3, Number.POSITIVE_INFINITY],
  },
  {
    name: 'HalfCauchy',
    family: 'HalfCauchy',
    eventRank: 0,
    params: fc.record({ sigma: logU(1e-2, 1e2) }),
    moderate: fc.record({ sigma: logU(0.1, 10) }),
    ref: (x, p) => {
      const s = fr(num(p.sigma));
      const z = num(x) / s;
      return Math.log(2 / (Math.PI * s)) - Math.log1p(z * z);
    },
    mean: NaNs,
    variance: NaNs,
    quantile: (q, p) => num(p.sigma) * Math.tan((Math.PI * q) / 2),
    outside: () => [-1, -1e-3, Number.POSITIVE_INFINITY],
  },
  {
    name: 'NegativeBinomial',
    family: 'NegativeBinomial',
    eventRank: 0,
    params: fc.record({ mu: logU(1e-2, 1e3), phi: logU(0.1, 1e2) }),
    moderate: fc.record({ mu: logU(0.5, 100), phi: logU(0.5, 50) }),
    ref: (x, p) => {
      const [k, m, f] = [num(x), fr(num(p.mu)), fr(num(p.phi))];
      return (
        gammaln(k + f) -
        gammaln(f) -
        gammaln(k + 1) +
        f * Math.log(f / (m + f)) +
        xlogy(k, m / (m + f))
      );
    },
    mean: (p) => num(p.mu),
    variance: (p) => num(p.mu) + num(p.mu) ** 2 / num(p.phi),
    outside: () => [-1, 0.5, Number.POSITIVE_INFINITY],
  },
  {
    name: 'Laplace',
    family: 'Laplace',
    eventRank: 0,
    params: fc.record({ mu: unif(-100, 100), b: logU(1e-2, 1e2) }),
    moderate: fc.record({ mu: unif(-5, 5), b: logU(0.1, 10) }),
    ref: (x, p) => {
      const b = fr(num(p.b));
      return -Math.abs(num(x) - fr(num(p.mu))) / b - Math.log(2 * b);
    },
    mean: (p) => num(p.mu),
    variance: (p) => 2 * num(p.b) ** 2,
    outside: () => [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
  },
  {
    name: 'MvNormal',
    family: 'MvNormal',
    eventRank: 1,
    params: mvNormalParams(5, 1),
    moderate: mvNormalParams(2, 1),
    ref: (x, p) => {
      const mu = vec(p.mu).map(fr);
      const S = mat(p.Sigma).map((r) => r.map(fr));
      const chol = new CholeskyDecomposition(new Matrix(S));
      const L = chol.lowerTriangularMatrix;
      const d = vec(x).map((v, i) => v - mu[i]!);
      const z = chol.solve(Matrix.columnVector(d)).getColumn(0);
      const maha = d.reduce((u, v, i) => u + v * z[i]!, 0);
      let logDet = 0;
      for (let i = 0; i < d.length; i++) logDet += 2 * Math.log(L.get(i, i));
      return -0.5 * maha - 0.5 * logDet - 0.5 * d.length * LOG_2PI;
    },
    mean: (p) => vec(p.mu),
    variance: (p) => mat(p.Sigma).map((r, i) => r[i]!),
    outside: () => [
      [Number.POSITIVE_INFINITY, 0, 0],
      [0, Number.NaN, 0],
    ],
  },
];

/** mu in [-m, m]^3 and a well-conditioned Sigma = s^2 (M M^T / 3 + I / 2) */
function mvNormalParams(m: number, s: number): fc.Arbitrary<Params> {
  return fc
    .record({
      mu: fc.array(unif(-m, m), { minLength: 3, maxLength: 3 }),
      M: fc.array(unif(-1, 1), { minLength: 9, maxLength: 9 }),
    })
    .map(({ mu, M }) => {
      const Sigma = [0, 1, 2].map((i) =>
        [0, 1, 2].map((j) => {
          let v = i === j ? 0.5 : 0;
          for (let k = 0; k < 3; k++) v += (M[i * 3 + k]! * M[j * 3 + k]!) / 3;
          return s * s * v;
        }),
      );
      return { mu, Sigma };
    });
}
