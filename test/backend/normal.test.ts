// backend/normal.ts (on wasm, normalSimd.ts: xorshift128 lanes, Box–Muller with mathSimd.ts's
// log and sin/cos) against the standard normal: moments within 4 standard errors of a sample of
// n, a Kolmogorov–Smirnov distance below its 0.1% critical value 1.95/√n (Φ in float64, written
// here), no correlation between neighbours or the two halves of a Box–Muller pair beyond 4/√n,
// the tail path (n not a multiple of 8), and determinism: the same words give the same draws, other words other draws.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { standardNormal } from '../../src/backend/normal.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/**
 * Φ(x) in float64: erf by its Taylor series for |x| < 3√2 (terms to 1e−17), beyond it erfc's
 * asymptotic series (relative error below 1e−4 of a tail below 1e−4: ~1e−9 absolute)
 */
function phi(x: number): number {
  const z = x / Math.SQRT2;
  if (Math.abs(z) < 3) {
    // erf z = 2/√π Σ (−1)^k z^{2k+1} / (k! (2k + 1))
    let term = z;
    let sum = z;
    for (let k = 1; k < 200; k++) {
      term *= (-z * z) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return 0.5 * (1 + (2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc |z| ≈ e^{−z²}/(|z|√π) (1 − 1/(2z²) + 3/(4z⁴) − 15/(8z⁶)), relative error < 1e−4 at |z| = 3
  const a = Math.abs(z);
  const z2 = a * a;
  const erfc =
    (Math.exp(-z2) / (a * Math.sqrt(Math.PI))) *
    (1 - 1 / (2 * z2) + 3 / (4 * z2 * z2) - 15 / (8 * z2 ** 3));
  return z > 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

function draws(n: number, seeds: [number, number, number, number]): Float32Array {
  const start = tf.memory().numTensors;
  const t = standardNormal([n], seeds);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  expect(tf.memory().numTensors).toBe(start);
  return v;
}

describe('standardNormal', () => {
  for (const [n, seeds] of [
    [200_000, [1, 2, 3, 4]],
    [100_003, [0xdeadbeef, 7, 0, 0x12345678]],
  ] as [number, [number, number, number, number]][])
    it(`is N(0, 1): moments, KS distance and independence (n = ${n})`, () => {
      const v = draws(n, seeds);
      let m1 = 0;
      let m2 = 0;
      let m3 = 0;
      let m4 = 0;
      for (const x of v) {
        expect(Number.isFinite(x)).toBe(true);
        m1 += x;
        m2 += x * x;
        m3 += x ** 3;
        m4 += x ** 4;
      }
      // standard errors of the sample moments of N(0, 1): √(1/n), √(2/n), √(15/n), √(96/n)
      expect(Math.abs(m1 / n)).toBeLessThan(4 * Math.sqrt(1 / n));
      expect(Math.abs(m2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
      expect(Math.abs(m3 / n)).toBeLessThan(4 * Math.sqrt(15 / n));
      expect(Math.abs(m4 / n - 3)).toBeLessThan(4 * Math.sqrt(96 / n));
      const sorted = Float64Array.from(v).sort();
      let D = 0;
      for (let i = 0; i < n; i++) {
        const F = phi(sorted[i]);
        D = Math.max(D, Math.abs(F - i / n), Math.abs(F - (i + 1) / n));
      }
      expect(D).toBeLessThan(1.95 / Math.sqrt(n));
      // neighbours (lag 1, the four lanes) and Box–Muller's two halves (lag 4 within a round)
      for (const lag of [1, 4, 8]) {
        let c = 0;
        for (let i = lag; i < n; i++) c += v[i] * v[i - lag];
        expect(Math.abs(c / n)).toBeLessThan(4 / Math.sqrt(n));
      }
    });

  it('is deterministic in its seed words, and other words give other draws', () => {
    const a = draws(1003, [5, 6, 7, 8]);
    const b = draws(1003, [5, 6, 7, 8]);
    const c = draws(1003, [5, 6, 7, 9]);
    expect(Array.from(a)).toEqual(Array.from(b));
    let same = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === c[i]) same++;
    expect(same).toBeLessThan(5);
  });
});
