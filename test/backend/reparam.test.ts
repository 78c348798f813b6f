// backend/reparam.ts (on wasm, reparamSimd.ts with mathSimd.ts's exp) against float64 formulas
// written here: se = e^{ls} ε and u = m + se, for ε with and without leading axes of draws, on
// lengths that leave a tail for the JS loop, and broadcasts it does not take (the tfjs-ops path).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { reparamDraw } from '../../src/backend/reparam.js';
import { uniformValues } from '../support/prng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('reparamDraw', () => {
  it('equals m + e^{ls} ε and e^{ls} ε in float64 for every layout of the draws', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom('lead1', 'bare', 'same', 'column'),
        fc.integer({ min: 1, max: 1000 }),
        (b, d, draws, layout, seed) => {
          const start = tf.memory().numTensors;
          // m, ls [1, b, d] or [b, d]; ε [S, b, d], or m's own shape, or ε [S, b, d] against
          // m [1, b, 1] (a broadcast the kernel does not take)
          const mShape = layout === 'lead1' ? [1, b, d] : layout === 'column' ? [1, b, 1] : [b, d];
          const eShape = layout === 'same' ? [b, d] : [draws, b, d];
          const n = mShape.reduce((x, y) => x * y, 1);
          const S = layout === 'same' ? 1 : draws;
          const m = uniformValues(n, seed, -3, 3);
          const ls = uniformValues(n, seed + 1, -4, 4);
          const eps = uniformValues(S * b * d, seed + 2, -3, 3);
          const ts = [tf.tensor(m, mShape), tf.tensor(ls, mShape), tf.tensor(eps, eShape)];
          const [u, se] = reparamDraw(ts[0], ts[1], ts[2]);
          expect(u.shape).toEqual(layout === 'same' ? [b, d] : [S, b, d]);
          const [uv, sv] = [u.dataSync(), se.dataSync()];
          tf.dispose([...ts, u, se]);
          expect(tf.memory().numTensors).toBe(start);
          for (let s = 0; s < S; s++)
            for (let i = 0; i < b * d; i++) {
              const j = layout === 'column' ? Math.floor(i / d) : i;
              const want = Math.exp(ls[j]) * eps[s * b * d + i];
              // e^{ls} to a few float32 ulps, then one product and one sum
              expect(Math.abs(sv[s * b * d + i] - want)).toBeLessThanOrEqual(
                8 * 2 ** -23 * Math.abs(want),
              );
              expect(Math.abs(uv[s * b * d + i] - (m[j] + want))).toBeLessThanOrEqual(
                8 * 2 ** -23 * (Math.abs(m[j]) + Math.abs(want)),
              );
            }
        },
      ),
      { numRuns: 100, seed: 9 },
    );
  });
});
