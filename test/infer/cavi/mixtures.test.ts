// cavi through mixture selection: LDA (DESIGN.md §2, ragged documents as flat token arrays)
// and Bayesian Gaussian mixtures (Dirichlet weights, Normal means, known or Gamma precisions per
// dimension). Coordinate ascent never decreases the ELBO: the trace is checked on random small
// instances (fast-check, fixed seeds), with the engine's own per-update check reporting nothing;
// the tolerance, 1e-6 relative, is ~10× the float32 rounding of the ELBO's terms summed in
// float64 (plus, with Gamma precisions, the magnitude of the Normal terms' pieces: see there). LDA recovers planted topics from a corpus drawn by the library's sample().
import { readFileSync } from 'node:fs';
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, engines, infer, sample } from '../../../src/index.js';
import { prng } from '../../support/prng.js';
import { flat } from '../exact/conjugateHelpers.js';
import { expectNonDecreasing, runCavi } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const LDA = readFileSync(new URL('../../../examples/lda/lda.plato', import.meta.url), 'utf8');

const BGMM = (precision: boolean) => `model bgmm {
  size N
  size D
  size K
  hyper alpha: real(0,) = 1
  weights ~ Dirichlet(rep(alpha, K))
  plate k in K {
    plate j in D {
      mu[k, j] ~ Normal(0, 10)
      ${precision ? 'tau[k, j] ~ Gamma(2, 2)' : ''}
    }
  }
  plate i in N {
    z[i] ~ Categorical(weights)
    plate j in D {
      x[i, j] ~ Normal(mu[z[i], j], ${precision ? '1 / sqrt(tau[z[i], j])' : '0.7'})
    }
  }
}`;

/** A random corpus: D documents of 3..12 tokens over V words. */
function corpus(seed: number, D: number, V: number) {
  const r = prng(seed);
  const N = Array.from({ length: D }, () => 3 + Math.floor(r() * 10));
  const w = N.map((n) => Array.from({ length: n }, () => Math.floor(r() * V)));
  return { D, V, N, w };
}

/** N points around K random centres in D dimensions. */
function blobs(seed: number, N: number, D: number, K: number) {
  const r = prng(seed);
  const g = () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: K }, () => Array.from({ length: D }, () => 6 * g()));
  const x = Array.from({ length: N }, () => {
    const c = centres[Math.floor(r() * K)];
    return c.map((m) => m + g());
  });
  return { x, N, D };
}

describe('the ELBO never decreases', () => {
  it('LDA on random small corpora', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.integer({ min: 2, max: 4 }),
        async (seed, K) => {
          const data = { ...corpus(seed, 6, 15), K, alpha: 0.5, eta: 0.1 };
          const r = await runCavi(LDA, data, { iters: 25, tol: 1e-9, seed });
          expect(r.warnings).toEqual([]);
          expectNonDecreasing(r.posterior.elbo ?? [], 1e-6);
          expect(r.json.logEvidence).toBe(r.posterior.elbo?.at(-1));
        },
      ),
      { numRuns: 6, seed: 3 },
    );
  });

  for (const precision of [false, true]) {
    it(`Bayesian GMM, ${precision ? 'Gamma precisions' : 'known sd'} per dimension`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 1 << 30 }),
          fc.integer({ min: 2, max: 4 }),
          async (seed, K) => {
            const data = { ...blobs(seed, 40, 2, 3), K };
            const r = await runCavi(BGMM(precision), data, { iters: 30, tol: 1e-9, seed });
            expect(r.warnings).toEqual([]);
            // the Normal term τx·E[μ] − τx²/2 − τE[μ²]/2 is O(1) from float32 pieces O(τx²)
            // (τ = 1 / 0.7² known, or E[τ] ≈ 1: unit-variance clusters, Gamma(2, 2) prior), so
            // the ELBO is known to ~1e-6 · Σ 2τx² (float32 rounding of the pieces, summed in
            // either order: row by row, or per component from Σ q x and Σ q x², selected.ts;
            // digamma's 1e-6 relative with a Gamma precision)
            const x2 = data.x.flat().reduce((s, v) => s + v * v, 0);
            const tau = precision ? 1 : 1 / 0.7 ** 2;
            expectNonDecreasing(r.posterior.elbo ?? [], 1e-6, 2e-6 * tau * x2);
            const w = flat(r.json.latents.weights.mean);
            expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
            expect(r.json.latents.z.family).toBe('Categorical');
            expect(r.json.latents.mu.family).toBe('Normal');
            if (precision) expect(r.json.latents.tau.family).toBe('Gamma');
          },
        ),
        { numRuns: 5, seed: 4 },
      );
    });
  }
});

describe('impossible states', () => {
  it('a mixture whose known weights rule a state out: q = 0 there, a finite ELBO, no warning', async () => {
    const src = `model m {
  size N
  size K = 3
  data w: real[K]
  plate k in K { theta[k] ~ Beta(1, 1) }
  plate i in N {
    z[i] ~ Categorical(w)
    y[i] ~ Bernoulli(theta[z[i]])
  }
}`;
    const y = [1, 0, 1, 1, 0, 1];
    const r = await runCavi(src, { N: 6, w: [0.5, 0.5, 0], y }, { iters: 20, tol: 1e-12 });
    expect(r.warnings).toEqual([]);
    expectNonDecreasing(r.posterior.elbo ?? [], 1e-6);
    expect(Number.isFinite(r.json.logEvidence)).toBe(true);
    const p = flat(r.json.latents.z.mean);
    for (let i = 0; i < y.length; i++) expect(p[3 * i + 2]).toBe(0);
  });
});

describe('LDA', () => {
  it('recovers planted topics from a corpus drawn by sample() (best-match cosine ≥ 0.9)', async () => {
    const K = 4;
    const V = 40;
    const D = 150;
    const N = Array.from({ length: D }, () => 60);
    const model = compile(LDA, { filename: 'lda.plato' });
    const sizes = { K, V, D, N, alpha: 0.2, eta: 0.05 };
    const draw = await sample(model, { data: sizes, n: 1, seed: 7 });
    const beta = draw.draws.beta.toJSON() as number[][][];
    const w = draw.draws.w.toJSON() as number[][][];
    const truth = beta[0];
    const r = await infer(model, {
      data: { ...sizes, w: w[0] },
      engine: 'cavi',
      seed: 1,
      iters: 300,
    });
    expect(r.engine).toBe('cavi');
    const fit = r.latents.beta.mean;
    const rows = Array.from({ length: K }, (_, k) =>
      Array.from(fit.data.slice(k * V, (k + 1) * V)),
    );
    const cos = (a: number[], b: number[]) => {
      let ab = 0;
      let aa = 0;
      let bb = 0;
      a.forEach((v, i) => {
        ab += v * b[i];
        aa += v * v;
        bb += b[i] * b[i];
      });
      return ab / Math.sqrt(aa * bb);
    };
    for (const t of truth) {
      const best = Math.max(...rows.map((f) => cos(t, f)));
      expect(best).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('reports the ELBO of its final factors (float64 formula of Blei et al. 2003, appendix A.3)', async () => {
    // the engine takes the ELBO of the terms z weights from z's own update (Σ log Σ_k exp
    // logits); here it is summed term by term from the returned γ, λ, φ:
    //   L = Σ_dn Σ_k φ_dnk (E[log θ_dk] + E[log β_k,w_dn] − log φ_dnk)
    //       − Σ_d KL(Dir(γ_d) ‖ Dir(α)) − Σ_k KL(Dir(λ_k) ‖ Dir(η))
    // tolerance: the ELBO is float32 terms (~1e-6 relative, digamma and rounding) summed in float64
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 30 }),
        async (seed, K, iters) => {
          const alpha = 0.3;
          const eta = 0.05;
          const data = { ...corpus(seed, 8, 12), K, alpha, eta };
          const r = await runCavi(LDA, data, { iters, tol: 1e-12, seed });
          const gamma = r.json.latents.theta.params.alpha as number[][];
          const lambda = r.json.latents.beta.params.alpha as number[][];
          const phi = r.json.latents.z.params.p as number[][][];
          const elog = (a: number[]) => {
            const s = digamma(a.reduce((u, v) => u + v, 0));
            return a.map((v) => digamma(v) - s);
          };
          const negKl = (a: number[], prior: number) => {
            const e = elog(a);
            const sum = a.reduce((u, v) => u + v, 0);
            let out = gammaln(sum) - gammaln(a.length * prior);
            a.forEach((v, i) => {
              out += gammaln(prior) - gammaln(v) + (v - prior) * e[i];
            });
            return -out;
          };
          const elogBeta = lambda.map(elog);
          let L = 0;
          data.w.forEach((doc, d) => {
            const elogTheta = elog(gamma[d]);
            doc.forEach((v, n) => {
              phi[d][n].forEach((p, k) => {
                if (p > 0) L += p * (elogTheta[k] + elogBeta[k][v] - Math.log(p));
              });
            });
            L += negKl(gamma[d], alpha);
          });
          for (const l of lambda) L += negKl(l, eta);
          expect(Math.abs((r.json.logEvidence as number) - L)).toBeLessThanOrEqual(
            2e-6 * Math.abs(L),
          );
        },
      ),
      { numRuns: 8, seed: 5 },
    );
  });

  it('runs on examples/lda (ragged documents as flat token arrays) and auto picks cavi', async () => {
    const model = compile(LDA, { filename: 'lda.plato' });
    const data = JSON.parse(
      readFileSync(new URL('../../../examples/lda/lda-small.json', import.meta.url), 'utf8'),
    );
    const rep = engines(model, { data });
    expect(rep.auto).toBe('cavi');
    const r = await runCavi(LDA, data, { iters: 5 });
    expect(r.warnings).toEqual([]);
    expectNonDecreasing(r.posterior.elbo ?? [], 1e-6);
    const theta = r.json.latents.theta;
    expect(theta.family).toBe('Dirichlet');
    expect(theta.shape).toEqual([data.D, 20]);
    // z is reported per document and token, ragged as the data
    const z = r.json.latents.z.params.p as number[][][];
    expect(z).toHaveLength(data.D);
    expect(z[0]).toHaveLength(data.N[0]);
    expect(z[0][0]).toHaveLength(20);
  });
});
