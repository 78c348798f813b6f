// Forward–backward on a discrete chain (Rabiner 1989, the scaled recursions), vectorised over
// sequences: one batched tfjs op sequence per step t, never a loop over sequences. This is the
// clique tree of a chain (cliques (z[t-1], z[t]), separators z[t]) calibrated in one pass each way.
//   α̂_0 = π ⊙ e_0 / c_0,   α̂_t = (α̂_{t-1} A_t) ⊙ e_t / c_t,   c_t = Σ_k (…)_k
//   β̂_{T-1} = 1,           β̂_t = A_{t+1} (e_{t+1} ⊙ β̂_{t+1}) / c_{t+1}
//   P(z_t = k | y) = α̂_t(k) β̂_t(k),   log p(y) = Σ_t log c_t + Σ_t m_t
// where e_t = exp(log e_t − m_t) with m_t the per-step maximum (no underflow), and the sums of the
// log normalisers are finished in float64 on the host. A padded step (past a ragged sequence's
// end) has e = 1 and an identity (or any stochastic) transition, so c = 1 and β̂ = 1 there: the
// padding changes neither the marginals nor the evidence.
import * as tf from '@tensorflow/tfjs';
import type { SequenceGrid } from '../../graph/chains.js';

export interface ChainFactors {
  /** log p(observations of step | z = k) per batch element: [B, K] */
  readonly logEmission: tf.Tensor2D;
  /**
   * per previous state j, the rows P(z = k | z_prev = j) of every batch element: [K, B, K]; at
   * step 0 every j gives the initial distribution
   */
  readonly transition:
    | tf.Tensor3D
    /** a homogeneous chain: the initial rows of every sequence [nSeq, K] and the one matrix A */
    | { readonly init: tf.Tensor2D; readonly shared: tf.Tensor2D };
  readonly grid: SequenceGrid;
  /** also sum the expected transition counts ξ (Baum–Welch's E-step); default false */
  readonly transitions?: boolean;
}

export interface ChainPosterior {
  /** P(z_b = k | data), [B, K] row-major, float32 products finished as float64 */
  readonly marginals: Float64Array;
  /** log p(data of the chain's emissions), float64 */
  readonly logEvidence: number;
  /** expected transition counts Σ_t ξ_t(j, k) over steps ≥ 1 and sequences, [K, K] (zeros unless asked) */
  readonly transitions: Float64Array;
}

/** Exact per-step marginals and log evidence of a discrete chain. The inputs are not disposed. */
export function forwardBackward(f: ChainFactors): ChainPosterior {
  const { grid } = f;
  const { nSeq, steps } = grid;
  const K = f.logEmission.shape[1];
  const B = f.logEmission.shape[0];
  const cells = steps * nSeq;
  // the grid's element of each cell, B for a padded cell (a row appended below)
  const index = Int32Array.from(grid.cell, (b) => (b < 0 ? B : b));
  const firstCells = index.subarray(0, nSeq);
  const laterCells = index.subarray(nSeq);
  const dense = grid.cellOf.every((c, b) => c === (b % steps) * nSeq + Math.floor(b / steps));
  const out = tf.tidy(() => {
    const idx = tf.tensor1d(laterCells, 'int32');
    // equal-length sequences laid out sequence-major are a transpose, not a gather
    const logE = dense
      ? tf.transpose(tf.reshape(f.logEmission, [nSeq, steps, K]), [1, 0, 2])
      : tf.reshape(
          tf.gather(tf.concat([f.logEmission, tf.zeros([1, K])]), tf.tensor1d(index, 'int32')),
          [steps, nSeq, K],
        );
    const m = tf.max(logE, 2, true);
    const E = tf.unstack(tf.exp(tf.sub(logE, m)));
    const given = 'shared' in f.transition ? f.transition : undefined;
    const full = given ? undefined : (f.transition as tf.Tensor3D);
    // the initial rows: any previous state (0) at step 0; a padded (empty) sequence: uniform
    const init =
      given?.init ??
      tf.gather(
        tf.concat([full!.gather(0), tf.fill([1, K], 1 / K)]),
        tf.tensor1d(firstCells, 'int32'),
      );
    // the transitions of steps ≥ 1: shared when every element has the same matrix
    const later =
      full && steps > 1
        ? tf.gather(tf.concat([full, tf.reshape(tf.eye(K), [K, 1, K])], 1), idx, 1) // [K, cells - nSeq, K]
        : undefined;
    const shared = given?.shared ?? (later && homogeneous(later, laterCells, B));
    const perStep =
      later && !shared
        ? tf.unstack(tf.reshape(tf.transpose(later, [1, 0, 2]), [steps - 1, nSeq, K, K]))
        : undefined;
    const step = (t: number, a: tf.Tensor2D): tf.Tensor2D =>
      shared
        ? tf.matMul(a, shared)
        : tf.reshape(tf.matMul(tf.expandDims(a, 1), perStep![t - 1]!), [nSeq, K]);
    const stepBack = (t: number, b: tf.Tensor2D): tf.Tensor2D =>
      shared
        ? tf.matMul(b, shared, false, true)
        : tf.reshape(tf.matMul(perStep![t - 1]!, tf.expandDims(b, 2)), [nSeq, K]);
    // forward
    const alphas: tf.Tensor2D[] = [];
    const cs: tf.Tensor2D[] = [];
    for (let t = 0; t < steps; t++) {
      const pred = t === 0 ? (init as tf.Tensor2D) : step(t, alphas[t - 1]!);
      const a = tf.mul(pred, E[t]!) as tf.Tensor2D;
      const c = tf.sum(a, 1, true) as tf.Tensor2D;
      alphas.push(tf.div(a, c));
      cs.push(c);
    }
    // backward, with the expected transition counts ξ_t(j,k) ∝ α̂_{t-1}(j) A(j,k) e_t(k) β̂_t(k) / c_t
    const gammas: tf.Tensor2D[] = new Array(steps);
    let beta = tf.ones([nSeq, K]) as tf.Tensor2D;
    let xi: tf.Tensor | undefined;
    for (let t = steps - 1; t >= 0; t--) {
      gammas[t] = tf.mul(alphas[t]!, beta) as tf.Tensor2D;
      if (t === 0) break;
      const eb = tf.div(tf.mul(E[t]!, beta), cs[t]!) as tf.Tensor2D;
      // shared A: Σ_n α̂_{t-1}(n, j) eb(n, k), times A(j, k) once at the end
      const outer = !f.transitions
        ? undefined
        : shared
          ? tf.matMul(alphas[t - 1]!, eb, true, false)
          : tf.sum(
              tf.mul(
                tf.mul(tf.expandDims(alphas[t - 1]!, 2), perStep![t - 1]!),
                tf.expandDims(eb, 1),
              ),
              0,
            );
      if (outer) xi = xi ? tf.add(xi, outer) : outer;
      beta = stepBack(t, eb);
    }
    const stacked = tf.stack(gammas); // [steps, nSeq, K]
    const gamma = dense
      ? tf.transpose(stacked, [1, 0, 2])
      : tf.gather(tf.reshape(stacked, [cells, K]), tf.tensor1d(grid.cellOf, 'int32'));
    return {
      gamma,
      c: tf.reshape(tf.stack(cs), [cells]),
      m: tf.reshape(m, [cells]),
      xi: !xi ? tf.zeros([K, K]) : shared ? tf.mul(xi, shared) : xi,
    };
  });
  try {
    const c = out.c.dataSync();
    const m = out.m.dataSync();
    let logEvidence = 0;
    for (let i = 0; i < cells; i++) logEvidence += Math.log(c[i]!) + m[i]!;
    return {
      marginals: Float64Array.from(out.gamma.dataSync()),
      logEvidence,
      transitions: Float64Array.from(out.xi.dataSync()),
    };
  } finally {
    for (const t of Object.values(out)) t.dispose();
  }
}

/** The one transition matrix [K, K] every later step uses, or undefined when they differ. */
function homogeneous(later: tf.Tensor, laterCells: Int32Array, B: number): tf.Tensor2D | undefined {
  const first = laterCells.findIndex((b) => b < B);
  if (first < 0) return undefined;
  const K = later.shape[0]!;
  const A = tf.reshape(tf.slice(later, [0, first, 0], [K, 1, K]), [K, K]) as tf.Tensor2D;
  // padded cells hold the identity: compare the real cells only
  const cells: number[] = [];
  laterCells.forEach((b, i) => {
    if (b < B) cells.push(i);
  });
  const real = tf.tensor1d(cells, 'int32');
  const diff = tf.max(tf.abs(tf.sub(tf.gather(later, real, 1), tf.expandDims(A, 1))));
  return diff.dataSync()[0] === 0 ? A : undefined;
}
