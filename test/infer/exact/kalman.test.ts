// Linear-Gaussian chains (DESIGN §2 "Sequences"): the exact engine's Kalman filter and RTS
// smoother against a float64 RTS smoother written here (a property over random a, b, q, c, r and
// T ≤ 50), against the dense joint Gaussian of a short chain (posterior precision and the
// marginal of y, solved by Cholesky here), on ragged sequences; no leaks.
// Inputs are rounded to float32 (Math.fround) so that the coefficients the engine evaluates in
// float32 are the ones the references use: the remaining differences are float64 rounding.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, infer } from '../../../src/index.js';
import { cholesky, cholSolve } from '../../support/gaussianJoint.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const LGSSM = compile(`model lgssm {
  size T
  hyper m0: real
  hyper s0: real(0,)
  hyper a: real
  hyper b: real
  hyper q: real(0,)
  hyper c: real
  hyper d: real
  hyper r: real(0,)
  plate t in T {
    x[t] ~ Normal(t == 0 ? m0 : a * x[t - 1] + b, t == 0 ? s0 : q)
    y[t] ~ Normal(c * x[t] + d, r)
  }
}`);

interface Params {
  m0: number;
  s0: number;
  a: number;
  b: number;
  q: number;
  c: number;
  d: number;
  r: number;
}

/** The scalar Kalman filter and RTS smoother in float64 (Särkkä 2013, Theorems 4.2 and 8.2). */
function rts(p: Params, y: readonly number[]) {
  const T = y.length;
  const mf: number[] = [];
  const Pf: number[] = [];
  const mp: number[] = [];
  const Pp: number[] = [];
  let logZ = 0;
  for (let t = 0; t < T; t++) {
    const m = t === 0 ? p.m0 : p.a * mf[t - 1]! + p.b;
    const P = t === 0 ? p.s0 ** 2 : p.a ** 2 * Pf[t - 1]! + p.q ** 2;
    mp.push(m);
    Pp.push(P);
    const S = p.c ** 2 * P + p.r ** 2;
    const v = y[t]! - p.c * m - p.d;
    const K = (P * p.c) / S;
    logZ += -0.5 * (Math.log(2 * Math.PI * S) + (v * v) / S);
    mf.push(m + K * v);
    Pf.push(P - K * p.c * P);
  }
  const ms = [...mf];
  const Ps = [...Pf];
  for (let t = T - 2; t >= 0; t--) {
    const J = (Pf[t]! * p.a) / Pp[t + 1]!;
    ms[t] = mf[t]! + J * (ms[t + 1]! - mp[t + 1]!);
    Ps[t] = Pf[t]! + J * J * (Ps[t + 1]! - Pp[t + 1]!);
  }
  return { mean: ms, variance: Ps, logZ };
}

/**
 * The same posterior from the joint Gaussian: x = prior mean μ + noise with covariance Σ (x_t =
 * a x_{t-1} + b + ε_t unrolled), y = c x + d + η. Posterior covariance (Σ⁻¹ + c²/r² I)⁻¹ and
 * log p(y) = log N(y; c μ + d, c² Σ + r² I), all dense.
 */
function joint(p: Params, y: readonly number[]) {
  const T = y.length;
  // x = μ + G ε with ε_t ~ N(0, sd_t²): G[t][s] = a^(t-s) for s ≤ t
  const mu: number[] = [];
  for (let t = 0; t < T; t++) mu.push(t === 0 ? p.m0 : p.a * mu[t - 1]! + p.b);
  const sd2 = y.map((_, t) => (t === 0 ? p.s0 ** 2 : p.q ** 2));
  const Sigma = y.map((_, i) =>
    y.map((_, j) => {
      let s = 0;
      for (let k = 0; k <= Math.min(i, j); k++) s += p.a ** (i - k) * p.a ** (j - k) * sd2[k]!;
      return s;
    }),
  );
  const Cy = Sigma.map((row, i) => row.map((v, j) => p.c * p.c * v + (i === j ? p.r ** 2 : 0)));
  const Ly = cholesky(Cy);
  const res = y.map((v, t) => v - p.c * mu[t]! - p.d);
  const w = cholSolve(Ly, res);
  let logDet = 0;
  for (let i = 0; i < T; i++) logDet += 2 * Math.log(Ly[i]![i]!);
  const logZ =
    -0.5 * (T * Math.log(2 * Math.PI) + logDet + res.reduce((s, v, i) => s + v * w[i]!, 0));
  // posterior mean μ + Σ cᵀ (Cy⁻¹ res); covariance Σ − c² Σ Cy⁻¹ Σ
  const mean = mu.map((m, i) => m + p.c * Sigma[i]!.reduce((s, v, j) => s + v * w[j]!, 0));
  const variance = mu.map((_, i) => {
    const col = cholSolve(
      Ly,
      Sigma.map((row) => row[i]!),
    );
    return Sigma[i]![i]! - p.c * p.c * Sigma[i]!.reduce((s, v, j) => s + v * col[j]!, 0);
  });
  return { mean, variance, logZ };
}

const f32 = (x: number) => Math.fround(x);
const close = (a: number, b: number, tol: number): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * (1 + Math.abs(b)));
};

async function solve(p: Params, y: number[]) {
  const post = await infer(LGSSM, { data: { T: y.length, ...p, y }, engine: 'exact' });
  const x = post.latents.x!;
  return {
    mean: Array.from(x.mean.data),
    variance: Array.from(x.sd.data, (s) => s * s),
    logZ: post.logEvidence!,
  };
}

describe('the Kalman smoother of a linear-Gaussian chain', () => {
  it('equals a float64 RTS smoother written here (random a, b, q, c, r, T ≤ 50)', async () => {
    const num = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map(f32);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          m0: num(-2, 2),
          s0: num(0.2, 3),
          a: num(-1.2, 1.2),
          b: num(-1, 1),
          q: num(0.05, 2),
          c: num(-2, 2),
          d: num(-1, 1),
          r: num(0.05, 2),
        }),
        fc.array(num(-5, 5), { minLength: 1, maxLength: 50 }),
        async (p, y) => {
          const got = await solve(p, y);
          const ref = rts(p, y);
          // both in float64 from the same float32-exact inputs: rounding differences only,
          // amplified by at most a few orders over 50 steps of |a| ≤ 1.2
          got.mean.forEach((m, t) => {
            close(m, ref.mean[t]!, 1e-8);
          });
          got.variance.forEach((v, t) => {
            close(v, ref.variance[t]!, 1e-8);
          });
          close(got.logZ, ref.logZ, 1e-9);
        },
      ),
      { seed: 13, numRuns: 40 },
    );
  });

  it('equals the dense joint Gaussian of a short chain (T = 5)', async () => {
    const p: Params = { m0: 0.5, s0: 2, a: 0.875, b: 0.125, q: 0.5, c: 1.5, d: 1, r: 0.25 };
    const y = [1, 2, 0.5, -1, 0.25];
    const got = await solve(p, y);
    const ref = joint(p, y);
    got.mean.forEach((m, t) => {
      close(m, ref.mean[t]!, 1e-9);
    });
    got.variance.forEach((v, t) => {
      close(v, ref.variance[t]!, 1e-9);
    });
    close(got.logZ, ref.logZ, 1e-10);
  });

  it('ragged sequences, vectorised over sequences: each equals its own smoother', async () => {
    const model = compile(`model many {
  size M
  size T[M]
  hyper a: real
  plate m in M {
    plate t in T[m] {
      x[m, t] ~ Normal(t == 0 ? 0 : a * x[m, t - 1], t == 0 ? 1 : 0.5)
      y[m, t] ~ Normal(x[m, t], 0.75)
    }
  }
}`);
    const ys = [[0.5, -1.25, 2], [1.5], [-0.5, 0.75, 1.75, -2.25, 0.125]];
    const before = tf.memory().numTensors;
    const post = await infer(model, {
      data: { M: 3, T: ys.map((y) => y.length), a: 0.75, y: ys },
      engine: 'exact',
    });
    expect(tf.memory().numTensors).toBe(before);
    const mean = post.latents.x!.mean.data;
    const sd = post.latents.x!.sd.data;
    let at = 0;
    let logZ = 0;
    for (const y of ys) {
      const ref = rts({ m0: 0, s0: 1, a: 0.75, b: 0, q: 0.5, c: 1, d: 0, r: 0.75 }, y);
      y.forEach((_, t) => {
        close(mean[at + t]!, ref.mean[t]!, 1e-7);
        close(sd[at + t]! ** 2, ref.variance[t]!, 1e-7);
      });
      logZ += ref.logZ;
      at += y.length;
    }
    close(post.logEvidence!, logZ, 1e-9);
  });
});
