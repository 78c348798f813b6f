// Batched float32 Cholesky, triangular solves, log-determinants and inverses against ml-matrix
// (float64) on random symmetric positive-definite matrices (fast-check, fixed seed).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { CholeskyDecomposition, inverse, Matrix } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import {
  cholesky,
  choleskyInverse,
  choleskyLogDet,
  choleskySolve,
  isPositiveDefinite,
  matVec,
  triangularSolve,
} from '../../src/linalg/index.js';
import { spd } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

function maxRelErr(got: number[][], want: number[][]): number {
  let scale = 0;
  for (const r of want) for (const v of r) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  got.forEach((r, i) => {
    r.forEach((v, j) => {
      err = Math.max(err, Math.abs(v - want[i]![j]!));
    });
  });
  return err / scale;
}

describe('batched linear algebra (float32) against ml-matrix (float64)', () => {
  it('cholesky, choleskyLogDet, choleskyInverse and choleskySolve agree on random SPD batches', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 6 })
          .chain((D) =>
            fc.tuple(fc.constant(D), fc.array(spd(D, Math.fround), { minLength: 3, maxLength: 3 })),
          ),
        ([D, As]) => {
          const start = tf.memory().numTensors;
          const res = tf.tidy(() => {
            const A = tf.tensor3d(As);
            const L = cholesky(A);
            const b = tf.ones([3, D, 2]);
            return {
              L: L.arraySync() as number[][][],
              logDet: Array.from(choleskyLogDet(L).dataSync()),
              inv: choleskyInverse(L).arraySync() as number[][][],
              x: choleskySolve(L, b).arraySync() as number[][][],
              pd: Array.from(isPositiveDefinite(L).dataSync()),
            };
          });
          expect(tf.memory().numTensors).toBe(start);
          As.forEach((A, i) => {
            const ch = new CholeskyDecomposition(new Matrix(A));
            const L64 = ch.lowerTriangularMatrix.to2DArray();
            expect(maxRelErr(res.L[i]!, L64)).toBeLessThan(1e-5);
            let ld = 0;
            for (let k = 0; k < D; k++) ld += 2 * Math.log(L64[k]![k]!);
            expect(Math.abs(res.logDet[i]! - ld)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ld)));
            expect(maxRelErr(res.inv[i]!, inverse(new Matrix(A)).to2DArray())).toBeLessThan(1e-4);
            const x64 = ch.solve(Matrix.ones(D, 2)).to2DArray();
            expect(maxRelErr(res.x[i]!, x64)).toBeLessThan(1e-4);
            expect(res.pd[i]).toBe(1);
          });
        },
      ),
      { seed: 42, numRuns: 20 },
    );
  });

  it('triangularSolve: lower, upper and transposed, with broadcast batch axes', () => {
    const L = [
      [2, 0, 0],
      [1, 3, 0],
      [-1, 0.5, 1.5],
    ];
    const b = [
      [1, 2],
      [3, 4],
      [5, 6],
    ];
    const Lm = new Matrix(L);
    const want = {
      lower: inverse(Lm).mmul(new Matrix(b)).to2DArray(),
      lowerT: inverse(Lm.transpose()).mmul(new Matrix(b)).to2DArray(),
      upper: inverse(Lm.transpose()).mmul(new Matrix(b)).to2DArray(),
      upperT: inverse(Lm).mmul(new Matrix(b)).to2DArray(),
    };
    const start = tf.memory().numTensors;
    const got = tf.tidy(() => {
      const Lt = tf.tensor2d(L);
      const U = tf.transpose(Lt);
      const bt = tf.stack([tf.tensor2d(b), tf.tensor2d(b)]); // batch [2] against an unbatched L
      return {
        lower: triangularSolve(Lt, bt).arraySync() as number[][][],
        lowerT: triangularSolve(Lt, bt, { transpose: true }).arraySync() as number[][][],
        upper: triangularSolve(U, bt, { lower: false }).arraySync() as number[][][],
        upperT: triangularSolve(U, bt, {
          lower: false,
          transpose: true,
        }).arraySync() as number[][][],
      };
    });
    expect(tf.memory().numTensors).toBe(start);
    for (const k of ['lower', 'lowerT', 'upper', 'upperT'] as const) {
      expect(got[k].length).toBe(2);
      expect(maxRelErr(got[k][1]!, want[k]), k).toBeLessThan(1e-6);
    }
  });

  it('marks matrices that are not positive definite (NaN factor) and checks shapes', () => {
    const pd = tf.tidy(() => {
      const A = tf.tensor3d([
        [
          [1, 2],
          [2, 1],
        ],
        [
          [2, 1],
          [1, 2],
        ],
      ]);
      return Array.from(isPositiveDefinite(cholesky(A)).dataSync());
    });
    expect(pd).toEqual([0, 1]);
    tf.tidy(() => {
      expect(() => cholesky(tf.zeros([2, 3]))).toThrow(/\[\.\.\., D, D\]/);
      expect(() => triangularSolve(tf.eye(3), tf.ones([2, 1]))).toThrow(/b must be/);
    });
  });

  it('matVec multiplies batched matrices by vectors', () => {
    const v = tf.tidy(() =>
      Array.from(
        matVec(
          tf.tensor3d([
            [
              [1, 2],
              [3, 4],
            ],
          ]),
          tf.tensor2d([[1, 1]]),
        ).dataSync(),
      ),
    );
    expect(v).toEqual([3, 7]);
  });
});
