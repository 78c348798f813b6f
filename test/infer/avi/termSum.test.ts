// termSum.ts's Σ ± t_k as one tape node against float64 sums written here and tfjs's autodiff of
// the same sum built from add, sub and neg (terms broadcast against each other).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { TermSum } from '../../../src/infer/avi/termSum.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('TermSum', () => {
  it('is Σ ± t_k broadcast, with autodiff’s gradients summed to each term’s shape', () => {
    const start = tf.memory().numTensors;
    // [2, 3] − [1, 3] + [2, 1] − [2, 3]
    const shapes = [
      [2, 3],
      [1, 3],
      [2, 1],
      [2, 3],
    ];
    const signs = [1, -1, 1, -1];
    const vals = shapes.map((sh, k) =>
      Array.from({ length: sh[0] * sh[1] }, (_, i) => Math.fround(0.25 * (i + 1) - 0.5 * k)),
    );
    const ts = shapes.map((sh, k) => tf.tensor(vals[k], sh));
    const build =
      (fused: boolean) =>
      (...xs: tf.Tensor[]) => {
        if (fused) {
          const s = new TermSum();
          for (const [k, x] of xs.entries()) {
            if (signs[k] === 1) s.add(x);
            else s.sub(x);
          }
          return tf.sum(
            tf.mul(
              s.value() as tf.Tensor,
              tf.tensor([
                [1, 2, 3],
                [4, 5, 6],
              ]),
            ),
          );
        }
        let acc: tf.Tensor = xs[0];
        for (let k = 1; k < xs.length; k++)
          acc = signs[k] === 1 ? tf.add(acc, xs[k]) : tf.sub(acc, xs[k]);
        return tf.sum(
          tf.mul(
            acc,
            tf.tensor([
              [1, 2, 3],
              [4, 5, 6],
            ]),
          ),
        );
      };
    const value = tf.tidy(() => {
      const s = new TermSum();
      for (const [k, x] of ts.entries()) {
        if (signs[k] === 1) s.add(x);
        else s.sub(x);
      }
      return s.value() as tf.Tensor;
    });
    const v = value.dataSync();
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) {
        let want = 0;
        shapes.forEach((sh, k) => {
          want += signs[k] * vals[k][(sh[0] === 1 ? 0 : i) * sh[1] + (sh[1] === 1 ? 0 : j)];
        });
        expect(v[i * 3 + j]).toBe(want); // quarters: exact in float32
      }
    const fused = tf.grads(build(true))(ts);
    const plain = tf.grads(build(false))(ts);
    fused.forEach((g, k) => {
      expect(g.shape).toEqual(shapes[k]);
      expect(Array.from(g.dataSync())).toEqual(Array.from(plain[k].dataSync()));
    });
    // one positive term: itself; none: undefined
    const one = new TermSum();
    one.add(ts[0]);
    expect(one.value()).toBe(ts[0]);
    expect(new TermSum().value()).toBeUndefined();
    tf.dispose([...ts, value, ...fused, ...plain]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('starting −t_0 + t_1 (computed t_1 − t_0) gives the bits of −t_0 + t_1 by neg and add', () => {
    const start = tf.memory().numTensors;
    // values whose sums round in float32 (not quarters), broadcast [2, 3] against [1, 3]
    let seed = 7;
    const rand = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return Math.fround((seed / 2 ** 32 - 0.5) * 2 ** ((seed >>> 27) - 8));
    };
    const shapes = [
      [2, 3],
      [1, 3],
      [2, 3],
    ];
    const ts = shapes.map((sh) => tf.tensor(Array.from({ length: sh[0] * sh[1] }, rand), sh));
    const got = tf.tidy(() => {
      const s = new TermSum();
      s.sub(ts[0]);
      s.add(ts[1]);
      s.sub(ts[2]);
      return s.value() as tf.Tensor;
    });
    const want = tf.tidy(() => tf.sub(tf.add(tf.neg(ts[0]), ts[1]), ts[2]));
    expect(got.shape).toEqual([2, 3]);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([...ts, got, want]);
    expect(tf.memory().numTensors).toBe(start);
  });
});
