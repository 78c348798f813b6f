// backend/normalKl.ts (on wasm, normalKlSimd.ts with mathSimd.ts's exp) against float64
// formulas written here: k = log σ − log s + (s²/σ² + d² − 1)/2, a = d/σ, b = s²/σ² − 1 with
// d = (m − μ)/σ, for μ and σ each one number, a vector along the last axis, or in loc's shape,
// on last axes that are and are not multiples of 4 (the SIMD pass and the tfjs-ops fallback),
// and lengths that leave a tail for the JS loop (fast-check).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { normalKlTerms } from '../../src/backend/normalKl.js';
import { uniformValues } from '../support/prng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

type Kind = 'one' | 'last' | 'full';
const shapeOf = (kind: Kind, shape: number[]): number[] =>
  kind === 'one' ? [] : kind === 'last' ? [1, shape[shape.length - 1]] : shape;

describe('normalKlTerms', () => {
  it('equals the float64 KL and its gradient factors for every layout of μ and σ', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 13 }),
        fc.constantFrom<Kind>('one', 'last', 'full'),
        fc.constantFrom<Kind>('one', 'last', 'full'),
        fc.integer({ min: 1, max: 1000 }),
        (rows, d, muKind, sigKind, seed) => {
          const start = tf.memory().numTensors;
          const shape = [rows, d];
          const n = rows * d;
          const [muShape, sigShape] = [shapeOf(muKind, shape), shapeOf(sigKind, shape)];
          const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
          const m = uniformValues(n, seed, -3, 3);
          const ls = uniformValues(n, seed + 1, -3, 3);
          const mu = uniformValues(size(muShape), seed + 2, -2, 2);
          const sg = uniformValues(size(sigShape), seed + 3, 0.1, 5);
          const ts = [
            tf.tensor(m, shape),
            tf.tensor(ls, shape),
            tf.tensor(mu, muShape),
            tf.tensor(sg, sigShape),
          ];
          const out = normalKlTerms(ts[0], ts[1], ts[2], ts[3]);
          const [k, a, b] = out.map((t) => t.dataSync());
          tf.dispose([...ts, ...out]);
          expect(tf.memory().numTensors).toBe(start);
          const pick = (v: Float32Array, kind: Kind, i: number) =>
            kind === 'one' ? v[0] : kind === 'last' ? v[i % d] : v[i];
          for (let i = 0; i < n; i++) {
            const s = pick(sg, sigKind, i);
            const lsd = ls[i] - Math.log(s);
            const r = Math.exp(2 * lsd);
            const dd = (m[i] - pick(mu, muKind, i)) / s;
            // float32: e^{2 lsd} to a few ulps (r ≤ e^{2 (3 + 2.3)} ≈ 4e4), a few roundings of
            // terms of size ≤ 1 + r + d² + |lsd|: 16 ulps of that scale
            const scale = 16 * 2 ** -23;
            expect(Math.abs(k[i] - ((r + dd * dd - 1) / 2 - lsd))).toBeLessThanOrEqual(
              scale * (1 + r + dd * dd + Math.abs(lsd)),
            );
            expect(Math.abs(a[i] - dd / s)).toBeLessThanOrEqual(scale * Math.abs(dd / s) + 1e-30);
            expect(Math.abs(b[i] - (r - 1))).toBeLessThanOrEqual(scale * (1 + r));
          }
        },
      ),
      { numRuns: 120, seed: 3 },
    );
  });
});
