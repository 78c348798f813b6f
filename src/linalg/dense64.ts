// Float64 linear algebra for the closed-form updates (conjugate Gaussian posteriors, M-steps):
// symmetric positive-definite systems, either many small ones (one per plate element) or one of
// up to a thousand dimensions. One Cholesky factorisation serves both forms:
//  - blocks: row-major Float64Arrays holding `count` blocks of n × n one after another
//    (`choleskyBlocks`, `solveBlocks`, …): no allocation per block, for the engines' hot loops;
//  - matrices: number[][] (`Cholesky64`, `solveSPD64`, …) for small one-off systems.
// Cholesky–Banachiewicz, O(n³/3) per block (Golub & Van Loan, Matrix Computations, §4.2).
// General (non-symmetric) solves and products go to ml-matrix (LU with partial pivoting).
import { EigenvalueDecomposition, LuDecomposition, Matrix } from 'ml-matrix';

export type Mat64 = number[][];

/** A matrix (or one block of a batch) that is not symmetric positive definite. */
export class NotPositiveDefiniteError extends Error {
  constructor(
    what: string,
    /** the failing block of a batch */
    readonly block?: number,
  ) {
    super(
      block === undefined
        ? `${what}: matrix is not symmetric positive definite`
        : `${what}: block ${block} is not symmetric positive definite`,
    );
    this.name = 'NotPositiveDefiniteError';
  }
}

export class SingularMatrixError extends Error {
  constructor(what: string) {
    super(`${what}: matrix is singular`);
    this.name = 'SingularMatrixError';
  }
}

// ------------------------------------------------------------------ blocks (Float64Array)

/**
 * Lower Cholesky factors L (A = L Lᵀ) of `count` SPD blocks: a new array whose upper triangles
 * are 0. Only the lower triangle of A is read. Throws NotPositiveDefiniteError naming `what`.
 */
export function choleskyBlocks(
  a: Float64Array,
  n: number,
  count = 1,
  what = 'cholesky',
): Float64Array {
  const out = new Float64Array(count * n * n);
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[o + i * n + j];
        for (let k = 0; k < j; k++) s -= out[o + i * n + k] * out[o + j * n + k];
        if (i === j) {
          if (!(s > 0)) throw new NotPositiveDefiniteError(what, b);
          out[o + i * n + i] = Math.sqrt(s);
        } else out[o + i * n + j] = s / out[o + j * n + j];
      }
    }
  }
  return out;
}

/** log|A| of each block from its Cholesky factor: 2 Σ log L_ii. */
export function logDetBlocks(l: Float64Array, n: number, count = 1): Float64Array {
  const out = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.log(l[b * n * n + i * n + i]);
    out[b] = 2 * s;
  }
  return out;
}

/** Solve A x = y per block given A's Cholesky factor (y: count × n): L z = y, then Lᵀ x = z. */
export function solveBlocks(l: Float64Array, y: Float64Array, n: number, count = 1): Float64Array {
  const x = new Float64Array(count * n);
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    const v = b * n;
    for (let i = 0; i < n; i++) {
      let s = y[v + i];
      for (let k = 0; k < i; k++) s -= l[o + i * n + k] * x[v + k];
      x[v + i] = s / l[o + i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[v + i];
      for (let k = i + 1; k < n; k++) s -= l[o + k * n + i] * x[v + k];
      x[v + i] = s / l[o + i * n + i];
    }
  }
  return x;
}

/** L⁻¹ per block of lower-triangular factors, by forward substitution column by column. */
export function lowerInverseBlocks(l: Float64Array, n: number, count = 1): Float64Array {
  const out = new Float64Array(count * n * n);
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    for (let j = 0; j < n; j++) {
      out[o + j * n + j] = 1 / l[o + j * n + j];
      for (let i = j + 1; i < n; i++) {
        let s = 0;
        for (let k = j; k < i; k++) s -= l[o + i * n + k] * out[o + k * n + j];
        out[o + i * n + j] = s / l[o + i * n + i];
      }
    }
  }
  return out;
}

/** A⁻¹ per block from A's Cholesky factor: (L⁻¹)ᵀ L⁻¹ (exactly symmetric). */
export function inverseBlocks(l: Float64Array, n: number, count = 1): Float64Array {
  const linv = lowerInverseBlocks(l, n, count);
  const out = new Float64Array(count * n * n);
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = i; k < n; k++) s += linv[o + k * n + i] * linv[o + k * n + j];
        out[o + i * n + j] = s;
        out[o + j * n + i] = s;
      }
    }
  }
  return out;
}

/** Symmetrise each block in place: (A + Aᵀ) / 2 (sums accumulated in float32 drift apart). */
export function symmetrizeBlocks(a: Float64Array, n: number, count = 1): Float64Array {
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const m = (a[o + i * n + j] + a[o + j * n + i]) / 2;
        a[o + i * n + j] = m;
        a[o + j * n + i] = m;
      }
    }
  }
  return a;
}

// ------------------------------------------------------------------ matrices (number[][])

function checkSquare(what: string, A: Mat64): number {
  const n = A.length;
  for (const row of A) {
    if (row.length !== n)
      throw new Error(`${what}: expected a square matrix, got ${n} rows of length ${row.length}`);
  }
  return n;
}

/**
 * (A + Aᵀ)/2, row-major, after checking that A is finite and symmetric to a relative tolerance
 * (accumulated covariance matrices are symmetric only up to rounding).
 */
function symmetricFlat(what: string, A: Mat64, tol = 1e-8): Float64Array {
  const n = checkSquare(what, A);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = A[i]![j]!;
      const b = A[j]![i]!;
      if (!Number.isFinite(a)) throw new Error(`${what}: entry [${i}][${j}] is ${a}`);
      if (Math.abs(a - b) > tol * Math.max(1, Math.abs(a), Math.abs(b))) {
        throw new Error(
          `${what}: matrix is not symmetric ([${i}][${j}] = ${a} but [${j}][${i}] = ${b})`,
        );
      }
      out[i * n + j] = 0.5 * (a + b);
    }
  }
  return out;
}

function toMat(flat: Float64Array, rows: number, cols: number): Mat64 {
  return Array.from({ length: rows }, (_, i) =>
    Array.from(flat.subarray(i * cols, (i + 1) * cols)),
  );
}

/** A Cholesky factorisation A = L Lᵀ, reusable for solves, the inverse and the log-determinant. */
export class Cholesky64 {
  readonly n: number;
  /** row-major lower factor */
  private readonly l: Float64Array;

  constructor(A: Mat64, what = 'cholesky') {
    const S = symmetricFlat(what, A);
    this.n = A.length;
    try {
      this.l = choleskyBlocks(S, this.n, 1, what);
    } catch (e) {
      // one matrix: the block number says nothing
      if (e instanceof NotPositiveDefiniteError) throw new NotPositiveDefiniteError(what);
      throw e;
    }
  }

  /** the lower factor L */
  get L(): Mat64 {
    return toMat(this.l, this.n, this.n);
  }

  /** A⁻¹ b for a vector b */
  solve(b: readonly number[]): number[] {
    if (b.length !== this.n) throw new Error(`solve: b has length ${b.length}, expected ${this.n}`);
    return Array.from(solveBlocks(this.l, Float64Array.from(b), this.n));
  }

  /** A⁻¹ B for a matrix B (n × m), column by column */
  solveMatrix(B: Mat64): Mat64 {
    if (B.length !== this.n)
      throw new Error(`solveMatrix: B has ${B.length} rows, expected ${this.n}`);
    const m = B[0]?.length ?? 0;
    const out: Mat64 = Array.from({ length: this.n }, () => new Array<number>(m));
    for (let j = 0; j < m; j++) {
      const x = solveBlocks(
        this.l,
        Float64Array.from(B, (r) => r[j]!),
        this.n,
      );
      for (let i = 0; i < this.n; i++) out[i]![j] = x[i];
    }
    return out;
  }

  inverse(): Mat64 {
    return toMat(inverseBlocks(this.l, this.n), this.n, this.n);
  }

  /** log det A = 2 Σ log L_ii */
  logDet(): number {
    return logDetBlocks(this.l, this.n)[0];
  }
}

/** lower Cholesky factor of symmetric positive-definite A; throws NotPositiveDefiniteError */
export function cholesky64(A: Mat64): Mat64 {
  return new Cholesky64(A, 'cholesky64').L;
}

/** A⁻¹ b for symmetric positive-definite A */
export function solveSPD64(A: Mat64, b: readonly number[]): number[] {
  return new Cholesky64(A, 'solveSPD64').solve(b);
}

/** A⁻¹ for symmetric positive-definite A */
export function inverseSPD64(A: Mat64): Mat64 {
  return new Cholesky64(A, 'inverseSPD64').inverse();
}

/** log det A for symmetric positive-definite A */
export function logDetSPD64(A: Mat64): number {
  return new Cholesky64(A, 'logDetSPD64').logDet();
}

/** A⁻¹ b for a general square A (LU with partial pivoting); throws SingularMatrixError */
export function solve64(A: Mat64, b: readonly number[]): number[] {
  const n = checkSquare('solve64', A);
  if (b.length !== n) throw new Error(`solve64: b has length ${b.length}, expected ${n}`);
  const lu = new LuDecomposition(new Matrix(A));
  if (lu.isSingular()) throw new SingularMatrixError('solve64');
  return lu.solve(Matrix.columnVector(b as number[])).getColumn(0);
}

/** A⁻¹ for a general square A; throws SingularMatrixError */
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

/**
 * Eigen-decomposition of a symmetric n × n matrix (row-major; only symmetry up to rounding is
 * assumed): eigenvalues in decreasing order and the matching unit eigenvectors as the columns of
 * `vectors` (row-major n × n). Householder tridiagonalisation and the QL method (ml-matrix's
 * EigenvalueDecomposition, from JAMA; Golub & Van Loan §8.3). For principal components.
 */
export function symmetricEigen64(
  a: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) m.set(i, j, (a[i * n + j] + a[j * n + i]) / 2);
  const e = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const raw = e.realEigenvalues;
  const V = e.eigenvectorMatrix;
  const order = raw.map((_, i) => i).sort((x, y) => raw[y] - raw[x]);
  const values = Float64Array.from(order, (i) => raw[i]);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) vectors[i * n + k] = V.get(i, order[k]);
  return { values, vectors };
}
