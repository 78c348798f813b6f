// em's k-means start (src/infer/em/init.ts): greedy k-means++ seeding then Lloyd's iterations.
// On well-separated clusters every cluster gets one centre, whatever the seed (plain k-means++
// often put two centres in one of ten clusters); Lloyd's result is a fixed point — each centre
// is the float64 mean of the cases nearest to it, computed here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kmeansPlusPlus, lloyd, uniform } from '../../../src/infer/em/init.js';
import { prng } from '../../support/prng.js';

/** K clusters of n points in D dimensions, centres ≥ 20 apart on a grid, unit spread. */
function clusters(K: number, n: number, D: number, seed: number) {
  const rand = prng(seed);
  const centres = Array.from({ length: K }, (_, k) =>
    Array.from({ length: D }, (_, d) => (d === 0 ? 20 * k : 20 * ((k * 7) % 3))),
  );
  const x = new Float64Array(K * n * D);
  for (let k = 0; k < K; k++)
    for (let j = 0; j < n; j++)
      for (let d = 0; d < D; d++) x[(k * n + j) * D + d] = centres[k][d] + 2 * rand() - 1;
  return { centres, x, N: K * n };
}

function nearest(x: Float64Array, i: number, c: Float64Array, K: number, D: number): number {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += (x[i * D + d] - c[k * D + d]) ** 2;
    if (s < bestD) {
      bestD = s;
      best = k;
    }
  }
  return best;
}

describe('k-means start', () => {
  it('one centre per well-separated cluster, for every seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), (seed) => {
        const K = 10;
        const D = 3;
        const { centres, x, N } = clusters(K, 40, D, seed);
        const c = kmeansPlusPlus(x, N, D, K, uniform(seed));
        lloyd(x, N, D, K, c);
        // every true cluster centre has a fitted centre within its spread (|noise| ≤ 1 per axis)
        for (const t of centres) {
          const hit = Array.from({ length: K }, (_, k) =>
            Math.hypot(...t.map((v, d) => v - c[k * D + d])),
          );
          expect(Math.min(...hit)).toBeLessThan(Math.sqrt(D));
        }
      }),
      { seed: 12, numRuns: 25 },
    );
  });

  it("Lloyd's iterations end at a fixed point: each centre the mean of its nearest cases", () => {
    const rand = prng(3);
    const N = 300;
    const D = 2;
    const K = 4;
    const x = Float64Array.from({ length: N * D }, () => 10 * rand());
    const c = kmeansPlusPlus(x, N, D, K, uniform(1));
    const iters = lloyd(x, N, D, K, c);
    expect(iters).toBeLessThan(100);
    const sum = new Float64Array(K * D);
    const count = new Float64Array(K);
    for (let i = 0; i < N; i++) {
      const k = nearest(x, i, c, K, D);
      count[k]++;
      for (let d = 0; d < D; d++) sum[k * D + d] += x[i * D + d];
    }
    for (let k = 0; k < K; k++) {
      expect(count[k]).toBeGreaterThan(0);
      for (let d = 0; d < D; d++)
        expect(Math.abs(c[k * D + d] - sum[k * D + d] / count[k])).toBeLessThan(1e-12);
    }
  });
});
