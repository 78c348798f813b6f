// The em engine (issue 9, first increment): EM for Gaussian mixtures (full and per-dimension
// covariances) with the exact discrete E-step. Checked against float64 references written in
// reference.ts: the log-likelihood trace never decreases, well-separated mixtures are recovered
// within tolerances derived from N, and the reported logEvidence is Σ_i log Σ_k π_k N(x_i; μ_k,
// Σ_k) at the returned params. Also: no tensor leaks, and what em refuses (with reasons).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostics.js';
import { compile, infer } from '../../../src/index.js';
import { getEngine } from '../../../src/infer/engines.js';
import { boundModel, MODELS } from '../../support/models.js';
import { diagMixtureLogLik, drawMixture, type Mixture, mvnMixtureLogLik } from './reference.js';

const EPS32 = 2 ** -23;

beforeAll(async () => {
  await initBackend('wasm');
});

const FULL = compile(`model gmm_full {
  size N
  size D
  size K
  param pi: simplex[K]
  param mu: real[K, D]
  param Sigma: real[K, D, D]
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i] ~ MvNormal(mu[z[i]], Sigma[z[i]])
  }
}`);

const DIAG = compile(`model gmm_diag {
  size N
  size D
  size K
  param pi: simplex[K]
  param mu: real[K, D]
  param sigma: real(0,)[K, D]
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i]: real[D] ~ Normal(mu[z[i]], sigma[z[i]])
  }
}`);

const TWO = compile(`model two {
  size N
  param p: real(0,1)
  param mu: real[2]
  param sigma: real(0,)[2]
  plate i in N {
    z[i] ~ Bernoulli(p)
    x[i] ~ Normal(mu[z[i]], sigma[z[i]])
  }
}`);

const flat = (a: ArrayLike<number>) => Array.from(a);

/** Is the trace non-decreasing up to 1e-6 relative (the engine's warning threshold)? */
function nonDecreasing(trace: readonly number[]): boolean {
  return trace.every((v, t) => t === 0 || v - trace[t - 1] >= -1e-6 * Math.abs(trace[t - 1]));
}

describe('em on Gaussian mixtures', () => {
  it('property: the log-likelihood trace never decreases (1-D and 2-D, full and diagonal)', async () => {
    const warnings: Diagnostic[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 2, max: 3 }),
        fc.integer({ min: 20, max: 60 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 30 }),
        async (D, K, N, full, seed) => {
          // overlapping random components: EM takes many small steps
          const m: Mixture = {
            pi: Array.from({ length: K }, () => 1 / K),
            mu: Array.from({ length: K * D }, (_, j) => ((seed >> j) % 5) - 2),
            Sigma: Array.from({ length: K }, () =>
              Array.from({ length: D * D }, (_, j) => (j % (D + 1) === 0 ? 1 : 0.3)),
            ).flat(),
          };
          const { x } = drawMixture(m, N, D, seed);
          const r = await infer(full ? FULL : DIAG, {
            data: { N, D, K, x },
            engine: 'em',
            iters: 25,
            tol: 1e-12,
            seed,
            onWarning: (w) => warnings.push(w),
          });
          expect(r.elbo?.length).toBe(r.iterations + 1);
          expect(nonDecreasing(r.elbo ?? [])).toBe(true);
          expect(r.logEvidence).toBe(r.elbo?.[r.elbo.length - 1]);
        },
      ),
      { numRuns: 30, seed: 20261205 },
    );
    expect(warnings).toEqual([]);
  });

  it('recovers well-separated means, covariances and weights up to label permutation', async () => {
    const D = 2;
    const truth: Mixture = {
      pi: [0.5, 0.3, 0.2],
      mu: [0, 0, 12, 0, 0, 12],
      Sigma: [1, 0.5, 0.5, 2, 2, 0, 0, 0.5, 1, -0.3, -0.3, 1],
    };
    const K = 3;
    const N = 1500;
    const { x } = drawMixture(truth, N, D, 7);
    const r = await infer(FULL, { data: { N, D, K, x }, engine: 'em', seed: 1, restarts: 2 });
    expect(r.converged).toBe(true);
    const pi = flat(r.params.pi.data);
    const mu = flat(r.params.mu.data);
    const Sigma = flat(r.params.Sigma.data);
    expect(r.params.mu.shape).toEqual([K, D]);
    expect(r.params.Sigma.shape).toEqual([K, D, D]);
    expect(r.latents.z.family).toBe('Categorical');
    expect(r.latents.z.params.p.shape).toEqual([N, K]);
    for (let k = 0; k < K; k++) {
      // the estimated component nearest to the true mean k
      const dist = (j: number) =>
        (mu[j * D] - truth.mu[k * D]) ** 2 + (mu[j * D + 1] - truth.mu[k * D + 1]) ** 2;
      const j = [0, 1, 2].reduce((a, b) => (dist(b) < dist(a) ? b : a));
      const Nk = truth.pi[k] * N;
      // 5 standard errors: weights sqrt(π(1−π)/N), means sqrt(Σ_dd/N_k), covariances Σ·sqrt(2/N_k)
      expect(Math.abs(pi[j] - truth.pi[k])).toBeLessThan(
        5 * Math.sqrt((truth.pi[k] * (1 - truth.pi[k])) / N),
      );
      for (let d = 0; d < D; d++)
        expect(Math.abs(mu[j * D + d] - truth.mu[k * D + d])).toBeLessThan(
          5 * Math.sqrt(truth.Sigma[k * 4 + d * 3] / Nk),
        );
      for (let e = 0; e < D * D; e++) {
        const a = Math.floor(e / D);
        const b = e % D;
        const scale = Math.sqrt(truth.Sigma[k * 4 + a * 3] * truth.Sigma[k * 4 + b * 3]);
        expect(Math.abs(Sigma[j * 4 + e] - truth.Sigma[k * 4 + e])).toBeLessThan(
          5 * scale * Math.sqrt(2 / Nk),
        );
      }
    }
  });

  it('the init option: a mixture starts from the given values (ℓ₀ there)', async () => {
    const D = 3;
    const K = 2;
    const N = 200;
    const truth: Mixture = {
      pi: [0.5, 0.5],
      mu: [0, 0, 0, 3, 1, -1],
      Sigma: [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1],
    };
    const { x } = drawMixture(truth, N, D, 5);
    const init = {
      pi: [0.3, 0.7],
      mu: [
        [0.5, 0, 0],
        [2, 1, 0],
      ],
      Sigma: [
        [
          [2, 0, 0],
          [0, 2, 0],
          [0, 0, 2],
        ],
      ],
    };
    const r = await infer(FULL, {
      data: { N, D, K, x },
      engine: 'em',
      iters: 5,
      restarts: 3,
      init,
    });
    // Sigma [1, D, D] broadcasts to every component
    const Sigma = [...init.Sigma[0].flat(), ...init.Sigma[0].flat()];
    const ref = mvnMixtureLogLik(x.flat(), N, D, init.pi, init.mu.flat(), Sigma);
    const l0 = (r.elbo as number[])[0];
    expect(Math.abs(l0 - ref.logLik)).toBeLessThan(8 * D * EPS32 * ref.magnitude);
    expect(r.elbo).toHaveLength(6);
    expect(flat(r.params.pi.data)).not.toEqual(init.pi);
  });

  it('logEvidence is Σ_i log Σ_k π_k N(x_i; μ_k, Σ_k) at the returned params (float64 reference)', async () => {
    const D = 3;
    const K = 2;
    const N = 300;
    const truth: Mixture = {
      pi: [0.6, 0.4],
      mu: [0, 0, 0, 2, 1, -1],
      Sigma: [1, 0.2, 0, 0.2, 1, 0.1, 0, 0.1, 1, 0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5],
    };
    const { x } = drawMixture(truth, N, D, 11);
    const xs = x.flat();
    const full = await infer(FULL, { data: { N, D, K, x }, engine: 'em', iters: 30, seed: 3 });
    const ref = mvnMixtureLogLik(
      xs,
      N,
      D,
      full.params.pi.data,
      full.params.mu.data,
      full.params.Sigma.data,
    );
    // float32 tables in the E-step: each case's terms carry ~EPS32 relative error (times D for the quadratic form)
    const tol = 8 * D * EPS32 * ref.magnitude;
    expect(Math.abs((full.logEvidence as number) - ref.logLik)).toBeLessThan(tol);

    const diag = await infer(DIAG, { data: { N, D, K, x }, engine: 'em', iters: 30, seed: 3 });
    const dref = diagMixtureLogLik(
      xs,
      N,
      D,
      diag.params.pi.data,
      diag.params.mu.data,
      diag.params.sigma.data,
    );
    expect(Math.abs((diag.logEvidence as number) - dref.logLik)).toBeLessThan(
      8 * D * EPS32 * dref.magnitude,
    );
    expect(diag.params.sigma.shape).toEqual([K, D]);

    // a Bernoulli latent: p is the weight of component 1
    const x1 = x.map((row) => row[1]);
    const two = await infer(compile(TWO.graph.source), {
      data: { N, x: x1 },
      engine: 'em',
      iters: 30,
      seed: 3,
    });
    const p = two.params.p.data[0];
    expect(two.params.p.shape).toEqual([]);
    const bref = diagMixtureLogLik(x1, N, 1, [1 - p, p], two.params.mu.data, two.params.sigma.data);
    expect(Math.abs((two.logEvidence as number) - bref.logLik)).toBeLessThan(
      8 * EPS32 * bref.magnitude,
    );
    expect(two.latents.z.family).toBe('Bernoulli');
  });

  it('leaves no tensor behind over a run with restarts; reports progress up to the total', async () => {
    const { x } = drawMixture({ pi: [0.5, 0.5], mu: [0, 4], Sigma: [1, 1] }, 50, 1, 5);
    const progress: [number, number][] = [];
    const before = tf.memory().numTensors;
    await infer(FULL, {
      data: { N: 50, D: 1, K: 2, x },
      engine: 'em',
      iters: 5,
      restarts: 2,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every(([, total]) => total === 10)).toBe(true);
    expect(progress.every(([d], t) => t === 0 || d >= progress[t - 1][0])).toBe(true);
    expect(progress[progress.length - 1]).toEqual([10, 10]);
  });

  it('an observed Categorical: the weights are the frequencies, logEvidence Σ_i log π_{y_i}', async () => {
    const CAT = compile(`model cat {
  size N
  size K
  param pi: simplex[K]
  plate i in N {
    y[i] ~ Categorical(pi)
  }
}`);
    const y = [0, 2, 2, 1, 2, 0, 2, 2];
    const r = await infer(CAT, { data: { N: 8, K: 3, y }, engine: 'em' });
    expect(flat(r.params.pi.data)).toEqual([2 / 8, 1 / 8, 5 / 8]);
    const ref = y.reduce((s, k) => s + Math.log([2 / 8, 1 / 8, 5 / 8][k]), 0);
    expect(Math.abs((r.logEvidence as number) - ref)).toBeLessThan(8 * 8 * EPS32 * Math.abs(ref));
    expect(r.converged).toBe(true);
  });
});

describe('what em refuses', () => {
  it('noisy-OR of one patient (no plate of cases): refused at its nodes', () => {
    // with a plate of cases W is learned by the gradient M-step (gradient.test.ts)
    const bound = boundModel(MODELS.noisy_or, { K: 2, M: 2, s: [1, 0], rho: [0.1, 0.2] });
    const app = getEngine('em').applicability(bound);
    expect(app.ok).toBe(false);
    if (app.ok) return;
    expect(app.reasons.map((r) => r.node).sort()).toEqual(['d', 's']);
    for (const r of app.reasons)
      expect(r.message).toMatch(/is not in a single plate of independent cases/);
  });
});
