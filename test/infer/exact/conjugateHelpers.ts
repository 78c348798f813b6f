// Shared helpers for the conjugate half of the exact engine's tests: compile + bind + run
// with a tensor-leak check, float64 references (@stdlib gammaln, ml-matrix), tolerances.
import gammaln from '@stdlib/math-base-special-gammaln';
import * as tf from '@tensorflow/tfjs';
import { CholeskyDecomposition, inverse, Matrix } from 'ml-matrix';
import { expect } from 'vitest';
import type { DataInput } from '../../../src/graph/bound.js';
import { type ConjugateOptions, runConjugate } from '../../../src/infer/exact/conjugate.js';
import { exactEngine } from '../../../src/infer/exact/index.js';
import { posteriorJson } from '../../../src/report/json.js';
import type { Nested, PosteriorJson } from '../../../src/report/result.js';
import { boundModel } from '../../support/models.js';

export { prng } from '../../support/prng.js';
export { gammaln };

/**
 * Run the exact engine (with `conjugate` options: its conjugate half with them); asserts it
 * applies and leaves no tensor behind.
 */
export async function runExact(
  source: string,
  data: DataInput,
  conjugate?: ConjugateOptions,
): Promise<PosteriorJson> {
  const bound = boundModel(source, data);
  const app = exactEngine.applicability(bound);
  if (!app.ok) throw new Error(`exact does not apply: ${JSON.stringify(app.reasons)}`);
  const before = tf.memory().numTensors;
  const r = conjugate
    ? await runConjugate(bound, { seed: 0 }, conjugate)
    : await exactEngine.run(bound, { seed: 0 });
  expect(tf.memory().numTensors).toBe(before);
  return posteriorJson(r);
}

/** The reasons exact gives for not applying (fails the test if it applies). */
export function refusal(
  source: string,
  data: DataInput,
): { node: string; line: number; message: string }[] {
  const app = exactEngine.applicability(boundModel(source, data));
  if (app.ok) throw new Error('exact applies, but a refusal was expected');
  return app.reasons.map((r) => ({ node: r.node, line: r.line, message: r.message }));
}

export const lbeta = (a: number, b: number) => gammaln(a) + gammaln(b) - gammaln(a + b);

export function lmvbeta(alpha: readonly number[]): number {
  return alpha.reduce((s, a) => s + gammaln(a), 0) - gammaln(alpha.reduce((s, a) => s + a, 0));
}

/** Flatten a nested result array. */
export function flat(x: Nested): number[] {
  if (x === null) return [Number.NaN];
  return typeof x === 'number' ? [x] : x.flatMap(flat);
}

/** |a − e| ≤ rel·|e| + abs, elementwise, with a readable failure. */
export function expectClose(
  actual: Nested | number,
  expected: number | readonly number[],
  rel = 1e-4,
  abs = 0,
): void {
  const a = typeof actual === 'number' ? [actual] : flat(actual);
  const e = typeof expected === 'number' ? [expected] : [...expected];
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => {
    const tol = rel * Math.abs(e[i]) + abs;
    if (!(Math.abs(v - e[i]) <= tol)) {
      throw new Error(`element ${i}: got ${v}, expected ${e[i]} (tolerance ${tol})`);
    }
  });
}

/** Log evidence: 1e-4 relative, or 1e-3 absolute near zero. */
export function expectLogEvidence(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  const tol = Math.max(1e-4 * Math.abs(expected), 1e-3);
  if (!(Math.abs((actual as number) - expected) <= tol)) {
    throw new Error(`log evidence ${actual}, expected ${expected} (tolerance ${tol})`);
  }
}

export function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Independent float64 reference for y = X θ + ε, θ ~ N(m0, S0), ε ~ N(0, diag(noiseVar)):
 * the posterior by the precision form and the evidence as the dense N-dimensional Gaussian
 * marginal y ~ N(X m0, X S0 Xᵀ + diag(noiseVar)) (ml-matrix Cholesky).
 */
export function linearGaussianReference(
  X: readonly (readonly number[])[],
  y: readonly number[],
  m0: readonly number[],
  S0: readonly (readonly number[])[],
  noiseVar: readonly number[],
): { mean: number[]; cov: number[][]; logZ: number } {
  const Xm = new Matrix(X.map((r) => [...r]));
  const S0m = new Matrix(S0.map((r) => [...r]));
  const lam = Matrix.diag(noiseVar.map((v) => 1 / v));
  const P0 = inverse(S0m);
  const A = P0.clone().add(Xm.transpose().mmul(lam).mmul(Xm)); // ml-matrix add is in place
  const cov = inverse(A);
  const rhs = P0.mmul(Matrix.columnVector([...m0])).add(
    Xm.transpose()
      .mmul(lam)
      .mmul(Matrix.columnVector([...y])),
  );
  const mean = cov.mmul(rhs).to1DArray();
  const mu = Xm.mmul(Matrix.columnVector([...m0])).to1DArray();
  const C = Xm.mmul(S0m)
    .mmul(Xm.transpose())
    .add(Matrix.diag([...noiseVar]));
  return { mean, cov: cov.to2DArray(), logZ: mvnLogPdf(y, mu, C) };
}

/** log N(y; mu, C) by Cholesky (ml-matrix). */
export function mvnLogPdf(y: readonly number[], mu: readonly number[], C: Matrix): number {
  // products like X S0 Xᵀ are symmetric only up to rounding; ml-matrix wants exact symmetry
  const sym = C.clone().add(C.transpose()).mul(0.5);
  const chol = new CholeskyDecomposition(sym);
  if (!chol.isPositiveDefinite()) throw new Error('covariance not positive definite');
  const L = chol.lowerTriangularMatrix;
  const r = Matrix.columnVector(y.map((v, i) => v - mu[i]));
  const z = chol.solve(r);
  let logDet = 0;
  for (let i = 0; i < y.length; i++) logDet += 2 * Math.log(L.get(i, i));
  const quad = r.transpose().mmul(z).get(0, 0);
  return -0.5 * (y.length * Math.log(2 * Math.PI) + logDet + quad);
}
