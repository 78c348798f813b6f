// The float64 linear algebra against references computed here: hand-written float64 arithmetic
// (L Lᵀ, residuals A x − b, Σ log of the pivots) and ml-matrix (determinant, LU inverse).
import fc from 'fast-check';
import { determinant, inverse, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  Cholesky64,
  cholesky64,
  choleskyBlocks,
  inverse64,
  inverseBlocks,
  inverseSPD64,
  logDetBlocks,
  logDetSPD64,
  lowerInverseBlocks,
  matMul64,
  NotPositiveDefiniteError,
  SingularMatrixError,
  solve64,
  solveBlocks,
  solveSPD64,
  symmetrizeBlocks,
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

describe('dense64 blocks (Float64Array, count blocks of n × n)', () => {
  /** `count` random SPD blocks of size n, row-major one after another, and right-hand sides */
  const batch = fc
    .record({ n: fc.integer({ min: 1, max: 7 }), count: fc.integer({ min: 1, max: 4 }) })
    .chain(({ n, count }) =>
      fc.record({
        blocks: fc.array(spd(n), { minLength: count, maxLength: count }),
        y: fc.array(fc.double({ min: -10, max: 10, noNaN: true }), {
          minLength: n * count,
          maxLength: n * count,
        }),
      }),
    );
  const flatten = (blocks: number[][][]) => Float64Array.from(blocks.flat(2));
  /** |a − e| ≤ tol · (1 + |e|) */
  const close = (a: number, e: number, tol: number) => {
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) throw new Error(`${a} is not ${e}`);
  };

  it('L Lᵀ = A, A x = y, A A⁻¹ = I, log|A| = Σ 2 log L_ii = log det (ml-matrix)', () => {
    fc.assert(
      fc.property(batch, ({ blocks, y }) => {
        const n = blocks[0].length;
        const count = blocks.length;
        const a = flatten(blocks);
        const L = choleskyBlocks(a, n, count);
        const x = solveBlocks(L, Float64Array.from(y), n, count);
        const inv = inverseBlocks(L, n, count);
        const linv = lowerInverseBlocks(L, n, count);
        const logDet = logDetBlocks(L, n, count);
        // conditioning below ~20 and n ≤ 7: residuals of a few ulps times n²
        const tol = 1e-13 * n * n;
        blocks.forEach((A, b) => {
          const o = b * n * n;
          let pivots = 0;
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              if (j > i) expect(L[o + i * n + j]).toBe(0);
              let llt = 0;
              let ai = 0;
              let li = 0;
              for (let k = 0; k < n; k++) {
                llt += L[o + i * n + k] * L[o + j * n + k];
                ai += A[i][k] * inv[o + k * n + j];
                li += L[o + i * n + k] * linv[o + k * n + j];
              }
              close(llt, A[i][j], tol);
              close(ai, i === j ? 1 : 0, tol);
              close(li, i === j ? 1 : 0, tol);
              expect(inv[o + i * n + j]).toBe(inv[o + j * n + i]);
            }
            let ax = 0;
            for (let k = 0; k < n; k++) ax += A[i][k] * x[b * n + k];
            close(ax, y[b * n + i], tol);
            pivots += 2 * Math.log(L[o + i * n + i]);
          }
          expect(logDet[b]).toBe(pivots);
          close(logDet[b], Math.log(determinant(new Matrix(A))), tol);
          const ref = inverse(new Matrix(A)).to2DArray();
          ref.forEach((r, i) => {
            r.forEach((v, j) => {
              close(inv[o + i * n + j], v, tol * 10);
            });
          });
        });
      }),
      { seed: 7, numRuns: 60 },
    );
  });

  it('only the lower triangle is read, and symmetrizeBlocks averages the two triangles', () => {
    const A = Float64Array.of(4, 99, 2, 3);
    expect(Array.from(choleskyBlocks(A, 2))).toEqual(
      Array.from(choleskyBlocks(Float64Array.of(4, 2, 2, 3), 2)),
    );
    expect(Array.from(symmetrizeBlocks(Float64Array.of(1, 2, 4, 5, 9, 8, 6, 7), 2, 2))).toEqual([
      1, 3, 3, 5, 9, 7, 7, 7,
    ]);
  });

  it('a block that is not positive definite throws NotPositiveDefiniteError naming it', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 5 })
          .chain((n) => fc.tuple(spd(n), fc.integer({ min: 0, max: n - 1 }))),
        fc.double({ min: 0, max: 3, noNaN: true }),
        ([A, k], shift) => {
          const n = A.length;
          // block 1: A with row and column k cleared and −shift on the diagonal, so e_k is an
          // eigenvector with eigenvalue −shift ≤ 0 (block 0 stays positive definite)
          const bad = A.map((r) => [...r]);
          bad[k][k] = -shift;
          for (let j = 0; j < n; j++) {
            if (j !== k) {
              bad[k][j] = 0;
              bad[j][k] = 0;
            }
          }
          const a = Float64Array.from([...A.flat(), ...bad.flat()]);
          let err: unknown;
          try {
            choleskyBlocks(a, n, 2, 'the test matrix');
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(NotPositiveDefiniteError);
          expect((err as NotPositiveDefiniteError).block).toBe(1);
          expect((err as Error).message).toBe(
            'the test matrix: block 1 is not symmetric positive definite',
          );
        },
      ),
      { seed: 11, numRuns: 40 },
    );
    expect(() => choleskyBlocks(Float64Array.of(Number.NaN), 1)).toThrow(NotPositiveDefiniteError);
  });
});
