// avi with truncated nodes (`T[lo, hi]`): an observed truncated child of a latent, whose log
// joint (with the normaliser log Phi(mu)) has finite gradients equal to float64 central
// differences, and whose posterior avi recovers against a float64 grid; truncated latents,
// reparameterised onto their bounds (lower-bounded: lo + exp(u); an interval when the family
// closes the other end), against float64 grid posteriors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compileModel } from '../../../src/compile/model.js';
import { boundModel } from '../../support/models.js';
import { runAvi } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const LOG_2PI = Math.log(2 * Math.PI);
const logN = (x: number, m: number, s: number) =>
  -0.5 * LOG_2PI - Math.log(s) - ((x - m) * (x - m)) / (2 * s * s);

/** Simpson's rule in float64 over [a, b] with 2m intervals */
function simpson(f: (x: number) => number, a: number, b: number, m = 2000): number {
  const h = (b - a) / (2 * m);
  let s = f(a) + f(b);
  for (let i = 1; i < 2 * m; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

/** log Phi(m) by quadrature of the smaller tail (float64, relative error ~1e-12) */
function logPhi(m: number): number {
  const tail = simpson((t) => Math.exp(logN(t, 0, 1)), Math.abs(m), Math.abs(m) + 14);
  return m < 0 ? Math.log(tail) : Math.log1p(-tail);
}

/** float64 grid posterior of a scalar: log evidence, mean and sd of exp(logp) over [a, b] */
function grid(logp: (x: number) => number, a: number, b: number) {
  const shift = logp((a + b) / 2);
  const w = (x: number) => Math.exp(logp(x) - shift);
  const z = simpson(w, a, b);
  const mean = simpson((x) => x * w(x), a, b) / z;
  const sd = Math.sqrt(simpson((x) => (x - mean) ** 2 * w(x), a, b) / z);
  return { logEvidence: Math.log(z) + shift, mean, sd };
}

const OBSERVED = `model t {
  size N
  mu ~ Normal(0, 3)
  plate i in N { y[i] ~ Normal(mu, 1) T[0, ] }
}`;
const y = [0.1, 0.5, 1.2, 0.3, 2.0, 0.05, 0.8];
/** log p(mu) + sum_i log N(y_i; mu, 1) - log Phi(mu) (P(Y >= 0) = Phi(mu)) */
const logJoint = (mu: number) =>
  logN(mu, 0, 3) + y.reduce((a, v) => a + logN(v, mu, 1), 0) - y.length * logPhi(mu);

describe('avi with an observed truncated child', () => {
  it('differentiates the log joint: finite, equal to float64 central differences', () => {
    const start = tf.memory().numTensors;
    const bound = boundModel(OBSERVED, { N: y.length, y });
    const plan = compileModel(bound);
    const at = [-4, -1, 0.3, 2.5];
    const got = tf.tidy(() => {
      const mu = tf.tensor1d(at);
      return Array.from(
        tf
          .grad((m: tf.Tensor) => tf.sum(plan.logJoint({ mu: m })))(mu)
          .dataSync(),
      );
    });
    plan.dispose();
    expect(tf.memory().numTensors).toBe(start);
    at.forEach((m, i) => {
      const h = 1e-4;
      const want = (logJoint(m + h) - logJoint(m - h)) / (2 * h);
      expect(Number.isFinite(got[i]!), `d/dmu at ${m}`).toBe(true);
      // float32 sums of 7 terms of size ~10
      expect(Math.abs(got[i]! - want), `d/dmu at ${m}: ${got[i]} vs ${want}`).toBeLessThan(
        1e-3 * Math.max(1, Math.abs(want)),
      );
    });
  });

  it('reaches the best Gaussian q of mu (float64 ELBO maximised on a grid)', async () => {
    const ref = grid(logJoint, -12, 8);
    // log p(mu, y) tabulated once, read by linear interpolation
    const [a, b, n] = [-12, 8, 4000];
    const table = Array.from({ length: n + 1 }, (_, i) => logJoint(a + ((b - a) * i) / n));
    const lj = (m: number) => {
      const t = Math.min(Math.max(((m - a) / (b - a)) * n, 0), n - 1e-9);
      const i = Math.floor(t);
      return table[i]! + (t - i) * (table[i + 1]! - table[i]!);
    };
    // ELBO(m, s) = E_N(m, s)[log p(mu, y)] + log s + (1 + log 2 pi) / 2
    const elbo = (m: number, s: number) =>
      simpson((u) => Math.exp(logN(u, 0, 1)) * lj(m + s * u), -8, 8, 200) +
      Math.log(s) +
      0.5 * (1 + LOG_2PI);
    let best = { m: ref.mean, s: ref.sd, v: elbo(ref.mean, ref.sd) };
    for (const step of [0.05, 0.01, 0.002]) {
      const c = best;
      for (let i = -10; i <= 10; i++)
        for (let j = -10; j <= 10; j++) {
          const [m, s] = [c.m + i * step, c.s + j * step];
          if (s <= 0) continue;
          const v = elbo(m, s);
          if (v > best.v) best = { m, s, v };
        }
    }
    const r = await runAvi(
      OBSERVED,
      { N: y.length, y },
      { seed: 1, epochs: 200, lr: 0.05, particles: 8 },
    );
    const mean = r.latents.mu.mean.data[0]!;
    const sd = r.latents.mu.sd.data[0]!;
    // Adam's noisy last steps: within a tenth of the posterior sd of the optimum
    expect(Math.abs(mean - best.m), `mean ${mean} vs ${best.m}`).toBeLessThan(0.1 * ref.sd);
    expect(Math.abs(sd - best.s), `sd ${sd} vs ${best.s}`).toBeLessThan(0.1 * ref.sd);
    // the final ELBO estimate: below the log evidence, near the best Gaussian's ELBO
    expect(r.logEvidence as number).toBeLessThanOrEqual(ref.logEvidence + 0.05);
    expect(Math.abs((r.logEvidence as number) - best.v)).toBeLessThan(0.1);
  });
});

describe('avi with truncated latents', () => {
  it('Normal(0, 1) T[0, ] latent (lower-bounded): the grid posterior', async () => {
    const src = `model t {
  z ~ Normal(0, 1) T[0, ]
  y ~ Normal(z, 1)
}`;
    // p(z | y) ∝ N(z; 0, 1) N(y; z, 1) on z >= 0 (the prior's normaliser 1/2 a constant)
    const lp = (z: number) => logN(z, 0, 1) + Math.LN2 + logN(-1, z, 1);
    const ref = grid(lp, 0, 12);
    const r = await runAvi(src, { y: -1 }, { seed: 2, epochs: 300, lr: 0.05, particles: 8 });
    expect(r.latents.z.family).toBe('ShiftedLogNormal');
    const mean = r.latents.z.mean.data[0]!;
    expect(Math.abs(mean - ref.mean), `mean ${mean} vs ${ref.mean}`).toBeLessThan(0.15 * ref.sd);
    expect(r.logEvidence as number).toBeLessThanOrEqual(ref.logEvidence + 0.05);
    expect(r.logEvidence as number).toBeGreaterThan(ref.logEvidence - 0.2);
  });

  it('HalfNormal(1) T[, 2] latent (the interval [0, 2]): the grid posterior', async () => {
    const src = `model t {
  s ~ HalfNormal(1) T[, 2]
  y ~ Normal(s, 0.5)
}`;
    const lp = (s: number) => logN(s, 0, 1) + logN(1.5, s, 0.5);
    const ref = grid(lp, 0, 2);
    const r = await runAvi(src, { y: 1.5 }, { seed: 3, epochs: 300, lr: 0.05, particles: 8 });
    expect(r.latents.s.family).toBe('LogitNormal');
    const mean = r.latents.s.mean.data[0]!;
    expect(Math.abs(mean - ref.mean), `mean ${mean} vs ${ref.mean}`).toBeLessThan(0.15 * ref.sd);
  });
});

describe('avi with latent truncation bounds', () => {
  it('an observation outside bounds that read a latent: an error naming the node, not a silent -Infinity', async () => {
    // y = -5 lies below mu - 1 for every draw of mu near its prior: probability zero
    const src = `model t {
  mu ~ Normal(0, 1)
  y ~ Normal(mu, 1) T[mu - 1, ]
}`;
    await expect(runAvi(src, { y: -5 }, { seed: 1, epochs: 5 })).rejects.toThrow(
      /ELBO estimate became -Infinity.*y \(T\[mu - 1, \] reads mu\)/,
    );
  });
});
