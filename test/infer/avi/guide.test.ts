// avi with a user's guide block (guideBlock.ts) on the Normal–Normal plate, whose posterior
// z_i | x_i ~ N(x_i/(1 + s²), s/√(1 + s²)) lies in the guide's family z_i ~ N(a x_i + b, e^ls):
// the ELBO reaches the closed-form log evidence Σ_i log N(x_i; 0, √(1 + s²)), and equals the
// default guide's within Monte Carlo error. Refusals are located at the guide's statement.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { aviEngine } from '../../../src/infer/avi/index.js';
import { finalParticles } from '../../../src/infer/avi/run.js';
import { boundModel } from '../../support/models.js';
import { normal, runAvi } from './helpers.js';

const MODEL = `model nn {
  size N
  hyper s: real(0,) = 0.5
  plate i in N {
    z[i] ~ Normal(0, 1)
    x[i] ~ Normal(z[i], s)
  }
}`;
const GUIDE = `
guide nn_guide {
  param a: real = 0
  param b: real = 0
  param ls: real = 0
  plate i in N {
    z[i] ~ Normal(a * x[i] + b, exp(ls))
  }
}`;
const N = 60;
const s = 0.5;
const rand = normal(11);
const x = Array.from({ length: N }, () => rand() * Math.sqrt(1 + s * s));
const logEvidence = x.reduce(
  (a, v) => a - 0.5 * Math.log(2 * Math.PI * (1 + s * s)) - (v * v) / (2 * (1 + s * s)),
  0,
);

beforeAll(async () => {
  await initBackend('wasm');
});

describe('avi with a guide block', () => {
  it('a guide of the posterior family reaches the log evidence, like the default guide', async () => {
    const opts = { seed: 5, epochs: 400, lr: 0.03, particles: 4, lrDecay: 0.05 };
    const mine = await runAvi(MODEL + GUIDE, { N, x }, opts);
    const dflt = await runAvi(MODEL, { N, x }, opts);
    const a = mine.params['guide.a'].data[0];
    const sd = Math.exp(mine.params['guide.ls'].data[0]);
    expect(Math.abs(a - 1 / (1 + s * s))).toBeLessThan(0.02);
    expect(Math.abs(sd - s / Math.sqrt(1 + s * s))).toBeLessThan(0.02);
    expect(mine.latents.z.family).toBe('Normal');
    expect(mine.latents.z.mean.data[3]).toBeCloseTo(a * x[3] + mine.params['guide.b'].data[0], 5);
    // at the optimum q = p(z | x) every draw's log weight is log p(x); with a, b, sd within 0.02
    // of it the gap KL(q ‖ p) is below N·(0.02/0.447)²·1.5 ≈ 0.2 nats, and the final estimate's
    // sd is √(Σ_i Var log w_i / M) ≤ √(N·0.01/M); float32 sums of N terms add ≪ 1e-3
    const elbo = mine.logEvidence as number;
    const mc = 4 * Math.sqrt((N * 0.01) / finalParticles(N, 1)) + 1e-3;
    expect(elbo).toBeLessThanOrEqual(logEvidence + mc);
    expect(elbo).toBeGreaterThan(logEvidence - 0.2 - mc);
    // the default guide (an encoder of x_i, the same Normal family) is no tighter, and its gap
    // (the encoder's KL, below 0.04 nats per element after these steps) is small
    const other = dflt.logEvidence as number;
    expect(other).toBeLessThanOrEqual(elbo + 2 * mc);
    expect(other).toBeGreaterThan(logEvidence - 0.04 * N);
    expect(Object.keys(mine.params).some((k) => k.startsWith('guide.z.'))).toBe(false);
  });

  it('minibatches work with a guide block, and --load-style initial values restore it', async () => {
    const r = await runAvi(
      MODEL + GUIDE,
      { N, x },
      { seed: 2, epochs: 80, lr: 0.03, batchSize: 16 },
    );
    expect(r.logEvidence as number).toBeGreaterThan(logEvidence - 3);
    const initial = Object.fromEntries(
      Object.entries(r.params).map(([k, v]) => [
        k,
        { shape: v.shape, data: Float64Array.from(v.data) },
      ]),
    );
    const again = await runAvi(MODEL + GUIDE, { N, x }, { seed: 3, epochs: 1, lr: 1e-9, initial });
    expect(again.params['guide.a'].data[0]).toBeCloseTo(r.params['guide.a'].data[0], 5);
  });

  const refused = (guide: string) => {
    const r = aviEngine.applicability(
      boundModel(MODEL.replace('Normal(0, 1)', 'Gamma(2, 2)') + guide, { N, x }),
    );
    expect(r.ok).toBe(false);
    return r.ok ? [] : r.reasons;
  };

  it('refuses a Normal guide for a positive latent, at the guide statement', () => {
    const reasons = refused(`
guide g {
  plate i in N {
    z[i] ~ Normal(x[i], 1)
  }
}`);
    expect(reasons[0].message).toMatch(/positive support.*use LogNormal/);
    expect(reasons[0].line).toBe(11);
  });

  it('refuses a guide reading a latent it draws later, at the name read', () => {
    const two = `model two {
  size N
  plate i in N {
    z[i] ~ Normal(0, 1)
    w[i] ~ Normal(0, 1)
    x[i] ~ Normal(z[i] + w[i], 0.5)
  }
}
guide g {
  plate i in N {
    z[i] ~ Normal(w[i], 1)
    w[i] ~ Normal(x[i], 1)
  }
}`;
    const r = aviEngine.applicability(boundModel(two, { N, x }));
    expect(r.ok).toBe(false);
    const reason = r.ok ? undefined : r.reasons[0];
    expect(reason?.message).toMatch(/reads w, which the guide draws later/);
    expect([reason?.line, reason?.column]).toEqual([11, 19]);
  });
});
