// Truncated families (`T[lo, hi]`) against float64 references written here: the untruncated
// log densities of cases.ts, normalised by Simpson quadrature in float64 over the interval. The
// truncated density integrates to 1, equals the reference at its own draws, is -Infinity outside
// [lo, hi]; draws stay inside and have the quadrature mean within 5 standard errors.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { makeDistribution, Rng, truncate } from '../../src/distributions/index.js';
import type { DistName } from '../../src/distributions/signatures.js';
import { CASES, type Params } from './cases.js';

beforeAll(async () => {
  await initBackend('wasm');
});

interface TCase {
  readonly family: DistName;
  readonly params: Params;
  readonly lo?: number;
  readonly hi?: number;
  /** the quadrature interval: [lo, hi] with infinite ends cut where the mass is < 1e-12 */
  readonly range: [number, number];
}

const T_CASES: TCase[] = [
  { family: 'Normal', params: { mu: 0, sigma: 1 }, lo: 0, range: [0, 9] },
  { family: 'Normal', params: { mu: 1, sigma: 2 }, lo: -1, hi: 4, range: [-1, 4] },
  { family: 'Normal', params: { mu: 0, sigma: 1 }, lo: 30, range: [30, 31.2] },
  { family: 'Normal', params: { mu: 0, sigma: 1 }, hi: -5, range: [-11, -5] },
  { family: 'Normal', params: { mu: 0, sigma: 1 }, lo: -0.01, hi: 0.02, range: [-0.01, 0.02] },
  { family: 'LogNormal', params: { mu: 0, sigma: 0.5 }, lo: 0.5, hi: 2, range: [0.5, 2] },
  { family: 'HalfNormal', params: { sigma: 2 }, lo: 1, hi: 3, range: [1, 3] },
  { family: 'HalfNormal', params: { sigma: 1 }, lo: 6, range: [6, 13] },
  { family: 'Cauchy', params: { mu: 0, sigma: 1 }, lo: -2, hi: 5, range: [-2, 5] },
  { family: 'Cauchy', params: { mu: 0, sigma: 1 }, lo: 1e3, hi: 2e3, range: [1e3, 2e3] },
  { family: 'HalfCauchy', params: { sigma: 1 }, lo: 0.5, hi: 4, range: [0.5, 4] },
  { family: 'Laplace', params: { mu: 1, b: 0.5 }, lo: 2, range: [2, 20] },
  { family: 'Laplace', params: { mu: 1, b: 0.5 }, lo: -1, hi: 3, range: [-1, 3] },
  { family: 'Exponential', params: { rate: 2 }, lo: 1, hi: 3, range: [1, 3] },
  { family: 'Exponential', params: { rate: 2 }, lo: 20, range: [20, 36] },
  { family: 'Uniform', params: { lo: 0, hi: 4 }, lo: 1, range: [1, 4] },
  // host float64 CDFs (cdf64.ts): the regularised incomplete gamma and beta functions
  { family: 'Gamma', params: { shape: 2.5, rate: 0.7 }, lo: 1, hi: 6, range: [1, 6] },
  { family: 'Gamma', params: { shape: 2.5, rate: 0.7 }, lo: 12, range: [12, 70] },
  { family: 'Gamma', params: { shape: 3, rate: 1 }, hi: 1.5, range: [0, 1.5] },
  { family: 'Gamma', params: { shape: 40, rate: 2 }, lo: 1, hi: 12, range: [1, 12] },
  { family: 'Beta', params: { a: 2, b: 5 }, lo: 0.1, hi: 0.6, range: [0.1, 0.6] },
  { family: 'Beta', params: { a: 2, b: 5 }, lo: 0.7, range: [0.7, 1] },
  { family: 'Beta', params: { a: 3, b: 1.5 }, hi: 0.2, range: [0, 0.2] },
  { family: 'StudentT', params: { nu: 3, mu: 0.5, sigma: 2 }, lo: -1, hi: 4, range: [-1, 4] },
  { family: 'StudentT', params: { nu: 10, mu: 0, sigma: 1 }, lo: 5, range: [5, 45] },
  { family: 'StudentT', params: { nu: 10, mu: 1, sigma: 0.5 }, hi: -1, range: [-20, -1] },
  {
    family: 'StudentT',
    params: { nu: 5, mu: 0, sigma: 1 },
    lo: -0.01,
    hi: 0.02,
    range: [-0.01, 0.02],
  },
];

const caseOf = (family: DistName) => CASES.find((c) => c.family === family)!;

/** Simpson's rule in float64 over [a, b] with 2m intervals */
function simpson(f: (x: number) => number, a: number, b: number, m = 4000): number {
  const h = (b - a) / (2 * m);
  let s = f(a) + f(b);
  for (let i = 1; i < 2 * m; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

/** float64 log Z, mean and variance of the truncated reference, by quadrature */
function reference(c: TCase): { logZ: number; mean: number; variance: number } {
  const ref = (x: number) => caseOf(c.family).ref(x, c.params);
  const [a, b] = c.range;
  // scale by the density at the interval's best end so that exp stays in range far out
  const shift = Math.max(ref(a), ref(b), ref((a + b) / 2));
  const w = (x: number) => Math.exp(ref(x) - shift);
  const z = simpson(w, a, b);
  const mean = simpson((x) => x * w(x), a, b) / z;
  const variance = simpson((x) => (x - mean) ** 2 * w(x), a, b) / z;
  return { logZ: Math.log(z) + shift, mean, variance };
}

function truncated(c: TCase) {
  const args = Object.fromEntries(
    Object.entries(c.params).map(([k, v]) => [k, tf.scalar(v as number)]),
  );
  const lo = c.lo === undefined ? undefined : tf.scalar(c.lo);
  const hi = c.hi === undefined ? undefined : tf.scalar(c.hi);
  const d = truncate(makeDistribution(c.family, args), lo, hi);
  return {
    d,
    dispose: () => {
      d.dispose!();
      tf.dispose([...Object.values(args), ...(lo ? [lo] : []), ...(hi ? [hi] : [])]);
    },
  };
}

const label = (c: TCase) =>
  `${c.family}(${Object.values(c.params).join(', ')}) T[${c.lo ?? ''}, ${c.hi ?? ''}]`;

describe.each(T_CASES.map((c) => [label(c), c] as const))('%s', (_name, c) => {
  it('integrates to 1 and equals the float64 reference at its draws', () => {
    const start = tf.memory().numTensors;
    const { d, dispose } = truncated(c);
    const [a, b] = c.range;
    const m = 4000;
    const grid = Array.from({ length: 2 * m + 1 }, (_, i) => a + ((b - a) * i) / (2 * m));
    const xs = tf.tensor1d(grid);
    const lpGrid = d.logProb(xs);
    const lp = Array.from(lpGrid.dataSync());
    lpGrid.dispose();
    const h = (b - a) / (2 * m);
    let s = 0;
    lp.forEach((v, i) => {
      s += (i === 0 || i === 2 * m ? 1 : i % 2 ? 4 : 2) * Math.exp(v);
    });
    const total = (s * h) / 3;
    // float32 log densities: each exp carries ~1e-6 relative error (|log p| up to ~10)
    expect(Math.abs(total - 1), `${label(c)} integrates to ${total}`).toBeLessThan(2e-4);
    const { logZ } = reference(c);
    const draws = d.sample([200], new Rng(4));
    const lpDraws = d.logProb(draws);
    const x = Array.from(draws.dataSync());
    const got = Array.from(lpDraws.dataSync());
    tf.dispose([xs, draws, lpDraws]);
    dispose();
    expect(tf.memory().numTensors).toBe(start);
    x.forEach((v, i) => {
      const want = caseOf(c.family).ref(v, c.params) - logZ;
      expect(Math.abs(got[i]! - want), `${label(c)} at ${v}: ${got[i]} vs ${want}`).toBeLessThan(
        1e-4 + 1e-4 * Math.abs(want),
      );
    });
  });

  it('is -Infinity outside [lo, hi]; draws stay inside with the reference mean', () => {
    const start = tf.memory().numTensors;
    const { d, dispose } = truncated(c);
    const out = [
      c.lo === undefined ? undefined : c.lo - 1e-3 * (1 + Math.abs(c.lo)),
      c.hi === undefined ? undefined : c.hi + 1e-3 * (1 + Math.abs(c.hi)),
    ].filter((v): v is number => v !== undefined);
    const xo = tf.tensor1d(out);
    const lpoT = d.logProb(xo);
    const lpo = Array.from(lpoT.dataSync());
    lpoT.dispose();
    const n = 20000;
    const draws = d.sample([n], new Rng(9));
    const x = Array.from(draws.dataSync());
    tf.dispose([xo, draws]);
    dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(lpo.every((v) => v === Number.NEGATIVE_INFINITY)).toBe(true);
    const lo = c.lo ?? Number.NEGATIVE_INFINITY;
    const hi = c.hi ?? Number.POSITIVE_INFINITY;
    expect(x.every((v) => v >= Math.fround(lo) && v <= Math.fround(hi))).toBe(true);
    const { mean, variance } = reference(c);
    const mh = x.reduce((u, v) => u + v, 0) / n;
    // 5 standard errors, plus the float32 spacing of values far from 0 (T[1000, 2000])
    const tol = 5 * Math.sqrt(variance / n) + 4 * 2 ** -24 * Math.abs(mean);
    expect(Math.abs(mh - mean), `${label(c)}: mean ${mh} vs ${mean}`).toBeLessThanOrEqual(tol);
  });
});

describe('truncated Normal over random parameters and bounds', () => {
  it('log density equals the float64 reference (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: 0.1, max: 5, noNaN: true }),
        fc.double({ min: -8, max: 8, noNaN: true }),
        fc.double({ min: 0.05, max: 6, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (mu0, sigma0, zLo, width, u) => {
          const [mu, sigma] = [Math.fround(mu0), Math.fround(sigma0)];
          const lo = Math.fround(mu + sigma * zLo);
          const hi = Math.fround(lo + sigma * width);
          const x = Math.fround(lo + (hi - lo) * u);
          const c: TCase = { family: 'Normal', params: { mu, sigma }, lo, hi, range: [lo, hi] };
          const { logZ } = reference(c);
          const { d, dispose } = truncated(c);
          const xt = tf.scalar(x);
          const lpT = d.logProb(xt);
          const got = lpT.dataSync()[0]!;
          tf.dispose([xt, lpT]);
          dispose();
          const want = caseOf('Normal').ref(x, c.params) - logZ;
          expect(Math.abs(got - want), `${label(c)} at ${x}`).toBeLessThan(
            2e-4 + 1e-4 * Math.abs(want),
          );
        },
      ),
      { seed: 5, numRuns: 60 },
    );
  });
});

// Gradients of the truncated log density with respect to the family's parameters (what avi
// differentiates), including one-sided truncations where a bound is infinite (the double-where
// in truncated.ts stdBound) and a LogNormal bound at 0 (z = -Infinity): finite, and equal to
// central differences of the float64 reference log p(x) - log Z, Z by quadrature.
const GRAD_CASES: (TCase & { x: number; wrt: string[] })[] = [
  {
    family: 'Normal',
    params: { mu: 0.3, sigma: 1.7 },
    lo: 0,
    range: [0, 16],
    x: 0.8,
    wrt: ['mu', 'sigma'],
  },
  {
    family: 'Normal',
    params: { mu: 0.3, sigma: 1.7 },
    hi: 1,
    range: [-16, 1],
    x: -0.5,
    wrt: ['mu', 'sigma'],
  },
  {
    family: 'Normal',
    params: { mu: 0.3, sigma: 1.7 },
    lo: -1,
    hi: 2,
    range: [-1, 2],
    x: 1.1,
    wrt: ['mu', 'sigma'],
  },
  {
    family: 'Normal',
    params: { mu: 0, sigma: 1 },
    lo: 4,
    range: [4, 14],
    x: 4.3,
    wrt: ['mu', 'sigma'],
  },
  {
    family: 'LogNormal',
    params: { mu: 0.2, sigma: 0.6 },
    lo: 0,
    hi: 3,
    range: [1e-9, 3],
    x: 1.3,
    wrt: ['mu', 'sigma'],
  },
  {
    family: 'Laplace',
    params: { mu: 0.2, b: 1.3 },
    lo: -1,
    range: [-1, 60],
    x: 0.4,
    wrt: ['mu', 'b'],
  },
  {
    family: 'Cauchy',
    params: { mu: 0.2, sigma: 1.3 },
    lo: -2,
    hi: 3,
    range: [-2, 3],
    x: 0.4,
    wrt: ['mu', 'sigma'],
  },
  { family: 'Exponential', params: { rate: 1.3 }, hi: 2, range: [0, 2], x: 0.4, wrt: ['rate'] },
];

describe.each(GRAD_CASES.map((c) => [label(c), c] as const))('gradient of %s', (_n, c) => {
  it('is finite and equals central differences of the float64 truncated density', () => {
    const start = tf.memory().numTensors;
    const grads = tf.tidy(() => {
      const args = Object.fromEntries(
        Object.entries(c.params).map(([k, v]) => [k, tf.scalar(v as number) as tf.Tensor]),
      );
      const lo = c.lo === undefined ? undefined : tf.scalar(c.lo);
      const hi = c.hi === undefined ? undefined : tf.scalar(c.hi);
      const f = (...ts: tf.Tensor[]) => {
        const a = { ...args };
        c.wrt.forEach((n, i) => {
          a[n] = ts[i]!;
        });
        return tf.sum(truncate(makeDistribution(c.family, a), lo, hi).logProb(tf.scalar(c.x)));
      };
      return tf
        .grads(f)(c.wrt.map((n) => args[n]!))
        .map((g) => g.dataSync()[0]!);
    });
    expect(tf.memory().numTensors).toBe(start);
    c.wrt.forEach((n, i) => {
      const v = c.params[n] as number;
      const h = 1e-3 * Math.max(1, Math.abs(v));
      const at = (dv: number) => {
        const q: TCase = { ...c, params: { ...c.params, [n]: v + dv } };
        return caseOf(c.family).ref(c.x, q.params) - reference(q).logZ;
      };
      const want = (at(h) - at(-h)) / (2 * h);
      const got = grads[i]!;
      expect(Number.isFinite(got), `${label(c)} d/d${n} = ${got}`).toBe(true);
      expect(Math.abs(got - want), `${label(c)} d/d${n}: ${got} vs ${want}`).toBeLessThanOrEqual(
        2e-3 * Math.max(1, Math.abs(want)),
      );
    });
  });
});

describe('mean and variance of truncated families', () => {
  const withMoments = new Set<DistName>(['Normal', 'Gamma', 'Beta', 'Uniform']);
  it.each(T_CASES.map((c) => [label(c), c] as const))(
    '%s: the float64 quadrature moments (Normal, Gamma, Beta, Uniform), else NaN',
    (_n, c) => {
      const start = tf.memory().numTensors;
      const { d, dispose } = truncated(c);
      const mT = d.mean();
      const vT = d.variance();
      const m = mT.dataSync()[0]!;
      const v = vT.dataSync()[0]!;
      tf.dispose([mT, vT]);
      dispose();
      expect(tf.memory().numTensors).toBe(start);
      if (!withMoments.has(c.family)) {
        expect(Number.isNaN(m) && Number.isNaN(v)).toBe(true);
        return;
      }
      const ref = reference(c);
      // float32 results of float64 formulas; Simpson's error is far below (smooth integrands)
      const sd = Math.sqrt(ref.variance);
      expect(Math.abs(m - ref.mean), `mean ${m} vs ${ref.mean}`).toBeLessThan(
        1e-6 * Math.abs(ref.mean) + 1e-5 * sd,
      );
      expect(Math.abs(v - ref.variance), `variance ${v} vs ${ref.variance}`).toBeLessThan(
        1e-4 * ref.variance,
      );
    },
  );

  it('truncated Normal far in a tail (T[30, ], T[, -40]): Mills-ratio moments', () => {
    // lower truncation at a: mean = a + 1/a - 2/a^3 + 10/a^5 - …, var = 1/a^2 - 6/a^4 + …
    for (const [lo, hi, a] of [
      [30, undefined, 30],
      [undefined, -40, 40],
    ] as const) {
      const c: TCase = { family: 'Normal', params: { mu: 0, sigma: 1 }, lo, hi, range: [0, 1] };
      const { d, dispose } = truncated(c);
      const mT = d.mean();
      const vT = d.variance();
      const m = Math.abs(mT.dataSync()[0]!);
      const v = vT.dataSync()[0]!;
      tf.dispose([mT, vT]);
      dispose();
      const wantM = a + 1 / a - 2 / a ** 3 + 10 / a ** 5;
      const wantV = 1 / a ** 2 - 6 / a ** 4 + 50 / a ** 6;
      expect(Math.abs(m - wantM)).toBeLessThan(2 ** -23 * wantM + 74 / a ** 7);
      expect(Math.abs(v - wantV) / wantV).toBeLessThan(1e-5 + 400 / a ** 6);
    }
  });
});
