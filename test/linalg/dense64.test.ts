// float64 helpers (thin wrappers over ml-matrix) against hand-written float64 arithmetic.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Cholesky64,
  cholesky64,
  inverse64,
  inverseSPD64,
  logDetSPD64,
  matMul64,
  NotPositiveDefiniteError,
  SingularMatrixError,
  solve64,
  solveSPD64,
} from '../../src/linalg/index.js';
import { spd } from './helpers.js';

const matVec = (A: number[][], x: number[]) =>
  A.map((r) => r.reduce((u, v, j) => u + v * x[j]!, 0));

describe('dense64', () => {
  it('L L^T = A, A x = b, A A^-1 = I and log det on random SPD matrices', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }).chain((D) => spd(D)),
        (A) => {
          const D = A.length;
          const L = cholesky64(A);
          const LLt = matMul64(
            L,
            L.map((_, i) => L.map((r) => r[i]!)),
          );
          LLt.forEach((r, i) => {
            r.forEach((v, j) => {
              expect(v).toBeCloseTo(A[i]![j]!, 12);
            });
          });
          const b = Array.from({ length: D }, (_, i) => i + 1);
          const x = solveSPD64(A, b);
          matVec(A, x).forEach((v, i) => {
            expect(v).toBeCloseTo(b[i]!, 10);
          });
          const xg = solve64(A, b);
          xg.forEach((v, i) => {
            expect(v).toBeCloseTo(x[i]!, 10);
          });
          for (const inv of [inverseSPD64(A), inverse64(A)]) {
            matMul64(A, inv).forEach((r, i) => {
              r.forEach((v, j) => {
                expect(v).toBeCloseTo(i === j ? 1 : 0, 10);
              });
            });
          }
          // log det from the product of L's diagonal
          let ld = 0;
          for (let i = 0; i < D; i++) ld += 2 * Math.log(L[i]![i]!);
          expect(logDetSPD64(A)).toBeCloseTo(ld, 12);
          const ch = new Cholesky64(A);
          expect(ch.solveMatrix(b.map((v) => [v]) as number[][]).map((r) => r[0]!)).toEqual(
            ch.solve(b),
          );
        },
      ),
      { seed: 42, numRuns: 50 },
    );
  });

  it('log det of a diagonal matrix', () => {
    expect(
      logDetSPD64([
        [2, 0],
        [0, 8],
      ]),
    ).toBeCloseTo(Math.log(16), 14);
  });

  it('throws clear errors for non-positive-definite, asymmetric, singular and ragged input', () => {
    expect(() =>
      cholesky64([
        [1, 2],
        [2, 1],
      ]),
    ).toThrow(NotPositiveDefiniteError);
    expect(() =>
      cholesky64([
        [1, 2],
        [2, 1],
      ]),
    ).toThrow(/not symmetric positive definite/);
    expect(() =>
      cholesky64([
        [1, 0.5],
        [0.2, 1],
      ]),
    ).toThrow(/not symmetric/);
    expect(() =>
      solve64(
        [
          [1, 2],
          [2, 4],
        ],
        [1, 1],
      ),
    ).toThrow(SingularMatrixError);
    expect(() =>
      inverse64([
        [1, 2],
        [2, 4],
      ]),
    ).toThrow(/singular/);
    expect(() => cholesky64([[1, 2]])).toThrow(/square/);
    expect(() => solveSPD64([[1]], [1, 2])).toThrow(/length 2/);
  });

  it('accepts matrices symmetric only up to rounding', () => {
    const L = cholesky64([
      [4, 2 + 1e-13],
      [2, 3],
    ]);
    expect(L[0]![0]).toBeCloseTo(2, 12);
  });
});
