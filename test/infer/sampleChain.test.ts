// The sampler's scan over a chain (DESIGN §2 "Sequences"): transition frequencies against the
// transition matrix and increments against their variance, within 5 standard errors derived from
// the number of draws; lags of 2, deterministic members, ragged and nested sequences, partially
// observed chains clamped to their data; the work of a scan linear in T (tfjs kernels' output
// elements counted by tf.profile); same seed, same draws; no leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import type { BoundModel } from '../../src/graph/bound.js';
import { forwardSample } from '../../src/infer/sample/index.js';
import { boundModel, MODELS } from '../support/models.js';

beforeAll(async () => {
  await initBackend('wasm');
});

type Draws = Record<string, { shape: number[]; data: Float32Array }>;

/** Draw, copy every node to a plain array, dispose; checks that no tensor leaks. */
function draw(model: BoundModel, n: number, seed: number, conditional = false): Draws {
  const start = tf.memory().numTensors;
  const draws = forwardSample(model, { n, seed, conditional });
  const out: Draws = {};
  for (const [k, t] of Object.entries(draws)) {
    out[k] = { shape: t.shape, data: t.dataSync() as Float32Array };
    t.dispose();
  }
  expect(tf.memory().numTensors).toBe(start);
  return out;
}

/** |p̂ − p| within 5 binomial standard errors over `total` trials. */
function expectProportion(hits: number, total: number, p: number) {
  expect(total).toBeGreaterThan(0);
  expect(Math.abs(hits / total - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / total));
}

/** The sample variance of xs (mean known: 0) within 5 standard errors of v: sd(s²) = v √(2 / M). */
function expectVariance(xs: readonly number[], v: number) {
  const M = xs.length;
  let ss = 0;
  for (const x of xs) ss += x * x;
  expect(Math.abs(ss / M - v)).toBeLessThanOrEqual(5 * v * Math.sqrt(2 / M));
}

/** Counts of (previous, next) state pairs; `pairs` yields the flat positions of each pair. */
function transitions(z: Float32Array, S: number, pairs: Iterable<[number, number]>): number[][] {
  const c = Array.from({ length: S }, () => new Array<number>(S).fill(0));
  for (const [a, b] of pairs) c[z[a]!]![z[b]!]! += 1;
  return c;
}

/** Every row of the counts against A: each entry a binomial proportion of its row's total. */
function expectRows(counts: number[][], A: number[][]) {
  counts.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((c, j) => {
      expectProportion(c, total, A[i]![j]!);
    });
  });
}

// the DESIGN §2 reference HMM (examples/hmm)
const HMM = MODELS.hmm;

const A3 = [
  [0.8, 0.15, 0.05],
  [0.1, 0.6, 0.3],
  [0.25, 0.25, 0.5],
];
const INIT3 = [0.2, 0.3, 0.5];

const RAGGED = `model many {
  size S
  size M
  size T[M]
  hyper init: simplex[S]
  hyper A: simplex[S, S]
  plate m in M {
    plate t in T[m] {
      z[m, t] ~ Categorical(t == 0 ? init : A[z[m, t - 1]])
    }
  }
}`;

function* sequencePairs(n: number, T: number): Generator<[number, number]> {
  for (let s = 0; s < n; s++) for (let t = 1; t < T; t++) yield [s * T + t - 1, s * T + t];
}

describe('the scan over t', () => {
  it("an HMM's transitions have the frequencies of A, its first states those of init, its emissions the right spread", () => {
    const T = 200;
    const n = 60;
    const mu = [-4, 0, 4];
    const m = boundModel(HMM, { S: 3, T, init: INIT3, A: A3, mu, sigma: 0.5 });
    const d = draw(m, n, 11);
    const z = d.z!.data;
    expect(d.z!.shape).toEqual([n, T]);
    expectRows(transitions(z, 3, sequencePairs(n, T)), A3);
    for (let k = 0; k < 3; k++) {
      let hits = 0;
      for (let s = 0; s < n; s++) if (z[s * T] === k) hits++;
      expectProportion(hits, n, INIT3[k]!);
    }
    const y = d.y!.data;
    expectVariance(
      Array.from(y, (v, i) => v - mu[z[i]!]!),
      0.25,
    );
  });

  it("a local-level model's increments have variance q² and its observations noise r²", () => {
    const T = 150;
    const n = 40;
    const m = boundModel(
      `model kalman {
  size T
  hyper q: real(0,)
  hyper r: real(0,)
  plate t in T {
    level[t] ~ Normal(t == 0 ? 5 : level[t - 1], t == 0 ? 2 : q)
    y[t] ~ Normal(level[t], r)
  }
}`,
      { T, q: 0.3, r: 1.5 },
    );
    const d = draw(m, n, 4);
    const level = d.level!.data;
    const y = d.y!.data;
    const inc: number[] = [];
    for (const [a, b] of sequencePairs(n, T)) inc.push(level[b]! - level[a]!);
    expectVariance(inc, 0.09);
    expectVariance(
      Array.from(y, (v, i) => v - level[i]!),
      2.25,
    );
    // the first step: Normal(5, 2), n draws
    const first = Array.from({ length: n }, (_, s) => level[s * T]! - 5);
    expectVariance(first, 4);
  });

  it('a lag of 2: the residual of an AR(2) step is standard normal', () => {
    const T = 120;
    const n = 40;
    const m = boundModel(
      `model ar2 {
  size T
  plate t in T {
    x[t] ~ Normal(t < 2 ? 0 : 0.5 * x[t - 1] + 0.3 * x[t - 2], 1)
  }
}`,
      { T },
    );
    const x = draw(m, n, 8).x!.data;
    const res: number[] = [];
    for (let s = 0; s < n; s++)
      for (let t = 2; t < T; t++) {
        const i = s * T + t;
        res.push(x[i]! - 0.5 * x[i - 1]! - 0.3 * x[i - 2]!);
      }
    expectVariance(res, 1);
  });

  it('a deterministic member inside the cycle is evaluated at each step from the earlier draws', () => {
    const T = 100;
    const n = 30;
    const m = boundModel(
      `model det {
  size T
  plate t in T {
    m[t] = t == 0 ? 1 : 0.9 * x[t - 1]
    x[t] ~ Normal(m[t], 0.5)
    y[t] ~ Normal(x[t], 0.1)
  }
}`,
      { T },
    );
    const d = draw(m, n, 2);
    const mm = d.m!.data;
    const x = d.x!.data;
    const res: number[] = [];
    for (let s = 0; s < n; s++) {
      expect(mm[s * T]).toBe(1);
      for (let t = 1; t < T; t++) {
        const i = s * T + t;
        // float32 product of float32 values: relative error 2^-24
        expect(Math.abs(mm[i]! - 0.9 * x[i - 1]!)).toBeLessThanOrEqual(
          1e-6 * (1 + Math.abs(x[i - 1]!)),
        );
      }
    }
    for (let i = 0; i < n * T; i++) res.push(x[i]! - mm[i]!);
    expectVariance(res, 0.25);
  });

  it('ragged sequences: transitions within each sequence, first states from init, lengths kept', () => {
    const lengths = [120, 1, 0, 60, 7];
    const n = 40;
    const m = boundModel(RAGGED, { S: 3, M: lengths.length, T: lengths, init: INIT3, A: A3 });
    const z = draw(m, n, 5).z!.data;
    const total = lengths.reduce((a, b) => a + b, 0);
    const offsets = lengths.map((_, i) => lengths.slice(0, i).reduce((a, b) => a + b, 0));
    function* pairs(): Generator<[number, number]> {
      for (let s = 0; s < n; s++)
        for (let q = 0; q < lengths.length; q++)
          for (let t = 1; t < lengths[q]!; t++) {
            const i = s * total + offsets[q]! + t;
            yield [i - 1, i];
          }
    }
    expectRows(transitions(z, 3, pairs()), A3);
    const firsts = lengths.filter((l) => l > 0).length;
    for (let k = 0; k < 3; k++) {
      let hits = 0;
      for (let s = 0; s < n; s++)
        lengths.forEach((l, q) => {
          if (l > 0 && z[s * total + offsets[q]!] === k) hits++;
        });
      expectProportion(hits, n * firsts, INIT3[k]!);
    }
  });

  it('sequences on an outer plate: each row of [S, T] a chain of its own', () => {
    const S = 6;
    const T = 80;
    const n = 20;
    const m = boundModel(
      `model rows {
  size K
  size S
  size T
  hyper init: simplex[K]
  hyper A: simplex[K, K]
  plate s in S {
    plate t in T {
      z[s, t] ~ Categorical(t == 0 ? init : A[z[s, t - 1]])
    }
  }
}`,
      { K: 3, S, T, init: INIT3, A: A3 },
    );
    const z = draw(m, n, 9).z!.data;
    expectRows(transitions(z, 3, sequencePairs(n * S, T)), A3);
  });

  it('a partially observed chain, sampled conditionally, keeps its data and moves on from it', () => {
    const T = 40;
    const n = 400;
    // z observed (state 2) at t = 10 only
    const zData = Array.from({ length: T }, (_, t) => (t === 10 ? 2 : null));
    const m = boundModel(HMM, {
      S: 3,
      T,
      init: INIT3,
      A: A3,
      mu: [0, 1, 2],
      z: zData,
    });
    const z = draw(m, n, 6, true).z!.data;
    const next = [0, 0, 0];
    for (let s = 0; s < n; s++) {
      expect(z[s * T + 10]).toBe(2);
      next[z[s * T + 11]!]! += 1;
    }
    next.forEach((c, j) => {
      expectProportion(c, n, A3[2]![j]!);
    });
  });

  it('a chain reading another sequence at an earlier step (no step of its own) is still drawn step by step', () => {
    const S = 4;
    const T = 60;
    const n = 30;
    // every row follows row 0's previous state: the scan over all steps at each step
    const m = boundModel(
      `model follow {
  size K
  size S
  size T
  hyper init: simplex[K]
  hyper A: simplex[K, K]
  plate s in S {
    plate t in T {
      z[s, t] ~ Categorical(t == 0 ? init : A[z[0, t - 1]])
    }
  }
}`,
      { K: 3, S, T, init: INIT3, A: A3 },
    );
    const z = draw(m, n, 12).z!.data;
    function* pairs(): Generator<[number, number]> {
      for (let d = 0; d < n; d++)
        for (let s = 0; s < S; s++)
          for (let t = 1; t < T; t++) yield [d * S * T + t - 1, d * S * T + s * T + t];
    }
    expectRows(transitions(z, 3, pairs()), A3);
  });

  it('the same seed gives the same draws', () => {
    const m = boundModel(HMM, { S: 3, T: 30, init: INIT3, A: A3, mu: [0, 1, 2] });
    const a = draw(m, 5, 3);
    const b = draw(m, 5, 3);
    expect(Array.from(a.z!.data)).toEqual(Array.from(b.z!.data));
    expect(Array.from(a.y!.data)).toEqual(Array.from(b.y!.data));
  });
});

describe('the work of a scan', () => {
  /** tfjs kernels run and the elements they output while drawing n samples of T steps. */
  async function work(source: string, data: Record<string, unknown>, n: number) {
    const m = boundModel(source, data);
    const info = await tf.profile(() => {
      const draws = forwardSample(m, { n, seed: 1 });
      for (const t of Object.values(draws)) t.dispose();
    });
    const elements = info.kernels.reduce(
      (a, k) => a + k.outputShapes.reduce((b, s) => b + s.reduce((x, y) => x * y, 1), 0),
      0,
    );
    return { kernels: info.kernels.length, elements };
  }

  it('grows linearly in T: 4× the steps, at most 6× the kernels and the elements they output (the O(T²) scan: 16×)', async () => {
    const data = (T: number) => ({ S: 3, T, init: INIT3, A: A3, mu: [0, 1, 2] });
    const small = await work(HMM, data(100), 20);
    const large = await work(HMM, data(400), 20);
    expect(large.kernels / small.kernels).toBeLessThanOrEqual(6);
    expect(large.elements / small.elements).toBeLessThanOrEqual(6);
    const r = (T: number) => ({ S: 3, M: 3, T: [T, T / 2, 3], init: INIT3, A: A3 });
    const rs = await work(RAGGED, r(60), 10);
    const rl = await work(RAGGED, r(240), 10);
    expect(rl.elements / rs.elements).toBeLessThanOrEqual(6);
  });
});
