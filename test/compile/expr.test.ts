// Expression lowering: each construct against hand-computed float64 values, on hand-built
// bound models (no parser, no binder involved).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { compileModel } from '../../src/compile/model.js';
import type { BoundModel } from '../../src/graph/bound.js';
import { prng } from '../support/prng.js';
import { miniModel, type NodeSpec, type PlateSpec } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

function evalOut(
  model: BoundModel,
  env: Record<string, { shape: number[]; data: number[] }>,
  name = 'out',
) {
  const start = tf.memory().numTensors;
  const plan = compileModel(model);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(env)) tensors[k] = tf.tensor(v.data, v.shape);
  const out = plan.deterministic(name, tensors);
  const result = { shape: out.shape, data: Array.from(out.dataSync()) };
  out.dispose();
  for (const t of Object.values(tensors)) t.dispose();
  plan.dispose();
  expect(tf.memory().numTensors).toBe(start);
  return result;
}

function expectClose(actual: number[], expected: number[], tol = 1e-5) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    expect(Math.abs(a - expected[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i])));
  });
}

function model(sizes: Record<string, number | number[]>, plates: PlateSpec[], nodes: NodeSpec[]) {
  return miniModel({ sizes, plates, nodes });
}

const rand = prng(7);
const randArr = (n: number, lo = -2, hi = 2) =>
  Array.from({ length: n }, () => lo + (hi - lo) * rand());
const randInt = (n: number, k: number) => Array.from({ length: n }, () => Math.floor(rand() * k));

describe('arithmetic and broadcasting', () => {
  it('+ - * / ^ and unary minus right-align value shapes', () => {
    const a = [1, 2, 3];
    const m = model(
      {},
      [],
      [
        { kind: 'hyper', name: 'a', shape: [3], value: a },
        { kind: 'hyper', name: 'b', shape: [], value: 2 },
        {
          kind: 'hyper',
          name: 'M',
          shape: [2, 3],
          value: [
            [1, 2, 3],
            [4, 5, 6],
          ],
        },
        { kind: 'deterministic', name: 'out', expr: '-(a * b + 1 - a / b ^ 2) + M', event: [2, 3] },
      ],
    );
    const r = evalOut(m, {});
    const M = [1, 2, 3, 4, 5, 6];
    expect(r.shape).toEqual([1, 2, 3]);
    expectClose(
      r.data,
      M.map((x, i) => -(a[i % 3] * 2 + 1 - a[i % 3] / 4) + x),
    );
  });

  it('a value broadcasts along the plates it does not vary on', () => {
    const S = 2;
    const x = randArr(S * 3);
    const m = model(
      { N: 3 },
      [{ id: 'i', size: 'N' }],
      [
        { kind: 'hyper', name: 'c', shape: [], value: 0.5 },
        {
          kind: 'stochastic',
          name: 'x',
          plates: ['i'],
          dist: 'Normal',
          args: { mu: '0', sigma: '1' },
        },
        { kind: 'deterministic', name: 'out', plates: ['i'], expr: 'x[i] * 2 + c' },
        { kind: 'deterministic', name: 'out2', plates: ['i'], expr: 'c + 1' },
      ],
    );
    const r = evalOut(m, { x: { shape: [S, 3], data: x } });
    expect(r.shape).toEqual([S, 3]);
    expectClose(
      r.data,
      x.map((v) => v * 2 + 0.5),
    );
    const r2 = evalOut(m, { x: { shape: [S, 3], data: x } }, 'out2');
    expect(r2.shape).toEqual([1, 3]);
    expectClose(r2.data, [1.5, 1.5, 1.5]);
  });

  it('a plate index used as a number', () => {
    const m = model(
      { N: 4 },
      [{ id: 'i', size: 'N' }],
      [{ kind: 'deterministic', name: 'out', plates: ['i'], expr: 'i * 2 + 1' }],
    );
    expectClose(evalOut(m, {}).data, [1, 3, 5, 7]);
  });
});

describe('indexing', () => {
  it('a node named without its plate index is its whole array; W[:, j] is column j on plate j', () => {
    // noisy-OR: dot(W[:, j], d) inside plate j, d living in plate k
    const S = 3;
    const K = 4;
    const M = 2;
    const W = randArr(K * M, 0, 2);
    const d = randInt(S * K, 2);
    const m = model(
      { K, M },
      [
        { id: 'k', size: 'K' },
        { id: 'j', size: 'M' },
      ],
      [
        { kind: 'param', name: 'W', shape: [K, M], value: chunk(W, M) },
        { kind: 'stochastic', name: 'd', plates: ['k'], dist: 'Bernoulli', args: { p: '0.5' } },
        { kind: 'deterministic', name: 'out', plates: ['j'], expr: 'dot(W[:, j], d)' },
      ],
    );
    const r = evalOut(m, { d: { shape: [S, K], data: d } });
    expect(r.shape).toEqual([S, M]);
    const want: number[] = [];
    for (let s = 0; s < S; s++)
      for (let j = 0; j < M; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += W[k * M + j] * d[s * K + k];
        want.push(acc);
      }
    expectClose(r.data, want);
  });

  it('X[i] selects rows of a data matrix inside plate i; dot with a whole vector', () => {
    const N = 5;
    const P = 3;
    const S = 2;
    const X = randArr(N * P);
    const beta = randArr(S * P);
    const m = model(
      { N, P },
      [{ id: 'i', size: 'N' }],
      [
        { kind: 'data', name: 'X', shape: [N, P], value: chunk(X, P) },
        {
          kind: 'stochastic',
          name: 'beta',
          dist: 'Normal',
          args: { mu: 'zeros(P)', sigma: '1' },
          event: [P],
        },
        { kind: 'deterministic', name: 'out', plates: ['i'], expr: 'dot(X[i], beta)' },
      ],
    );
    const r = evalOut(m, { beta: { shape: [S, P], data: beta } });
    expect(r.shape).toEqual([S, N]);
    const want: number[] = [];
    for (let s = 0; s < S; s++)
      for (let i = 0; i < N; i++) {
        let acc = 0;
        for (let p = 0; p < P; p++) acc += X[i * P + p] * beta[s * P + p];
        want.push(acc);
      }
    expectClose(r.data, want);
  });

  it('theta[d] inside a ragged plate is expanded to the flattened token axis', () => {
    const S = 2;
    const K = 3;
    const counts = [2, 0, 3];
    const theta = randArr(S * 3 * K);
    const m = model(
      { D: 3, K, N: counts },
      [
        { id: 'd', size: 'D' },
        { id: 'n', size: 'N', raggedBy: 'd' },
      ],
      [
        {
          kind: 'stochastic',
          name: 'theta',
          plates: ['d'],
          dist: 'Dirichlet',
          args: { alpha: 'rep(1, K)' },
          event: [K],
        },
        {
          kind: 'deterministic',
          name: 'out',
          plates: ['d', 'n'],
          expr: 'theta[d] * 2',
          event: [K],
        },
        { kind: 'deterministic', name: 'len', plates: ['d'], expr: 'N[d] + 0' },
        { kind: 'deterministic', name: 'pos', plates: ['d', 'n'], expr: 'n * 10 + d' },
      ],
    );
    const r = evalOut(m, { theta: { shape: [S, 3, K], data: theta } });
    expect(r.shape).toEqual([S, 5, K]);
    const outer = [0, 0, 2, 2, 2];
    const want: number[] = [];
    for (let s = 0; s < S; s++)
      for (const d of outer) for (let k = 0; k < K; k++) want.push(2 * theta[(s * 3 + d) * K + k]);
    expectClose(r.data, want);
    expectClose(evalOut(m, {}, 'len').data, counts);
    expectClose(evalOut(m, {}, 'pos').data, [0, 10, 2, 12, 22]);
  });

  it('mu[z[i]] and Sigma[z[i]] gather components by a discrete node (batched over samples)', () => {
    const S = 3;
    const N = 4;
    const K = 3;
    const D = 2;
    const mu = randArr(K * D);
    const z = randInt(S * N, K);
    const m = model(
      { N, K, D },
      [{ id: 'i', size: 'N' }],
      [
        { kind: 'param', name: 'mu', shape: [K, D], value: chunk(mu, D) },
        {
          kind: 'stochastic',
          name: 'z',
          plates: ['i'],
          dist: 'Categorical',
          args: { p: 'rep(1 / K, K)' },
        },
        { kind: 'deterministic', name: 'out', plates: ['i'], expr: 'mu[z[i]]', event: [D] },
      ],
    );
    const r = evalOut(m, { z: { shape: [S, N], data: z } });
    expect(r.shape).toEqual([S, N, D]);
    const want = z.flatMap((k) => mu.slice(k * D, k * D + D));
    expectClose(r.data, want);
  });

  it('beta[z[d, n]] gathers rows of a plated node by a ragged discrete node', () => {
    const S = 2;
    const K = 3;
    const V = 4;
    const counts = [1, 3];
    const beta = randArr(S * K * V, 0, 1);
    const z = randInt(S * 4, K);
    const m = model(
      { K, V, D: 2, N: counts },
      [
        { id: 'k', size: 'K' },
        { id: 'd', size: 'D' },
        { id: 'n', size: 'N', raggedBy: 'd' },
      ],
      [
        {
          kind: 'stochastic',
          name: 'beta',
          plates: ['k'],
          dist: 'Dirichlet',
          args: { alpha: 'rep(1, V)' },
          event: [V],
        },
        {
          kind: 'stochastic',
          name: 'z',
          plates: ['d', 'n'],
          dist: 'Categorical',
          args: { p: 'rep(1 / K, K)' },
        },
        {
          kind: 'deterministic',
          name: 'out',
          plates: ['d', 'n'],
          expr: 'beta[z[d, n]]',
          event: [V],
        },
        { kind: 'deterministic', name: 'first', plates: ['d'], expr: 'z[d, 0]' },
      ],
    );
    const env = { beta: { shape: [S, K, V], data: beta }, z: { shape: [S, 4], data: z } };
    const r = evalOut(m, env);
    expect(r.shape).toEqual([S, 4, V]);
    const want: number[] = [];
    for (let s = 0; s < S; s++)
      for (let t = 0; t < 4; t++) {
        const k = z[s * 4 + t];
        for (let v = 0; v < V; v++) want.push(beta[(s * K + k) * V + v]);
      }
    expectClose(r.data, want);
    // z[d, 0]: the first token of each document (offsets[d] + 0)
    expectClose(evalOut(m, env, 'first').data, [z[0], z[1], z[4], z[5]]);
  });

  it('T[a, b] selects along the leading axes (a conditional probability table)', () => {
    const S = 4;
    const T = randArr(3 * 2 * 4, 0, 1);
    const a = randInt(S, 3);
    const b = randInt(S, 2);
    const m = model(
      {},
      [],
      [
        { kind: 'data', name: 'T', shape: [3, 2, 4], value: chunk(chunk(T, 4), 2) },
        { kind: 'stochastic', name: 'a', dist: 'Categorical', args: { p: '[0.2, 0.3, 0.5]' } },
        { kind: 'stochastic', name: 'b', dist: 'Bernoulli', args: { p: '0.5' } },
        { kind: 'deterministic', name: 'out', expr: 'T[a, b]', event: [4] },
      ],
    );
    const r = evalOut(m, { a: { shape: [S], data: a }, b: { shape: [S], data: b } });
    expect(r.shape).toEqual([S, 4]);
    const want: number[] = [];
    for (let s = 0; s < S; s++) for (let v = 0; v < 4; v++) want.push(T[(a[s] * 2 + b[s]) * 4 + v]);
    expectClose(r.data, want);
  });

  it('integer literals select, lo:hi slices keep the axis', () => {
    const W = randArr(3 * 4);
    const m = model(
      {},
      [],
      [
        { kind: 'hyper', name: 'W', shape: [3, 4], value: chunk(W, 4) },
        { kind: 'deterministic', name: 'rows', expr: 'W[1:3, :]', event: [2, 4] },
        { kind: 'deterministic', name: 'part', expr: 'W[0, 1:3]', event: [2] },
        { kind: 'deterministic', name: 'row', expr: 'W[2]', event: [4] },
        { kind: 'deterministic', name: 'col', expr: 'W[:, 3]', event: [3] },
        { kind: 'deterministic', name: 'one', expr: 'W[2, 1]' },
      ],
    );
    expectClose(evalOut(m, {}, 'rows').data, W.slice(4));
    expectClose(evalOut(m, {}, 'part').data, [W[1], W[2]]);
    expectClose(evalOut(m, {}, 'row').data, W.slice(8));
    expectClose(evalOut(m, {}, 'col').data, [W[3], W[7], W[11]]);
    expectClose(evalOut(m, {}, 'one').data, [W[9]]);
  });
});

describe('matrix products and vectors', () => {
  it('W @ z[i] + mu (factor analysis), batched over samples and plates', () => {
    const S = 2;
    const N = 3;
    const P = 4;
    const K = 2;
    const W = randArr(P * K);
    const mu = randArr(P);
    const z = randArr(S * N * K);
    const m = model(
      { N, P, K },
      [{ id: 'i', size: 'N' }],
      [
        { kind: 'param', name: 'W', shape: [P, K], value: chunk(W, K) },
        { kind: 'param', name: 'mu', shape: [P], value: mu },
        {
          kind: 'stochastic',
          name: 'z',
          plates: ['i'],
          dist: 'Normal',
          args: { mu: 'zeros(K)', sigma: '1' },
          event: [K],
        },
        { kind: 'deterministic', name: 'out', plates: ['i'], expr: 'W @ z[i] + mu', event: [P] },
        {
          kind: 'deterministic',
          name: 'left',
          plates: ['i'],
          expr: 'z[i] @ W[0:2, :]',
          event: [K],
        },
        { kind: 'deterministic', name: 'mm', expr: 'W @ W[0:2, :]', event: [P, K] },
        { kind: 'deterministic', name: 'vv', plates: ['i'], expr: 'z[i] @ z[i]' },
      ],
    );
    const env = { z: { shape: [S, N, K], data: z } };
    const r = evalOut(m, env);
    expect(r.shape).toEqual([S, N, P]);
    const want: number[] = [];
    const left: number[] = [];
    const vv: number[] = [];
    for (let s = 0; s < S; s++)
      for (let i = 0; i < N; i++) {
        const zi = z.slice((s * N + i) * K, (s * N + i + 1) * K);
        for (let p = 0; p < P; p++) want.push(mu[p] + W[p * K] * zi[0] + W[p * K + 1] * zi[1]);
        for (let c = 0; c < K; c++) left.push(zi[0] * W[c] + zi[1] * W[K + c]);
        vv.push(zi[0] * zi[0] + zi[1] * zi[1]);
      }
    expectClose(r.data, want);
    expectClose(evalOut(m, env, 'left').data, left);
    expectClose(evalOut(m, env, 'vv').data, vv);
    const mm: number[] = [];
    for (let p = 0; p < P; p++)
      for (let c = 0; c < K; c++) mm.push(W[p * K] * W[c] + W[p * K + 1] * W[K + c]);
    expectClose(evalOut(m, env, 'mm').data, mm);
  });

  it('vector literals stack their items', () => {
    const S = 2;
    const x = randArr(S * 3);
    const m = model(
      { N: 3 },
      [{ id: 'i', size: 'N' }],
      [
        {
          kind: 'stochastic',
          name: 'x',
          plates: ['i'],
          dist: 'Normal',
          args: { mu: '0', sigma: '1' },
        },
        {
          kind: 'deterministic',
          name: 'out',
          plates: ['i'],
          expr: '[x[i], 2 * x[i], 7]',
          event: [3],
        },
      ],
    );
    const r = evalOut(m, { x: { shape: [S, 3], data: x } });
    expect(r.shape).toEqual([S, 3, 3]);
    expectClose(
      r.data,
      x.flatMap((v) => [v, 2 * v, 7]),
    );
  });
});

describe('built-in functions', () => {
  const x = [0.3, 1.7, 2.2];
  const y = [1.1, 0.2, 2.5];
  const cases: [string, number[], number[]][] = [
    ['exp(x)', [3], x.map(Math.exp)],
    ['log(x)', [3], x.map(Math.log)],
    ['log1p(x)', [3], x.map(Math.log1p)],
    ['sqrt(x)', [3], x.map(Math.sqrt)],
    ['abs(-x)', [3], x],
    ['sigmoid(x)', [3], x.map((v) => 1 / (1 + Math.exp(-v)))],
    ['softplus(x)', [3], x.map((v) => Math.log1p(Math.exp(v)))],
    ['softmax(x)', [3], x.map((v) => Math.exp(v) / x.reduce((a, b) => a + Math.exp(b), 0))],
    ['sum(x)', [], [x.reduce((a, b) => a + b)]],
    ['dot(x, y)', [], [x.reduce((a, v, i) => a + v * y[i], 0)]],
    ['min(x, y)', [3], x.map((v, i) => Math.min(v, y[i]))],
    ['max(x, 1)', [3], x.map((v) => Math.max(v, 1))],
    ['x ^ 2', [3], x.map((v) => v * v)],
    ['rep(2.5, 4)', [4], [2.5, 2.5, 2.5, 2.5]],
    ['rep(x, 2)', [2, 3], [...x, ...x]],
    ['zeros(2, 2)', [2, 2], [0, 0, 0, 0]],
    ['ones(3)', [3], [1, 1, 1]],
    ['eye(2)', [2, 2], [1, 0, 0, 1]],
    ['sum(eye(3) * 2)', [], [6]],
  ];
  for (const [expr, shape, want] of cases) {
    it(expr, () => {
      const m = model(
        {},
        [],
        [
          { kind: 'hyper', name: 'x', shape: [3], value: x },
          { kind: 'hyper', name: 'y', shape: [3], value: y },
          { kind: 'deterministic', name: 'out', expr, event: shape },
        ],
      );
      const r = evalOut(m, {});
      expect(r.shape).toEqual([1, ...shape]);
      expectClose(r.data, want);
    });
  }
});

describe('nets', () => {
  it('f(z[i]) runs an MLP on the last axis with the weights from the env', () => {
    const S = 2;
    const N = 3;
    const z = randArr(S * N * 2);
    const W0 = randArr(2 * 3);
    const b0 = randArr(3);
    const W1 = randArr(3 * 1);
    const b1 = randArr(1);
    const m = model(
      { N },
      [{ id: 'i', size: 'N' }],
      [
        { kind: 'net', name: 'f', layers: [2, 3, 1], activation: 'relu' },
        {
          kind: 'stochastic',
          name: 'z',
          plates: ['i'],
          dist: 'Normal',
          args: { mu: 'zeros(2)', sigma: '1' },
          event: [2],
        },
        { kind: 'deterministic', name: 'out', plates: ['i'], expr: 'f(z[i])', event: [1] },
      ],
    );
    const r = evalOut(m, {
      z: { shape: [S, N, 2], data: z },
      'f.W0': { shape: [1, 2, 3], data: W0 },
      'f.b0': { shape: [1, 3], data: b0 },
      'f.W1': { shape: [1, 3, 1], data: W1 },
      'f.b1': { shape: [1, 1], data: b1 },
    });
    expect(r.shape).toEqual([S, N, 1]);
    const want: number[] = [];
    for (let e = 0; e < S * N; e++) {
      const h = [0, 1, 2].map((c) =>
        Math.max(0, z[2 * e] * W0[c] + z[2 * e + 1] * W0[3 + c] + b0[c]),
      );
      want.push(h[0] * W1[0] + h[1] * W1[1] + h[2] * W1[2] + b1[0]);
    }
    expectClose(r.data, want);
  });
});

describe('errors', () => {
  it('a latent node without a value is a clear error', () => {
    const m = model(
      { N: 2 },
      [{ id: 'i', size: 'N' }],
      [
        {
          kind: 'stochastic',
          name: 'x',
          plates: ['i'],
          dist: 'Normal',
          args: { mu: '0', sigma: '1' },
        },
        { kind: 'deterministic', name: 'out', plates: ['i'], expr: 'x[i] + 1' },
      ],
    );
    const plan = compileModel(m);
    expect(() => plan.deterministic('out', {})).toThrow(/latent node 'x'/);
    plan.dispose();
  });

  it('an index outside the axis is reported', () => {
    const m = model(
      {},
      [],
      [
        { kind: 'hyper', name: 'W', shape: [3], value: [1, 2, 3] },
        { kind: 'deterministic', name: 'out', expr: 'W[3]' },
      ],
    );
    const plan = compileModel(m);
    expect(() => plan.deterministic('out', {})).toThrow(/outside an axis of length 3/);
    plan.dispose();
  });
});

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
