// Ancestral sampling: marginal moments against closed forms within 5 standard errors (derived
// from n), reproducibility, conditioning on observed data, the JSON result, no leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { logJoint } from '../../src/compile/index.js';
import type { BoundModel } from '../../src/graph/bound.js';
import { forwardSample, sampleResult, summarize } from '../../src/infer/sample/index.js';
import { sampleJson } from '../../src/report/json.js';
import { boundModel, MODELS } from '../support/models.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Draw, copy every node to a plain array, dispose; also checks for leaks. */
function draw(
  model: BoundModel,
  n: number,
  seed: number,
  conditional = false,
): Record<string, { shape: number[]; data: Float32Array }> {
  const start = tf.memory().numTensors;
  const draws = forwardSample(model, { n, seed, conditional });
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of Object.entries(draws)) {
    out[k] = { shape: t.shape, data: t.dataSync() as Float32Array };
    t.dispose();
  }
  expect(tf.memory().numTensors).toBe(start);
  return out;
}

/** |estimate - p| <= 5 SE for a mean of n draws with variance v */
function expectMean(estimate: number, mean: number, variance: number, n: number) {
  expect(Math.abs(estimate - mean)).toBeLessThanOrEqual(5 * Math.sqrt(variance / n));
}

function expectProb(hits: number, n: number, p: number) {
  expectMean(hits / n, p, p * (1 - p), n);
}

describe('prior predictive moments', () => {
  it('coin: theta ~ Beta(a, b) and y[i] | theta ~ Bernoulli(theta)', () => {
    const a = 2;
    const b = 3;
    const n = 20000;
    const model = boundModel(MODELS.coin, { N: 3, a, b });
    const d = draw(model, n, 11);
    expect(d.theta.shape).toEqual([n]);
    expect(d.y.shape).toEqual([n, 3]);
    const th = Array.from(d.theta.data);
    const m1 = a / (a + b);
    const m2 = (a * (a + 1)) / ((a + b) * (a + b + 1));
    const m4 =
      (a * (a + 1) * (a + 2) * (a + 3)) / ((a + b) * (a + b + 1) * (a + b + 2) * (a + b + 3));
    expectMean(mean(th), m1, m2 - m1 * m1, n);
    expectMean(mean(th.map((t) => t * t)), m2, m4 - m2 * m2, n);
    for (let i = 0; i < 3; i++) {
      expectProb(
        count(n, (s) => d.y.data[s * 3 + i] === 1),
        n,
        m1,
      );
    }
    // y[0] and y[1] share theta: P(both 1) = E[theta^2], not m1^2
    expectProb(
      count(n, (s) => d.y.data[s * 3] === 1 && d.y.data[s * 3 + 1] === 1),
      n,
      m2,
    );
  });

  it('noisy_or: P(d_k) = rho_k and P(s_j = 1) by exact enumeration', () => {
    const rho = [0.2, 0.5, 0.7];
    const W = [
      [1, 0.5],
      [0.2, 2],
      [0.8, 0.1],
    ];
    const leak = 0.05;
    const n = 20000;
    const model = boundModel(MODELS.noisy_or, { K: 3, M: 2, rho, W, leak });
    const d = draw(model, n, 5);
    for (let k = 0; k < 3; k++)
      expectProb(
        count(n, (s) => d.d.data[s * 3 + k] === 1),
        n,
        rho[k],
      );
    for (let j = 0; j < 2; j++) {
      let p = 0;
      for (let c = 0; c < 8; c++) {
        const ds = [c & 1, (c >> 1) & 1, (c >> 2) & 1];
        const prior = ds.reduce((acc, v, k) => acc * (v ? rho[k] : 1 - rho[k]), 1);
        p += prior * (1 - (1 - leak) * Math.exp(-ds.reduce((acc, v, k) => acc + W[k][j] * v, 0)));
      }
      expectProb(
        count(n, (s) => d.s.data[s * 2 + j] === 1),
        n,
        p,
      );
    }
  });

  it('lda: topic and word marginals, and the sharing that the plates imply', () => {
    const K = 3;
    const V = 4;
    const alpha = 0.5;
    const eta = 1;
    const N = [3, 5];
    const T = 8;
    const n = 20000;
    const model = boundModel(MODELS.lda, { K, V, D: 2, N, alpha, eta });
    const d = draw(model, n, 9);
    expect(d.z.shape).toEqual([n, T]);
    expect(d.theta.shape).toEqual([n, 2, K]);
    expect(d.beta.shape).toEqual([n, K, V]);
    // every token's topic and word are uniform by symmetry
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < K; k++)
        expectProb(
          count(n, (s) => d.z.data[s * T + t] === k),
          n,
          1 / K,
        );
      for (let v = 0; v < V; v++)
        expectProb(
          count(n, (s) => d.w.data[s * T + t] === v),
          n,
          1 / V,
        );
    }
    // E[theta_dk] = 1/K, Var = (1/K)(1 - 1/K)/(K alpha + 1)
    const vTheta = ((1 / K) * (1 - 1 / K)) / (K * alpha + 1);
    for (let dd = 0; dd < 2; dd++)
      for (let k = 0; k < K; k++) {
        expectMean(
          mean(Array.from({ length: n }, (_, s) => d.theta.data[(s * 2 + dd) * K + k])),
          1 / K,
          vTheta,
          n,
        );
      }
    // two tokens of one document share theta_d: P(same topic) = (alpha + 1)/(K alpha + 1)
    const same = (alpha + 1) / (K * alpha + 1);
    expectProb(
      count(n, (s) => d.z.data[s * T] === d.z.data[s * T + 1]),
      n,
      same,
    ); // doc 0
    expectProb(
      count(n, (s) => d.z.data[s * T + 3] === d.z.data[s * T + 7]),
      n,
      same,
    ); // doc 1
    // tokens of different documents: independent topics
    expectProb(
      count(n, (s) => d.z.data[s * T] === d.z.data[s * T + 3]),
      n,
      1 / K,
    );
    // words of two tokens with the same topic share its row beta_k: P(same word) =
    // (eta + 1)/(V eta + 1); with different topics 1/V
    let nSame = 0;
    let hitSame = 0;
    let hitDiff = 0;
    for (let s = 0; s < n; s++) {
      const eq = d.z.data[s * T] === d.z.data[s * T + 3];
      const weq = d.w.data[s * T] === d.w.data[s * T + 3];
      if (eq) {
        nSame++;
        if (weq) hitSame++;
      } else if (weq) hitDiff++;
    }
    expectProb(hitSame, nSame, (eta + 1) / (V * eta + 1));
    expectProb(hitDiff, n - nSame, 1 / V);
  });

  it('a categorical indexed by a discrete node never draws a zero-probability category', () => {
    const src = `model cpt {
  hyper T: real(0,)[2, 5]
  hyper L: real[2, 5]
  a ~ Categorical([0.3, 0.7])
  x ~ Categorical(T[a])
  y ~ Categorical(logits = L[a])
}`;
    const T = [
      [0.5, 0, 0.25, 0.25, 0],
      [0, 0.1, 0.2, 0.3, 0.4],
    ];
    const L = [
      [0, 1, 2, 3, 4],
      [1, 1, 1, 1, -1],
    ];
    const n = 20000;
    const model = boundModel(src, { T, L });
    const d = draw(model, n, 4);
    for (let v = 0; v < 5; v++) {
      const p = 0.3 * T[0][v] + 0.7 * T[1][v];
      const hits = count(n, (s) => d.x.data[s] === v);
      if (p === 0) expect(hits).toBe(0);
      else expectProb(hits, n, p);
      const soft = (row: number[]) =>
        Math.exp(row[v]) / row.reduce((acc, l) => acc + Math.exp(l), 0);
      expectProb(
        count(n, (s) => d.y.data[s] === v),
        n,
        0.3 * soft(L[0]) + 0.7 * soft(L[1]),
      );
    }
    // and x follows its own row: given a = 0 it is never 1 or 4
    expect(count(n, (s) => d.a.data[s] === 0 && (d.x.data[s] === 1 || d.x.data[s] === 4))).toBe(0);
  });
});

describe('Categorical(beta[z[d, n]]) at scale', () => {
  it('sampling and scoring never materialise the [tokens, V] gathered rows', async () => {
    // 20,000 tokens × V = 5000: the gathered probability rows would take 400 MB
    const D = 200;
    const model = boundModel(MODELS.lda, { K: 20, V: 5000, D, N: new Array(D).fill(100) });
    const rowsBytes = 20000 * 5000 * 4;
    let draws: Record<string, tf.Tensor> = {};
    const sampled = await tf.profile(() => {
      draws = forwardSample(model, { n: 1, seed: 1 });
      return [];
    });
    expect(sampled.peakBytes).toBeLessThan(rowsBytes / 8);
    const scored = await tf.profile(() => logJoint(model, draws));
    expect(scored.peakBytes).toBeLessThan(rowsBytes / 8);
    const lp = logJoint(model, draws);
    expect(Number.isFinite(lp.dataSync()[0])).toBe(true);
    lp.dispose();
    for (const t of Object.values(draws)) t.dispose();
  });
});

describe('reproducibility', () => {
  const model = () => boundModel(MODELS.lda, { K: 3, V: 6, D: 3, N: [2, 4, 1] });

  it('the same seed gives identical draws of every node', () => {
    const a = draw(model(), 50, 123);
    const b = draw(model(), 50, 123);
    for (const k of Object.keys(a)) expect(Array.from(b[k].data)).toEqual(Array.from(a[k].data));
  });

  it('different seeds give different draws', () => {
    const a = draw(model(), 50, 123);
    const b = draw(model(), 50, 124);
    for (const k of Object.keys(a))
      expect(Array.from(b[k].data)).not.toEqual(Array.from(a[k].data));
  });
});

describe('conditional sampling', () => {
  it('observed nodes are clamped to the data; their parents are drawn from the prior', () => {
    const y = [1, 0, 1, 1];
    const n = 2000;
    const model = boundModel(MODELS.coin, { N: 4, y, a: 1, b: 1 });
    const d = draw(model, n, 3, true);
    for (let s = 0; s < n; s++) expect(Array.from(d.y.data.slice(s * 4, s * 4 + 4))).toEqual(y);
    // theta is not conditioned (prior mean 1/2, variance 1/12)
    expectMean(mean(Array.from(d.theta.data)), 0.5, 1 / 12, n);
    // prior predictive ignores the data
    const p = draw(model, n, 3, false);
    expect(count(n, (s) => p.y.data[s * 4 + 1] === 1)).toBeGreaterThan(0);
  });

  it('a partially observed node draws only its missing entries', () => {
    const n = 4000;
    const model = boundModel(MODELS.coin, { N: 4, y: [1, null, 0, null], a: 2, b: 3 });
    const d = draw(model, n, 8, true);
    for (let s = 0; s < n; s++) {
      expect(d.y.data[s * 4]).toBe(1);
      expect(d.y.data[s * 4 + 2]).toBe(0);
    }
    for (const i of [1, 3])
      expectProb(
        count(n, (s) => d.y.data[s * 4 + i] === 1),
        n,
        0.4,
      );
  });

  it('descendants of clamped nodes are drawn given the data', () => {
    const rho = [0.5, 0.5];
    const W = [
      [1, 0.1],
      [2, 0.3],
    ];
    const leak = 0.1;
    const n = 10000;
    const model = boundModel(MODELS.noisy_or, { K: 2, M: 2, rho, W, leak, d: [1, 0] });
    const d = draw(model, n, 2, true);
    for (let j = 0; j < 2; j++) {
      expectProb(
        count(n, (s) => d.s.data[s * 2 + j] === 1),
        n,
        1 - (1 - leak) * Math.exp(-W[0][j]),
      );
    }
  });
});

describe('params without a value', () => {
  it('are initialised reproducibly from the seed (gmm without mu)', () => {
    const model = boundModel(MODELS.gmm, { N: 5, D: 2 });
    const a = draw(model, 20, 1);
    const b = draw(model, 20, 1);
    expect(a.x.shape).toEqual([20, 5, 2]);
    expect(Array.from(a.x.data)).toEqual(Array.from(b.x.data));
    expect(a.x.data.every(Number.isFinite)).toBe(true);
  });
});

describe('nets', () => {
  it('a VAE-shaped model samples with Glorot-initialised decoder weights, reproducibly', () => {
    const src = `model vae {
  size N
  size P
  size K = 3
  net decoder = mlp(K -> 8 -> P, act = relu)
  plate i in N {
    z[i] ~ Normal(zeros(K), 1)
    x[i] ~ Bernoulli(logits = decoder(z[i]))
  }
}`;
    const model = boundModel(src, { N: 4, P: 6 });
    const a = draw(model, 30, 2);
    const b = draw(model, 30, 2);
    expect(a.x.shape).toEqual([30, 4, 6]);
    expect(a.z.shape).toEqual([30, 4, 3]);
    expect(Array.from(a.x.data)).toEqual(Array.from(b.x.data));
    expect(a.x.data.every((v) => v === 0 || v === 1)).toBe(true);
  });
});

describe('the sample result', () => {
  it('nests ragged nodes back by document and summarises over draws', () => {
    const N = [2, 0, 3];
    const model = boundModel(MODELS.lda, { K: 2, V: 3, D: 3, N });
    const start = tf.memory().numTensors;
    const draws = forwardSample(model, { n: 4, seed: 1 });
    const flatW = Array.from(draws.w.dataSync());
    const typed = sampleResult(model, draws, { n: 4, seed: 1 });
    const summary = summarize(draws);
    for (const t of Object.values(draws)) t.dispose();
    expect(tf.memory().numTensors).toBe(start);
    // the typed arrays carry the tensor layout: ragged pairs flattened to one axis
    expect(typed.draws.w.shape).toEqual([4, 5]);
    expect(Array.from(typed.draws.w.data)).toEqual(flatW);
    // JSON: ragged nodes nested back by document; no NaN, no Infinity
    const r = JSON.parse(JSON.stringify(typed));
    expect(r).toEqual(sampleJson(typed));
    expect(r.engine).toBe('sample');
    expect(r.n).toBe(4);
    const w = r.draws.w as number[][][];
    expect(w.length).toBe(4);
    expect(w.map((s) => s.map((doc) => doc.length))).toEqual([N, N, N, N]);
    expect(w.flat(2)).toEqual(flatW);
    expect((r.summary.w.mean as number[][]).map((doc) => doc.length)).toEqual(N);
    expect((r.draws.theta as number[][][])[0].length).toBe(3);
    expect(summary.theta.mean.shape).toEqual([3, 2]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    // the summary is the mean and the (n - 1) sd of the draws
    const t0 = (r.draws.theta as number[][][]).map((s) => s[0][0]);
    const m = mean(t0);
    expect((r.summary.theta.mean as number[][])[0][0]).toBeCloseTo(m, 5);
    const sd = Math.sqrt(t0.reduce((acc, v) => acc + (v - m) ** 2, 0) / 3);
    expect((r.summary.theta.sd as number[][])[0][0]).toBeCloseTo(sd, 5);
  });
});

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function count(n: number, pred: (s: number) => boolean): number {
  let c = 0;
  for (let s = 0; s < n; s++) if (pred(s)) c++;
  return c;
}
