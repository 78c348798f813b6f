// Gradients of logProb with respect to the parameters (what the avi engine differentiates):
// finite, and equal to central differences of the float64 reference densities of cases.ts.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { makeDistribution } from '../../src/distributions/index.js';
import { markInSupport } from '../../src/distributions/support.js';
import { CASES, type Params, type Val } from './cases.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** one parameter set and one point x per family (continuous parameters only are differentiated) */
const POINTS: Record<string, { params: Params; x: Val; wrt: string[] }> = {
  Normal: { params: { mu: 0.3, sigma: 1.7 }, x: -0.4, wrt: ['mu', 'sigma'] },
  LogNormal: { params: { mu: 0.3, sigma: 0.7 }, x: 2.2, wrt: ['mu', 'sigma'] },
  Exponential: { params: { rate: 1.3 }, x: 0.8, wrt: ['rate'] },
  Gamma: { params: { shape: 2.5, rate: 0.7 }, x: 3.1, wrt: ['shape', 'rate'] },
  'Gamma (large shape)': { params: { shape: 400, rate: 2 }, x: 205, wrt: ['shape', 'rate'] },
  Beta: { params: { a: 0.7, b: 3.2 }, x: 0.2, wrt: ['a', 'b'] },
  Dirichlet: { params: { alpha: [0.5, 2, 7] }, x: [0.1, 0.3, 0.6], wrt: ['alpha'] },
  'Bernoulli(p)': { params: { p: 0.3 }, x: 1, wrt: ['p'] },
  'Bernoulli(logits)': { params: { logits: -0.8 }, x: 0, wrt: ['logits'] },
  'Categorical(logits)': { params: { logits: [0.1, -1, 2, 0.5, 0] }, x: 2, wrt: ['logits'] },
  'Binomial(logits)': { params: { n: 30, logits: 0.4 }, x: 17, wrt: ['logits'] },
  Poisson: { params: { rate: 4.5 }, x: 7, wrt: ['rate'] },
  StudentT: { params: { nu: 3.5, mu: 0.2, sigma: 1.4 }, x: -1.1, wrt: ['nu', 'mu', 'sigma'] },
  Cauchy: { params: { mu: 0.2, sigma: 1.4 }, x: 2.3, wrt: ['mu', 'sigma'] },
  HalfNormal: { params: { sigma: 1.4 }, x: 0.9, wrt: ['sigma'] },
  HalfCauchy: { params: { sigma: 1.4 }, x: 0.9, wrt: ['sigma'] },
  NegativeBinomial: { params: { mu: 4.5, phi: 2.5 }, x: 7, wrt: ['mu', 'phi'] },
  Laplace: { params: { mu: 0.2, b: 1.4 }, x: -0.9, wrt: ['mu', 'b'] },
  MvNormal: {
    params: {
      mu: [0.1, -0.2, 0.3],
      Sigma: [
        [2, 0.3, 0],
        [0.3, 1, 0.2],
        [0, 0.2, 0.7],
      ],
    },
    x: [0.5, 0.1, -0.4],
    wrt: ['mu'],
  },
};

describe.each(Object.entries(POINTS))('%s', (name, pt) => {
  const c = CASES.find((k) => k.name === name.replace(' (large shape)', ''))!;
  it('has finite gradients equal to central differences of the float64 density', () => {
    const start = tf.memory().numTensors;
    const grads = tf.tidy(() => {
      const args = Object.fromEntries(
        Object.entries(pt.params).map(([k, v]) => [k, tf.tensor(v as number[])]),
      );
      const names = pt.wrt;
      const f = (...ts: tf.Tensor[]) => {
        const a = { ...args };
        names.forEach((n, i) => {
          a[n] = ts[i]!;
        });
        const d = makeDistribution(c.family, a);
        return tf.sum(d.logProb(tf.tensor(pt.x as number[])));
      };
      return tf
        .grads(f)(names.map((n) => args[n]!))
        .map((g) => Array.from(g.dataSync()));
    });
    expect(tf.memory().numTensors).toBe(start);
    pt.wrt.forEach((n, i) => {
      const p0 = pt.params[n]!;
      const flatP = Array.isArray(p0) ? (p0 as number[]) : [p0 as number];
      flatP.forEach((v, j) => {
        const h = 1e-3 * Math.max(1, Math.abs(v));
        const at = (dv: number) => {
          const q = { ...pt.params };
          q[n] = Array.isArray(p0) ? flatP.map((u, k) => (k === j ? u + dv : u)) : v + dv;
          return c.ref(pt.x, q);
        };
        const want = (at(h) - at(-h)) / (2 * h);
        const got = grads[i]![j]!;
        expect(Number.isFinite(got), `${name} d/d${n}[${j}]`).toBe(true);
        expect(
          Math.abs(got - want),
          `${name} d/d${n}[${j}]: ${got} vs ${want}`,
        ).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(want)));
      });
    });
  });
});

describe('Bernoulli(logits) on a batch (one tape node, its gradient written out)', () => {
  it.each([
    ['any x', false],
    ['bound data checked at binding (no per-call support check)', true],
  ])(
    'has log p = x l − softplus(l) and ∂/∂l = Σ (x − σ(l)) over the axes l is broadcast along: %s',
    (_, checked) => {
      const start = tf.memory().numTensors;
      // l [4] broadcast along x's leading axis [3, 4]; large |l| included (no overflow)
      const l64 = [-30, -0.8, 0.25, 40];
      const x64 = [
        [0, 1, 1, 0],
        [1, 0, 1, 1],
        [0, 0, 0, 1],
      ];
      const softplus = (t: number) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
      const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));
      const logits = tf.tensor(l64);
      const x = tf.tensor(x64);
      if (checked) markInSupport(x);
      const w = tf.tensor([
        [1, 0.5, -2, 0.25],
        [3, 1, 1, -1],
        [0.5, 2, 1, 1],
      ]);
      const value = tf.tidy(() => makeDistribution('Bernoulli', { logits }).logProb(x));
      const [g] = tf.grads((l: tf.Tensor) =>
        tf.tidy(() => tf.sum(tf.mul(makeDistribution('Bernoulli', { logits: l }).logProb(x), w))),
      )([logits]);
      const wv = w.arraySync() as number[][];
      const v = value.arraySync() as number[][];
      const want = [0, 0, 0, 0];
      for (const [i, row] of x64.entries())
        for (const [j, xi] of row.entries()) {
          const lp = xi * l64[j] - softplus(l64[j]);
          // float32: softplus to a few ulps of max(|lp|, 1)
          expect(Math.abs(v[i][j] - lp)).toBeLessThanOrEqual(
            8 * 2 ** -23 * Math.max(1, Math.abs(lp)),
          );
          want[j] += wv[i][j] * (xi - sigmoid(l64[j]));
        }
      expect(g.shape).toEqual([4]);
      const gv = g.dataSync();
      // three terms of size ≤ 3, σ to a few ulps
      for (let j = 0; j < 4; j++) expect(Math.abs(gv[j] - want[j])).toBeLessThanOrEqual(1e-6);
      // off the support: −∞
      const off = tf.tidy(() =>
        makeDistribution('Bernoulli', { logits }).logProb(tf.tensor([0.5, 2, 1, 0])),
      );
      expect(Array.from(off.dataSync())).toEqual([
        -Infinity,
        -Infinity,
        expect.any(Number),
        expect.any(Number),
      ]);
      tf.dispose([logits, x, w, value, g, off]);
      expect(tf.memory().numTensors).toBe(start);
    },
  );
});
