// Discrete latents summed out of avi's ELBO (plan.ts enumerable, model.ts terms): a Gaussian
// mixture with known params, where the ELBO is the exact log evidence (no continuous latent:
// nothing is drawn) and the responsibilities are the exact posterior — checked against the
// exact engine and a float64 formula here; and a mixture with latent means, where the ELBO
// lies below a float64 grid's log evidence and close to it.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { aviEngine } from '../../../src/infer/avi/index.js';
import { planAvi } from '../../../src/infer/avi/plan.js';
import { exactEngine } from '../../../src/infer/exact/index.js';
import { exactInfo } from '../../../src/infer/exact/info.js';
import { boundModel } from '../../support/models.js';
import { logSumExp, MIXTURE, normal, runAvi, uniform } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const LOG_2PI = Math.log(2 * Math.PI);
const logN = (x: number, m: number, s: number) =>
  -0.5 * LOG_2PI - Math.log(s) - ((x - m) * (x - m)) / (2 * s * s);

/** N points of a K-component mixture with unit sds, seeded. */
function mixtureData(N: number, w: number[], m: number[], seed: number): number[] {
  const u = uniform(seed);
  const z = normal(seed + 1);
  return Array.from({ length: N }, () => {
    let r = u();
    let k = 0;
    while (k < w.length - 1 && r >= w[k]) r -= w[k++];
    return m[k] + z();
  });
}

describe('avi sums out local discrete latents', () => {
  it('known params: the ELBO is the exact log evidence, the responsibilities the exact posterior', async () => {
    const w = [0.2, 0.5, 0.3];
    const m = [-3, 0, 2.5];
    const x = mixtureData(40, w, m, 11);
    const data = { N: x.length, w, m, x };
    const r = await runAvi(MIXTURE, data, { epochs: 2 });
    // float64: log p(x) = Σ_i log Σ_k w_k N(x_i; m_k, 1); r_ik ∝ w_k N(x_i; m_k, 1)
    let logEv = 0;
    const resp: number[] = [];
    for (const xi of x) {
      const a = w.map((wk, k) => Math.log(wk) + logN(xi, m[k], 1));
      const l = logSumExp(a);
      logEv += l;
      for (const ak of a) resp.push(Math.exp(ak - l));
    }
    // float32 terms of size ~5 summed over 40 elements: well below 1e-3
    expect(Math.abs((r.logEvidence as number) - logEv)).toBeLessThan(1e-3);
    expect(r.latents.c.family).toBe('Categorical');
    expect(r.latents.c.params.p.shape).toEqual([x.length, 3]);
    const p = r.latents.c.params.p.data;
    for (let i = 0; i < resp.length; i++) expect(Math.abs(p[i] - resp[i])).toBeLessThan(1e-5);
    // the exact engine on the same model and data
    const bound = boundModel(MIXTURE, data);
    expect(exactEngine.applicability(bound).ok).toBe(true);
    const declared = exactInfo.options as readonly { name: string; default: unknown }[];
    const defaults = Object.fromEntries(declared.map((o) => [o.name, o.default]));
    const ex = await exactEngine.run(bound, { seed: 0, ...defaults } as never);
    expect(Math.abs((r.logEvidence as number) - (ex.logEvidence as number))).toBeLessThan(1e-3);
    const pe = ex.latents.c.params.p.data;
    for (let i = 0; i < pe.length; i++) expect(Math.abs(p[i] - pe[i])).toBeLessThan(1e-5);
  });

  it('a Bernoulli switch is summed out too', async () => {
    const src = `model sw {
      size N
      plate i in N {
        b[i] ~ Bernoulli(0.3)
        x[i] ~ Normal(4 * b[i], 1)
      }
    }`;
    const x = [0.1, 3.9, -0.5, 2.2, 5.0];
    const r = await runAvi(src, { N: x.length, x }, { epochs: 1 });
    let logEv = 0;
    x.forEach((xi, i) => {
      const a = [Math.log(0.7) + logN(xi, 0, 1), Math.log(0.3) + logN(xi, 4, 1)];
      const l = logSumExp(a);
      logEv += l;
      expect(Math.abs(r.latents.b.mean.data[i] - Math.exp(a[1] - l))).toBeLessThan(1e-5);
    });
    expect(r.latents.b.family).toBe('Bernoulli');
    expect(Math.abs((r.logEvidence as number) - logEv)).toBeLessThan(1e-4);
  });

  it('latent means: the ELBO lies below the grid log evidence and within 0.3 nats; means within 0.25 sd', async () => {
    const src = `model mix2 {
      size N
      size K = 2
      hyper w: simplex[K]
      hyper m0: real[K]
      plate k in K { mu[k] ~ Normal(m0[k], 1) }
      plate i in N {
        c[i] ~ Categorical(w)
        x[i] ~ Normal(mu[c[i]], 1)
      }
    }`;
    const w = [0.4, 0.6];
    const m0 = [-3, 3];
    const x = mixtureData(30, w, [-2.5, 2.8], 5);
    const r = await runAvi(
      src,
      { N: x.length, w, m0, x },
      { seed: 4, epochs: 600, lr: 0.05, particles: 4, lrDecay: 0.05 },
    );
    // float64 grid over (mu_0, mu_1): ±6 prior sds, 481 points a side (step 0.025)
    const G = 481;
    const grid = (k: number, g: number) => m0[k] - 6 + (12 * g) / (G - 1);
    const step = 12 / (G - 1);
    // log p(x | mu) splits over i but not over k: tabulate per (g0, g1)
    const terms = new Float64Array(G * G);
    const lw = w.map(Math.log);
    for (let a = 0; a < G; a++)
      for (let b = 0; b < G; b++) {
        const mu = [grid(0, a), grid(1, b)];
        let s = logN(mu[0], m0[0], 1) + logN(mu[1], m0[1], 1);
        for (const xi of x)
          s += logSumExp([lw[0] + logN(xi, mu[0], 1), lw[1] + logN(xi, mu[1], 1)]);
        terms[a * G + b] = s;
      }
    const logEv = logSumExp(terms) + 2 * Math.log(step);
    let mean0 = 0;
    let sq0 = 0;
    for (let a = 0; a < G; a++)
      for (let b = 0; b < G; b++) {
        const pr = Math.exp(terms[a * G + b] - logEv) * step * step;
        mean0 += pr * grid(0, a);
        sq0 += pr * grid(0, a) ** 2;
      }
    const sd0 = Math.sqrt(sq0 - mean0 * mean0);
    const elbo = r.logEvidence as number;
    // the final estimate's Monte Carlo sd is ~0.01 here (100 draws of q on two coordinates)
    expect(elbo).toBeLessThan(logEv + 0.05);
    expect(elbo).toBeGreaterThan(logEv - 0.3);
    expect(Math.abs(r.latents.mu.mean.data[0] - mean0)).toBeLessThan(0.25 * sd0);
    expect(r.latents.c.params.p.shape).toEqual([x.length, 2]);
  });

  it('global discrete latents past 256 joint states take a score-function gradient; --discrete enumerate refuses them at the node', () => {
    // 2^8 = 256 joint states for s fit; t's 2 more would make 512
    const src = `model g {
      size N
      size K = 8
      plate k in K { s[k] ~ Bernoulli(0.5) }
      t ~ Bernoulli(0.5)
      plate i in N { x[i] ~ Normal(2 * s[1] + t, 1) }
    }`;
    const bound = boundModel(src, { N: 3, x: [0, 1, 2] });
    expect(aviEngine.applicability(bound).ok).toBe(true);
    const auto = planAvi(bound);
    expect(auto.ok && auto.plan.globalEnumerated.map((d) => d.name)).toEqual(['s']);
    expect(auto.ok && auto.plan.globalStates).toBe(256);
    expect(auto.ok && auto.plan.scored.map((d) => [d.name, d.local])).toEqual([['t', false]]);
    const en = planAvi(bound, 'amortised', 'enumerate');
    expect(en.ok).toBe(false);
    if (!en.ok)
      expect(en.reasons[0].message).toMatch(
        /t ~ Bernoulli is a discrete latent outside the plate holding the data, with 2 joint states that would make 512/,
      );
  });
});
