// The first two moments of N rows of P values, for closed forms that see the data only through
// them (maximum-likelihood factor analysis and probabilistic PCA: every EM iterate depends on
// the data only through x̄ and S; Ghahramani & Hinton 1996, Bishop PRML §12.2.4):
//   x̄ = Σ_i x_i / N,   S = Σ_i (x_i − x̄)(x_i − x̄)ᵀ / N.
// Each block of rows is one float32 tfjs matMul, the block sums finished in float64 (as
// discrete/estep.ts expectedStats and accumulate.ts productByRowBlocks do): a float32 sum runs
// over one block's rows, never over all N — and the blocks are small (rowsPerBlock says why). The rows are centred on a float32 shift c
// (x̄ rounded) before the product, so S does not come from Σ x xᵀ − N x̄ x̄ᵀ, which cancels when
// the mean is large beside the spread; with d = Σ_i (x_i − c),
//   x̄ = c + d / N,   S = Σ_i (x_i − c)(x_i − c)ᵀ / N − (d / N)(d / N)ᵀ.
import * as tf from '@tensorflow/tfjs';

/**
 * Rows per block: max(64, P), at most 4096. The wasm matMul accumulates each entry of a block's
 * product in float32 along the rows, with an error that grows with their number: on the 20,000
 * × 50 factor-analysis benchmark set, max |ΔS| against a float64 sum was 8e-6 with blocks of
 * 4096 rows, 2e-6 with 1024, 6e-7 with 256 and 1.2e-7 with 64 — and only 64 reproduces the
 * float64 EM trajectory's average log-likelihood to 1e-6 (4e-6 with 256, 5e-5 with 4096). The
 * blocks' float64 finishing costs P² additions each, beside the block's P² · rows products: rows
 * ≥ P keeps it small when P is large.
 */
function rowsPerBlock(P: number): number {
  return Math.min(4096, Math.max(64, P));
}

/** x̄ [P] and S [P × P] (row-major, divided by N) of the N rows of x [N × P] (row-major). */
export function centredMoments(
  x: Float32Array,
  N: number,
  P: number,
): { mean: Float64Array; scatter: Float64Array } {
  if (x.length !== N * P) throw new Error(`centredMoments: ${x.length} values, not ${N} × ${P}`);
  const mean = new Float64Array(P);
  const scatter = new Float64Array(P * P);
  if (N === 0) return { mean, scatter };
  const rows = rowsPerBlock(P);
  const blocks: tf.Tensor2D[] = [];
  const kept: tf.Tensor[] = [];
  try {
    // pass 1: the column sums of each block (the blocks stay uploaded for pass 2)
    for (let r0 = 0; r0 < N; r0 += rows) {
      const n = Math.min(rows, N - r0);
      const b = tf.tensor2d(x.subarray(r0 * P, (r0 + n) * P), [n, P]);
      blocks.push(b);
      kept.push(tf.sum(b, 0));
    }
    const sum = new Float64Array(P);
    for (const s of kept) {
      const d = s.dataSync();
      for (let j = 0; j < P; j++) sum[j] += d[j];
      s.dispose();
    }
    kept.length = 0;
    const c = Float32Array.from(sum, (s) => s / N);
    // pass 2: Σ (x − c)(x − c)ᵀ and Σ (x − c) per block
    const shift = tf.tensor1d(c);
    kept.push(shift);
    const products: [tf.Tensor, tf.Tensor][] = [];
    for (const b of blocks)
      products.push(
        tf.tidy(() => {
          const xc = tf.sub(b, shift);
          // XᵀX as transpose + matMul: the wasm kernel is several times slower with transposeA
          return [tf.matMul(tf.transpose(xc), xc), tf.sum(xc, 0)] as [tf.Tensor, tf.Tensor];
        }),
      );
    for (const [xx, s] of products) kept.push(xx, s);
    const d = new Float64Array(P);
    for (const [xx, s] of products) {
      const a = xx.dataSync();
      for (let i = 0; i < P * P; i++) scatter[i] += a[i];
      const v = s.dataSync();
      for (let j = 0; j < P; j++) d[j] += v[j];
    }
    for (let j = 0; j < P; j++) mean[j] = c[j] + d[j] / N;
    for (let i = 0; i < P; i++)
      for (let j = 0; j <= i; j++) {
        // symmetric by construction; average the two float32 halves
        const v = (scatter[i * P + j] + scatter[j * P + i]) / (2 * N) - (d[i] / N) * (d[j] / N);
        scatter[i * P + j] = v;
        scatter[j * P + i] = v;
      }
    return { mean, scatter };
  } finally {
    for (const t of blocks) t.dispose();
    for (const t of kept) if (!t.isDisposed) t.dispose();
  }
}

/**
 * y_i = B (x_i − c) for the N rows of x [N × P]: B is [K × P], c [P]; the result [N × K]
 * (float64 from one float32 matMul: for reporting, not for sums).
 */
export function projectRows(
  x: Float32Array,
  N: number,
  P: number,
  c: Float64Array,
  B: Float64Array,
  K: number,
): Float64Array {
  if (N === 0 || K === 0) return new Float64Array(N * K);
  const bt = new Float32Array(P * K);
  for (let k = 0; k < K; k++) for (let j = 0; j < P; j++) bt[j * K + k] = B[k * P + j];
  const y = tf.tidy(() =>
    tf.matMul(
      tf.sub(tf.tensor2d(x, [N, P]), tf.tensor1d(Float32Array.from(c))),
      tf.tensor2d(bt, [P, K]),
    ),
  );
  try {
    return new Float64Array(y.dataSync());
  } finally {
    y.dispose();
  }
}
