// Repeated cases merged (src/infer/discrete/uniqueCases.ts): which models it applies to, and the
// E-step on the distinct cases copied back to all of them equals float64 enumeration per case.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { DiscreteEStep } from '../../../src/infer/discrete/estep.js';
import { uniqueCases } from '../../../src/infer/discrete/uniqueCases.js';
import { boundModel } from '../../support/models.js';
import { bruteNoisyOr } from '../../support/noisyOr.js';
import { prng } from '../../support/prng.js';

const EPS32 = 2 ** -23;

beforeAll(async () => {
  await initBackend('wasm');
});

const NOISY_OR = `model nor {
  size N
  size K
  size M
  hyper leak: real(0,1) = 0.02
  param rho: real(0,1)[K]
  param W: real(0,)[K, M]
  plate i in N {
    plate k in K { d[i, k] ~ Bernoulli(rho[k]) }
    plate j in M { s[i, j] ~ Bernoulli(1 - (1 - leak) * exp(-dot(W[:, j], d[i]))) }
  }
}`;

describe('uniqueCases', () => {
  it('merges cases with equal observed values: counts, the case of every case, a first case each', () => {
    const s = [
      [1, 0],
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 0],
      [1, 0],
    ];
    const u = uniqueCases(boundModel(NOISY_OR, { N: 6, K: 2, M: 2, s }), 'i');
    expect(u).toBeDefined();
    if (!u) return;
    expect([u.cases, u.unique]).toEqual([6, 3]);
    expect(Array.from(u.caseOf)).toEqual([0, 1, 0, 2, 1, 0]);
    expect(Array.from(u.counts)).toEqual([3, 2, 1]);
    expect(Array.from(u.first)).toEqual([0, 1, 3]);
    expect(u.bound.sizes.N).toBe(3);
    expect(u.bound.shapes.s).toEqual({ batch: [3, 2], event: [] });
    expect(u.bound.shapes.d).toEqual({ batch: [3, 2], event: [] });
    expect(Array.from(u.bound.values.s.data)).toEqual([1, 0, 0, 0, 1, 1]);
  });

  it('does not apply to continuous data, to a model that reads N, or to arrays over the cases', () => {
    const gmm = `model g {
      size N
      param mu: real[2]
      plate i in N {
        z[i] ~ Bernoulli(0.5)
        x[i] ~ Normal(mu[z[i]], 1)
      }
    }`;
    expect(uniqueCases(boundModel(gmm, { N: 3, x: [0, 0, 0] }), 'i')).toBeUndefined();
    const readsN = `model r {
      size N
      plate i in N { y[i] ~ Bernoulli(1 / (N + 1)) }
    }`;
    expect(uniqueCases(boundModel(readsN, { N: 3, y: [1, 1, 1] }), 'i')).toBeUndefined();
    const covariate = `model c {
      size N
      data x: real[N]
      plate i in N { y[i] ~ Bernoulli(0.2 + 0.1 * x[i]) }
    }`;
    expect(
      uniqueCases(boundModel(covariate, { N: 3, x: [0, 1, 2], y: [1, 1, 1] }), 'i'),
    ).toBeUndefined();
    const readsCases = `model t {
      size N
      param p: real(0, 1)
      plate i in N { y[i] ~ Bernoulli(p) }
      total = sum(y)
      c ~ Poisson(total + 1)
    }`;
    expect(uniqueCases(boundModel(readsCases, { N: 3, y: [1, 1, 0], c: 2 }), 'i')).toBeUndefined();
    // a node outside the plate that the cases share does not stop it
    const shared = `model s {
      size N
      param lam: real(0,)
      r = 2 * lam
      plate i in N { y[i] ~ Poisson(r) }
    }`;
    expect(uniqueCases(boundModel(shared, { N: 3, y: [1, 1, 0] }), 'i')?.unique).toBe(2);
    // nothing repeats: nothing to merge
    const distinct = `model d {
      size N
      size J
      plate i in N { plate j in J { y[i, j] ~ Bernoulli(0.3) } }
    }`;
    expect(
      uniqueCases(
        boundModel(distinct, {
          N: 2,
          J: 2,
          y: [
            [1, 0],
            [0, 1],
          ],
        }),
        'i',
      ),
    ).toBeUndefined();
  });

  it('the E-step of 3,000 noisy-OR cases (≤ 8 distinct) equals enumeration case by case', () => {
    const N = 3000;
    const K = 3;
    const M = 3;
    const rand = prng(3);
    const rho = [0.2, 0.1, 0.3];
    const W = [
      [1.5, 0, 0.4],
      [0.3, 2, 0],
      [0, 0.7, 1.1],
    ];
    const s = Array.from({ length: N }, () =>
      Array.from({ length: M }, () => (rand() < 0.35 ? 1 : 0)),
    );
    const bound = boundModel(NOISY_OR, { N, K, M, s });
    expect(uniqueCases(bound, 'i')?.unique).toBeLessThanOrEqual(8);
    const before = tf.memory().numTensors;
    const e = new DiscreteEStep(bound, 'i').run({ rho, W: W.flat() });
    expect(tf.memory().numTensors).toBe(before);
    expect(e.cases).toBe(N);
    expect(e.posterior.d.shape).toEqual([N, K]);
    let logZ = 0;
    s.forEach((si, i) => {
      const ref = bruteNoisyOr(rho, 0.02, W, si);
      const tol = 64 * EPS32 * (1 + ref.scale) * (1 + M);
      expect(Math.abs(e.logLik[i] - ref.logZ)).toBeLessThan(tol);
      ref.p1.forEach((p, k) => {
        expect(Math.abs(e.posterior.d.probs[(i * K + k) * 2 + 1] - p)).toBeLessThan(tol);
      });
      logZ += ref.logZ;
    });
    expect(Math.abs(e.logZ - logZ)).toBeLessThan(1e-4 * Math.abs(logZ));
  });
});
