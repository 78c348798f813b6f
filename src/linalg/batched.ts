// Batched small-matrix linear algebra on float32 tfjs tensors [..., D, D]. tfjs-wasm has no
// cholesky, triangular solve or log-determinant; these loop over the D columns (or rows) in
// JavaScript and are vectorised over the batch, so the op count is O(D) whatever the batch size.
// Meant for the D <= ~100 of MvNormal, mixtures and regressions.
import * as tf from '@tensorflow/tfjs';

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

function checkSquare(name: string, a: tf.Tensor): number {
  const D = a.shape[a.rank - 1]!;
  if (a.rank < 2 || a.shape[a.rank - 2] !== D) {
    throw new Error(`${name}: expected a [..., D, D] matrix, got shape ${fmt(a.shape)}`);
  }
  return D;
}

/** [...batch, D, D] -> [B, D, D] with B the product of the batch axes. */
function flattenBatch(a: tf.Tensor, trailing: number): tf.Tensor3D {
  const lead = a.shape.slice(0, a.rank - trailing).reduce((x, y) => x * y, 1);
  return tf.reshape(a, [lead, ...a.shape.slice(a.rank - trailing)] as [
    number,
    number,
    number,
  ]) as tf.Tensor3D;
}

/**
 * Lower Cholesky factor L of symmetric positive-definite A (A = L L^T), batched over leading
 * axes (Cholesky–Crout: column j of L from A's column j minus L[:, :j] L[j, :j]^T). Only the
 * lower triangle of A is read. Where A is not positive definite the factor contains NaN (see
 * `isPositiveDefinite`).
 */
export function cholesky(A: tf.Tensor): tf.Tensor {
  const D = checkSquare('cholesky', A);
  // an empty batch (or D = 0): nothing to factor, and wasm kernels on zero-size slices can
  // corrupt memory (seen as a later "memory access out of bounds")
  if (A.size === 0) return tf.zeros(A.shape, 'float32');
  return tf.tidy(() => {
    const a = flattenBatch(A.dtype === 'float32' ? A : tf.cast(A, 'float32'), 2);
    const B = a.shape[0];
    const rowIdx = tf.range(0, D, 1, 'int32');
    const cols: tf.Tensor2D[] = [];
    for (let j = 0; j < D; j++) {
      let v = tf.reshape(tf.slice(a, [0, 0, j], [B, D, 1]), [B, D]) as tf.Tensor2D;
      if (j > 0) {
        const Lp = tf.stack(cols, 2) as tf.Tensor3D; // [B, D, j]
        const row = tf.slice(Lp, [0, j, 0], [B, 1, j]); // [B, 1, j]
        v = tf.sub(v, tf.reshape(tf.matMul(Lp, row, false, true), [B, D]));
      }
      const d = tf.sqrt(tf.slice(v, [0, j], [B, 1])); // [B, 1]
      const below = tf.greaterEqual(rowIdx, j); // rows >= j
      cols.push(tf.where(below, tf.div(v, d), tf.zerosLike(v)) as tf.Tensor2D);
    }
    return tf.reshape(tf.stack(cols, 2), A.shape);
  });
}

/** [...batch] booleans: false where the factor has a NaN or non-positive diagonal. */
export function isPositiveDefinite(L: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.all(tf.greater(diagPart(L), 0), -1));
}

/** the diagonal of [..., D, D] as [..., D] */
export function diagPart(A: tf.Tensor): tf.Tensor {
  const D = checkSquare('diagPart', A);
  return tf.tidy(() => {
    // a NaN off the diagonal must not leak into the diagonal: select, don't multiply
    const eye = tf.cast(tf.eye(D), 'bool');
    return tf.sum(tf.where(tf.broadcastTo(eye, A.shape), A, tf.zerosLike(A)), -1);
  });
}

export interface TriangularSolveOptions {
  /** L is lower triangular (default true); only that triangle is read */
  readonly lower?: boolean;
  /** solve L^T x = b instead of L x = b */
  readonly transpose?: boolean;
}

/**
 * Solve L x = b (or L^T x = b) for triangular L [..., D, D] and b [..., D, M] by forward or back
 * substitution over the D rows, vectorised over the batch and the M right-hand sides. The batch
 * axes of L and b broadcast.
 */
export function triangularSolve(
  L: tf.Tensor,
  b: tf.Tensor,
  options: TriangularSolveOptions = {},
): tf.Tensor {
  const D = checkSquare('triangularSolve', L);
  if (b.rank < 2 || b.shape[b.rank - 2] !== D) {
    throw new Error(
      `triangularSolve: b must be [..., ${D}, M] for L of shape ${fmt(L.shape)}, got ${fmt(b.shape)}`,
    );
  }
  const lower = options.lower ?? true;
  const transpose = options.transpose ?? false;
  return tf.tidy(() => {
    const M = b.shape[b.rank - 1]!;
    const lb = L.shape.slice(0, -2);
    const bb = b.shape.slice(0, -2);
    const batch = broadcastBatch(lb, bb, L.shape, b.shape);
    let T = flattenBatch(tf.broadcastTo(toF(L), [...batch, D, D]), 2);
    const rhs = flattenBatch(tf.broadcastTo(toF(b), [...batch, D, M]), 2);
    const B = T.shape[0];
    if (transpose) T = tf.transpose(T, [0, 2, 1]);
    const forward = lower !== transpose; // the effective matrix is lower triangular
    const rows: tf.Tensor[] = new Array(D);
    const order = forward ? [...Array(D).keys()] : [...Array(D).keys()].reverse();
    const done: number[] = [];
    for (const i of order) {
      let r = tf.slice(rhs, [0, i, 0], [B, 1, M]); // [B, 1, M]
      if (done.length > 0) {
        // solved rows so far, as [B, k, M], and the matching coefficients T[i, those]
        const lo = forward ? 0 : i + 1;
        const k = done.length;
        const X = tf.concat(forward ? rows.slice(0, i) : rows.slice(i + 1), 1); // [B, k, M]
        const coef = tf.slice(T, [0, i, lo], [B, 1, k]); // [B, 1, k]
        r = tf.sub(r, tf.matMul(coef, X));
      }
      const diag = tf.slice(T, [0, i, i], [B, 1, 1]);
      rows[i] = tf.div(r, diag);
      done.push(i);
    }
    return tf.reshape(tf.concat(rows, 1), [...batch, D, M]);
  });
}

function toF(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}

function broadcastBatch(
  a: number[],
  b: number[],
  sa: readonly number[],
  sb: readonly number[],
): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new Error(
        `triangularSolve: batch shapes of L ${fmt(sa)} and b ${fmt(sb)} do not broadcast`,
      );
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** A^-1 b for A = L L^T: two triangular solves. */
export function choleskySolve(L: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => triangularSolve(L, triangularSolve(L, b), { transpose: true }));
}

/** log det A = 2 sum log diag(L) for A = L L^T; shape [...batch]. */
export function choleskyLogDet(L: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(2, tf.sum(tf.log(diagPart(L)), -1)));
}

/** A^-1 = L^-T L^-1 for A = L L^T; shape of L. */
export function choleskyInverse(L: tf.Tensor): tf.Tensor {
  const D = checkSquare('choleskyInverse', L);
  return tf.tidy(() => {
    const Linv = triangularSolve(L, tf.eye(D));
    return tf.matMul(Linv, Linv, true, false);
  });
}

/** A x for A [..., D, D] and x [..., D] with broadcasting batch axes: [..., D]. */
export function matVec(A: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.squeeze(tf.matMul(A, tf.expandDims(x, -1)), [-1]));
}
