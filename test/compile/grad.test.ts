// Engines differentiate the log joint with tfjs autodiff: gradients through indexing by a
// discrete node (gatherND, repeated indices), the Categorical table path and W[:, j].
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { compileModel } from '../../src/compile/index.js';
import { boundModel, MODELS } from '../support/models.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const SRC = `model g {
  size N
  size K = 3
  size V = 4
  param mu: real[K]
  param L: real[K, V]
  plate i in N {
    z[i] ~ Categorical(rep(1.0 / K, K))
    x[i] ~ Normal(mu[z[i]], 1)
    w[i] ~ Categorical(logits = L[z[i]])
  }
}`;

describe('gradients of the log joint', () => {
  it('d/dmu of Normal(mu[z[i]], 1) and d/dL of Categorical(logits = L[z[i]]) match the closed forms', () => {
    const z = [0, 2, 2, 1, 2, 0];
    const x = [0.5, -1, 2, 0.3, 1.1, -0.4];
    const w = [3, 0, 0, 1, 2, 3];
    const mu = [0.1, -0.2, 0.7];
    const L = [
      [0, 1, -1, 0.5],
      [2, 0, 0, 0],
      [0.3, -0.3, 1, 0],
    ];
    const model = boundModel(SRC, { N: 6, x, w });
    const start = tf.memory().numTensors;
    const plan = compileModel(model);
    const inputs = [tf.tensor([z]), tf.tensor([mu]), tf.tensor([L])];
    const [zt] = inputs;
    const [gmu, gL] = tf.grads((m: tf.Tensor, l: tf.Tensor) =>
      tf.sum(plan.logJoint({ z: zt, mu: m, L: l })),
    )(inputs.slice(1));
    const wantMu = mu.map((m, k) => z.reduce((acc, zi, i) => acc + (zi === k ? x[i] - m : 0), 0));
    const soft = L.map((row) => {
      const e = row.map(Math.exp);
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    const wantL = L.map((row, k) =>
      row.map((_, v) =>
        z.reduce((acc, zi, i) => acc + (zi === k ? (w[i] === v ? 1 : 0) - soft[k][v] : 0), 0),
      ),
    );
    const gotMu = Array.from(gmu.dataSync());
    const gotL = Array.from(gL.dataSync());
    wantMu.forEach((v, k) => {
      expect(gotMu[k]).toBeCloseTo(v, 5);
    });
    wantL.flat().forEach((v, j) => {
      expect(gotL[j]).toBeCloseTo(v, 5);
    });
    for (const t of [gmu, gL, ...inputs]) t.dispose();
    plan.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('d/dW of noisy-OR through W[:, j] and a whole-array d', () => {
    const leak = 0.1;
    const W = [
      [0.5, 1],
      [2, 0.3],
    ];
    const s = [1, 0];
    const d = [1, 1];
    const model = boundModel(MODELS.noisy_or, { K: 2, M: 2, s, leak, d });
    const plan = compileModel(model);
    const g = tf.grad((Wt: tf.Tensor) => tf.sum(plan.logJoint({ W: Wt })))(tf.tensor([W]));
    const got = Array.from(g.dataSync());
    // log p(s_j) with p_j = 1 - (1 - leak) e^{-a_j}, a_j = sum_k W_kj d_k
    const want: number[] = [];
    for (let k = 0; k < 2; k++)
      for (let j = 0; j < 2; j++) {
        const a = W[0][j] * d[0] + W[1][j] * d[1];
        const q = (1 - leak) * Math.exp(-a); // P(s_j = 0)
        want.push(d[k] * (s[j] === 1 ? q / (1 - q) : -1));
      }
    want.forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 4);
    });
    g.dispose();
    plan.dispose();
  });
});
