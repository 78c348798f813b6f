// Bayesian linear regression under cavi: a joint Gaussian factor q(w) for the coefficients
// (linear.ts, on src/infer/gaussian's float64 accumulation) and, with unknown noise precision,
// the mean-field Normal–Gamma q(w) q(τ) (Bishop PRML §10.1, §10.3). Against an independent
// float64 fixed point of the same updates written here:
//   S = (Λ₀ + E[τ] XᵀX)⁻¹, m = S (Λ₀ m₀ + E[τ] Xᵀy),
//   q(τ) = Gamma(a₀ + N/2, b₀ + ½ (‖y − Xm‖² + tr(XᵀX S))),
// and its ELBO; with a known sd q(w) is the exact posterior and the ELBO the exact log evidence
// (the exact engine's). The design and y pass through float32 (X, y ~ N(0, 1)), so moments agree
// to ~1e-5 relative and the ELBO to ~1e-6.
import { readFileSync } from 'node:fs';
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, infer } from '../../../src/index.js';
import { prng } from '../../support/prng.js';
import { flat } from '../exact/conjugateHelpers.js';
import { expectNonDecreasing, runCavi } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** The inverse and log-determinant of a symmetric positive definite P × P matrix (Gauss–Jordan). */
function invLogDet(A: number[][]): { inv: number[][]; logDet: number } {
  const P = A.length;
  const M = A.map((r, i) => [...r, ...Array.from({ length: P }, (_, j) => (i === j ? 1 : 0))]);
  let logDet = 0;
  for (let c = 0; c < P; c++) {
    const piv = M[c][c];
    logDet += Math.log(piv);
    for (let j = 0; j < 2 * P; j++) M[c][j] /= piv;
    for (let r = 0; r < P; r++) {
      if (r === c) continue;
      const f = M[r][c];
      for (let j = 0; j < 2 * P; j++) M[r][j] -= f * M[c][j];
    }
  }
  return { inv: M.map((r) => r.slice(P)), logDet };
}

/** Mean-field Normal–Gamma BLR in float64: prior w ~ N(0, s0² I), τ ~ Gamma(a0, b0). */
function blrMeanField(X: number[][], y: number[], s0: number, a0: number, b0: number) {
  const N = X.length;
  const P = X[0].length;
  const XtX = Array.from({ length: P }, (_, i) =>
    Array.from({ length: P }, (_, j) => X.reduce((s, x) => s + x[i] * x[j], 0)),
  );
  const Xty = Array.from({ length: P }, (_, i) => X.reduce((s, x, n) => s + x[i] * y[n], 0));
  const a = a0 + N / 2;
  let b = b0;
  let m: number[] = [];
  let S: number[][] = [];
  let logDetS = 0;
  let ess = 0;
  for (let t = 0; t < 1000; t++) {
    const eTau = a / b;
    const { inv, logDet } = invLogDet(
      XtX.map((r, i) => r.map((v, j) => eTau * v + (i === j ? 1 / s0 ** 2 : 0))),
    );
    S = inv;
    logDetS = -logDet;
    m = S.map((r) => r.reduce((s, v, j) => s + v * eTau * Xty[j], 0));
    const resid = y.reduce(
      (s, yn, n) => s + (yn - X[n].reduce((u, x, j) => u + x * m[j], 0)) ** 2,
      0,
    );
    let tr = 0;
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) tr += XtX[i][j] * S[j][i];
    ess = resid + tr;
    const next = b0 + ess / 2;
    const done = Math.abs(next - b) < 1e-15 * next;
    b = next;
    if (done) break;
  }
  const eTau = a / b;
  const eLogTau = digamma(a) - Math.log(b);
  const logLik = (N / 2) * (eLogTau - Math.log(2 * Math.PI)) - (eTau / 2) * ess;
  let trS = 0;
  for (let i = 0; i < P; i++) trS += S[i][i];
  const mm = m.reduce((s, v) => s + v * v, 0);
  const klW = 0.5 * (logDetS - P * Math.log(s0 ** 2) + P - trS / s0 ** 2 - mm / s0 ** 2);
  // E_q[log p(τ)] + H[q(τ)]
  const klTau =
    a0 * Math.log(b0) -
    gammaln(a0) +
    (a0 - 1) * eLogTau -
    b0 * eTau +
    (a - Math.log(b) + gammaln(a) + (1 - a) * digamma(a));
  return { m, S, a, b, elbo: logLik + klW + klTau };
}

const BLR = `model blr {
  size N
  size P
  data X: real[N, P]
  beta ~ Normal(zeros(P), 3)
  tau ~ Gamma(2, 1)
  plate i in N {
    y[i] ~ Normal(dot(X[i], beta), 1 / sqrt(tau))
  }
}`;

describe('Bayesian linear regression', () => {
  it('unknown noise precision: the float64 mean-field Normal–Gamma fixed point and its ELBO', async () => {
    const r0 = prng(3);
    const g = () => Math.sqrt(-2 * Math.log(Math.max(r0(), 1e-12))) * Math.cos(2 * Math.PI * r0());
    const N = 60;
    const P = 4;
    const X = Array.from({ length: N }, () => Array.from({ length: P }, g));
    const y = X.map((x) => x[0] - 2 * x[1] + 0.5 * x[2] + 0.7 * g());
    const r = await runCavi(BLR, { N, P, X, y }, { iters: 200, tol: 1e-13 });
    expect(r.warnings).toEqual([]);
    expectNonDecreasing(r.posterior.elbo ?? [], 1e-9);
    const ref = blrMeanField(X, y, 3, 2, 1);
    const mu = flat(r.json.latents.beta.params.mu);
    const sd = flat(r.json.latents.beta.params.sigma);
    ref.m.forEach((v, i) => {
      expect(Math.abs(mu[i] - v)).toBeLessThan(1e-5 * Math.sqrt(ref.S[i][i]) + 1e-6);
      expect(Math.abs(sd[i] - Math.sqrt(ref.S[i][i]))).toBeLessThan(1e-5 * Math.sqrt(ref.S[i][i]));
    });
    const shape = flat(r.json.latents.tau.params.shape)[0];
    const rate = flat(r.json.latents.tau.params.rate)[0];
    expect(shape).toBeCloseTo(ref.a, 10);
    expect(Math.abs(rate - ref.b)).toBeLessThan(1e-5 * ref.b);
    expect(Math.abs((r.json.logEvidence as number) - ref.elbo)).toBeLessThan(
      1e-6 * Math.abs(ref.elbo),
    );
  });

  it('known noise: q(w) is the exact posterior and the ELBO the exact log evidence (examples/blr)', async () => {
    const src = readFileSync(new URL('../../../examples/blr/blr.plato', import.meta.url), 'utf8');
    const data = JSON.parse(
      readFileSync(new URL('../../../examples/blr/blr.json', import.meta.url), 'utf8'),
    );
    const model = compile(src);
    const exact = await infer(model, { data, engine: 'exact' });
    const cavi = await infer(model, { data, engine: 'cavi' });
    expect(cavi.iterations).toBeLessThanOrEqual(3);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    expect(rel(cavi.logEvidence as number, exact.logEvidence as number)).toBeLessThan(1e-7);
    const em = exact.latents.beta.mean.data;
    const cm = cavi.latents.beta.mean.data;
    const es = exact.latents.beta.sd.data;
    const cs = cavi.latents.beta.sd.data;
    for (let i = 0; i < em.length; i++) {
      expect(Math.abs(cm[i] - em[i])).toBeLessThan(1e-6 * es[i] + 1e-9);
      expect(rel(cs[i], es[i])).toBeLessThan(1e-7);
    }
  });
});
