// backend/customOp.ts's saved tensors (views of the data, no Identity kernel, handed to the tape
// node and disposed by tfjs's engine.gradients), and the one-node ops built on views
// (reshape.ts's reshape and alias, sum.ts's sum, broadcast.ts's tileTo), on the wasm and cpu
// backends: gradients against float64 formulas written here, and tf.memory().numTensors back
// at its start after every path (a gradient taken, none taken, an error thrown in f).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tileTo } from '../../src/backend/broadcast.js';
import { customOp } from '../../src/backend/customOp.js';
import { type BackendName, initBackend } from '../../src/backend/index.js';
import { alias, reshape } from '../../src/backend/reshape.js';
import { sum } from '../../src/backend/sum.js';

const A = [-1.25, -0.5, 0, 0.375, 0.75, 1.5];

/**
 * y = Σ x³ as one op that saves its input x and the intermediate s = x², from which the
 * gradient 3x² = 2x·x + s is formed (both must outlive the forward pass's tidy).
 */
function cubeSum(x: tf.Tensor, fail = false): tf.Tensor {
  const [y] = customOp([x], ([xi]) => {
    const s = tf.square(xi);
    if (fail) throw new Error('f failed');
    return {
      outputs: [tf.sum(tf.mul(s, xi))],
      save: [xi, s],
      grads: ([dy], [xs, ss]) => [() => tf.mul(dy, tf.add(tf.mul(2, tf.mul(xs, xs)), ss))],
    };
  });
  return y;
}

/** |got − want| within a few float32 ulps of want (each entry is a handful of rounded ops) */
function near(got: tf.Tensor, want: number[]) {
  const g = got.dataSync();
  expect(g.length).toBe(want.length);
  for (const [i, w] of want.entries())
    expect(Math.abs(g[i] - w)).toBeLessThanOrEqual(8 * 2 ** -23 * Math.abs(w));
}

for (const backend of ['wasm', 'cpu'] as BackendName[])
  describe(`customOp's saved tensors and reshape.ts's views on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('the gradient reads saved tensors the forward tidy released; no Identity; none left', async () => {
      const start = tf.memory().numTensors;
      const a = tf.tensor1d(A);
      // −a is an intermediate of the differentiated function: disposed when its forward ends
      // (neg, as its own gradient saves nothing: most recorded ops save clones of their own)
      const f = (t: tf.Tensor) => cubeSum(tf.neg(t));
      const info = await tf.profile(() => {
        const [g] = tf.grads(f)([a]);
        return g;
      });
      expect(info.kernelNames).not.toContain('Identity');
      const g = info.result as tf.Tensor;
      // d/da Σ (−a)³ = −3a²
      near(
        g,
        A.map((v) => -3 * v * v),
      );
      tf.dispose([a, g]);
      expect(tf.memory().numTensors).toBe(start);
    });

    it('a saved input is a second handle: the variable outlives the backward pass', () => {
      const start = tf.memory().numTensors;
      const v = tf.tidy(() => tf.variable(tf.tensor1d(A)));
      const { value, grads } = tf.variableGrads(() => cubeSum(v) as tf.Scalar, [v]);
      near(value, [A.reduce((s, x) => s + x ** 3, 0)]);
      near(
        grads[v.name],
        A.map((x) => 3 * x * x),
      );
      expect(v.isDisposed).toBe(false);
      expect(Array.from(v.dataSync())).toEqual(A);
      tf.dispose([value, grads[v.name], v]);
      expect(tf.memory().numTensors).toBe(start);
    });

    it('keeps nothing with no tape, or when its output is off the differentiated path', () => {
      const start = tf.memory().numTensors;
      const a = tf.tensor1d(A);
      const y = cubeSum(a);
      expect(tf.memory().numTensors).toBe(start + 2);
      const [g] = tf.grads((t: tf.Tensor) => {
        cubeSum(t); // recorded on the tape, then left out of y
        return tf.sum(tf.mul(t, 2));
      })([a]);
      near(
        g,
        A.map(() => 2),
      );
      tf.dispose([a, y, g]);
      expect(tf.memory().numTensors).toBe(start);
    });

    it('keeps nothing when f throws', () => {
      const start = tf.memory().numTensors;
      const a = tf.tensor1d(A);
      expect(() => tf.grads((t: tf.Tensor) => cubeSum(tf.neg(t), true))([a])).toThrow('f failed');
      expect(() => cubeSum(a, true)).toThrow('f failed');
      a.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });

    it('reshape: t itself in its own shape, a view off the tape, a recorded reshape on it', () => {
      const start = tf.memory().numTensors;
      const a = tf.tensor1d(A);
      expect(reshape(a, [6])).toBe(a);
      const r = reshape(a, [2, 3]);
      expect(r.shape).toEqual([2, 3]);
      expect(r.dataId).toBe(a.dataId);
      a.dispose();
      expect(Array.from(r.dataSync())).toEqual(A); // the data outlives the first handle
      expect(() => reshape(a, [3, 2])).toThrow('disposed');
      const c = [1, -2, 3, -4, 5, -6];
      const [g] = tf.grads((t: tf.Tensor) =>
        tf.sum(tf.mul(reshape(t, [3, 2]), tf.tensor2d(c, [3, 2]))),
      )([r]);
      expect(g.shape).toEqual([2, 3]);
      expect(Array.from(g.dataSync())).toEqual(c);
      tf.dispose([r, g]);
      expect(tf.memory().numTensors).toBe(start);
    });

    it('reshape and alias carry a second-order gradient (the backward pass is recorded too)', () => {
      const start = tf.memory().numTensors;
      const a = tf.tensor1d(A);
      // f(x) = Σ x³ through a reshape and a same-shape alias: f'' = 6x, by the gradient of f'
      const f = (t: tf.Tensor) => tf.sum(tf.pow(alias(reshape(t, [3, 2])), 3));
      const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.grad(f)(t)))(a);
      near(
        g2,
        A.map((x) => 6 * x),
      );
      expect(g2.shape).toEqual([6]);
      tf.dispose([a, g2]);
      expect(tf.memory().numTensors).toBe(start);
    });

    it('sum over axes: tf.sum forward, dy broadcast back, no Identity or Reshape kernel', async () => {
      const start = tf.memory().numTensors;
      // x [2, 3, 4] = i + 1 (row-major index i); L = Σ_{a,c} w_{a,c} Σ_b x_{a,b,c} (axis 1),
      // and M = Σ_b v_b Σ_{a,c} x_{a,b,c} (axes −1, 0): ∂L/∂x_{a,b,c} = w_{a,c}, ∂M/∂x = v_b
      const X = Array.from({ length: 24 }, (_, i) => i + 1);
      const x = tf.tensor3d(X, [2, 3, 4]);
      const W = Array.from({ length: 8 }, (_, i) => 0.5 * i - 1);
      const V = [2, -3, 0.25];
      const [g] = tf.grads((t: tf.Tensor) => {
        const l = tf.sum(tf.mul(sum(t, [1]), tf.tensor2d(W, [2, 4])));
        return tf.add(l, tf.sum(tf.mul(sum(t, [-1, 0]), tf.tensor1d(V))));
      })([x]);
      // its kernels alone (mul and tf.sum save clones of their own)
      const info = await tf.profile(() =>
        tf.grads((t: tf.Tensor) => sum(sum(t, [-1, 0]), [0]))([x]),
      );
      expect(info.kernelNames).not.toContain('Identity');
      expect(info.kernelNames).not.toContain('Reshape');
      const [ones] = info.result as tf.Tensor[];
      expect(Array.from(ones.dataSync())).toEqual(X.map(() => 1));
      const want = X.map((_, i) => W[Math.floor(i / 12) * 4 + (i % 4)] + V[Math.floor(i / 4) % 3]);
      expect(Array.from(g.dataSync())).toEqual(want); // small dyadic values: exact
      const off = tf.tidy(() => sum(x, [0, 2])); // off the tape: tf.sum
      expect(Array.from(off.dataSync())).toEqual(
        [0, 1, 2].map((b) => {
          let s = 0;
          for (let a = 0; a < 2; a++) for (let c = 0; c < 4; c++) s += X[a * 12 + b * 4 + c];
          return s;
        }),
      );
      tf.dispose([x, g, ones, off]);
      expect(tf.memory().numTensors).toBe(start);
    });

    it('tileTo: a scalar spread over a block by one Tile, no Reshape kernel', async () => {
      const start = tf.memory().numTensors;
      const v = tf.scalar(1.5);
      const info = await tf.profile(() => tf.tidy(() => tileTo(v, [2, 3])));
      expect(info.kernelNames).toEqual(['Tile']);
      const t = info.result as tf.Tensor;
      expect(t.shape).toEqual([2, 3]);
      expect(Array.from(t.dataSync())).toEqual([1.5, 1.5, 1.5, 1.5, 1.5, 1.5]);
      tf.dispose([v, t]);
      expect(tf.memory().numTensors).toBe(start);
    });
  });
