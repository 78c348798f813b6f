// The closed form at scale: Bayesian linear regression with N = 100,000 rows and P = 50, whose
// XᵀX and Xᵀy the accumulation forms by float32 matMuls over row blocks finished in float64
// (src/infer/gaussian/accumulate.ts), against the float64 closed form written here (Bishop,
// PRML eq. 3.53–3.54 and 3.86, as bench/exact-blr/numpy_blr.py computes it). X holds float32
// values (as the benchmark's data), so both sides read the same numbers; y is float64.
// Also: the public infer() gives the same posterior from nested arrays and from typed arrays.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, infer } from '../../../src/index.js';
import { MODELS } from '../../support/models.js';
import { prng } from '../../support/prng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** In-place Cholesky of an n × n symmetric positive-definite matrix (lower triangle). */
function cholesky(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(s) : s / L[j * n + j];
    }
  }
  return L;
}

/** x = (L Lᵀ)⁻¹ b by forward and back substitution */
function cholSolve(L: Float64Array, b: Float64Array, n: number): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * z[k];
    z[i] = s / L[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  return x;
}

/** The float64 closed form: posterior mean, variances and log evidence */
function closedForm(X: Float32Array, y: Float64Array, N: number, P: number, s: number, v: number) {
  const A = new Float64Array(P * P);
  const b = new Float64Array(P);
  for (let t = 0; t < N; t++) {
    const o = t * P;
    for (let i = 0; i < P; i++) {
      const xi = X[o + i];
      b[i] += xi * y[t];
      for (let j = 0; j <= i; j++) A[i * P + j] += xi * X[o + j];
    }
  }
  for (let i = 0; i < P; i++) {
    for (let j = 0; j <= i; j++) {
      A[i * P + j] /= s * s;
      A[j * P + i] = A[i * P + j];
    }
    A[i * P + i] += 1 / v;
    b[i] /= s * s;
  }
  const L = cholesky(A, P);
  const m = cholSolve(L, b, P);
  const variance = Array.from({ length: P }, (_, j) => {
    const e = new Float64Array(P);
    e[j] = 1;
    return cholSolve(L, e, P)[j];
  });
  let rr = 0;
  for (let t = 0; t < N; t++) {
    let fit = 0;
    for (let i = 0; i < P; i++) fit += X[t * P + i] * m[i];
    rr += (y[t] - fit) ** 2;
  }
  let mm = 0;
  for (const x of m) mm += x * x;
  let logDetL = 0;
  for (let i = 0; i < P; i++) logDetL += Math.log(L[i * P + i]);
  const E = rr / (2 * s * s) + mm / (2 * v);
  const logZ =
    (P / 2) * Math.log(1 / v) +
    (N / 2) * Math.log(1 / (s * s)) -
    E -
    logDetL -
    (N / 2) * Math.log(2 * Math.PI);
  return { m, variance, logZ };
}

describe('the exact engine at N = 100,000, P = 50', () => {
  it('posterior mean, variances and log evidence match the float64 closed form', async () => {
    const N = 100_000;
    const P = 50;
    const sigma = 0.5;
    const tau = 3;
    const rand = prng(11);
    const X = new Float32Array(N * P);
    // columns with a mean as well as a spread: XᵀX is then not nearly diagonal
    for (let i = 0; i < X.length; i++) X[i] = Math.fround(0.5 + 2 * rand() - 1);
    const beta = Array.from({ length: P }, (_, j) => (j % 2 ? -1 : 1) * (1 + j / P));
    const y = new Float64Array(N);
    for (let t = 0; t < N; t++) {
      let f = 0;
      for (let j = 0; j < P; j++) f += X[t * P + j] * beta[j];
      y[t] = f + sigma * (rand() + rand() + rand() - 1.5) * 2;
    }
    const ref = closedForm(X, y, N, P, sigma, tau * tau);
    const model = compile(MODELS.blr);
    const before = tf.memory().numTensors;
    const post = await infer(model, {
      data: { sigma, tau, X: { shape: [N, P], data: X }, y: Array.from(y) },
      engine: 'exact',
    });
    expect(tf.memory().numTensors).toBe(before);
    const b = post.latents.beta;
    let meanErr = 0;
    let varErr = 0;
    for (let j = 0; j < P; j++) {
      meanErr = Math.max(meanErr, Math.abs(b.mean.data[j] - ref.m[j]) / Math.abs(ref.m[j]));
      varErr = Math.max(varErr, Math.abs(b.sd.data[j] ** 2 - ref.variance[j]) / ref.variance[j]);
    }
    // The float32 sums of a block of r ≈ 5,000 rows err by ~√r · 2⁻²⁴ ≈ 4e-6 relative; one
    // float32 matMul over all N rows (the former path) errs by ~√N · 2⁻²⁴ ≈ 2e-5.
    expect(meanErr).toBeLessThan(1e-5);
    expect(varErr).toBeLessThan(1e-5);
    // log Z: y is rounded to float32 (2⁻²⁴ relative) in the rows, which moves ‖y − Xm‖²/2σ² by
    // ~√N · 2⁻²⁴ · |y| |e| / σ² ≈ 1e-4 here; the former single matMul erred by ~1e-2.
    expect(Math.abs((post.logEvidence as number) - ref.logZ)).toBeLessThan(2e-3);
  }, 60_000);
});

describe('infer(): typed arrays and nested arrays give the same posterior', () => {
  it('Float32Array, Float64Array and nested X (float32 values and general ones)', async () => {
    const N = 400;
    const P = 12; // 4,800 entries: nested float32 values are kept as float32
    const rand = prng(5);
    const rows = Array.from({ length: N }, () =>
      Array.from({ length: P }, () => Math.fround(4 * rand() - 2)),
    );
    const y = rows.map((r) => r[0] - 2 * r[3] + rand());
    const model = compile(MODELS.blr);
    const run = async (X: unknown) => {
      const p = await infer(model, { data: { X, y }, engine: 'exact' });
      return {
        mean: Array.from(p.latents.beta.mean.data),
        sd: Array.from(p.latents.beta.sd.data),
        logZ: p.logEvidence,
      };
    };
    const nested = await run(rows);
    const flat = rows.flat();
    expect(await run({ shape: [N, P], data: Float32Array.from(flat) })).toEqual(nested);
    expect(await run({ shape: [N, P], data: Float64Array.from(flat) })).toEqual(nested);
    // general float64 numbers: nested and Float64Array agree too
    const rows64 = rows.map((r) => r.map((x) => x + 1e-9));
    const nested64 = await run(rows64);
    expect(await run({ shape: [N, P], data: Float64Array.from(rows64.flat()) })).toEqual(nested64);
  });
});
