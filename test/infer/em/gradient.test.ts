// em's gradient M-step (src/infer/em/gradient.ts, transforms.ts, gradientPlan.ts) on models
// whose params have no closed-form slot, checked against float64 EM written here: the params
// em returns must be a fixed point of the exact (closed-form) EM map — one more exact EM step
// from them gains almost nothing — and logEvidence must be the float64 log-likelihood there.
// A latent class model learns its simplex table T through the softmax; a Gaussian mixture with
// one covariance shared by its components learns the means (identity) and the covariance
// (Cholesky). The transforms themselves are checked against their float64 maps; the plan's
// choices and refusals at the nodes.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { type Diagnostic, PlatoError } from '../../../src/diagnostics/diagnostics.js';
import { compile, infer } from '../../../src/index.js';
import { DiscreteEStep } from '../../../src/infer/discrete/estep.js';
import { type EmPlan, planEm } from '../../../src/infer/em/analysis.js';
import { CaseGrid } from '../../../src/infer/em/caseGrid.js';
import { GradientMStep } from '../../../src/infer/em/gradient.js';
import type { Transform } from '../../../src/infer/em/gradientPlan.js';
import { getEngine } from '../../../src/infer/engines.js';
import { forward, forward64, inverse64 } from '../../../src/infer/learn/transforms.js';
import { boundModel } from '../../support/models.js';
import { prng } from '../../support/prng.js';

/** em's plan of a discrete-latent model (the linear-Gaussian plan has no slots): or undefined. */
function mixturePlan(bound: Parameters<typeof planEm>[0]): EmPlan | undefined {
  const p = planEm(bound);
  return p.ok && !('kind' in p.plan) ? p.plan : undefined;
}

const EPS32 = 2 ** -23;

beforeAll(async () => {
  await initBackend('wasm');
});

const flat = (a: ArrayLike<number>) => Array.from(a);

function logSumExp(xs: readonly number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

describe('transforms: tfjs map = float64 map, inverse, domain', () => {
  const kinds: { t: Transform; shape: number[] }[] = [
    { t: { kind: 'identity' }, shape: [5] },
    { t: { kind: 'lower', lower: 0 }, shape: [2, 3] },
    { t: { kind: 'lower', lower: -2 }, shape: [4] },
    { t: { kind: 'upper', upper: 1.5 }, shape: [4] },
    { t: { kind: 'interval', lower: 0, upper: 1 }, shape: [6] },
    { t: { kind: 'interval', lower: -1, upper: 3 }, shape: [3] },
    { t: { kind: 'simplex' }, shape: [2, 4] },
    { t: { kind: 'cholesky' }, shape: [2, 3, 3] },
  ];
  it('forward (float32) ≈ forward64, inverse64 ∘ forward64 = id, values in the domain', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rand = prng(seed);
        for (const { t, shape } of kinds) {
          const n = shape.reduce((a, b) => a * b, 1);
          const u = Float64Array.from({ length: n }, () => 4 * (2 * rand() - 1));
          if (t.kind === 'simplex')
            // softmax forgets a shift per row: compare centred coordinates
            for (let r = 0; r < n; r += 4) {
              const m = (u[r] + u[r + 1] + u[r + 2] + u[r + 3]) / 4;
              for (let k = 0; k < 4; k++) u[r + k] -= m;
            }
          if (t.kind === 'cholesky')
            // the strict upper triangle is not read
            for (let b = 0; b < n; b += 9)
              for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) u[b + i * 3 + j] = 0;
          const theta = forward64(t, u, shape);
          const before = tf.memory().numTensors;
          const ut = tf.tensor(Float32Array.from(u), shape);
          const th32 = forward(t, ut);
          const got = th32.dataSync();
          tf.dispose([ut, th32]);
          expect(tf.memory().numTensors).toBe(before);
          const scale = Math.max(1, ...flat(theta).map(Math.abs));
          theta.forEach((x, i) => {
            expect(Math.abs(got[i] - x)).toBeLessThan(64 * EPS32 * scale);
          });
          const back = inverse64(t, theta, shape);
          back.forEach((x, i) => {
            expect(Math.abs(x - u[i])).toBeLessThan(1e-8 * (1 + Math.abs(u[i])));
          });
          switch (t.kind) {
            case 'lower':
              expect(theta.every((x) => x > t.lower)).toBe(true);
              break;
            case 'upper':
              expect(theta.every((x) => x < t.upper)).toBe(true);
              break;
            case 'interval':
              expect(theta.every((x) => x > t.lower && x < t.upper)).toBe(true);
              break;
            case 'simplex':
              for (let r = 0; r < n; r += 4)
                expect(
                  Math.abs(theta[r] + theta[r + 1] + theta[r + 2] + theta[r + 3] - 1),
                ).toBeLessThan(1e-12);
              break;
            case 'cholesky':
              // symmetric, positive definite: a positive Cholesky pivot in every block
              for (let b = 0; b < n; b += 9) {
                const A = (i: number, j: number) => theta[b + i * 3 + j];
                expect(A(0, 1)).toBe(A(1, 0));
                const d1 = A(0, 0);
                const d2 = A(0, 0) * A(1, 1) - A(0, 1) ** 2;
                expect(d1).toBeGreaterThan(0);
                expect(d2).toBeGreaterThan(0);
              }
              break;
          }
        }
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  it('a value on the boundary starts just inside it', () => {
    const u = inverse64({ kind: 'lower', lower: 0 }, [0, 1], [2]);
    const theta = forward64({ kind: 'lower', lower: 0 }, u, [2]);
    expect(theta[0]).toBeGreaterThan(0);
    expect(theta[0]).toBeLessThan(1e-5);
    expect(theta[1]).toBeCloseTo(1, 12);
  });
});

const LCA = compile(`model lca {
  size N
  size K
  size J
  size V
  param pi: simplex[K]
  param T: simplex[K, J, V]
  plate i in N {
    z[i] ~ Categorical(pi)
    plate j in J { y[i, j] ~ Categorical(T[z[i], j]) }
  }
}`);

/** Latent class model, float64: log-likelihood and the responsibilities at (π, T). */
function lcaEStep(y: number[][], pi: number[], T: number[], J: number, V: number) {
  const K = pi.length;
  let logLik = 0;
  const r = y.map((row) => {
    const lw = pi.map((p, k) =>
      row.reduce((s, v, j) => s + Math.log(T[(k * J + j) * V + v]), Math.log(p)),
    );
    const z = logSumExp(lw);
    logLik += z;
    return lw.map((w) => Math.exp(w - z));
  });
  return { logLik, r, K };
}

/** One exact EM step: π_k = Σ_i r_ik / N, T_kjv = Σ_i r_ik [y_ij = v] / Σ_i r_ik. */
function lcaEmStep(y: number[][], pi: number[], T: number[], J: number, V: number) {
  const { r, K } = lcaEStep(y, pi, T, J, V);
  const nk = new Array<number>(K).fill(0);
  const T1 = new Array<number>(K * J * V).fill(0);
  y.forEach((row, i) => {
    for (let k = 0; k < K; k++) {
      nk[k] += r[i][k];
      row.forEach((v, j) => {
        T1[(k * J + j) * V + v] += r[i][k];
      });
    }
  });
  return {
    pi: nk.map((n) => n / y.length),
    T: T1.map((x, idx) => x / nk[Math.floor(idx / (J * V))]),
  };
}

describe('softmax: a latent class model learns its simplex table T by gradient steps', () => {
  it('returns a fixed point of exact EM; logEvidence is the float64 log-likelihood', async () => {
    const N = 400;
    const K = 2;
    const J = 4;
    const V = 3;
    const truth = [
      [
        [0.7, 0.2, 0.1],
        [0.1, 0.8, 0.1],
        [0.6, 0.3, 0.1],
        [0.2, 0.2, 0.6],
      ],
      [
        [0.1, 0.2, 0.7],
        [0.5, 0.1, 0.4],
        [0.1, 0.1, 0.8],
        [0.7, 0.2, 0.1],
      ],
    ];
    const rand = prng(11);
    const y = Array.from({ length: N }, () => {
      const z = rand() < 0.4 ? 0 : 1;
      return truth[z].map((p) => {
        const u = rand();
        return u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
      });
    });
    const warnings: Diagnostic[] = [];
    const before = tf.memory().numTensors;
    const r = await infer(LCA, {
      data: { N, K, J, V, y },
      engine: 'em',
      tol: 1e-10,
      iters: 400,
      onWarning: (w) => warnings.push(w),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(warnings).toEqual([]);
    const pi = flat(r.params.pi.data);
    const T = flat(r.params.T.data);
    expect(r.params.T.shape).toEqual([K, J, V]);
    for (let row = 0; row < K * J; row++)
      expect(Math.abs(T[row * V] + T[row * V + 1] + T[row * V + 2] - 1)).toBeLessThan(1e-12);
    const at = lcaEStep(y, pi, T, J, V);
    // float32 tables: every case's J + 1 log terms carry ~EPS32 relative error
    const scale = Math.abs(at.logLik);
    expect(Math.abs((r.logEvidence as number) - at.logLik)).toBeLessThan(
      16 * (J + 1) * EPS32 * scale,
    );
    const next = lcaEmStep(y, pi, T, J, V);
    const gain = lcaEStep(y, next.pi, next.T, J, V).logLik - at.logLik;
    expect(gain).toBeGreaterThanOrEqual(-1e-9 * scale);
    expect(gain).toBeLessThan(1e-6 * scale);
    next.T.forEach((t, i) => {
      expect(Math.abs(t - T[i])).toBeLessThan(2e-3);
    });
  });
});

const TIED = compile(`model tied {
  size N
  size D
  size K
  param pi: simplex[K]
  param mu: real[K, D] = [[0, 0], [2, 2]]
  param Sigma: real[D, D]
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i] ~ MvNormal(mu[z[i]], Sigma)
  }
}`);

/** Tied-covariance mixture in float64 (D = 2): log-likelihood and responsibilities. */
function tiedEStep(x: number[][], pi: number[], mu: number[], S: number[]) {
  const det = S[0] * S[3] - S[1] * S[2];
  const inv = [S[3] / det, -S[1] / det, -S[2] / det, S[0] / det];
  let logLik = 0;
  const r = x.map(([a, b]) => {
    const lw = pi.map((p, k) => {
      const d0 = a - mu[2 * k];
      const d1 = b - mu[2 * k + 1];
      const q = d0 * (inv[0] * d0 + inv[1] * d1) + d1 * (inv[2] * d0 + inv[3] * d1);
      return Math.log(p) - Math.log(2 * Math.PI) - 0.5 * Math.log(det) - 0.5 * q;
    });
    const z = logSumExp(lw);
    logLik += z;
    return lw.map((w) => Math.exp(w - z));
  });
  return { logLik, r };
}

/** One exact EM step of the tied mixture: μ_k = Σ r x / N_k, Σ = Σ_k Σ_i r_ik (x − μ_k)(x − μ_k)ᵀ / N. */
function tiedEmStep(x: number[][], pi: number[], mu: number[], S: number[]) {
  const { r } = tiedEStep(x, pi, mu, S);
  const K = pi.length;
  const nk = new Array<number>(K).fill(0);
  const m = new Array<number>(2 * K).fill(0);
  x.forEach((xi, i) => {
    for (let k = 0; k < K; k++) {
      nk[k] += r[i][k];
      m[2 * k] += r[i][k] * xi[0];
      m[2 * k + 1] += r[i][k] * xi[1];
    }
  });
  for (let k = 0; k < K; k++) {
    m[2 * k] /= nk[k];
    m[2 * k + 1] /= nk[k];
  }
  const S1 = [0, 0, 0, 0];
  x.forEach((xi, i) => {
    for (let k = 0; k < K; k++) {
      const d = [xi[0] - m[2 * k], xi[1] - m[2 * k + 1]];
      for (let a = 0; a < 2; a++)
        for (let b = 0; b < 2; b++) S1[a * 2 + b] += (r[i][k] * d[a] * d[b]) / x.length;
    }
  });
  return { pi: nk.map((n) => n / x.length), mu: m, Sigma: S1 };
}

describe('Cholesky: a Gaussian mixture with a shared covariance learns mu and Sigma by gradient steps', () => {
  it('returns a fixed point of exact EM; logEvidence is the float64 log-likelihood', async () => {
    const rand = prng(5);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const N = 300;
    const x = Array.from({ length: N }, () => {
      const z = rand() < 0.4 ? 0 : 1;
      const e1 = gauss();
      const e2 = gauss();
      return [(z ? 3 : -1) + e1, (z ? 2 : 0) + 0.5 * e1 + 0.8 * e2];
    });
    const warnings: Diagnostic[] = [];
    const r = await infer(TIED, {
      data: { N, D: 2, K: 2, x },
      engine: 'em',
      tol: 1e-10,
      iters: 400,
      onWarning: (w) => warnings.push(w),
    });
    expect(warnings).toEqual([]);
    const pi = flat(r.params.pi.data);
    const mu = flat(r.params.mu.data);
    const S = flat(r.params.Sigma.data);
    expect(r.params.Sigma.shape).toEqual([2, 2]);
    expect(S[1]).toBe(S[2]);
    const at = tiedEStep(x, pi, mu, S);
    const scale = Math.abs(at.logLik);
    expect(Math.abs((r.logEvidence as number) - at.logLik)).toBeLessThan(32 * EPS32 * scale);
    const next = tiedEmStep(x, pi, mu, S);
    const gain = tiedEStep(x, next.pi, next.mu, next.Sigma).logLik - at.logLik;
    expect(gain).toBeGreaterThanOrEqual(-1e-9 * scale);
    expect(gain).toBeLessThan(1e-6 * scale);
    next.mu.forEach((m, i) => {
      expect(Math.abs(m - mu[i])).toBeLessThan(2e-3);
    });
    next.Sigma.forEach((s, i) => {
      expect(Math.abs(s - S[i])).toBeLessThan(2e-3);
    });
  });
});

const NOISY_OR_CASES = `model nor {
  size N
  size K
  size M
  hyper leak: real(0,1) = 0.01
  param rho: real(0,1)[K] = rep(0.1, K)
  param W: real(0,)[K, M] = 1.0
  plate n in N {
    plate k in K { d[n, k] ~ Bernoulli(rho[k]) }
    plate j in M { s[n, j] ~ Bernoulli(1 - (1 - leak) * exp(-dot(W[:, j], d[n]))) }
  }
}`;

describe('the plan: nested case plates, transforms, refusals at the nodes', () => {
  it('noisy-OR cases: rho through a sigmoid, W through a softplus; the latents d enumerated', () => {
    const bound = boundModel(NOISY_OR_CASES, {
      N: 2,
      K: 3,
      M: 2,
      s: [
        [1, 0],
        [0, 0],
      ],
    });
    const plan = mixturePlan(bound);
    expect(plan).toBeDefined();
    if (!plan) return;
    expect(plan.plate).toBe('n');
    expect(plan.slots).toEqual([]);
    expect(plan.gradient?.params).toEqual([
      { name: 'rho', shape: [3], transform: { kind: 'interval', lower: 0, upper: 1 } },
      { name: 'W', shape: [3, 2], transform: { kind: 'lower', lower: 0 } },
    ]);
    expect(plan.gradient?.factors).toEqual(['d', 's']);
    expect(plan.gradient?.latents).toEqual(['d']);
  });

  it('refuses 2^13 joint states per case, at the latent, naming the limit', () => {
    const bound = boundModel(NOISY_OR_CASES, { N: 1, K: 13, M: 1, s: [[1]] });
    const app = getEngine('em').applicability(bound);
    expect(app.ok).toBe(false);
    if (app.ok) return;
    expect(app.reasons).toHaveLength(1);
    expect(app.reasons[0].node).toBe('d');
    expect(app.reasons[0].message).toMatch(
      /enumerates the joint states of each case's discrete latents \(d: 13 × 2 states\): 2\^13\.0 states per case, the limit is 2\^12/,
    );
  });

  it('the run checks the joint states again with the evaluated numbers of states', () => {
    const bound = boundModel(NOISY_OR_CASES, { N: 1, K: 13, M: 1, s: [[1]] });
    expect(() => new CaseGrid(bound, ['d'], { d: 2 }, 1, 1)).toThrow(
      /2\^13\.0 states per case, the limit is 2\^12/,
    );
    try {
      new CaseGrid(bound, ['d'], { d: 2 }, 1, 1);
    } catch (e) {
      expect(e).toBeInstanceOf(PlatoError);
      expect((e as PlatoError).diagnostics[0].range?.start.line).toBe(9);
    }
    const grid = new CaseGrid(
      boundModel(NOISY_OR_CASES, { N: 2, K: 2, M: 1, s: [[1], [0]] }),
      ['d'],
      { d: 2 },
      2,
      1,
    );
    expect(grid.states).toBe(4);
    // state s gives d[n, k] the k-th binary digit of s (the last element fastest), in every case
    const env = grid.env(0, 4);
    expect(env.d.shape).toEqual([4, 2, 2]);
    expect(Array.from(env.d.dataSync())).toEqual([0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1]);
    tf.dispose(env.d);
  });

  it('an integer param is refused at the param; a size as a bound is read', () => {
    const bound = boundModel(
      `model m {
        size N
        size B
        param c: int(0, 5)
        param lam: real(1, B)
        plate i in N { y[i] ~ Poisson(c + lam) }
      }`,
      { N: 2, B: 3, y: [1, 2] },
    );
    const app = getEngine('em').applicability(bound);
    expect(app.ok).toBe(false);
    if (app.ok) return;
    expect(app.reasons.map((r) => r.node)).toEqual(['c']);
    expect(app.reasons[0].message).toMatch(
      /param c: em's gradient M-step learns real and simplex params, not int/,
    );
    const ok = mixturePlan(
      boundModel(
        `model m {
        size N
        size B
        param lam: real(1, B)
        plate i in N { y[i] ~ Poisson(lam) }
      }`,
        { N: 2, B: 3, y: [1, 2] },
      ),
    );
    expect(ok?.gradient?.params[0].transform).toEqual({
      kind: 'interval',
      lower: 1,
      upper: 3,
    });
  });

  it('a ragged plate inside the plate of cases is refused at its nodes', () => {
    const bound = boundModel(
      `model m {
        size D
        size N[D]
        param p: real(0, 1)
        plate d in D {
          plate n in N[d] { y[d, n] ~ Bernoulli(p) }
        }
      }`,
      { D: 2, N: [1, 2], y: [[1], [0, 1]] },
    );
    const app = getEngine('em').applicability(bound);
    expect(app.ok).toBe(false);
    if (app.ok) return;
    expect(app.reasons[0].node).toBe('y');
    expect(app.reasons[0].message).toMatch(/not in a single plate of independent cases/);
  });

  it('a fully observed model: the gradient M-step is gradient ascent on ℓ itself (Poisson rate)', async () => {
    // no latents: q is a point mass and Q = ℓ; the MLE of a Poisson rate is the mean
    const y = [0, 3, 1, 4, 2, 2, 5, 1];
    const r = await infer(
      compile(`model m {
        size N
        param lam: real(0,)
        plate i in N { y[i] ~ Poisson(lam) }
      }`),
      { data: { N: y.length, y }, engine: 'em', tol: 1e-12, iters: 300 },
    );
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    expect(Math.abs(r.params.lam.data[0] - mean)).toBeLessThan(1e-3);
  });

  it('a deterministic node between the param and its factor (r = 2 · lam)', async () => {
    const y = [0, 3, 1, 4, 2, 2, 5, 1];
    const r = await infer(
      compile(`model m {
        size N
        param lam: real(0,)
        r = 2 * lam
        plate i in N { y[i] ~ Poisson(r) }
      }`),
      { data: { N: y.length, y }, engine: 'em', tol: 1e-12, iters: 300 },
    );
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    expect(Math.abs(2 * r.params.lam.data[0] - mean)).toBeLessThan(1e-3);
  });
});

describe('one gradient M-step: the states in one chunk or many, kept or rebuilt per pass', () => {
  it('gives the same step, and leaves no tensor behind', () => {
    const N = 300;
    const K = 3;
    const M = 4;
    const rand = prng(9);
    const s = Array.from({ length: N }, () =>
      Array.from({ length: M }, () => (rand() < 0.4 ? 1 : 0)),
    );
    const bound = boundModel(NOISY_OR_CASES, { N, K, M, s });
    const plan = mixturePlan(bound);
    if (!plan?.gradient) throw new Error('no gradient plan');
    const p = { plan };
    const start = {
      rho: Float64Array.from([0.1, 0.25, 0.4]),
      W: Float64Array.from({ length: K * M }, (_, i) => 0.3 + ((i * 7) % 5) / 4),
    };
    const e = new DiscreteEStep(bound, 'n').run(start);
    const before = tf.memory().numTensors;
    const run = (budget: { chunkFloats?: number; cacheFloats?: number }) => {
      const g = new GradientMStep(bound, p.plan.gradient!, p.plan.learn, 'n', 3, 0.1, budget);
      try {
        const values = { rho: Float64Array.from(start.rho), W: Float64Array.from(start.W) };
        g.start(values);
        const step = g.step(values, e);
        return { values, step };
      } finally {
        g.dispose();
      }
    };
    const one = run({});
    // 2^3 states: one per chunk (the widest node has M scalars per case)
    const many = run({ chunkFloats: N * M });
    const rebuilt = run({ chunkFloats: N * M, cacheFloats: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(one.step.gain).toBeGreaterThan(0);
    for (const other of [many, rebuilt]) {
      expect(Math.abs(other.step.gain - one.step.gain)).toBeLessThan(1e-3 * one.step.gain);
      for (const name of ['rho', 'W'] as const)
        one.values[name].forEach((v, i) => {
          expect(Math.abs(other.values[name][i] - v)).toBeLessThan(1e-4);
        });
    }
  });
});
