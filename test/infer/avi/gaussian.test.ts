// avi on a Normal–Normal model with a plate, whose posterior and evidence are closed forms:
//   z_i ~ N(0, 1), x_i | z_i ~ N(z_i, s)  ⇒  z_i | x_i ~ N(x_i/(1 + s²), s/√(1 + s²)),
//   log p(x) = Σ_i log N(x_i; 0, √(1 + s²)).
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { finalParticles } from '../../../src/infer/avi/run.js';
import { logWeightVar, normalNormal, runAvi } from './helpers.js';

const N = 60;
const { source: SOURCE, x, postMean, postSd, logEvidence } = normalNormal(N, 7);

/** KL(N(m, q) ‖ N(mu, p)) in float64. */
function kl(m: number, q: number, mu: number, p: number): number {
  return Math.log(p / q) + (q * q + (m - mu) ** 2) / (2 * p * p) - 0.5;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('avi on a Normal–Normal plate', () => {
  it('the amortised q reaches the analytic posterior; ELBO ≤ IW bound ≤ log evidence', async () => {
    const opts = { seed: 3, epochs: 400, lr: 0.03, particles: 4, lrDecay: 0.05 };
    const r = await runAvi(SOURCE, { N, x }, { ...opts, iw: 20 });
    const mu = r.latents.z.params.mu.data;
    const sd = r.latents.z.params.sigma.data;
    expect(r.latents.z.family).toBe('Normal');
    let meanKl = 0;
    let varLogW = 0;
    for (let i = 0; i < N; i++) {
      meanKl += kl(mu[i], sd[i], postMean[i], postSd) / N;
      varLogW += logWeightVar(mu[i], sd[i], postMean[i], postSd);
    }
    // Adam's last steps have size lr·lrDecay = 1.5e-3 per coordinate; a relu encoder fitting the
    // line x ↦ x/(1 + s²) and noise of that size leave a KL of order (step/σ)² per element ≪ 0.02
    expect(meanKl).toBeLessThan(0.02);
    // the final estimates average finalParticles(N, 20) draws: 4 sd of that mean, plus float32 rounding
    // of sums of N terms of size ~1 (N · 2⁻²³ · 10 ≪ 1e-3)
    const tol = 4 * Math.sqrt(varLogW / finalParticles(N, 20)) + 1e-3;
    const elbo = r.elbo?.[r.elbo.length - 1] as number;
    const iw = r.logEvidence as number;
    expect(elbo).toBeLessThanOrEqual(logEvidence + tol);
    // the ELBO's gap is Σ KL(q_i ‖ p_i): the same formula, to the same tolerance
    expect(Math.abs(elbo - (logEvidence - meanKl * N))).toBeLessThan(tol + 0.05);
    expect(iw).toBeLessThanOrEqual(logEvidence + tol);
    expect(iw).toBeGreaterThanOrEqual(elbo - tol);
  });

  it('free local params reach the same posterior', async () => {
    const r = await runAvi(
      SOURCE,
      { N, x },
      { seed: 1, epochs: 500, lr: 0.05, particles: 4, localGuide: 'free' },
    );
    const mu = r.latents.z.params.mu.data;
    const sd = r.latents.z.params.sigma.data;
    let meanKl = 0;
    for (let i = 0; i < N; i++) meanKl += kl(mu[i], sd[i], postMean[i], postSd) / N;
    expect(meanKl).toBeLessThan(0.02);
    expect(r.params['guide.z.loc'].shape).toEqual([N]);
  });

  it('minibatches with N/B scaling estimate the same ELBO', async () => {
    const r = await runAvi(
      SOURCE,
      { N, x },
      { seed: 2, epochs: 150, lr: 0.03, batchSize: 16, particles: 2 },
    );
    const elbo = r.logEvidence as number;
    expect(elbo).toBeLessThan(logEvidence + 0.5);
    expect(elbo).toBeGreaterThan(logEvidence - 3);
    expect(r.elbo?.length).toBe(151);
  });
});
