// avi's defaults on examples/coin (Beta(1, 1) prior, 14 heads in 20 flips: posterior Beta(15, 7),
// mean 0.682): q is a LogitNormal, so the target is not the Beta's moments but those of the
// best LogitNormal, q* = argmin KL(q ‖ p), computed here in float64 by normal
// quadrature (801 nodes on ±8 sd), minimised on a grid of (m, s). Before the defaults changed (lr 0.01 decaying to 0.001 over
// 300 one-step epochs), the loc had moved only ~0.68 of the ~0.81 it needed: mean 0.658.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { readData, readExample } from '../../report/examples.js';
import { runAvi } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const A = 15;
const B = 7;
/** log σ(u), log(1 − σ(u)) in float64 */
const logSig = (u: number) => -Math.log1p(Math.exp(-u));
const sig = (u: number) => 1 / (1 + Math.exp(-u));

/** Standard normal quadrature: nodes ε_j on ±8 with weights ∝ φ(ε_j), summing to 1. */
const Q = 801;
const EPS = Array.from({ length: Q }, (_, j) => -8 + (16 * j) / (Q - 1));
const W = (() => {
  const w = EPS.map((e) => Math.exp(-0.5 * e * e));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
})();

/**
 * KL(q ‖ p) up to p's normaliser, q = N(m, s²) on u = logit θ, p(u) ∝ σ(u)^A (1 − σ(u))^B
 * (the Beta density times the Jacobian σ(1 − σ)): −log s − E_q[A log σ(u) + B log(1 − σ(u))].
 */
function kl(m: number, s: number): number {
  let e = 0;
  for (let j = 0; j < Q; j++) {
    const u = m + s * EPS[j];
    e += W[j] * (A * logSig(u) + B * logSig(-u));
  }
  return -Math.log(s) - e;
}

/** The best LogitNormal's (m, s) on a grid of step 1e-3, refined around a coarse minimum. */
function bestFit(): { m: number; s: number } {
  let best = { m: 0, s: 1, k: Number.POSITIVE_INFINITY };
  for (let m = 0; m <= 2; m += 0.02)
    for (let s = 0.1; s <= 1; s += 0.02) {
      const k = kl(m, s);
      if (k < best.k) best = { m, s, k };
    }
  const { m: m0, s: s0 } = best;
  for (let i = -20; i <= 20; i++)
    for (let j = -20; j <= 20; j++) {
      const m = m0 + i * 1e-3;
      const s = s0 + j * 1e-3;
      const k = kl(m, s);
      if (k < best.k) best = { m, s, k };
    }
  return best;
}

describe('avi on the coin', () => {
  it("theta's mean and sd are the best LogitNormal's, within Monte Carlo and optimiser noise", async () => {
    const { m, s } = bestFit();
    let mean = 0;
    let sq = 0;
    for (let j = 0; j < Q; j++) {
      const x = sig(m + s * EPS[j]);
      mean += W[j] * x;
      sq += W[j] * x * x;
    }
    const sd = Math.sqrt(sq - mean * mean);
    // the Gaussian-on-logit approximation's own bias against Beta(15, 7): small, and known
    const betaMean = A / (A + B);
    const betaSd = Math.sqrt((A * B) / ((A + B) ** 2 * (A + B + 1)));
    expect(Math.abs(mean - betaMean)).toBeLessThan(0.003);
    expect(Math.abs(sd - betaSd)).toBeLessThan(0.005);
    const src = readExample('examples/coin/coin.plato');
    const data = readData('examples/coin/coin.json');
    const seeds = [0, 1, 2, 3];
    let gotMean = 0;
    let gotSd = 0;
    for (const seed of seeds) {
      const r = await runAvi(src, data, { seed });
      const l = r.latents.theta as unknown as {
        mean: { data: ArrayLike<number> };
        sd: { data: ArrayLike<number> };
      };
      gotMean += l.mean.data[0] / seeds.length;
      gotSd += l.sd.data[0] / seeds.length;
    }
    // per run: the reported moments are Monte Carlo over 1000 draws of q (sd/√1000 = 0.003 for
    // the mean, sd/√2000 = 0.002 for the sd), and one-particle Adam leaves q's loc and scale
    // spread around q* (measured over seeds: ~0.006 in theta's mean and sd); over 4 seeds
    // both shrink by 2, and 3 sds of the sum is 3·√(0.003² + 0.006²)/2 ≈ 0.01
    expect(Math.abs(gotMean - mean)).toBeLessThan(0.01);
    expect(Math.abs(gotSd - sd)).toBeLessThan(0.01);
  }, 60_000);
});
