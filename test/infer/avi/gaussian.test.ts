// avi on a Normal–Normal model with a plate, whose posterior and evidence are closed forms:
//   z_i ~ N(0, 1), x_i | z_i ~ N(z_i, s)  ⇒  z_i | x_i ~ N(x_i/(1 + s²), s/√(1 + s²)),
//   log p(x) = Σ_i log N(x_i; 0, √(1 + s²)).
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { FINAL_PARTICLES } from '../../../src/infer/avi/run.js';
import { normal, runAvi } from './helpers.js';

const SOURCE = `model nn {
  size N
  hyper s: real(0,) = 0.5
  plate i in N {
    z[i] ~ Normal(0, 1)
    x[i] ~ Normal(z[i], s)
  }
}`;
const N = 60;
const s = 0.5;
const rand = normal(7);
const x = Array.from({ length: N }, () => rand() * Math.sqrt(1 + s * s));
const postMean = x.map((v) => v / (1 + s * s));
const postSd = s / Math.sqrt(1 + s * s);
const logEvidence = x.reduce(
  (a, v) => a - 0.5 * Math.log(2 * Math.PI * (1 + s * s)) - (v * v) / (2 * (1 + s * s)),
  0,
);

/** KL(N(m, q) ‖ N(mu, p)) in float64. */
function kl(m: number, q: number, mu: number, p: number): number {
  return Math.log(p / q) + (q * q + (m - mu) ** 2) / (2 * p * p) - 0.5;
}

/**
 * Var over z ~ q of log q(z) − log p(z | x) for Gaussians: the variance of one particle's
 * log weight (log p(x) is constant). Exact: with r = q/p, d = (m − mu)/p,
 *   log q − log p = const − ε²/2 + (rε + d)²/2,  ε ~ N(0, 1)
 *   Var = ((r² − 1)²/2) + r² d²   (Var of a ε² + b ε with a = (r² − 1)/2, b = r d).
 */
function logWeightVar(m: number, q: number, mu: number, p: number): number {
  const r = q / p;
  const d = (m - mu) / p;
  return (r * r - 1) ** 2 / 2 + r * r * d * d;
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
    // the final estimates average FINAL_PARTICLES draws: 4 sd of that mean, plus float32 rounding
    // of sums of N terms of size ~1 (N · 2⁻²³ · 10 ≪ 1e-3)
    const tol = 4 * Math.sqrt(varLogW / FINAL_PARTICLES) + 1e-3;
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
      { seed: 2, epochs: 60, lr: 0.03, batchSize: 16, particles: 2 },
    );
    const elbo = r.logEvidence as number;
    expect(elbo).toBeLessThan(logEvidence + 0.5);
    expect(elbo).toBeGreaterThan(logEvidence - 3);
    expect(r.elbo?.length).toBe(61);
  });
});
