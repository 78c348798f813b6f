// The discrete E-step (src/infer/discrete/estep.ts) against brute-force float64 enumeration
// written here, per case: Gaussian mixtures (responsibilities, log-likelihoods and Σ r, Σ r x,
// Σ r x²), noisy-OR cases (posterior of every cause, expected counts) and a small discrete
// network with partly observed nodes — always with the parameter values passed in, not the
// model's defaults. Tables are float32, so tolerances are multiples of float32's epsilon times
// the size of the log terms summed.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { PlatoError } from '../../../src/diagnostics/diagnostics.js';
import {
  DiscreteEStep,
  discreteEStep,
  type EStepResult,
  expectedStats,
} from '../../../src/infer/discrete/estep.js';
import { boundModel } from '../../support/models.js';
import { bruteNoisyOr } from '../../support/noisyOr.js';
import { prng } from '../../support/prng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const EPS32 = 2 ** -23;

/** |a − e| ≤ tol, with a readable failure */
function near(a: number, e: number, tol: number, what: string): void {
  if (!(Math.abs(a - e) <= tol)) throw new Error(`${what}: got ${a}, expected ${e} (tol ${tol})`);
}

/** log Σ exp over a list, float64 */
function lse(xs: readonly number[]): number {
  const m = Math.max(...xs);
  if (m === Number.NEGATIVE_INFINITY) return m;
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

/** Run an E-step and assert that it leaves no tensor behind. */
function estep(run: () => EStepResult): EStepResult {
  const before = tf.memory().numTensors;
  const e = run();
  expect(tf.memory().numTensors).toBe(before);
  return e;
}

const GMM = `model gmm1 {
  size N
  size K
  param pi: simplex[K] = rep(1.0 / K, K)
  param mu: real[K]
  hyper sigma: real(0,) = 1
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i] ~ Normal(mu[z[i]], sigma)
  }
}`;

describe('Gaussian mixture: z[i] ~ Categorical(pi), x[i] ~ Normal(mu[z[i]], sigma)', () => {
  const mixture = fc
    .record({
      N: fc.integer({ min: 1, max: 40 }),
      K: fc.integer({ min: 1, max: 5 }),
      sigma: fc.double({ min: 0.2, max: 3, noNaN: true }),
      seed: fc.integer(),
    })
    .map(({ N, K, sigma, seed }) => {
      const rand = prng(seed);
      const w = Array.from({ length: K }, () => 0.05 + rand());
      const total = w.reduce((a, b) => a + b, 0);
      const pi = w.map((v) => v / total);
      const mu = Array.from({ length: K }, () => 10 * rand() - 5);
      const x = Array.from({ length: N }, () => 14 * rand() - 7);
      return { N, K, sigma, pi, mu, x };
    });

  /** float64 reference: per case log p(x_i) and r_ik, and the scale of the summed log terms */
  function reference(pi: number[], mu: number[], sigma: number, x: number[]) {
    return x.map((xi) => {
      const terms = pi.map(
        (p, k) =>
          Math.log(p) -
          0.5 * Math.log(2 * Math.PI) -
          Math.log(sigma) -
          (xi - mu[k]) ** 2 / (2 * sigma * sigma),
      );
      const logLik = lse(terms);
      return {
        logLik,
        r: terms.map((t) => Math.exp(t - logLik)),
        scale: Math.max(...terms.map(Math.abs)),
      };
    });
  }

  it('log-likelihood per case, responsibilities and Σ r, Σ r x, Σ r x² match enumeration', () => {
    fc.assert(
      fc.property(mixture, ({ N, K, sigma, pi, mu, x }) => {
        // the model's default pi (uniform) and sigma (1) are replaced by the values passed in
        const bound = boundModel(GMM, { N, K, x });
        const e = estep(() => discreteEStep(bound, { plate: 'i', values: { pi, mu, sigma } }));
        const ref = reference(pi, mu, sigma, x);
        expect(e.cases).toBe(N);
        expect(e.posterior.z.shape).toEqual([N]);
        expect(e.posterior.z.card).toBe(K);
        let total = 0;
        ref.forEach((c, i) => {
          const tol = 16 * EPS32 * (1 + c.scale);
          near(e.logLik[i], c.logLik, tol, `logLik[${i}]`);
          c.r.forEach((r, k) => {
            near(e.posterior.z.probs[i * K + k], r, tol, `r[${i}, ${k}]`);
          });
          total += c.logLik;
        });
        expect(e.logLikRest).toBe(0);
        near(e.logZ, total, 16 * EPS32 * ref.reduce((a, c) => a + 1 + c.scale, 0), 'logZ');

        const before = tf.memory().numTensors;
        const s = expectedStats(bound, e, 'z', 'x', { plate: 'i', outer: true });
        expect(tf.memory().numTensors).toBe(before);
        expect([s.L, s.D]).toEqual([K, 1]);
        for (let k = 0; k < K; k++) {
          let n = 0;
          let sx = 0;
          let sxx = 0;
          let scale = 0;
          ref.forEach((c, i) => {
            n += c.r[k];
            sx += c.r[k] * x[i];
            sxx += c.r[k] * x[i] * x[i];
            scale += 1 + c.scale;
          });
          // the responsibilities carry the error above; the sums add N float32 products
          const tol = 32 * EPS32 * scale;
          near(s.count[k], n, tol, `count[${k}]`);
          near(s.sum[k], sx, tol * 7, `sum[${k}]`);
          near(s.sumSq[k], sxx, tol * 49, `sumSq[${k}]`);
          near((s.sumOuter as Float64Array)[k], sxx, tol * 49, `sumOuter[${k}]`);
        }
      }),
      { seed: 1, numRuns: 40 },
    );
  });

  it('repeated E-steps with new values (the structure is reused) stay exact', () => {
    const rand = prng(5);
    const N = 25;
    const K = 3;
    const x = Array.from({ length: N }, () => 8 * rand() - 4);
    const bound = boundModel(GMM, { N, K, x });
    const e = new DiscreteEStep(bound, 'i');
    for (let it = 0; it < 3; it++) {
      const w = [1 + it, 2, 3 - it * 0.5];
      const pi = w.map((v) => v / w.reduce((a, b) => a + b, 0));
      const mu = [-2 + it, 0.5 * it, 3 - it];
      const r = estep(() => e.run({ pi, mu, sigma: 0.5 + it }));
      reference(pi, mu, 0.5 + it, x).forEach((c, i) => {
        near(r.logLik[i], c.logLik, 16 * EPS32 * (1 + c.scale), `iteration ${it}, case ${i}`);
      });
    }
  });
});

describe('a plate of 200,000 cases', () => {
  it('runs (no argument spread over the cases) and finishes Σ r, Σ r x, Σ r x² in float64', () => {
    const rand = prng(11);
    const N = 200_000;
    const K = 2;
    // values near 1000: a float32 sum over all N cases loses ~√N · 2⁻²⁴ relative
    const x = Array.from({ length: N }, (_, i) => 1000 + (i % 2 ? 1 : -1) + rand());
    const bound = boundModel(GMM, { N, K, x });
    const e = estep(() =>
      discreteEStep(bound, { plate: 'i', values: { pi: [0.5, 0.5], mu: [999, 1001] } }),
    );
    const before = tf.memory().numTensors;
    const st = expectedStats(bound, e, 'z', 'x', { plate: 'i' });
    expect(tf.memory().numTensors).toBe(before);
    // the reference sums, in float64, exactly the float32 values the products read
    const r = e.posterior.z.probs;
    const want = { count: [0, 0], sum: [0, 0], sumSq: [0, 0] };
    for (let i = 0; i < N; i++) {
      const xf = Math.fround(x[i]);
      for (let k = 0; k < K; k++) {
        const w = Math.fround(r[i * K + k]);
        want.count[k] += w;
        want.sum[k] += w * xf;
        want.sumSq[k] += w * xf * xf;
      }
    }
    // blocks of at most 4096 cases in float32: relative error ~ ½ √4096 · 2⁻²⁴, whatever N
    const tol = 0.5 * Math.sqrt(4096) * 2 ** -24;
    for (const key of ['count', 'sum', 'sumSq'] as const)
      for (let k = 0; k < K; k++) near(st[key][k] / want[key][k], 1, tol, `${key}[${k}]`);
  });
});

const NOISY_OR = `model nor_cases {
  size N
  size K
  size M
  hyper leak: real(0,1) = 0.01
  param rho: real(0,1)[K] = rep(0.05, K)
  param W: real(0,)[K, M] = 1.0
  plate i in N {
    plate k in K { d[i, k] ~ Bernoulli(rho[k]) }
    plate j in M { s[i, j] ~ Bernoulli(1 - (1 - leak) * exp(-dot(W[:, j], d[i]))) }
  }
}`;

describe('noisy-OR cases: d[i, k] ~ Bernoulli(rho[k]), s[i, j] noisy-OR of d[i]', () => {
  it('log-likelihood, P(d = 1) per case and the expected counts match enumeration', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        (N, K, M, seed) => {
          const rand = prng(seed);
          const leak = 0.005 + 0.1 * rand();
          const rho = Array.from({ length: K }, () => 0.05 + 0.6 * rand());
          const W = Array.from({ length: K }, () =>
            Array.from({ length: M }, () => (rand() < 0.3 ? 0 : 2 * rand())),
          );
          const s = Array.from({ length: N }, () =>
            Array.from({ length: M }, () => (rand() < 0.4 ? 1 : 0)),
          );
          const bound = boundModel(NOISY_OR, { N, K, M, s });
          const e = estep(() =>
            discreteEStep(bound, { plate: 'i', values: { rho, W: W.flat(), leak } }),
          );
          const st = expectedStats(bound, e, 'd', 's', { plate: 'i' });
          expect([st.L, st.D]).toEqual([2 * K, M]);
          const count = new Array<number>(K).fill(0);
          const joint = Array.from({ length: K }, () => new Array<number>(M).fill(0));
          let scale = 0;
          s.forEach((si, i) => {
            const ref = bruteNoisyOr(rho, leak, W, si);
            // log terms of size `scale`, each a float32 table entry or float64 Quickscore
            const tol = 64 * EPS32 * (1 + ref.scale) * (1 + M);
            near(e.logLik[i], ref.logZ, tol, `logLik[${i}]`);
            ref.p1.forEach((p, k) => {
              near(e.posterior.d.probs[(i * K + k) * 2 + 1], p, tol, `P(d[${i}, ${k}] = 1)`);
              count[k] += p;
              si.forEach((sj, j) => {
                joint[k][j] += p * sj;
              });
            });
            scale += tol;
          });
          for (let k = 0; k < K; k++) {
            // weights l = 2k + 1 are P(d_k = 1)
            near(st.count[2 * k + 1], count[k], 2 * scale + 8 * N * EPS32, `count[${k}]`);
            for (let j = 0; j < M; j++)
              near(st.sum[(2 * k + 1) * M + j], joint[k][j], 2 * scale + 8 * N * EPS32, 'joint');
          }
        },
      ),
      { seed: 2, numRuns: 40 },
    );
  });
});

const NETWORK = `model net_cases {
  size N
  param pa: real(0,1) = 0.3
  param T: simplex[2, 3]
  hyper pc: real(0,1)[3] = [0.1, 0.5, 0.9]
  o ~ Bernoulli(pa)
  plate i in N {
    a[i] ~ Bernoulli(pa)
    b[i] ~ Categorical(T[a[i]])
    c[i] ~ Bernoulli(pc[b[i]])
    u[i] ~ Bernoulli(pc[1])
  }
}`;

describe('a discrete network per case, b partly observed', () => {
  it('matches enumeration over (a, b) per case; known nodes go to their case or the rest', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer(), (N, seed) => {
        const rand = prng(seed);
        const pa = 0.05 + 0.9 * rand();
        const T = [0, 1].map(() => {
          const w = [0, 1, 2].map(() => 0.05 + rand());
          const t = w.reduce((x, y) => x + y, 0);
          return w.map((v) => v / t);
        });
        const pc = [0, 1, 2].map(() => 0.02 + 0.96 * rand());
        const b = Array.from({ length: N }, () => (rand() < 0.5 ? null : Math.floor(3 * rand())));
        const c = Array.from({ length: N }, () => (rand() < 0.5 ? 1 : 0));
        const u = Array.from({ length: N }, () => (rand() < 0.5 ? 1 : 0));
        const o = rand() < 0.5 ? 1 : 0;
        const bound = boundModel(NETWORK, {
          N,
          b,
          c,
          u,
          o,
          T: [
            [0.2, 0.3, 0.5],
            [0.6, 0.3, 0.1],
          ],
        });
        const e = estep(() =>
          discreteEStep(bound, { plate: 'i', values: { pa, T: T.flat(), pc } }),
        );
        for (let i = 0; i < N; i++) {
          const terms: number[][] = [0, 1].map((a) =>
            [0, 1, 2].map((bb) =>
              b[i] !== null && b[i] !== bb
                ? Number.NEGATIVE_INFINITY
                : Math.log(a ? pa : 1 - pa) +
                  Math.log(T[a][bb]) +
                  Math.log(c[i] ? pc[bb] : 1 - pc[bb]),
            ),
          );
          // u[i] reads no latent: a constant of case i
          const lz = lse(terms.flat());
          const logLik = lz + Math.log(u[i] ? pc[1] : 1 - pc[1]);
          const scale = Math.max(...terms.flat().filter(Number.isFinite).map(Math.abs));
          const tol = 16 * EPS32 * (1 + scale);
          near(e.logLik[i], logLik, tol, `logLik[${i}]`);
          const pA1 = Math.exp(lse(terms[1]) - lz);
          near(e.posterior.a.probs[i * 2 + 1], pA1, tol, `P(a[${i}] = 1)`);
          // b is a variable node only when some entry is missing
          const post = e.posterior.b;
          if (!post) expect(b.every((v) => v !== null)).toBe(true);
          for (let bb = 0; bb < 3 && post; bb++) {
            const pb = Math.exp(lse([terms[0][bb], terms[1][bb]]) - lz);
            near(post.probs[i * 3 + bb], pb, tol, `P(b[${i}] = ${bb})`);
          }
        }
        // o lies outside the plate of cases
        near(e.logLikRest, Math.log(o ? pa : 1 - pa), 32 * EPS32 * 4, 'logLikRest');
      }),
      { seed: 3, numRuns: 30 },
    );
  });
});

describe('refusals', () => {
  it('a latent shared by the cases: they are not independent', () => {
    const src = `model shared {
      size N
      param mu: real[2] = [0, 1]
      g ~ Bernoulli(0.5)
      plate i in N { x[i] ~ Normal(mu[g], 1) }
    }`;
    const bound = boundModel(src, { N: 3, x: [0.1, 0.2, 0.3] });
    expect(() => discreteEStep(bound, { plate: 'i' })).toThrow(/not independent: g lies outside/);
  });

  it('values for an unknown name, of the wrong size, or an unknown plate', () => {
    const bound = boundModel(GMM, { N: 2, K: 2, x: [0, 1] });
    expect(() => discreteEStep(bound, { plate: 'i', values: { nope: 1 } })).toThrow(PlatoError);
    expect(() => discreteEStep(bound, { plate: 'i', values: { mu: [1, 2, 3] } })).toThrow(
      /has 3 entries, its shape \[2\] has 2/,
    );
    expect(() => discreteEStep(bound, { plate: 'q', values: { mu: [1, 2] } })).toThrow(
      /no plate 'q'/,
    );
    // mu has no default and no value: the reason names it
    expect(() => discreteEStep(bound, { plate: 'i' })).toThrow(/param mu has no value/);
  });
});
