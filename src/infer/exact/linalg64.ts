// Float64 linear algebra for the closed-form Gaussian updates: many small symmetric
// positive-definite systems (one per plate element) or one system of up to a thousand
// dimensions. Row-major Float64Arrays; `count` blocks of n × n stored one after another.
// Cholesky–Banachiewicz, O(n^3 / 3) per block (Golub & Van Loan, Matrix Computations, §4.2).

/** The thrown error when a block is not positive definite (a degenerate model). */
export class NotPositiveDefinite extends Error {
  constructor(readonly block: number) {
    super(`a posterior precision matrix is not positive definite (block ${block})`);
    this.name = 'NotPositiveDefinite';
  }
}

/** Lower Cholesky factors of `count` SPD blocks (a new array; the upper triangles are 0). */
export function cholesky(a: Float64Array, n: number, count = 1): Float64Array {
  const out = new Float64Array(count * n * n);
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[o + i * n + j];
        for (let k = 0; k < j; k++) s -= out[o + i * n + k] * out[o + j * n + k];
        if (i === j) {
          if (!(s > 0)) throw new NotPositiveDefinite(b);
          out[o + i * n + i] = Math.sqrt(s);
        } else out[o + i * n + j] = s / out[o + j * n + j];
      }
    }
  }
  return out;
}

/** log|A| of each block from its Cholesky factor: 2 Σ log L_ii. */
export function logDetFromCholesky(l: Float64Array, n: number, count = 1): Float64Array {
  const out = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.log(l[b * n * n + i * n + i]);
    out[b] = 2 * s;
  }
  return out;
}

/** Solve A x = y per block given A's Cholesky factor (y: count × n). */
export function choleskySolve(
  l: Float64Array,
  y: Float64Array,
  n: number,
  count = 1,
): Float64Array {
  const x = new Float64Array(count * n);
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    const v = b * n;
    // forward: L z = y
    for (let i = 0; i < n; i++) {
      let s = y[v + i];
      for (let k = 0; k < i; k++) s -= l[o + i * n + k] * x[v + k];
      x[v + i] = s / l[o + i * n + i];
    }
    // backward: L^T x = z
    for (let i = n - 1; i >= 0; i--) {
      let s = x[v + i];
      for (let k = i + 1; k < n; k++) s -= l[o + k * n + i] * x[v + k];
      x[v + i] = s / l[o + i * n + i];
    }
  }
  return x;
}

/** A^-1 per block from A's Cholesky factor: (L^-1)^T L^-1. */
export function choleskyInverse(l: Float64Array, n: number, count = 1): Float64Array {
  const out = new Float64Array(count * n * n);
  const linv = new Float64Array(n * n);
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    linv.fill(0);
    // L^-1 by forward substitution, column by column
    for (let j = 0; j < n; j++) {
      linv[j * n + j] = 1 / l[o + j * n + j];
      for (let i = j + 1; i < n; i++) {
        let s = 0;
        for (let k = j; k < i; k++) s -= l[o + i * n + k] * linv[k * n + j];
        linv[i * n + j] = s / l[o + i * n + i];
      }
    }
    // (L^-1)^T L^-1, symmetric
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = i; k < n; k++) s += linv[k * n + i] * linv[k * n + j];
        out[o + i * n + j] = s;
        out[o + j * n + i] = s;
      }
    }
  }
  return out;
}

/** Symmetrise each block in place: (A + A^T) / 2 (sums computed in float32 drift apart). */
export function symmetrize(a: Float64Array, n: number, count = 1): Float64Array {
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
