// Initial values of params without one: the documented rule, reproducible from the seed.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { Rng } from '../../src/distributions/rng.js';
import { initParams, paramsToInitialise } from '../../src/infer/init.js';
import { boundModel, MODELS } from '../support/models.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const SRC = `model inits {
  size K = 3
  size D = 2
  hyper hi: real = 3
  param w: simplex[K]
  param Sigma: real[K, D, D]
  param M: real[D, D]
  param unit: real(0, 1)[4, 5]
  param pos: real(0,)[50]
  param neg: real(, hi)[50]
  param free: real[50]
  param count: int(0, 10)[20]
  param given: real = 2
  plate i in K {
    x[i] ~ MvNormal(zeros(D), Sigma[i])
    c[i] ~ Categorical(w)
    y[i] ~ Normal(sum(M) + sum(unit) + sum(pos) + sum(neg) + sum(free) + sum(count) + given, 1)
  }
}`;

function values(seed: number) {
  const model = boundModel(SRC, {});
  const start = tf.memory().numTensors;
  const init = initParams(model, new Rng(seed));
  const out: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [k, t] of Object.entries(init)) {
    out[k] = { shape: t.shape, data: Array.from(t.dataSync()) };
    t.dispose();
  }
  expect(tf.memory().numTensors).toBe(start);
  return { model, out };
}

describe('param initialisation', () => {
  it('initialises exactly the params without a value', () => {
    const { model, out } = values(1);
    expect(paramsToInitialise(model).map((p) => p.name)).toEqual([
      'w',
      'Sigma',
      'M',
      'unit',
      'pos',
      'neg',
      'free',
      'count',
    ]);
    expect(Object.keys(out).sort()).toEqual([
      'M',
      'Sigma',
      'count',
      'free',
      'neg',
      'pos',
      'unit',
      'w',
    ]);
  });

  it('follows the rule: simplex uniform, covariance identity, bounds respected', () => {
    const { out } = values(1);
    expect(out.w.shape).toEqual([1, 3]);
    for (const v of out.w.data) expect(v).toBeCloseTo(1 / 3, 6);
    expect(out.Sigma.shape).toEqual([1, 3, 2, 2]);
    expect(out.Sigma.data).toEqual([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]);
    // M is [D, D] but not a covariance: Stan's uniform(-2, 2)
    expect(out.M.data.every((v) => v >= -2 && v <= 2)).toBe(true);
    expect(out.unit.shape).toEqual([1, 4, 5]);
    expect(out.unit.data.every((v) => v > 0 && v < 1)).toBe(true);
    expect(out.pos.data.every((v) => v >= Math.exp(-2) - 1e-6 && v <= Math.exp(2) + 1e-5)).toBe(
      true,
    );
    expect(out.neg.data.every((v) => v < 3)).toBe(true);
    expect(out.free.data.every((v) => v >= -2 && v <= 2)).toBe(true);
    expect(new Set(out.free.data).size).toBe(50);
    expect(out.count.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 10)).toBe(true);
  });

  it('is reproducible from the seed, and differs between seeds', () => {
    expect(values(7).out).toEqual(values(7).out);
    expect(values(7).out.free.data).not.toEqual(values(8).out.free.data);
  });

  it('initialises net weights: Glorot-uniform matrices, zero biases', () => {
    const src = `model v {
  size N
  size P
  size K = 4
  net dec = mlp(K -> 16 -> P, act = relu)
  plate i in N {
    z[i] ~ Normal(zeros(K), 1)
    x[i] ~ Bernoulli(logits = dec(z[i]))
  }
}`;
    const model = boundModel(src, { N: 3, P: 5 });
    const init = initParams(model, new Rng(1));
    expect(Object.fromEntries(Object.entries(init).map(([k, t]) => [k, t.shape]))).toEqual({
      'dec.W0': [1, 4, 16],
      'dec.b0': [1, 16],
      'dec.W1': [1, 16, 5],
      'dec.b1': [1, 5],
    });
    const a = Math.sqrt(6 / (4 + 16));
    expect(Array.from(init['dec.W0'].dataSync()).every((v) => Math.abs(v) <= a)).toBe(true);
    expect(Array.from(init['dec.b1'].dataSync())).toEqual([0, 0, 0, 0, 0]);
    for (const t of Object.values(init)) t.dispose();
  });

  it('a model whose params all have values needs no initialisation', () => {
    expect(paramsToInitialise(boundModel(MODELS.noisy_or, { K: 2, M: 3 }))).toEqual([]);
  });
});
