// em on factor analysis and probabilistic PCA (issue 9): the engine works on the data's moments
// (x̄, S) with Woodbury's identity; the references in faReference.ts work case by case in float64.
// Tolerances: the engine's moments are of the data as float32 (2⁻²⁴ relative per entry), summed
// in float32 over blocks of at most 64 rows and in float64 across blocks, so ℓ carries a relative
// error of at most ~64 · 2⁻²⁴ ≈ 4e-6 (REL below); everything after the moments is float64.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostics.js';
import { compile, engines, infer, PlatoError } from '../../../src/index.js';
import type { Posterior } from '../../../src/infer/result.js';
import { runInProcess } from '../../cli/helpers.js';
import { MODELS } from '../../support/models.js';
import {
  drawFactorData,
  eigenvalues,
  faEm,
  faLogLik,
  inverse,
  momentsAbout,
  normalMatrix,
  type Rows,
} from './faReference.js';

/** ℓ's relative error from float32 moments (header). */
const REL = 64 * 2 ** -24;

beforeAll(async () => {
  await initBackend('wasm');
});

const FA = compile(MODELS.factor_analysis, { filename: 'factor_analysis.plato' });
const example = [
  'examples/factor_analysis/factor_analysis.plato',
  '--data',
  'examples/factor_analysis/fa.json',
];

const rows = (a: ArrayLike<number>, m: number): Rows => {
  const out: Rows = [];
  for (let i = 0; i < a.length; i += m) out.push(Array.from(a).slice(i, i + m));
  return out;
};
const flat = (a: ArrayLike<number>) => Array.from(a);
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** The returned params as rows: W [P × K], mu [P], psi [P]. */
function faParams(r: Posterior, K: number) {
  return {
    W: rows(r.params.W.data, K),
    mu: flat(r.params.mu.data),
    psi: flat(r.params.psi.data),
  };
}

const N = 400;
const P = 6;
const K = 2;
const SET = drawFactorData(11, N, P, K);
const DATA = { N, P, K, x: SET.x };

describe('factor analysis: answers against float64 references', () => {
  it('from the same start, the iterates of per-case float64 EM (ℓ every iteration, the final params)', async () => {
    const W0 = normalMatrix(7, P, K);
    const psi0 = new Array<number>(P).fill(1);
    const T = 25;
    const r = await infer(FA, {
      data: DATA,
      engine: 'em',
      iters: T,
      tol: 1e-300,
      init: { W: W0, psi: psi0 },
    });
    const ref = faEm(SET.x, W0, psi0, T);
    expect(r.iterations).toBe(T);
    const trace = r.elbo as number[];
    expect(trace).toHaveLength(T + 1);
    // ℓ₀ differs: the engine starts from mu's default 0, the reference from x̄; the first
    // iteration moves mu to x̄ before its E-step (the maximiser of ℓ over mu), so from then on
    // the two runs are the same EM
    for (let t = 1; t <= T; t++) expect(relErr(trace[t], ref.trace[t])).toBeLessThan(REL);
    const got = faParams(r, K);
    for (let j = 0; j < P; j++) {
      expect(got.mu[j]).toBeCloseTo(ref.mu[j], 5);
      expect(relErr(got.psi[j], ref.psi[j])).toBeLessThan(1e-4);
      for (let k = 0; k < K; k++) expect(got.W[j][k]).toBeCloseTo(ref.W[j][k], 4);
    }
  });

  it('logEvidence is Σ log N(x; mu, W Wᵀ + Ψ) at the returned params, and within 1e-3 of the best of many float64 EM restarts', async () => {
    const r = await infer(FA, { data: DATA, engine: 'em', iters: 500, tol: 1e-9 });
    const got = faParams(r, K);
    const direct = faLogLik(SET.x, got.mu, got.W, got.psi);
    const trace = r.elbo as number[];
    expect(r.logEvidence).toBe(trace[trace.length - 1]);
    expect(relErr(r.logEvidence as number, direct)).toBeLessThan(REL);
    // 8 random starts of float64 EM, 400 iterations each
    let best = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < 8; s++) {
      const ref = faEm(SET.x, normalMatrix(100 + s, P, K), new Array<number>(P).fill(1), 400);
      best = Math.max(best, ref.trace[ref.trace.length - 1]);
    }
    expect(direct).toBeGreaterThan(best - 1e-3 * Math.abs(best));
    // and the data's true params are no better than the optimum (up to sampling noise: ML wins)
    expect(direct).toBeGreaterThan(faLogLik(SET.x, SET.mu, SET.W, SET.psi));
  });

  it('property: ℓ never decreases (random factor models and sizes, restarts)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 0, max: 1000 }),
          n: fc.integer({ min: 20, max: 120 }),
          p: fc.integer({ min: 2, max: 7 }),
          k: fc.integer({ min: 1, max: 3 }),
        }),
        async ({ seed, n, p, k }) => {
          const d = drawFactorData(seed, n, p, k);
          const warnings: Diagnostic[] = [];
          const r = await infer(FA, {
            data: { N: n, P: p, K: k, x: d.x },
            engine: 'em',
            iters: 40,
            restarts: 2,
            seed,
            onWarning: (w) => warnings.push(w),
          });
          const trace = r.elbo as number[];
          // float64 steps on fixed moments: only rounding (~1e-15 relative) can lower ℓ
          for (let t = 1; t < trace.length; t++)
            expect(trace[t] - trace[t - 1]).toBeGreaterThanOrEqual(-1e-12 * Math.abs(trace[t - 1]));
          expect(warnings).toEqual([]);
        },
      ),
      { numRuns: 12, seed: 3 },
    );
  });

  it("z's posterior: mean G Wᵀ Ψ⁻¹ (x_i − mu) and covariance G = (I + Wᵀ Ψ⁻¹ W)⁻¹ for every case", async () => {
    const r = await infer(FA, { data: DATA, engine: 'em' });
    const { W, mu, psi } = faParams(r, K);
    const z = r.latents.z;
    expect(z.family).toBe('MvNormal');
    expect(z.shape).toEqual([N, K]);
    const A: Rows = [];
    for (let a = 0; a < K; a++) {
      A.push([]);
      for (let b = 0; b < K; b++) {
        let s = a === b ? 1 : 0;
        for (let j = 0; j < P; j++) s += (W[j][a] * W[j][b]) / psi[j];
        A[a].push(s);
      }
    }
    const G = inverse(A);
    const Sigma = flat(z.params.Sigma.data);
    expect(z.params.Sigma.shape).toEqual([N, K, K]);
    for (const i of [0, 17, N - 1])
      for (let a = 0; a < K; a++)
        for (let b = 0; b < K; b++)
          expect(relErr(Sigma[i * K * K + a * K + b], G[a][b])).toBeLessThan(1e-12);
    const mean = flat(z.mean.data);
    for (const i of [0, 5, 123, N - 1]) {
      const wx = new Array<number>(K).fill(0);
      for (let k = 0; k < K; k++)
        for (let j = 0; j < P; j++) wx[k] += (W[j][k] * (SET.x[i][j] - mu[j])) / psi[j];
      for (let k = 0; k < K; k++) {
        const want = G[k].reduce((s, g, a) => s + g * wx[a], 0);
        // one float32 product per case: 2⁻²⁴ relative per term, P terms
        expect(Math.abs(mean[i * K + k] - want)).toBeLessThan(1e-5 * (1 + Math.abs(want)));
        expect(flat(z.sd.data)[i * K + k]).toBeCloseTo(Math.sqrt(G[k][k]), 12);
      }
    }
  });

  it('no tensors leak over a full run (restarts, latents)', async () => {
    await infer(FA, { data: DATA, engine: 'em', iters: 3 });
    const before = tf.memory().numTensors;
    await infer(FA, { data: DATA, engine: 'em', iters: 20, restarts: 3 });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('variants: probabilistic PCA, fixed noise, a scaled or shifted prior', () => {
  const PPCA = compile(`model ppca {
  size N
  size P
  size K
  param W: real[P, K]
  param mu: real[P]
  param s2: real(0,)
  plate i in N {
    z[i] ~ Normal(zeros(K), 1)
    x[i] ~ MvNormal(W @ z[i] + mu, s2 * eye(P))
  }
}`);

  it('PPCA (one noise variance) reaches the closed-form ML of Tipping & Bishop (1999)', async () => {
    const r = await infer(PPCA, { data: DATA, engine: 'em', iters: 3000, tol: 1e-12 });
    const lambda = eigenvalues(momentsAbout(SET.x, flat(r.params.mu.data)));
    const sigma2 = lambda.slice(K).reduce((a, b) => a + b, 0) / (P - K);
    const logDet =
      lambda.slice(0, K).reduce((s, l) => s + Math.log(l), 0) + (P - K) * Math.log(sigma2);
    const ml = -0.5 * N * (P * Math.log(2 * Math.PI) + logDet + P);
    expect(r.params.s2.shape).toEqual([]);
    expect(relErr(flat(r.params.s2.data)[0], sigma2)).toBeLessThan(1e-4);
    expect(relErr(r.logEvidence as number, ml)).toBeLessThan(1e-6);
    // the mean is the sample mean
    const xbar = new Array<number>(P).fill(0);
    for (const row of SET.x) for (let j = 0; j < P; j++) xbar[j] += row[j] / N;
    for (let j = 0; j < P; j++) expect(flat(r.params.mu.data)[j]).toBeCloseTo(xbar[j], 5);
  });

  it('a fixed noise sd and no offset: W alone, at the closed-form optimum', async () => {
    const FIXED = compile(`model fixed_noise {
  size N
  size P
  size K
  data s: real(0,)
  param W: real[P, K]
  plate i in N {
    z[i] ~ Normal(zeros(K), 1)
    x[i] ~ Normal(W @ z[i], s)
  }
}`);
    const s = 0.8;
    const r = await infer(FIXED, { data: { ...DATA, s }, engine: 'em', iters: 3000, tol: 1e-12 });
    expect(Object.keys(r.params)).toEqual(['W']);
    // C = U_K Λ_K U_Kᵀ + s² (I − U_K U_Kᵀ) with Λ the eigenvalues of Σ x xᵀ / N (about 0)
    const lambda = eigenvalues(momentsAbout(SET.x, new Array<number>(P).fill(0)));
    expect(lambda[K - 1]).toBeGreaterThan(s * s);
    const s2 = s * s;
    const logDet = lambda.slice(0, K).reduce((a, l) => a + Math.log(l), 0) + (P - K) * Math.log(s2);
    const tr = K + lambda.slice(K).reduce((a, l) => a + l / s2, 0);
    const ml = -0.5 * N * (P * Math.log(2 * Math.PI) + logDet + tr);
    expect(relErr(r.logEvidence as number, ml)).toBeLessThan(1e-6);
    const W = rows(r.params.W.data, K);
    expect(
      relErr(
        r.logEvidence as number,
        faLogLik(SET.x, new Array(P).fill(0), W, new Array(P).fill(s2)),
      ),
    ).toBeLessThan(REL);
  });

  it('z ~ Normal(1, 2): the same fit, W scaled by 1/2 and mu shifted by −W·1', async () => {
    const SHIFTED = compile(
      MODELS.factor_analysis.replace('Normal(zeros(K), 1)', 'Normal(ones(K), 2)'),
    );
    const opts = { data: DATA, engine: 'em', iters: 60, tol: 1e-300 } as const;
    const [a, b] = [await infer(FA, opts), await infer(SHIFTED, opts)];
    const ta = a.elbo as number[];
    const tb = b.elbo as number[];
    // from the same PCA start in standardised form; ℓ₀ differs (mu's default 0 is a different mean)
    for (let t = 1; t < ta.length; t++) expect(relErr(tb[t], ta[t])).toBeLessThan(1e-12);
    const Wa = flat(a.params.W.data);
    const Wb = flat(b.params.W.data);
    for (let i = 0; i < Wa.length; i++) expect(Wb[i] * 2).toBeCloseTo(Wa[i], 10);
    const mua = flat(a.params.mu.data);
    const mub = flat(b.params.mu.data);
    for (let j = 0; j < P; j++)
      expect(mub[j]).toBeCloseTo(mua[j] - (Wb[j * K] + Wb[j * K + 1]), 10);
    // z's posterior mean moves with the prior: 1 + 2 E[u]
    const za = flat(a.latents.z.mean.data);
    const zb = flat(b.latents.z.mean.data);
    for (const i of [0, 9]) expect(zb[i]).toBeCloseTo(1 + 2 * za[i], 5);
  });

  it('a noise sd param (sigma), and W given in the data (fixed): psi and mu alone', async () => {
    const SD = compile(MODELS.factor_analysis.replace('sqrt(psi)', 'psi'));
    const r = await infer(SD, { data: DATA, engine: 'em', iters: 40, tol: 1e-300 });
    const v = await infer(FA, { data: DATA, engine: 'em', iters: 40, tol: 1e-300 });
    // the same EM: sigma = sqrt(psi); the start differs only through psi's default 1 (sd or variance alike)
    const sd = flat(r.params.psi.data);
    const variance = flat(v.params.psi.data);
    for (let j = 0; j < P; j++) expect(sd[j] * sd[j]).toBeCloseTo(variance[j], 10);
    // W fixed at a fitted optimum: psi and mu learned alone come back to the same values
    const best = await infer(FA, { data: DATA, engine: 'em', iters: 5000, tol: 1e-13 });
    const W = rows(best.params.W.data, K);
    const fixedW = await infer(FA, { data: { ...DATA, W }, engine: 'em', iters: 5000, tol: 1e-13 });
    expect(Object.keys(fixedW.params).sort()).toEqual(['mu', 'psi']);
    const psi = flat(fixedW.params.psi.data);
    const psiBest = flat(best.params.psi.data);
    for (let j = 0; j < P; j++) expect(relErr(psi[j], psiBest[j])).toBeLessThan(1e-4);
    expect(relErr(fixedW.logEvidence as number, best.logEvidence as number)).toBeLessThan(1e-9);
  });
});

describe('the init option', () => {
  it('starts from the given values, which are still learned', async () => {
    const W0 = normalMatrix(3, P, K);
    const r = await infer(FA, { data: DATA, engine: 'em', iters: 1, init: { W: W0, psi: 2 } });
    // ℓ₀ at (W0, psi = 2 broadcast, mu = its default 0)
    const l0 = faLogLik(SET.x, new Array(P).fill(0), W0, new Array(P).fill(2));
    expect(relErr((r.elbo as number[])[0], l0)).toBeLessThan(REL);
    expect(flat(r.params.W.data)).not.toEqual(W0.flat());
  });

  it('names what is wrong: an unknown name, a fixed param, a shape, a value outside the type', async () => {
    const bad = async (init: Record<string, unknown>, data: Record<string, unknown> = DATA) => {
      try {
        await infer(FA, { data, engine: 'em', iters: 1, init });
      } catch (e) {
        expect(e).toBeInstanceOf(PlatoError);
        return (e as Error).message;
      }
      throw new Error('expected a PlatoError');
    };
    expect(await bad({ V: 1 })).toMatch(
      /init: the model has no param V \(em learns 'W', 'mu', 'psi'\)/,
    );
    expect(await bad({ z: 1 })).toMatch(/init: z is a random variable, not a param/);
    expect(await bad({ mu: 0 }, { ...DATA, mu: 0 })).toMatch(
      /init: param mu is given in the data, so it is fixed, not learned/,
    );
    expect(await bad({ W: [[1, 2, 3]] })).toMatch(/init W: expected \[6, 2\]/);
    expect(await bad({ psi: [1, 1, -1, 1, 1, 1] })).toMatch(
      /init psi\[2\] = -1 is outside real\(0,\)/,
    );
    expect(await bad({ psi: 0 })).toMatch(
      /the starting value of psi = 0 must be positive|psi.*must be positive/,
    );
    expect(
      await infer(FA, { data: DATA, engine: 'em', init: [] as unknown as object }).catch(
        (e) => e.message,
      ),
    ).toMatch(/option 'init' must be an object keyed by name/);
  });
});

describe('what em refuses in linear-Gaussian models (with the reason at the node)', () => {
  const reasons = (source: string, data: Record<string, unknown>) => {
    const report = engines(compile(source), { data });
    const em = report.engines.find((e) => e.name === 'em');
    expect(em?.applies).toBe(false);
    return em?.reasons ?? [];
  };
  it('a mean that is not linear in z, bounded loadings, a Gaussian latent beside a discrete one', () => {
    const nonlinear = reasons(
      MODELS.factor_analysis.replace('W @ z[i] + mu', 'exp(W @ z[i]) + mu'),
      DATA,
    );
    expect(nonlinear.map((r) => r.node)).toContain('x');
    expect(nonlinear.find((r) => r.node === 'x')?.message).toMatch(/mean must be W @ z\[i\]/);
    const bounded = reasons(MODELS.factor_analysis.replace('real[P, K]', 'real(0,)[P, K]'), DATA);
    expect(bounded[0]).toMatchObject({
      node: 'W',
      message: expect.stringMatching(/without bounds/),
    });
    const mixed = reasons(
      `model m {
  size N
  size P
  size K
  param W: real[P, K]
  param pi: simplex[2]
  plate i in N {
    c[i] ~ Categorical(pi)
    z[i] ~ Normal(zeros(K), 1)
    x[i] ~ Normal(W @ z[i], 1)
  }
}`,
      DATA,
    );
    expect(mixed.find((r) => r.node === 'c')?.message).toMatch(/does not mix them/);
  });

  it('a learnable prior for z, and missing entries in x', () => {
    const learnedPrior = reasons(
      MODELS.factor_analysis
        .replace('param mu: real[P] = 0', 'param mu: real[P] = 0\n  param s: real(0,)')
        .replace('Normal(zeros(K), 1)', 'Normal(zeros(K), s)'),
      DATA,
    );
    expect(learnedPrior.find((r) => r.node === 'z')?.message).toMatch(/prior must be fixed/);
    const x = SET.x.map((r) => [...r]) as (number | null)[][];
    x[3][1] = null;
    const missing = reasons(MODELS.factor_analysis, { ...DATA, x });
    expect(missing.find((r) => r.node === 'x')?.message).toMatch(/missing entries/);
  });
});

describe('examples/factor_analysis under em and auto', () => {
  it('the library: --engine em and auto give the same fit', async () => {
    const data = JSON.parse(
      (await import('node:fs')).readFileSync('examples/factor_analysis/fa.json', 'utf8'),
    );
    const a = await infer(FA, { data, engine: 'em' });
    const b = await infer(FA, { data });
    expect(b.engine).toBe('em');
    expect(a.converged).toBe(true);
    expect(b.logEvidence).toBe(a.logEvidence);
    expect(a.params.W.shape).toEqual([50, 5]);
    expect(a.latents.z.shape).toEqual([1000, 5]);
  });

  it('the command line: --engine em --json, auto, and --init FILE', async () => {
    const r = await runInProcess(['infer', ...example, '--engine', 'em', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.engine).toBe('em');
    expect(j.elbo).toHaveLength(j.iterations + 1);
    expect(j.logEvidence).toBe(j.elbo[j.elbo.length - 1]);
    expect(j.params.W).toHaveLength(50);
    expect(j.params.W[0]).toHaveLength(5);
    expect(j.params.psi).toHaveLength(50);
    expect(j.latents.z.family).toBe('MvNormal');
    expect(j.latents.z.params.Sigma[0]).toHaveLength(5);
    const e = await runInProcess(['engines', ...example]);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/\n {2}em {6}✓/);
    expect(e.stdout).toContain('auto picks: em');
    const auto = await runInProcess(['infer', ...example, '--json', '--iters', '2']);
    expect(auto.code).toBe(0);
    expect(JSON.parse(auto.stdout).iterations).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'plato-fa-'));
    const init = join(dir, 'start.json');
    writeFileSync(init, JSON.stringify({ W: j.params.W, psi: j.params.psi }));
    const again = await runInProcess([
      'infer',
      ...example,
      '--engine',
      'em',
      '--json',
      '--init',
      init,
      '--iters',
      '1',
    ]);
    expect(again.stderr).toBe('');
    const k = JSON.parse(again.stdout);
    // from the fitted W and psi (mu from its default 0, then x̄): at most a tiny gain
    expect(relErr(k.elbo[1], j.logEvidence)).toBeLessThan(1e-6);
    const missing = await runInProcess(['infer', ...example, '--init', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read --init file '.*nope.json': no such file/);
  });
});
