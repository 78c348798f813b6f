// elboHat.ts's fused loss −mean_s(g_s + (N/B) Σ_b w_{s,b}) against a float64 sum written here,
// and its gradient against tfjs's autodiff of the unfused expression.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { negElboHat } from '../../../src/infer/avi/elboHat.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('negElboHat', () => {
  it.each([
    [1, 4],
    [3, 5],
  ])('is −(1/S) Σ_s (g_s + scale Σ_b w_sb) with autodiff’s gradient (S = %i, B = %i)', (S, B) => {
    const start = tf.memory().numTensors;
    const scale = 1797 / B;
    const g64 = Array.from({ length: S }, (_, s) => Math.fround(-3.25 + 1.5 * s));
    const w64 = Array.from({ length: S * B }, (_, i) => Math.fround(-20 + 0.75 * i));
    const g = tf.tensor(g64);
    const w = tf.tensor(w64, [S, B]);
    let want = 0;
    for (let s = 0; s < S; s++) {
      let row = 0;
      for (let b = 0; b < B; b++) row += w64[s * B + b];
      want -= (g64[s] + scale * row) / S;
    }
    const f = (fused: boolean) => (gs: tf.Tensor, ws: tf.Tensor) =>
      fused ? negElboHat(gs, ws, scale) : tf.neg(tf.mean(tf.add(gs, tf.mul(tf.sum(ws, 1), scale))));
    const fused = tf.valueAndGrads(f(true))([g, w]);
    const plain = tf.valueAndGrads(f(false))([g, w]);
    // float32: a handful of roundings of a value of size ~scale · B · 20
    expect(Math.abs(fused.value.dataSync()[0] - want)).toBeLessThanOrEqual(
      8 * 2 ** -23 * Math.abs(want),
    );
    fused.grads.forEach((t, k) => {
      expect(t.shape).toEqual(plain.grads[k].shape);
      const a = t.dataSync();
      const b = plain.grads[k].dataSync();
      for (let i = 0; i < a.length; i++)
        expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(2 ** -22 * Math.abs(b[i]));
    });
    // without element terms: −mean(g)
    const only = tf.tidy(() => negElboHat(g, undefined, scale));
    expect(Math.abs(only.dataSync()[0] + g64.reduce((p, v) => p + v, 0) / S)).toBeLessThan(1e-6);
    tf.dispose([g, w, fused.value, ...fused.grads, plain.value, ...plain.grads, only]);
    expect(tf.memory().numTensors).toBe(start);
  });
});
