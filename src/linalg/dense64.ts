// float64 linear algebra for the small P x P systems of closed-form updates (conjugate Normal
// posteriors, M-steps), as thin wrappers over ml-matrix with clear errors. Matrices are plain
// row-major number[][]; vectors number[].
import { CholeskyDecomposition, LuDecomposition, Matrix } from 'ml-matrix';

export type Mat64 = number[][];

export class NotPositiveDefiniteError extends Error {
  constructor(what: string) {
    super(`${what}: matrix is not symmetric positive definite`);
    this.name = 'NotPositiveDefiniteError';
  }
}

export class SingularMatrixError extends Error {
  constructor(what: string) {
    super(`${what}: matrix is singular`);
    this.name = 'SingularMatrixError';
  }
}

function checkSquare(what: string, A: Mat64): number {
  const n = A.length;
  for (const row of A) {
    if (row.length !== n)
      throw new Error(`${what}: expected a square matrix, got ${n} rows of length ${row.length}`);
  }
  return n;
}

/**
 * (A + A^T)/2 after checking that A is symmetric to a relative tolerance (accumulated
 * covariance matrices are symmetric only up to rounding; ml-matrix demands exact symmetry).
 */
function symmetrize(what: string, A: Mat64, tol = 1e-8): Mat64 {
  const n = checkSquare(what, A);
  const out: Mat64 = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      const a = A[i]![j]!;
      const b = A[j]![i]!;
      if (!Number.isFinite(a)) throw new Error(`${what}: entry [${i}][${j}] is ${a}`);
      if (Math.abs(a - b) > tol * Math.max(1, Math.abs(a), Math.abs(b))) {
        throw new Error(
          `${what}: matrix is not symmetric ([${i}][${j}] = ${a} but [${j}][${i}] = ${b})`,
        );
      }
      row.push(0.5 * (a + b));
    }
    out.push(row);
  }
  return out;
}

/** A Cholesky factorisation A = L L^T, reusable for solves, the inverse and the log-determinant. */
export class Cholesky64 {
  readonly n: number;
  private readonly dec: CholeskyDecomposition;

  constructor(A: Mat64, what = 'cholesky') {
    const S = symmetrize(what, A);
    this.n = S.length;
    this.dec = new CholeskyDecomposition(S);
    if (!this.dec.isPositiveDefinite()) throw new NotPositiveDefiniteError(what);
    const L = this.dec.lowerTriangularMatrix;
    for (let i = 0; i < this.n; i++)
      if (!(L.get(i, i) > 0)) throw new NotPositiveDefiniteError(what);
  }

  /** the lower factor L */
  get L(): Mat64 {
    return this.dec.lowerTriangularMatrix.to2DArray();
  }

  /** A^-1 b for a vector b */
  solve(b: readonly number[]): number[] {
    if (b.length !== this.n) throw new Error(`solve: b has length ${b.length}, expected ${this.n}`);
    return this.dec.solve(Matrix.columnVector(b as number[])).getColumn(0);
  }

  /** A^-1 B for a matrix B (n x m) */
  solveMatrix(B: Mat64): Mat64 {
    return this.dec.solve(new Matrix(B)).to2DArray();
  }

  inverse(): Mat64 {
    return this.dec.solve(Matrix.eye(this.n)).to2DArray();
  }

  /** log det A = 2 sum log L_ii */
  logDet(): number {
    const L = this.dec.lowerTriangularMatrix;
    let s = 0;
    for (let i = 0; i < this.n; i++) s += Math.log(L.get(i, i));
    return 2 * s;
  }
}

/** lower Cholesky factor of symmetric positive-definite A; throws NotPositiveDefiniteError */
export function cholesky64(A: Mat64): Mat64 {
  return new Cholesky64(A, 'cholesky64').L;
}

/** A^-1 b for symmetric positive-definite A */
export function solveSPD64(A: Mat64, b: readonly number[]): number[] {
  return new Cholesky64(A, 'solveSPD64').solve(b);
}

/** A^-1 for symmetric positive-definite A */
export function inverseSPD64(A: Mat64): Mat64 {
  return new Cholesky64(A, 'inverseSPD64').inverse();
}

/** log det A for symmetric positive-definite A */
export function logDetSPD64(A: Mat64): number {
  return new Cholesky64(A, 'logDetSPD64').logDet();
}

/** A^-1 b for a general square A (LU with partial pivoting); throws SingularMatrixError */
export function solve64(A: Mat64, b: readonly number[]): number[] {
  const n = checkSquare('solve64', A);
  if (b.length !== n) throw new Error(`solve64: b has length ${b.length}, expected ${n}`);
  const lu = new LuDecomposition(new Matrix(A));
  if (lu.isSingular()) throw new SingularMatrixError('solve64');
  return lu.solve(Matrix.columnVector(b as number[])).getColumn(0);
}

/** A^-1 for a general square A; throws SingularMatrixError */
export function inverse64(A: Mat64): Mat64 {
  const n = checkSquare('inverse64', A);
  const lu = new LuDecomposition(new Matrix(A));
  if (lu.isSingular()) throw new SingularMatrixError('inverse64');
  return lu.solve(Matrix.eye(n)).to2DArray();
}

/** C = A B */
export function matMul64(A: Mat64, B: Mat64): Mat64 {
  return new Matrix(A).mmul(new Matrix(B)).to2DArray();
}
