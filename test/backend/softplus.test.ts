// backend/softplus.ts against the float64 softplus, over a wide range (large |t| included, where
// the naive log(1 + e^t) overflows or rounds to 0).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { softplus } from '../../src/backend/softplus.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** float64 softplus, written so that nothing overflows */
const ref = (t: number) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));

describe('softplus', () => {
  it('is log(1 + e^t) to float32 accuracy from −1e30 to 1e30 and at ±∞', () => {
    const start = tf.memory().numTensors;
    const ts: number[] = [-Infinity, Infinity, 0, -0];
    for (let k = -3000; k <= 3000; k++) ts.push(k / 30); // [−100, 100] in steps of 1/30
    for (const m of [1e-8, 1e-4, 0.3, 88, 89, 200, 1e4, 1e30]) ts.push(m, -m);
    const t32 = Float32Array.from(ts);
    const x = tf.tensor(t32);
    const got = tf.tidy(() => softplus(x));
    const g = got.dataSync();
    for (let i = 0; i < t32.length; i++) {
      const want = ref(t32[i]);
      if (!Number.isFinite(want)) {
        expect(g[i]).toBe(want);
        continue;
      }
      // a few float32 ulps of max(1, |softplus|): the log(1 + e^{−|t|}) term is rounded in
      // float32 next to 1 (σ(|t|) before its log), an absolute error of ~2^-24, and the sum is
      // rounded once more
      expect(Math.abs(g[i] - want)).toBeLessThanOrEqual(4 * 2 ** -23 * Math.max(1, want));
      expect(g[i]).toBeGreaterThanOrEqual(0);
    }
    tf.dispose([x, got]);
    expect(tf.memory().numTensors).toBe(start);
  });
});
