// cavi on fully conjugate single-latent models: the mean-field family then contains the exact
// posterior, so one update reaches it and the ELBO equals the log evidence (KL = 0). Checked
// against float64 closed forms written here (Bernardo & Smith, App. A), on random models
// (fast-check, fixed seeds). Tolerances: the posterior's natural parameters are float64 sums of
// float32 messages (integer data: exact; real data: 6e-8 relative per value), so 1e-5 relative;
// the ELBO is a float64 sum of float32 terms (lgamma, digamma accurate to ~1e-6 relative), so
// the 1e-4 relative.
import gammaln from '@stdlib/math-base-special-gammaln';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { flat } from '../exact/conjugateHelpers.js';
import { runCavi } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const RUNS = { numRuns: 25, seed: 10 };
const lbeta = (a: number, b: number) => gammaln(a) + gammaln(b) - gammaln(a + b);
const lmvbeta = (al: readonly number[]) =>
  al.reduce((s, a) => s + gammaln(a), 0) - gammaln(al.reduce((s, a) => s + a, 0));

function close(actual: number | null, expected: number, rel: number, abs = 0): void {
  expect(actual).not.toBeNull();
  const tol = rel * Math.abs(expected) + abs;
  if (!(Math.abs((actual as number) - expected) <= tol))
    throw new Error(`got ${actual}, expected ${expected} (tolerance ${tol})`);
}

const evidence = (actual: number | null, expected: number) => close(actual, expected, 1e-4);

const num = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true });

describe('cavi on conjugate single-latent models equals the exact posterior', () => {
  it('Beta–Bernoulli', async () => {
    const src = `model m {
  size N
  hyper a: real(0,)
  hyper b: real(0,)
  theta ~ Beta(a, b)
  plate i in N { y[i] ~ Bernoulli(theta) }
}`;
    await fc.assert(
      fc.asyncProperty(
        num(0.3, 5),
        num(0.3, 5),
        fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 40 }),
        async (a, b, y) => {
          const r = await runCavi(src, { a, b, y });
          const s = y.reduce((u, v) => u + v, 0);
          const q = r.json.latents.theta;
          expect(q.family).toBe('Beta');
          close(q.params.a as number, a + s, 1e-5);
          close(q.params.b as number, b + y.length - s, 1e-5);
          evidence(r.json.logEvidence, lbeta(a + s, b + y.length - s) - lbeta(a, b));
          expect(r.warnings).toEqual([]);
        },
      ),
      RUNS,
    );
  });

  it('Gamma–Poisson', async () => {
    const src = `model m {
  size N
  hyper a: real(0,)
  hyper r: real(0,)
  lambda ~ Gamma(a, r)
  plate i in N { y[i] ~ Poisson(lambda) }
}`;
    await fc.assert(
      fc.asyncProperty(
        num(0.3, 5),
        num(0.2, 3),
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 40 }),
        async (a, rate, y) => {
          const r = await runCavi(src, { a, r: rate, y });
          const s = y.reduce((u, v) => u + v, 0);
          const a1 = a + s;
          const r1 = rate + y.length;
          const q = r.json.latents.lambda;
          expect(q.family).toBe('Gamma');
          close(q.params.shape as number, a1, 1e-5);
          close(q.params.rate as number, r1, 1e-5);
          const logZ =
            a * Math.log(rate) -
            gammaln(a) +
            gammaln(a1) -
            a1 * Math.log(r1) -
            y.reduce((u, v) => u + gammaln(v + 1), 0);
          evidence(r.json.logEvidence, logZ);
        },
      ),
      RUNS,
    );
  });

  it('Dirichlet–Categorical', async () => {
    const src = `model m {
  size N
  size K
  hyper alpha: real(0,)[K]
  theta ~ Dirichlet(alpha)
  plate i in N { y[i] ~ Categorical(theta) }
}`;
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 6 })
          .chain((K) =>
            fc.tuple(
              fc.array(num(0.3, 4), { minLength: K, maxLength: K }),
              fc.array(fc.integer({ min: 0, max: K - 1 }), { minLength: 1, maxLength: 40 }),
            ),
          ),
        async ([alpha, y]) => {
          const K = alpha.length;
          const r = await runCavi(src, { K, alpha, y });
          const post = alpha.map((a, k) => a + y.filter((v) => v === k).length);
          const q = r.json.latents.theta;
          expect(q.family).toBe('Dirichlet');
          flat(q.params.alpha).forEach((v, k) => {
            close(v, post[k], 1e-5);
          });
          evidence(r.json.logEvidence, lmvbeta(post) - lmvbeta(alpha));
        },
      ),
      RUNS,
    );
  });

  it('Normal–Normal with known sigma', async () => {
    const src = `model m {
  size N
  hyper m0: real
  hyper s0: real(0,)
  hyper sigma: real(0,)
  mu ~ Normal(m0, s0)
  plate i in N { x[i] ~ Normal(mu, sigma) }
}`;
    await fc.assert(
      fc.asyncProperty(
        num(-5, 5),
        num(0.3, 10),
        num(0.2, 5),
        fc.array(num(-10, 10), { minLength: 1, maxLength: 40 }),
        async (m0, s0, sigma, x) => {
          const r = await runCavi(src, { m0, s0, sigma, x });
          const N = x.length;
          const prec = 1 / (s0 * s0) + N / (sigma * sigma);
          const mean = (m0 / (s0 * s0) + x.reduce((u, v) => u + v, 0) / (sigma * sigma)) / prec;
          const q = r.json.latents.mu;
          expect(q.family).toBe('Normal');
          close(q.params.mu as number, mean, 1e-5, 1e-6);
          close(q.params.sigma as number, 1 / Math.sqrt(prec), 1e-5);
          // x ~ N(m0 1, σ² I + s0² 1 1ᵀ): Sherman–Morrison for the inverse and determinant
          const s2 = sigma * sigma;
          const d = x.map((v) => v - m0);
          const sd = d.reduce((u, v) => u + v, 0);
          const sdd = d.reduce((u, v) => u + v * v, 0);
          const quad = (sdd - (s0 * s0 * sd * sd) / (s2 + N * s0 * s0)) / s2;
          const logDet = N * Math.log(s2) + Math.log(1 + (N * s0 * s0) / s2);
          const logZ = -0.5 * N * Math.log(2 * Math.PI) - 0.5 * logDet - 0.5 * quad;
          evidence(r.json.logEvidence, logZ);
        },
      ),
      RUNS,
    );
  });
});
