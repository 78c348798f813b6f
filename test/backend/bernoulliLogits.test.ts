// backend/bernoulliLogits.ts (on wasm, bernoulliLogitsSimd.ts with mathSimd.ts's exp and
// log1p) against float64 formulas written here: v = x l − softplus(l) and g = x − σ(l), over
// logits from −1e30 to 1e30 (the exp's flush below e^{−87} and its overflow included), ±∞,
// NaN, and lengths that leave a tail of 0–3 entries for the JS loop.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { bernoulliLogits } from '../../src/backend/bernoulliLogits.js';
import { initBackend } from '../../src/backend/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** float64 softplus and σ, written so that nothing overflows */
const softplus64 = (t: number) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
const sigmoid64 = (t: number) =>
  t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));

/** v, g for x, l (float32 inputs) on the backend */
function run(x: Float32Array, l: Float32Array): [Float32Array, Float32Array] {
  const start = tf.memory().numTensors;
  const xt = tf.tensor(x);
  const lt = tf.tensor(l);
  const [v, g] = bernoulliLogits(xt, lt);
  const out: [Float32Array, Float32Array] = [
    v.dataSync() as Float32Array,
    g.dataSync() as Float32Array,
  ];
  tf.dispose([xt, lt, v, g]);
  expect(tf.memory().numTensors).toBe(start);
  return out;
}

// Bounds: v's softplus term is e^{−|l|} through a degree-5 polynomial (≤ 2 ulp), log1p's
// series (its truncation ≤ 1e−8 relative) and a few roundings; the sum x l − softplus(l) is
// rounded against max(1, |v|): 8 float32 ulps of that. g = x − σ(l) with σ ∈ [0, 1]: 4 ulps of 1.
const V_TOL = 8 * 2 ** -23;
const G_TOL = 4 * 2 ** -23;

function check(x: Float32Array, l: Float32Array) {
  const [v, g] = run(x, l);
  for (let i = 0; i < l.length; i++) {
    const [xi, li] = [x[i], l[i]];
    const wantV = xi * li - softplus64(li);
    const wantG = xi - sigmoid64(li);
    if (Number.isNaN(wantV)) expect(v[i]).toBeNaN();
    else if (!Number.isFinite(wantV)) expect(v[i]).toBe(wantV);
    else expect(Math.abs(v[i] - wantV)).toBeLessThanOrEqual(V_TOL * Math.max(1, Math.abs(wantV)));
    if (Number.isNaN(wantG)) expect(g[i]).toBeNaN();
    else expect(Math.abs(g[i] - wantG)).toBeLessThanOrEqual(G_TOL);
  }
}

describe('bernoulliLogits', () => {
  it('equals x l − softplus(l) and x − σ(l) in float64 over a wide range of logits', () => {
    const ls: number[] = [-Infinity, Infinity, 0, -0, Number.NaN];
    for (let k = -3000; k <= 3000; k++) ls.push(k / 30); // [−100, 100] in steps of 1/30
    for (const m of [1e-30, 1e-8, 1e-4, 0.3, 86.9, 87, 87.2, 88, 89, 200, 1e4, 1e30])
      ls.push(m, -m);
    const l = Float32Array.from(ls);
    for (const xv of [0, 1])
      check(
        l.map(() => xv),
        l,
      );
  });

  it('holds for random logits, 0/1 data and every tail length (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 67 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0.1, max: 120, noNaN: true }),
        (n, seed, scale) => {
          let s = seed;
          const next = () => {
            s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
            return s / 2 ** 32;
          };
          const l = Float32Array.from({ length: n }, () => (2 * next() - 1) * scale);
          const x = Float32Array.from({ length: n }, () => (next() < 0.5 ? 0 : 1));
          check(x, l);
        },
      ),
      { numRuns: 60, seed: 5 },
    );
  });
});
