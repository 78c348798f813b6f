// discrete/forwardBackward.ts directly: the lazy-scaling pass and its fallback to per-step
// scaling, against a float64 forward–backward written here (per-step scaled, per sequence), on
// ragged grids, per-element transitions, structural zeros and emissions that underflow the lazy
// pass; the expected transition counts (Baum–Welch's ξ) too.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import type { SequenceGrid } from '../../../src/graph/chains.js';
import {
  type ChainFactors,
  chainPass,
  forwardBackward,
} from '../../../src/infer/discrete/forwardBackward.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A chain problem in float64: per sequence, log e[t][k] and the transition of each step. */
interface Problem {
  K: number;
  /** per sequence: the initial distribution */
  init: number[][];
  /** per sequence, per step t ≥ 1: A_t[j][k] (entry 0 unused) */
  A: number[][][][];
  /** per sequence, per step: log e_t(k) */
  logE: number[][][];
}

/** Per sequence: P(z_t = k | y) and log p(y), float64 with per-step scaling. */
function reference(p: Problem) {
  return p.logE.map((le, n) => {
    const T = le.length;
    const K = p.K;
    const alpha: number[][] = [];
    const c: number[] = [];
    let logZ = 0;
    for (let t = 0; t < T; t++) {
      const m = Math.max(...le[t]!);
      const e = le[t]!.map((l) => Math.exp(l - m));
      const pred =
        t === 0
          ? p.init[n]!
          : Array.from({ length: K }, (_, k) =>
              alpha[t - 1]!.reduce((s, a, j) => s + a * p.A[n]![t]![j]![k]!, 0),
            );
      const a = pred.map((x, k) => x * e[k]!);
      const s = a.reduce((x, y) => x + y, 0);
      c.push(s);
      alpha.push(a.map((x) => x / s));
      logZ += Math.log(s) + m;
    }
    const beta: number[][] = new Array(T);
    beta[T - 1] = new Array<number>(K).fill(1);
    const xi = Array.from({ length: K }, () => new Array<number>(K).fill(0));
    for (let t = T - 1; t > 0; t--) {
      const m = Math.max(...le[t]!);
      const eb = le[t]!.map((l, k) => (Math.exp(l - m) * beta[t]![k]!) / c[t]!);
      beta[t - 1] = Array.from({ length: K }, (_, j) =>
        eb.reduce((s, x, k) => s + p.A[n]![t]![j]![k]! * x, 0),
      );
      for (let j = 0; j < K; j++)
        for (let k = 0; k < K; k++) xi[j]![k]! += alpha[t - 1]![j]! * p.A[n]![t]![j]![k]! * eb[k]!;
    }
    return { marg: alpha.map((a, t) => a.map((x, k) => x * beta[t]![k]!)), logZ, xi };
  });
}

/**
 * The factors of `p` with the elements laid out sequence after sequence (ragged: a gather, not
 * the dense transpose); `shared`: the one matrix of every step (the homogeneous form).
 */
function factors(p: Problem, shared?: number[][]): ChainFactors {
  const K = p.K;
  const lengths = p.logE.map((le) => le.length);
  const B = lengths.reduce((a, b) => a + b, 0);
  const nSeq = lengths.length;
  const steps = Math.max(...lengths);
  const cell = new Int32Array(steps * nSeq).fill(-1);
  const cellOf = new Int32Array(B);
  const logE = new Float32Array(K * B);
  const trans = new Float32Array(K * B * K);
  let b = 0;
  lengths.forEach((T, n) => {
    for (let t = 0; t < T; t++, b++) {
      cell[t * nSeq + n] = b;
      cellOf[b] = t * nSeq + n;
      for (let k = 0; k < K; k++) logE[k * B + b] = p.logE[n]![t]![k]!;
      for (let j = 0; j < K; j++)
        for (let k = 0; k < K; k++)
          trans[(j * B + b) * K + k] = t === 0 ? p.init[n]![k]! : p.A[n]![t]![j]![k]!;
    }
  });
  const grid: SequenceGrid = { nSeq, steps, cell, cellOf };
  const logEmission = tf.tensor2d(logE, [K, B]);
  const transition = shared
    ? { init: tf.tensor2d(p.init.flat(), [nSeq, K]), shared: tf.tensor2d(shared.flat(), [K, K]) }
    : tf.tensor3d(trans, [K, B, K]);
  return { logEmission, transition, grid, transitions: true };
}

function dispose(f: ChainFactors): void {
  f.logEmission.dispose();
  if ('shared' in f.transition) {
    f.transition.init.dispose();
    f.transition.shared.dispose();
  } else f.transition.dispose();
}

/** The posterior of `f` against the reference of `p` (marginals in element order). */
function expectMatches(p: Problem, f: ChainFactors, tol: { marg: number; logZ: number }) {
  const post = forwardBackward(f);
  const ref = reference(p);
  let b = 0;
  let logZ = 0;
  const xi = new Array<number>(p.K * p.K).fill(0);
  for (const r of ref) {
    logZ += r.logZ;
    r.xi.flat().forEach((x, i) => {
      xi[i]! += x;
    });
    for (const row of r.marg) {
      row.forEach((v, k) => {
        expect(Math.abs(post.marginals[b * p.K + k]! - v)).toBeLessThan(tol.marg);
      });
      b++;
    }
  }
  expect(Math.abs(post.logEvidence - logZ)).toBeLessThan(tol.logZ * (1 + Math.abs(logZ)));
  // ξ sums ≈ (steps − 1) × sequences terms of float32 products
  xi.forEach((x, i) => {
    expect(Math.abs(post.transitions[i]! - x)).toBeLessThan(1e-4 * (1 + x));
  });
  return post;
}

/** A deterministic generator (fixed seed) for problems built by hand. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

const simplexArb = (K: number) =>
  fc
    .array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: K, maxLength: K })
    .map((w) => {
      const s = w.reduce((a, b) => a + b, 0);
      return w.map((x) => x / s);
    });

describe('forward–backward with lazy scaling', () => {
  it('ragged sequences, shared and per-element transitions, equal the float64 recursions (property)', () => {
    const start = tf.memory().numTensors;
    const arb = fc.integer({ min: 2, max: 4 }).chain((K) =>
      fc.record({
        K: fc.constant(K),
        lengths: fc.array(fc.integer({ min: 0, max: 13 }), { minLength: 1, maxLength: 5 }),
        A: fc.array(simplexArb(K), { minLength: K, maxLength: K }),
        init: simplexArb(K),
        seed: fc.integer({ min: 1, max: 2 ** 30 }),
        perElement: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(arb, ({ K, lengths, A, init, seed, perElement }) => {
        if (lengths.every((l) => l === 0)) lengths = [...lengths, 3];
        const r = rng(seed);
        const p: Problem = {
          K,
          init: lengths.map(() => init),
          // per-element transitions: a random stochastic matrix per step of every sequence
          A: lengths.map((T) =>
            Array.from({ length: T }, () =>
              perElement
                ? A.map((row) => {
                    const w = row.map((x) => x * (0.2 + r()));
                    const s = w.reduce((a, b) => a + b, 0);
                    return w.map((x) => x / s);
                  })
                : A,
            ),
          ),
          logE: lengths.map((T) =>
            Array.from({ length: T }, () => Array.from({ length: K }, () => -8 * r())),
          ),
        };
        const f = factors(p, perElement ? undefined : A);
        try {
          // these emissions never underflow a block: the lazy pass itself must answer
          expect(chainPass(f, true)).toBeDefined();
          expectMatches(p, f, { marg: 2e-5, logZ: 1e-5 });
        } finally {
          dispose(f);
        }
      }),
      { numRuns: 40, seed: 5 },
    );
    expect(tf.memory().numTensors).toBe(start);
  });

  it('emissions favouring an unreachable state underflow the lazy pass: the per-step pass answers', () => {
    const start = tf.memory().numTensors;
    // left to right: 0 → 1 → 2, never back, starting in 0; the first observations sit on state
    // 2's mean (unreachable before step 2), 10 σ from state 0's: c_0 = e_0(0) ≈ 2e-22, so the
    // lazy pass's first block normaliser falls below 1e-20 while per-step normalisation keeps
    // every α̂ a normal float32
    const K = 3;
    const A = [
      [0.9, 0.1, 0],
      [0, 0.9, 0.1],
      [0, 0, 1],
    ];
    const mu = [0, 3, 6];
    const sigma = 0.6;
    const y = [6, 6, 6, 6, 6, 6, 6, 6, 3, 0.5, 6, 5.5, 6.2, 2.9, 6, 6];
    const normal = (x: number, m: number) => -0.5 * ((x - m) / sigma) ** 2;
    const p: Problem = {
      K,
      init: [[1, 0, 0]],
      A: [y.map(() => A)],
      logE: [y.map((x) => mu.map((m) => normal(x, m)))],
    };
    const f = factors(p, A);
    try {
      expect(chainPass(f, true)).toBeUndefined();
      expectMatches(p, f, { marg: 2e-5, logZ: 1e-5 });
    } finally {
      dispose(f);
    }
    expect(tf.memory().numTensors).toBe(start);
  });

  it('a structural zero in the emissions (log e = −∞) takes the exact maximum', () => {
    const start = tf.memory().numTensors;
    const K = 3;
    const A = [
      [0.5, 0.3, 0.2],
      [0.2, 0.6, 0.2],
      [0.3, 0.3, 0.4],
    ];
    const r = rng(11);
    const T = 9;
    const logE = Array.from({ length: T }, (_, t) =>
      Array.from({ length: K }, (_, k) => (k === t % K ? -Infinity : -3 * r())),
    );
    const p: Problem = { K, init: [[0.3, 0.3, 0.4]], A: [logE.map(() => A)], logE: [logE] };
    const f = factors(p, A);
    try {
      expect(chainPass(f, true)).toBeUndefined();
      const post = expectMatches(p, f, { marg: 2e-5, logZ: 1e-5 });
      for (let t = 0; t < T; t++) expect(post.marginals[t * K + (t % K)]).toBe(0);
    } finally {
      dispose(f);
    }
    expect(tf.memory().numTensors).toBe(start);
  });
});
