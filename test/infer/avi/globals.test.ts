// Global discrete latents summed out of avi's ELBO jointly (plan.ts globalEnumerable, model.ts
// sumGlobals): q over their joint states is a free Categorical, the expectation over them an
// exact sum. On examples/asia (global binary latents, `either` the logical OR of tub and lung)
// the marginals and the ELBO are checked against a float64 brute force over the 2^8 states;
// on a model mixing a global Bernoulli and a continuous latent, the ELBO against the float64
// log evidence (the continuous latent integrated in closed form).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { aviEngine } from '../../../src/infer/avi/index.js';
import { planAvi } from '../../../src/infer/avi/plan.js';
import { finalParticles } from '../../../src/infer/avi/run.js';
import { asiaBrute } from '../../support/asia.js';
import { boundModel } from '../../support/models.js';
import { logSumExp, runAvi } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const ASIA = readFileSync(new URL('../../../examples/asia/asia.plato', import.meta.url), 'utf8');
const ASIA_DATA = JSON.parse(
  readFileSync(new URL('../../../examples/asia/asia.json', import.meta.url), 'utf8'),
) as Record<string, number>;

const brute = asiaBrute;

describe('avi sums out global discrete latents', () => {
  it('examples/asia: plato engines names the globals summed out', () => {
    const bound = boundModel(ASIA, ASIA_DATA);
    const app = aviEngine.applicability(bound);
    expect(app.ok).toBe(true);
    if (app.ok)
      expect(app.notes).toEqual([
        'avi sums the global smoke, tub, lung, bronc, either out of the ELBO jointly (enumeration over 32 joint states, q a Categorical over them)',
      ]);
    const plan = planAvi(bound);
    expect(plan.ok && plan.plan.scored).toEqual([]);
    // --discrete score still gives them score-function gradients
    const score = planAvi(bound, 'amortised', 'score');
    expect(score.ok && score.plan.scored.map((d) => d.name)).toEqual([
      'smoke',
      'tub',
      'lung',
      'bronc',
      'either',
    ]);
  });

  it('examples/asia: the marginals and the ELBO are the exact ones (the logical OR included)', async () => {
    const bf = brute(ASIA_DATA);
    for (const discrete of ['auto', 'enumerate'] as const) {
      const r = await runAvi(ASIA, ASIA_DATA, { discrete });
      // Nothing is drawn: the ELBO Σ_s q(s) (log p(x, s) − log q(s)) is evaluated exactly, and
      // q starts at the posterior (run.ts warmGlobals: log p(x, s) of each state, float32, with
      // relative error ~1e-7 of |log p| < 40, so η within ~1e-5). At the optimum the ELBO's
      // gradient is zero up to float32 rounding; Adam normalises it, and its 300 steps of at most
      // lr_t (Σ_t lr_t = 3.8 for the defaults) could move η by O(1) only if that rounding kept
      // one sign — measured: marginals within 3e-7, the ELBO 1e-6 from log p(x). 1e-3 on probabilities is a KL of ~1e-6.
      for (const n of ['smoke', 'tub', 'lung', 'bronc', 'either']) {
        const l = r.latents[n];
        expect(l.family).toBe('Bernoulli');
        expect(Math.abs((l.mean.data[0] as number) - bf.m[n])).toBeLessThan(1e-3);
      }
      const elbo = r.logEvidence as number;
      // ELBO ≤ log evidence up to the float32 sums of log p (~1e-5 here); within 0.01 nats
      expect(elbo).toBeLessThanOrEqual(bf.logZ + 1e-4);
      expect(elbo).toBeGreaterThan(bf.logZ - 0.01);
    }
  });

  it('examples/asia: from a uniform q (no warm start), Adam alone reaches the posterior', async () => {
    const bf = brute(ASIA_DATA);
    // the warm start is skipped when the logits are given; the exact gradient (nothing drawn)
    // at lr 0.1 reaches the low-probability states' logits (~-9) within the 600 steps
    const r = await runAvi(ASIA, ASIA_DATA, {
      initial: {
        'guide.{smoke,tub,lung,bronc,either}.logits': {
          shape: [32],
          data: new Float64Array(32),
        },
      },
      epochs: 600,
      lr: 0.1,
    });
    const elbo = r.logEvidence as number;
    expect(elbo).toBeLessThanOrEqual(bf.logZ + 1e-4);
    // measured: 3e-4 nats below, marginals within 8e-4
    expect(elbo).toBeGreaterThan(bf.logZ - 0.005);
    for (const n of ['smoke', 'tub', 'lung', 'bronc', 'either'])
      expect(Math.abs((r.latents[n].mean.data[0] as number) - bf.m[n])).toBeLessThan(0.005);
  });

  it('a global Bernoulli beside a continuous latent: ELBO ≤ the exact log evidence, minibatches too', async () => {
    const src = `model g {
      size N
      s ~ Bernoulli(0.4)
      mu ~ Normal(0, 1)
      plate i in N { y[i] ~ Normal(mu + 2 * s, 1) }
    }`;
    const y = [1.9, 0.4, 2.6, 1.1, 0.7, 2.2, 1.5, 0.1];
    const N = y.length;
    // float64: given s, y ~ N(2s·1, I + 11ᵀ) (mu integrated): det = 1 + N,
    // (I + 11ᵀ)⁻¹ = I − 11ᵀ/(1 + N)
    const a = [0, 1].map((s) => {
      const r = y.map((v) => v - 2 * s);
      const rr = r.reduce((t, v) => t + v * v, 0);
      const sr = r.reduce((t, v) => t + v, 0);
      const quad = rr - (sr * sr) / (1 + N);
      return (
        Math.log(s ? 0.4 : 0.6) -
        0.5 * N * Math.log(2 * Math.PI) -
        0.5 * Math.log(1 + N) -
        0.5 * quad
      );
    });
    const logEv = logSumExp(a);
    const post1 = Math.exp(a[1] - logEv);
    expect(post1).toBeGreaterThan(0.2); // both states matter here
    expect(post1).toBeLessThan(0.8);
    // the mean-field fixed points in float64 (CAVI, Bishop 2006 eq. 10.9: q(mu) = N(m, 1/(N+1))
    // with m = (Σy − 2N q1)/(N + 1), q(s = 1) ∝ exp E_q(mu) log p(y, mu, s)), from either end:
    // the posterior is bimodal in s, so mean field has two local optima
    const Sy = y.reduce((t, v) => t + v, 0);
    const Syy = y.reduce((t, v) => t + v * v, 0);
    const L2 = Math.log(2 * Math.PI);
    const v = 1 / (N + 1);
    const fixedPoint = (q0: number): number => {
      let q1 = q0;
      let m = 0;
      const eLog = (s: number) =>
        Math.log(s ? 0.4 : 0.6) -
        0.5 * (N + 1) * L2 -
        0.5 * (Syy - 2 * (m + 2 * s) * Sy + N * ((m + 2 * s) ** 2 + v)) -
        0.5 * (m * m + v);
      for (let it = 0; it < 500; it++) {
        m = (Sy - 2 * N * q1) / (N + 1);
        q1 = 1 / (1 + Math.exp(eLog(0) - eLog(1)));
      }
      const h = (p: number) => (p > 0 && p < 1 ? -p * Math.log(p) : 0);
      return (
        (1 - q1) * eLog(0) +
        q1 * eLog(1) +
        h(q1) +
        h(1 - q1) +
        0.5 * Math.log(2 * Math.PI * Math.E * v)
      );
    };
    const optima = [fixedPoint(1e-6), fixedPoint(1 - 1e-6)];
    for (const o of optima) expect(o).toBeLessThan(logEv);
    const plan = planAvi(boundModel(src, { N, y }));
    expect(plan.ok && plan.plan.globalEnumerated.map((d) => d.name)).toEqual(['s']);
    for (const batchSize of [0, 4]) {
      const r = await runAvi(
        src,
        { N, y },
        { seed: 3, epochs: 400, particles: 4, lr: 0.05, batchSize },
      );
      const elbo = r.logEvidence as number;
      // the final estimate averages finalParticles(N) = 100 draws of mu; with s summed out the
      // weight log p(y, mu, s) − log q varies with mu only: for q(mu) the conditional of one
      // state, by a sd of ~0.5 nats (the other state's share) — a Monte Carlo sd of ~0.05,
      // 4 sds 0.2
      const tol = 4 * (0.5 / Math.sqrt(finalParticles(N, 1)));
      expect(elbo).toBeLessThanOrEqual(logEv + tol);
      // Adam reached the mean-field optimum on q(s)'s side (measured: q(s = 1) = 0.003 and
      // 0.996, ELBOs 0.03 below the optima's)
      const q1 = r.latents.s.mean.data[0] as number;
      const optimum = optima[q1 < 0.5 ? 0 : 1];
      expect(Math.abs(elbo - optimum)).toBeLessThan(tol);
    }
  });

  it('with local latents summed out: the ELBO is the exact log evidence, the responsibilities the exact posterior', async () => {
    // a global Bernoulli shift s of a mixture with known params: nothing is drawn, q(s) is
    // exact, and per element the 2 global × 3 local states are summed out
    const src = `model g {
      size N
      size K = 3
      hyper w: simplex[K]
      hyper m: real[K]
      s ~ Bernoulli(0.3)
      plate i in N {
        c[i] ~ Categorical(w)
        x[i] ~ Normal(m[c[i]] + 1.5 * s, 1)
      }
    }`;
    const w = [0.2, 0.5, 0.3];
    const m = [-3, 0, 2.5];
    const x = [-2.1, 0.3, 1.9, 3.4, -0.5, 0.8, 2.2, -3.3, 1.1, 0.0];
    const N = x.length;
    const r = await runAvi(src, { N, w, m, x });
    // float64: log p(x, s) = log p(s) + Σ_i log Σ_k w_k N(x_i; m_k + 1.5 s, 1)
    const LOG_2PI = Math.log(2 * Math.PI);
    const logN = (v: number, mu: number) => -0.5 * LOG_2PI - 0.5 * (v - mu) ** 2;
    const perS = [0, 1].map((sv) =>
      x.map((xi) => w.map((wk, k) => Math.log(wk) + logN(xi, m[k] + 1.5 * sv))),
    );
    const a = [0, 1].map(
      (sv) => Math.log(sv ? 0.3 : 0.7) + perS[sv].reduce((t, row) => t + logSumExp(row), 0),
    );
    const logEv = logSumExp(a);
    const post = a.map((v) => Math.exp(v - logEv));
    // the ELBO equals log p(x) up to float32 sums over 10 elements × 6 states (~1e-5)
    expect(Math.abs((r.logEvidence as number) - logEv)).toBeLessThan(1e-3);
    expect(Math.abs((r.latents.s.mean.data[0] as number) - post[1])).toBeLessThan(1e-3);
    // P(c_i = k | x) = Σ_s p(s | x) p(c_i = k | s, x_i)
    const p = r.latents.c.params.p.data;
    for (let i = 0; i < N; i++)
      for (let k = 0; k < 3; k++) {
        const ref = [0, 1].reduce(
          (t, sv) => t + post[sv] * Math.exp(perS[sv][i][k] - logSumExp(perS[sv][i])),
          0,
        );
        expect(Math.abs(p[i * 3 + k] - ref)).toBeLessThan(1e-3);
      }
  });

  it('a plate of global latents: each value a latent of the joint states', async () => {
    const src = `model g {
      size N
      size K = 3
      hyper r: real[K]
      plate k in K { s[k] ~ Bernoulli(r[k]) }
      plate i in N { x[i] ~ Normal(s[0] + 2 * s[1] - s[2], 1) }
    }`;
    const rp = [0.2, 0.5, 0.7];
    const x = [1.8, 2.4, 0.9, 1.2];
    const r = await runAvi(src, { N: x.length, K: 3, r: rp, x });
    // float64 over the 8 states
    const a: number[] = [];
    for (let st = 0; st < 8; st++) {
      const v = [0, 1, 2].map((k) => (st >> k) & 1);
      const mu = v[0] + 2 * v[1] - v[2];
      a.push(
        v.reduce((t, vk, k) => t + Math.log(vk ? rp[k] : 1 - rp[k]), 0) +
          x.reduce((t, xi) => t - 0.5 * Math.log(2 * Math.PI) - 0.5 * (xi - mu) ** 2, 0),
      );
    }
    const logEv = logSumExp(a);
    expect(Math.abs((r.logEvidence as number) - logEv)).toBeLessThan(1e-3);
    expect(r.latents.s.mean.shape).toEqual([3]);
    for (let k = 0; k < 3; k++) {
      let m = 0;
      for (let st = 0; st < 8; st++) if ((st >> k) & 1) m += Math.exp(a[st] - logEv);
      expect(Math.abs((r.latents.s.mean.data[k] as number) - m)).toBeLessThan(1e-3);
    }
  });

  it('refuses --iw with globals summed out', async () => {
    await expect(runAvi(ASIA, ASIA_DATA, { iw: 4, epochs: 1 })).rejects.toThrow(
      /summed out of the ELBO under q, and the importance-weighted bound needs each draw's weight/,
    );
  });
});
