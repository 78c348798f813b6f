// Baum–Welch (em on a discrete chain) against a float64 Baum–Welch written here (scaled
// forward–backward, ξ, closed-form M-steps) from the same starting values: the log-likelihood
// trace never decreases, follows the reference iteration by iteration, and ends at the same
// params; a Categorical-emission chain likewise; no leaks; refusals name the param.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, engines, infer } from '../../../src/index.js';
import { prng } from '../../support/prng.js';
import { DICE_HMM } from './chains.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const GAUSSIAN = compile(`model hmm {
  size S
  size M
  size T
  param init: simplex[S]
  param A: simplex[S, S]
  param mu: real[S]
  param sigma: real(0,)
  plate m in M {
    plate t in T {
      z[m, t] ~ Categorical(t == 0 ? init : A[z[m, t - 1]])
      y[m, t] ~ Normal(mu[z[m, t]], sigma)
    }
  }
}`);

/** A categorical draw by inversion of u ∈ [0, 1). */
function draw(p: number[], u: number): number {
  let c = 0;
  for (let k = 0; k < p.length; k++) {
    c += p[k]!;
    if (u < c) return k;
  }
  return p.length - 1;
}

interface Hmm {
  init: number[];
  A: number[][];
  mu: number[];
  sigma: number;
}

/** One float64 Baum–Welch iteration's E-step: ℓ, γ per sequence and step, Σ ξ. */
function eStep(h: Hmm, ys: number[][]) {
  const K = h.init.length;
  const e = (y: number, k: number) =>
    Math.exp(-0.5 * ((y - h.mu[k]!) / h.sigma) ** 2) / (h.sigma * Math.sqrt(2 * Math.PI));
  let logLik = 0;
  const gammas: number[][][] = [];
  const xi = h.A.map((r) => r.map(() => 0));
  for (const y of ys) {
    const T = y.length;
    const alpha: number[][] = [];
    const c: number[] = [];
    for (let t = 0; t < T; t++) {
      const a = h.mu.map((_, k) => {
        const pred =
          t === 0 ? h.init[k]! : alpha[t - 1]!.reduce((s, v, j) => s + v * h.A[j]![k]!, 0);
        return pred * e(y[t]!, k);
      });
      const ct = a.reduce((s, v) => s + v, 0);
      c.push(ct);
      alpha.push(a.map((v) => v / ct));
      logLik += Math.log(ct);
    }
    const beta: number[][] = new Array(T);
    beta[T - 1] = new Array(K).fill(1);
    for (let t = T - 1; t > 0; t--) {
      const eb = beta[t]!.map((b, k) => (e(y[t]!, k) * b) / c[t]!);
      for (let j = 0; j < K; j++)
        for (let k = 0; k < K; k++) xi[j]![k] += alpha[t - 1]![j]! * h.A[j]![k]! * eb[k]!;
      beta[t - 1] = h.mu.map((_, j) => eb.reduce((s, v, k) => s + h.A[j]![k]! * v, 0));
    }
    gammas.push(alpha.map((a, t) => a.map((v, k) => v * beta[t]![k]!)));
  }
  return { logLik, gammas, xi };
}

function mStep(ys: number[][], g: number[][][], xi: number[][]): Hmm {
  const K = xi.length;
  const init = new Array(K).fill(0);
  for (const gs of g)
    gs[0]!.forEach((v, k) => {
      init[k] += v / g.length;
    });
  const A = xi.map((row) => row.map((v) => v / row.reduce((s, x) => s + x, 0)));
  const n = new Array(K).fill(0);
  const sy = new Array(K).fill(0);
  ys.forEach((y, s) => {
    y.forEach((v, t) => {
      for (let k = 0; k < K; k++) {
        n[k] += g[s]![t]![k]!;
        sy[k] += g[s]![t]![k]! * v;
      }
    });
  });
  const mu = sy.map((v, k) => v / n[k]);
  let ss = 0;
  let N = 0;
  ys.forEach((y, s) => {
    y.forEach((v, t) => {
      for (let k = 0; k < K; k++) ss += g[s]![t]![k]! * (v - mu[k]!) ** 2;
      N += 1;
    });
  });
  return { init, A, mu, sigma: Math.sqrt(ss / N) };
}

describe('Baum–Welch', () => {
  const truth: Hmm = {
    init: [0.6, 0.4],
    A: [
      [0.85, 0.15],
      [0.2, 0.8],
    ],
    mu: [-1, 1.5],
    sigma: 0.8,
  };
  const r = prng(7);
  const M = 6;
  const T = 40;
  const ys = Array.from({ length: M }, () => {
    let z = draw(truth.init, r());
    return Array.from({ length: T }, (_, t) => {
      if (t > 0) z = draw(truth.A[z]!, r());
      // Box–Muller
      const n = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      return Math.round((truth.mu[z]! + truth.sigma * n) * 1e4) / 1e4;
    });
  });
  const start: Hmm = {
    init: [0.5, 0.5],
    A: [
      [0.6, 0.4],
      [0.4, 0.6],
    ],
    mu: [-0.5, 0.5],
    sigma: 1.5,
  };

  it('starts from loaded values (`initial`, --load) exactly as from its init option', async () => {
    const data = { S: 2, M, T, y: ys };
    const run = (extra: Record<string, unknown>) =>
      infer(GAUSSIAN, { data, engine: 'em', iters: 3, tol: 0, ...extra });
    const viaInit = await run({ init: start as unknown as Record<string, number[]> });
    const initial = {
      init: { shape: [2], data: Float64Array.from(start.init) },
      A: { shape: [2, 2], data: Float64Array.from(start.A.flat()) },
      mu: { shape: [2], data: Float64Array.from(start.mu) },
      sigma: { shape: [], data: Float64Array.of(start.sigma) },
    };
    const viaLoad = await run({ initial });
    const plain = await run({});
    expect(viaLoad.elbo).toEqual(viaInit.elbo);
    // not vacuous: the default start gives another trace
    expect(plain.elbo![0]).not.toBe(viaInit.elbo![0]);
  });

  it('follows a float64 Baum–Welch from the same start; ℓ never decreases', async () => {
    const iters = 40;
    const before = tf.memory().numTensors;
    const post = await infer(GAUSSIAN, {
      data: { S: 2, M, T, y: ys },
      engine: 'em',
      iters,
      tol: 0,
      init: start as unknown as Record<string, number[]>,
    });
    expect(tf.memory().numTensors).toBe(before);
    // the reference
    let h = start;
    const ref: number[] = [];
    for (let i = 0; i <= iters; i++) {
      const e = eStep(h, ys);
      ref.push(e.logLik);
      if (i < iters) h = mStep(ys, e.gammas, e.xi);
    }
    const trace = post.elbo!;
    expect(trace.length).toBe(iters + 1);
    for (let i = 1; i < trace.length; i++)
      expect(trace[i]!).toBeGreaterThanOrEqual(trace[i - 1]! - 1e-6 * Math.abs(trace[i - 1]!));
    // float32 emissions and products: each of the 240 log normalisers is off by ~1e-7 relative
    trace.forEach((l, i) => {
      expect(Math.abs(l - ref[i]!)).toBeLessThan(1e-3);
    });
    const got = (name: string) => Array.from(post.params[name]!.data);
    const close = (a: number[], b: number[]) => {
      a.forEach((v, i) => {
        expect(Math.abs(v - b[i]!)).toBeLessThan(1e-4);
      });
    };
    close(got('init'), h.init);
    close(got('A'), h.A.flat());
    close(got('mu'), h.mu);
    close(got('sigma'), [h.sigma]);
    expect(post.logEvidence).toBeCloseTo(trace[trace.length - 1]!, 9);
  });

  it('Categorical emissions: the table follows the same float64 updates', async () => {
    const model = compile(DICE_HMM);
    const y = ys[0]!.map((v) => (v < -0.5 ? 0 : v < 1 ? 1 : 2));
    const B0 = [
      [0.5, 0.3, 0.2],
      [0.2, 0.3, 0.5],
    ];
    const iters = 15;
    const post = await infer(model, {
      data: { S: 2, V: 3, T, y },
      engine: 'em',
      iters,
      tol: 0,
      init: { init: start.init, A: start.A, B: B0 } as unknown as Record<string, number[]>,
    });
    // the reference, float64
    let init = start.init;
    let A = start.A;
    let B = B0;
    let logLik = 0;
    for (let i = 0; i <= iters; i++) {
      const alpha: number[][] = [];
      const c: number[] = [];
      for (let t = 0; t < T; t++) {
        const a = [0, 1].map(
          (k) =>
            (t === 0 ? init[k]! : alpha[t - 1]!.reduce((s, v, j) => s + v * A[j]![k]!, 0)) *
            B[k]![y[t]!]!,
        );
        c.push(a[0]! + a[1]!);
        alpha.push(a.map((v) => v / c[t]!));
      }
      logLik = c.reduce((s, v) => s + Math.log(v), 0);
      if (i === iters) break;
      const beta: number[][] = new Array(T);
      beta[T - 1] = [1, 1];
      const xi = [
        [0, 0],
        [0, 0],
      ];
      for (let t = T - 1; t > 0; t--) {
        const eb = [0, 1].map((k) => (B[k]![y[t]!]! * beta[t]![k]!) / c[t]!);
        for (let j = 0; j < 2; j++)
          for (let k = 0; k < 2; k++) xi[j]![k] += alpha[t - 1]![j]! * A[j]![k]! * eb[k]!;
        beta[t - 1] = [0, 1].map((j) => A[j]![0]! * eb[0]! + A[j]![1]! * eb[1]!);
      }
      const g = alpha.map((a, t) => a.map((v, k) => v * beta[t]![k]!));
      init = g[0]!;
      A = xi.map((row) => row.map((v) => v / (row[0]! + row[1]!)));
      B = [0, 1].map((k) => {
        const nk = g.reduce((s, r) => s + r[k]!, 0);
        return [0, 1, 2].map((v) => g.reduce((s, r, t) => s + (y[t] === v ? r[k]! : 0), 0) / nk);
      });
    }
    Array.from(post.params.B!.data).forEach((v, i) => {
      expect(Math.abs(v - B.flat()[i]!)).toBeLessThan(1e-4);
    });
    expect(Math.abs(post.logEvidence! - logLik)).toBeLessThan(1e-4);
  });

  it('a learned param outside Baum–Welch is refused with its name', () => {
    const model = compile(`model hmm {
  size S
  size T
  param init: simplex[S]
  param A: simplex[S, S]
  param mu: real[S]
  param shift: real
  plate t in T {
    z[t] ~ Categorical(t == 0 ? init : A[z[t - 1]])
    y[t] ~ Normal(mu[z[t]] + shift, 1)
  }
}`);
    const r = engines(model, { data: { S: 2, T: 3, y: [0, 1, 2] } });
    const em = r.engines.find((e) => e.name === 'em')!;
    expect(em.applies).toBe(false);
    expect(em.reasons[0]!.message).toMatch(/y is not 'Normal\(mu\[z\[…\]\], sigma\)'.*Baum–Welch/);
  });
});
