// The fused Adam step (src/backend/adam.ts: the wasm kernel, SIMD groups of four and the JS
// tail, and the tfjs-ops path of other backends) and TensorAdam (src/infer/learn/tensorAdam.ts)
// against torch.optim.Adam's update written here in float64:
//   m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²,  x ← x − lr/(1 − β1^t) · m / (√v/√(1 − β2^t) + ε).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdamHyper, adamStep } from '../../src/backend/adam.js';
import { initBackend } from '../../src/backend/index.js';
import { simdActive } from '../../src/backend/simd.js';
import { ADAM_EPSILON, TensorAdam } from '../../src/infer/learn/tensorAdam.js';

const EPS32 = 2 ** -23;

beforeAll(async () => {
  await initBackend('wasm');
});

/** Deterministic values in [−1, 1) times `scale`, with every 7th entry 0 (a zero gradient). */
function values(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = i % 7 === 3 ? 0 : (((s >>> 8) % 2048) / 1024 - 1) * scale;
  }
  return out;
}

/** One step in float64 from float32 state; with each result's float32 error bound (a few ulps of its terms). */
function adam64(x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper) {
  const n = x.length;
  const out = {
    x: new Float64Array(n),
    m: new Float64Array(n),
    v: new Float64Array(n),
    tx: new Float64Array(n),
    tm: new Float64Array(n),
    tv: new Float64Array(n),
  };
  const step = h.lr / (1 - h.beta1 ** h.t);
  const r = 1 / Math.sqrt(1 - h.beta2 ** h.t);
  for (let i = 0; i < n; i++) {
    const mi = h.beta1 * m[i] + (1 - h.beta1) * g[i];
    const vi = h.beta2 * v[i] + (1 - h.beta2) * g[i] * g[i];
    const u = (step * mi) / (Math.sqrt(vi) * r + h.epsilon);
    out.m[i] = mi;
    out.v[i] = vi;
    out.x[i] = x[i] - u;
    out.tm[i] = 4 * EPS32 * (Math.abs(h.beta1 * m[i]) + Math.abs((1 - h.beta1) * g[i]));
    out.tv[i] = 4 * EPS32 * (h.beta2 * v[i] + (1 - h.beta2) * g[i] * g[i]);
    // u's factors each carry a few ulps (the moments', sqrt's, the division's)
    out.tx[i] = 4 * EPS32 * Math.abs(x[i]) + 12 * EPS32 * Math.abs(u);
  }
  return out;
}

function expectWithin(got: Float32Array, want: Float64Array, tol: Float64Array, what: string) {
  for (let i = 0; i < got.length; i++)
    if (!(Math.abs(got[i] - want[i]) <= tol[i] + 1e-30))
      expect.fail(`${what}[${i}]: ${got[i]} against ${want[i]} (tolerance ${tol[i]})`);
}

/** Run `steps` fused steps on tensors of the given lengths, checking each against adam64. */
function checkSteps(lengths: number[], lr: number, steps: number, seed: number): void {
  const start = tf.memory().numTensors;
  let xs = lengths.map((n, k) => tf.tensor(values(n, seed + k, 2)));
  let ms = lengths.map((n) => tf.zeros([n]));
  let vs = lengths.map((n) => tf.zeros([n]));
  for (let t = 1; t <= steps; t++) {
    const gs = lengths.map((n, k) => tf.tensor(values(n, seed * 31 + 7 * t + k, 0.5 / t)));
    const h: AdamHyper = { lr, beta1: 0.9, beta2: 0.999, epsilon: ADAM_EPSILON, t };
    const out = adamStep(
      xs.map((x, k) => ({ x, g: gs[k], m: ms[k], v: vs[k] })),
      h,
    );
    out.forEach((o, k) => {
      const want = adam64(
        xs[k].dataSync() as Float32Array,
        gs[k].dataSync() as Float32Array,
        ms[k].dataSync() as Float32Array,
        vs[k].dataSync() as Float32Array,
        h,
      );
      expectWithin(o.m.dataSync() as Float32Array, want.m, want.tm, `m (t ${t}, tensor ${k})`);
      expectWithin(o.v.dataSync() as Float32Array, want.v, want.tv, `v (t ${t}, tensor ${k})`);
      expectWithin(o.x.dataSync() as Float32Array, want.x, want.tx, `x (t ${t}, tensor ${k})`);
    });
    tf.dispose([...xs, ...ms, ...vs, ...gs]);
    xs = out.map((o) => o.x);
    ms = out.map((o) => o.m);
    vs = out.map((o) => o.v);
  }
  tf.dispose([...xs, ...ms, ...vs]);
  expect(tf.memory().numTensors).toBe(start);
}

describe('the fused Adam step', () => {
  it('equals torch.optim.Adam in float64 over several steps (wasm: SIMD groups and the JS tail)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 41 }), { minLength: 1, maxLength: 4 }),
        fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (lengths, lr, seed) => checkSteps(lengths, lr, 4, seed),
      ),
      { seed: 11, numRuns: 20 },
    );
    // the wasm backend's module exposes its memory: the SIMD function ran
    expect(simdActive()).toBe(true);
  });

  it('TensorAdam minimises a quadratic as the float64 update does', () => {
    // f(x) = ½ Σ c_i (x_i − a_i)²: ∇f = c (x − a), evaluated on the float32 x each step
    const n = 13;
    const a = values(n, 5, 1);
    const c = Float32Array.from(values(n, 6, 1), (u) => 1 + Math.abs(u));
    const x = tf.variable(tf.zeros([n]));
    const at = tf.tensor(a);
    const ct = tf.tensor(c);
    const start = tf.memory().numTensors;
    const opt = new TensorAdam([x], 0.05);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    for (let t = 1; t <= 6; t++) {
      const before = x.dataSync() as Float32Array;
      const g = Float32Array.from(before, (xi, i) => c[i] * (xi - a[i]));
      const want = adam64(before, g, m, v, {
        lr: 0.05,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: ADAM_EPSILON,
        t,
      });
      const cost = opt.minimize(() => tf.mul(0.5, tf.sum(tf.mul(ct, tf.square(tf.sub(x, at))))));
      cost.dispose();
      // g in float32 differs from the float64 product by an ulp of it: tx grows by that share
      const tol = Float64Array.from(want.tx, (tx) => tx + 4 * EPS32 * 0.05 * 3);
      expectWithin(x.dataSync() as Float32Array, want.x, tol, `x at step ${t}`);
      m.set(Float32Array.from(want.m));
      v.set(Float32Array.from(want.v));
    }
    opt.dispose();
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([x, at, ct]);
  });
});

describe('the fused Adam step on a backend without the kernel (tfjs ops)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });
  it('equals torch.optim.Adam in float64 over several steps', () => {
    checkSteps([1, 5, 33], 0.01, 4, 3);
  });
});
