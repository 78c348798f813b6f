// logJoint against hand-written float64 sums on random assignments (fast-check picks the
// sizes and the seed of the values), for the reference models of DESIGN.md §2.
// Tolerance: float32 evaluation, each term's relative error ~1e-6 (log, lgamma), so the
// sum may be off by ~1e-6 × sum |terms|; we allow 1e-5 × (sum |terms| + #terms).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { compileModel, logJoint, logProbNodes } from '../../src/compile/index.js';
import type { BoundModel } from '../../src/graph/bound.js';
import { boundModel, MODELS } from '../support/models.js';
import { prng } from '../support/prng.js';
import {
  logBernoulli,
  logBeta,
  logDirichlet,
  logMvNormal,
  logNormal,
  simplex,
} from './reference.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** terms[s] = the float64 terms of sample s */
function check(
  model: BoundModel,
  assignment: Record<string, { shape: number[]; data: number[] }>,
  terms: number[][],
) {
  const start = tf.memory().numTensors;
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(assignment)) tensors[k] = tf.tensor(v.data, v.shape);
  const lp = logJoint(model, tensors);
  const got = Array.from(lp.dataSync());
  lp.dispose();
  for (const t of Object.values(tensors)) t.dispose();
  expect(tf.memory().numTensors).toBe(start);
  expect(got.length).toBe(terms.length);
  terms.forEach((ts, s) => {
    const want = ts.reduce((a, b) => a + b, 0);
    const tol = 1e-5 * (ts.reduce((a, b) => a + Math.abs(b), 0) + ts.length);
    expect(Math.abs(got[s] - want)).toBeLessThanOrEqual(tol);
  });
}

const sizes = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe('logJoint equals a float64 sum', () => {
  it('coin: Beta–Bernoulli', () => {
    fc.assert(
      fc.property(sizes(1, 8), sizes(1, 3), seeds, (N, S, seed) => {
        const r = prng(seed);
        const a = 0.5 + 4 * r();
        const b = 0.5 + 4 * r();
        const y = Array.from({ length: N }, () => (r() < 0.5 ? 1 : 0));
        const theta = Array.from({ length: S }, () => 0.02 + 0.96 * r());
        const model = boundModel(MODELS.coin, { N, a, b, y });
        const terms = theta.map((t) => [logBeta(t, a, b), ...y.map((v) => logBernoulli(v, t))]);
        check(model, { theta: { shape: [S], data: theta } }, terms);
      }),
      { seed: 42, numRuns: 25 },
    );
  });

  it('blr: Normal prior on a vector, dot(X[i], beta)', () => {
    fc.assert(
      fc.property(sizes(1, 6), sizes(1, 4), sizes(1, 3), seeds, (N, P, S, seed) => {
        const r = prng(seed);
        const X = Array.from({ length: N }, () => Array.from({ length: P }, () => 4 * r() - 2));
        const y = Array.from({ length: N }, () => 6 * r() - 3);
        const sigma = 0.3 + r();
        const beta = Array.from({ length: S }, () => Array.from({ length: P }, () => 4 * r() - 2));
        const model = boundModel(MODELS.blr, { N, P, X, y, sigma });
        const terms = beta.map((bs) => [
          ...bs.map((b) => logNormal(b, 0, 3.1623)),
          ...X.map((xi, i) =>
            logNormal(
              y[i],
              xi.reduce((acc, v, p) => acc + v * bs[p], 0),
              sigma,
            ),
          ),
        ]);
        check(model, { beta: { shape: [S, P], data: beta.flat() } }, terms);
      }),
      { seed: 42, numRuns: 25 },
    );
  });

  it('gmm: MvNormal with components selected by z[i]', () => {
    fc.assert(
      fc.property(sizes(1, 5), sizes(1, 3), sizes(1, 3), seeds, (N, D, S, seed) => {
        const r = prng(seed);
        const K = 3;
        const x = Array.from({ length: N }, () => Array.from({ length: D }, () => 4 * r() - 2));
        // random SPD covariances A A^T + 0.5 I
        const Sigma = Array.from({ length: K }, () => {
          const A = Array.from({ length: D }, () => Array.from({ length: D }, () => r() - 0.5));
          return A.map((ai, i) =>
            A.map((aj, j) => ai.reduce((acc, v, k) => acc + v * aj[k], 0) + (i === j ? 0.5 : 0)),
          );
        });
        const mu = Array.from({ length: K }, () => Array.from({ length: D }, () => 2 * r() - 1));
        const z = Array.from({ length: S }, () =>
          Array.from({ length: N }, () => Math.floor(r() * K)),
        );
        const model = boundModel(MODELS.gmm, { N, D, x, Sigma });
        const terms = z.map((zs) => [
          ...zs.map(() => Math.log(1 / K)),
          ...x.map((xi, i) => logMvNormal(xi, mu[zs[i]], Sigma[zs[i]])),
        ]);
        check(
          model,
          { z: { shape: [S, N], data: z.flat() }, mu: { shape: [K, D], data: mu.flat() } },
          terms,
        );
      }),
      { seed: 42, numRuns: 20 },
    );
  });

  it('lda: ragged plates, theta[d] expanded, beta[z[d, n]] without gathering rows', () => {
    fc.assert(
      fc.property(sizes(2, 3), sizes(2, 5), sizes(1, 3), sizes(1, 2), seeds, (K, V, D, S, seed) => {
        const r = prng(seed);
        const N = Array.from({ length: D }, () => Math.floor(r() * 5));
        const alpha = 0.5 + r();
        const eta = 0.5 + r();
        const w = N.map((n) => Array.from({ length: n }, () => Math.floor(r() * V)));
        const beta = Array.from({ length: S }, () =>
          Array.from({ length: K }, () => simplex(r, V)),
        );
        const theta = Array.from({ length: S }, () =>
          Array.from({ length: D }, () => simplex(r, K)),
        );
        const z = Array.from({ length: S }, () =>
          w.map((doc) => doc.map(() => Math.floor(r() * K))),
        );
        const model = boundModel(MODELS.lda, { K, V, D, N, alpha, eta, w });
        const T = N.reduce((a, b) => a + b, 0);
        const terms = z.map((zs, s) => {
          const t: number[] = [];
          for (const bk of beta[s]) t.push(logDirichlet(bk, new Array(V).fill(eta)));
          for (const td of theta[s]) t.push(logDirichlet(td, new Array(K).fill(alpha)));
          zs.forEach((doc, d) => {
            doc.forEach((k, n) => {
              t.push(Math.log(theta[s][d][k]), Math.log(beta[s][k][w[d][n]]));
            });
          });
          return t;
        });
        check(
          model,
          {
            beta: { shape: [S, K, V], data: beta.flat(2) },
            theta: { shape: [S, D, K], data: theta.flat(2) },
            z: { shape: [S, T], data: z.flat(2) },
          },
          terms,
        );
      }),
      { seed: 42, numRuns: 25 },
    );
  });

  it('noisy_or: a node without its plate index, W[:, j]', () => {
    fc.assert(
      fc.property(sizes(1, 4), sizes(1, 4), sizes(1, 3), seeds, (K, M, S, seed) => {
        const r = prng(seed);
        const leak = 0.01 + 0.2 * r();
        const rho = Array.from({ length: K }, () => 0.05 + 0.9 * r());
        const W = Array.from({ length: K }, () => Array.from({ length: M }, () => 2 * r()));
        const s = Array.from({ length: M }, () => (r() < 0.5 ? 1 : 0));
        const d: number[][] = Array.from({ length: S }, () =>
          Array.from({ length: K }, () => (r() < 0.5 ? 1 : 0)),
        );
        const model = boundModel(MODELS.noisy_or, { K, M, leak, rho, W, s });
        const terms = d.map((ds) => [
          ...ds.map((v, k) => logBernoulli(v, rho[k])),
          ...s.map((v, j) => {
            const p = 1 - (1 - leak) * Math.exp(-ds.reduce((acc, dk, k) => acc + W[k][j] * dk, 0));
            return logBernoulli(v, p);
          }),
        ]);
        check(model, { d: { shape: [S, K], data: d.flat() } }, terms);
      }),
      { seed: 42, numRuns: 25 },
    );
  });
});

describe('per-node log densities', () => {
  it('logProbNodes gives [S, ...batch] per node and sums to logJoint', () => {
    const model = boundModel(MODELS.lda, {
      K: 2,
      V: 3,
      D: 2,
      N: [2, 3],
      alpha: 0.7,
      eta: 0.9,
      w: [
        [0, 2],
        [1, 1, 0],
      ],
    });
    const r = prng(3);
    const assignment = {
      beta: tf.tensor([...simplex(r, 3), ...simplex(r, 3)], [1, 2, 3]),
      theta: tf.tensor([...simplex(r, 2), ...simplex(r, 2)], [1, 2, 2]),
      z: tf.tensor([[0, 1, 1, 0, 1]]),
    };
    const start = tf.memory().numTensors;
    const per = logProbNodes(model, assignment);
    expect(per.beta.shape).toEqual([1, 2]);
    expect(per.theta.shape).toEqual([1, 2]);
    expect(per.z.shape).toEqual([1, 5]);
    expect(per.w.shape).toEqual([1, 5]);
    const total = tf.tidy(() =>
      Object.values(per).reduce((a, t) => a + (t.sum().arraySync() as number), 0),
    );
    const lj = logJoint(model, assignment);
    expect((lj.arraySync() as number[])[0]).toBeCloseTo(total, 4);
    lj.dispose();
    for (const t of Object.values(per)) t.dispose();
    expect(tf.memory().numTensors).toBe(start);
    for (const t of Object.values(assignment)) t.dispose();
  });

  it('a partially observed node from the data scores its observed entries only', () => {
    const model = boundModel(MODELS.coin, { N: 4, y: [1, null, 0, null] });
    const plan = compileModel(model);
    const lp = tf.tidy(() => plan.logProb('y', { theta: tf.tensor([0.3, 0.8]) }));
    expect(lp.shape).toEqual([2, 4]);
    const got = Array.from(lp.dataSync());
    const want = [Math.log(0.3), 0, Math.log(0.7), 0, Math.log(0.8), 0, Math.log(0.2), 0];
    got.forEach((g, i) => {
      expect(g).toBeCloseTo(want[i], 5);
    });
    lp.dispose();
    plan.dispose();
  });

  it('a category outside the support has log density -Infinity in the table path', () => {
    const model = boundModel(MODELS.lda, { K: 2, V: 3, D: 1, N: [2], w: [[0, 2]] });
    const assignment = {
      beta: tf.tensor([
        [
          [0.5, 0.5, 0],
          [0.2, 0.3, 0.5],
        ],
      ]),
      theta: tf.tensor([[[0.5, 0.5]]]),
      z: tf.tensor([[0, 1]]),
    };
    const per = logProbNodes(model, assignment);
    const w = Array.from(per.w.dataSync());
    expect(w[0]).toBeCloseTo(Math.log(0.5), 5);
    expect(w[1]).toBeCloseTo(Math.log(0.5), 5);
    for (const t of Object.values(per)) t.dispose();
    const per2 = logProbNodes(model, { ...assignment, z: tf.tensor([[0, 0]]) });
    expect(per2.w.dataSync()[1]).toBe(Number.NEGATIVE_INFINITY);
    for (const t of Object.values(per2)) t.dispose();
    for (const t of Object.values(assignment)) t.dispose();
  });
});
