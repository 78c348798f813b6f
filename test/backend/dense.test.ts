// backend/dense.ts's mlp (one tape node, hand-written backward) against a float64 forward and
// backward pass written here, and against tfjs's autodiff of the same net built from matMul,
// add and the activation; with weights in a net's layout ([1, in, out], [1, out]) and the
// encoder's ([in, out], [out]), x with a gradient and without.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATIONS, type Activation, mlp } from '../../src/backend/dense.js';
import { initBackend } from '../../src/backend/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Deterministic values in [−scale, scale). */
function values(n: number, seed: number, scale: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.fround(((s >>> 8) / 2 ** 24) * 2 * scale - scale);
  }
  return out;
}

const F64: Record<Activation, { f: (z: number) => number; d: (z: number) => number }> = {
  relu: { f: (z) => Math.max(z, 0), d: (z) => (z > 0 ? 1 : 0) },
  tanh: { f: Math.tanh, d: (z) => 1 - Math.tanh(z) ** 2 },
  sigmoid: {
    f: (z) => 1 / (1 + Math.exp(-z)),
    d: (z) => Math.exp(-z) / (1 + Math.exp(-z)) ** 2,
  },
  elu: { f: (z) => (z > 0 ? z : Math.exp(z) - 1), d: (z) => (z > 0 ? 1 : Math.exp(z)) },
  softplus: { f: (z) => Math.log1p(Math.exp(z)), d: (z) => 1 / (1 + Math.exp(-z)) },
  linear: { f: (z) => z, d: () => 1 },
};

interface Ref {
  y: Float64Array;
  dx: Float64Array;
  dW: Float64Array[];
  db: Float64Array[];
}

/**
 * y = net(x) and the gradient of Σ c ⊙ y in float64: x [R, w0], W_l [w_l, w_{l+1}]. With `abs`
 * every input is |·| and act' is taken as 1 (every act' here is in [0, 1]): a bound on the sums
 * of |terms| behind each entry, which scales the float32 tolerance.
 */
function reference(
  x: Float64Array,
  Ws: Float64Array[],
  bs: Float64Array[],
  c: Float64Array,
  widths: number[],
  R: number,
  act: Activation,
  abs: boolean,
): Ref {
  const A = abs ? (v: Float64Array) => v.map(Math.abs) : (v: Float64Array) => v;
  const L = Ws.length;
  const hs: Float64Array[] = [A(x)];
  const zs: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const [n, m] = [widths[l], widths[l + 1]];
    const W = A(Ws[l]);
    const b = A(bs[l]);
    const z = new Float64Array(R * m);
    for (let r = 0; r < R; r++)
      for (let j = 0; j < m; j++) {
        let s = b[j];
        for (let k = 0; k < n; k++) s += hs[l][r * n + k] * W[k * m + j];
        z[r * m + j] = s;
      }
    zs.push(z);
    const hidden = l + 1 < L;
    hs.push(hidden && !abs ? z.map(F64[act].f) : z);
  }
  let g = A(c);
  const dW: Float64Array[] = [];
  const db: Float64Array[] = [];
  let dx = new Float64Array(0);
  for (let l = L - 1; l >= 0; l--) {
    const [n, m] = [widths[l], widths[l + 1]];
    const W = A(Ws[l]);
    const gw = new Float64Array(n * m);
    const gb = new Float64Array(m);
    const dh = new Float64Array(R * n);
    for (let r = 0; r < R; r++)
      for (let j = 0; j < m; j++) {
        gb[j] += g[r * m + j];
        for (let k = 0; k < n; k++) {
          gw[k * m + j] += hs[l][r * n + k] * g[r * m + j];
          dh[r * n + k] += g[r * m + j] * W[k * m + j];
        }
      }
    dW[l] = gw;
    db[l] = gb;
    if (l === 0) dx = dh;
    else g = abs ? dh : dh.map((v, i) => v * F64[act].d(zs[l - 1][i]));
  }
  return { y: hs[L], dx, dW, db };
}

/** The same net by tfjs autodiff: matMul, add, act. */
function unfused(x: tf.Tensor, ws: tf.Tensor[], widths: number[], act: Activation): tf.Tensor {
  const lead = x.shape.slice(0, -1);
  let h = tf.reshape(x, [-1, widths[0]]);
  const L = ws.length / 2;
  for (let l = 0; l < L; l++) {
    const W = tf.reshape(ws[2 * l], [widths[l], widths[l + 1]]);
    h = tf.add(tf.matMul(h, W), tf.reshape(ws[2 * l + 1], [widths[l + 1]]));
    if (l + 1 < L) {
      if (act === 'relu') h = tf.relu(h);
      else if (act === 'tanh') h = tf.tanh(h);
      else if (act === 'sigmoid') h = tf.sigmoid(h);
      else if (act === 'elu') h = tf.elu(h);
      else if (act === 'softplus') h = tf.softplus(h);
    }
  }
  return tf.reshape(h, [...lead, widths[L]]);
}

const CASES: { widths: number[]; lead: number[]; netLayout: boolean }[] = [
  { widths: [3, 5, 2], lead: [1, 7], netLayout: true },
  { widths: [6, 11, 4], lead: [9], netLayout: false },
  { widths: [4, 8, 6, 3], lead: [2, 5], netLayout: true },
  { widths: [5, 2], lead: [4], netLayout: false },
];

describe('mlp: one tape node with a hand-written backward pass', () => {
  for (const act of ACTIVATIONS)
    for (const [ci, cs] of CASES.entries())
      for (const inputGrad of [true, false])
        it(`${act}, widths ${cs.widths.join('-')}, x ${inputGrad ? 'with' : 'without'} a gradient`, () => {
          const start = tf.memory().numTensors;
          const { widths, lead } = cs;
          const R = lead.reduce((a, b) => a * b, 1);
          const L = widths.length - 1;
          const seed = 100 * ci + ACTIVATIONS.indexOf(act) * 7 + (inputGrad ? 1 : 0);
          const x64 = values(R * widths[0], seed, 1.5);
          const W64 = Array.from({ length: L }, (_, l) =>
            values(widths[l] * widths[l + 1], seed + 11 * (l + 1), 0.8),
          );
          const b64 = Array.from({ length: L }, (_, l) =>
            values(widths[l + 1], seed + 13 * (l + 1), 0.3),
          );
          const c64 = values(R * widths[L], seed + 5, 1);
          const ref = reference(x64, W64, b64, c64, widths, R, act, false);
          const bound = reference(x64, W64, b64, c64, widths, R, act, true);
          const x = tf.tensor(Float32Array.from(x64), [...lead, widths[0]]);
          const c = tf.tensor(Float32Array.from(c64), [...lead, widths[L]]);
          const ws: tf.Tensor[] = [];
          for (let l = 0; l < L; l++) {
            const wShape = cs.netLayout
              ? [1, widths[l], widths[l + 1]]
              : [widths[l], widths[l + 1]];
            const bShape = cs.netLayout ? [1, widths[l + 1]] : [widths[l + 1]];
            ws.push(tf.tensor(Float32Array.from(W64[l]), wShape));
            ws.push(tf.tensor(Float32Array.from(b64[l]), bShape));
          }
          const loss =
            (f: (x: tf.Tensor, ws: tf.Tensor[]) => tf.Tensor) =>
            (...args: tf.Tensor[]) =>
              tf.sum(tf.mul(f(inputGrad ? args[0] : x, inputGrad ? args.slice(1) : args), c));
          const fusedF = loss((xx, w) => mlp(xx, w, { activation: act }));
          const plainF = loss((xx, w) => unfused(xx, w, widths, act));
          const args = inputGrad ? [x, ...ws] : ws;
          const y = mlp(x, ws, { activation: act });
          const got = tf.grads(fusedF)(args);
          const auto = tf.grads(plainF)(args);
          // float32: each entry is a chain of L sums of at most max(width, R) products; its
          // rounding error is below (depth · terms) · 2⁻²³ · Σ|terms| (bound: the |·| pass),
          // with act evaluated to a few ulps
          const terms = L * Math.max(...widths, R) + 8;
          const check = (t: tf.Tensor, want: Float64Array, scale: Float64Array) => {
            expect(t.size).toBe(want.length);
            const v = t.dataSync();
            for (let i = 0; i < want.length; i++)
              expect(Math.abs(v[i] - want[i])).toBeLessThanOrEqual(
                terms * 2 ** -23 * (scale[i] + 1),
              );
          };
          check(y, ref.y, bound.y);
          const off = inputGrad ? 1 : 0;
          if (inputGrad) check(got[0], ref.dx, bound.dx);
          for (let l = 0; l < L; l++) {
            check(got[off + 2 * l], ref.dW[l], bound.dW[l]);
            check(got[off + 2 * l + 1], ref.db[l], bound.db[l]);
            expect(got[off + 2 * l].shape).toEqual(ws[2 * l].shape);
            expect(got[off + 2 * l + 1].shape).toEqual(ws[2 * l + 1].shape);
          }
          // and autodiff of the unfused net agrees to the same bound
          const scales = [
            ...(inputGrad ? [bound.dx] : []),
            ...bound.dW.flatMap((w, l) => [w, bound.db[l]]),
          ];
          for (const [k, g] of got.entries())
            check(g, Float64Array.from(auto[k].dataSync()), scales[k]);
          expect(y.shape).toEqual([...lead, widths[L]]);
          tf.dispose([x, c, y, ...ws, ...got, ...auto]);
          expect(tf.memory().numTensors).toBe(start);
        });
});
