// Forward–backward on a discrete chain (Rabiner 1989, the scaled recursions), vectorised over
// sequences: one batched tfjs op sequence per step t, never a loop over sequences. This is the
// clique tree of a chain (cliques (z[t-1], z[t]), separators z[t]) calibrated in one pass each way.
//   α̂_0 = π ⊙ e_0 / c_0,   α̂_t = (α̂_{t-1} A_t) ⊙ e_t / c_t,   c_t = Σ_k (…)_k
//   β̂_{T-1} = 1,           β̂_{t-1} = A_t (e_t ⊙ β̂_t / c_t)
//   P(z_t = k | y) = α̂_t(k) β̂_t(k),   log p(y) = Σ_t log c_t + Σ_t m_t
//   E[#(j → k)] = Σ_t α̂_{t-1}(j) A_t(j, k) (e_t ⊙ β̂_t / c_t)(k)     (Baum–Welch's ξ)
// where e_t = exp(log e_t − m_t) with m_t the per-step maximum (no underflow). A padded step (past
// a ragged sequence's end) has e = 1 and a stochastic transition, so c = 1 and β̂ = 1 there: the
// padding changes neither the marginals nor the evidence (and is masked out of ξ).
//
// Only the recursions are per step (4 small ops forward, 3 backward); everything else is one
// batched op over all cells: the emissions' exponent, the marginals α̂ ⊙ β̂ (one concat each of α̂
// and β̂), ξ (one batched product), log c. The log normalisers' sum is finished in float64.
import * as tf from '@tensorflow/tfjs';
import { sum64 } from '../../compile/evaluator.js';
import type { SequenceGrid } from '../../graph/chains.js';

export interface ChainFactors {
  /** log p(observations of step | z = k) per state and batch element: [K, B] */
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
  /**
   * expected transition counts Σ_t ξ_t(j, k) over steps ≥ 1 and sequences, [K, K]: float32 sums
   * within a step, finished over steps in float64 (zeros unless asked)
   */
  readonly transitions: Float64Array;
}

/**
 * The leading slices of `x` as separate tensors. tfjs-wasm's unstack and split copy slowly
 * (200 slices of [1000, 4]: unstack ≈ 480 ms, split ≈ 40 ms, measured on 2 cores); one download
 * and one upload per slice costs ≈ 3 ms. Call inside tf.tidy.
 */
function slices(x: tf.Tensor): tf.Tensor[] {
  const [n, ...rest] = x.shape;
  const size = rest.reduce((a, b) => a * b, 1);
  const data = x.dataSync() as Float32Array;
  return Array.from({ length: n! }, (_, i) =>
    tf.tensor(data.subarray(i * size, (i + 1) * size), rest),
  );
}

/** Exact per-step marginals and log evidence of a discrete chain. The inputs are not disposed. */
export function forwardBackward(f: ChainFactors): ChainPosterior {
  const { grid } = f;
  const { nSeq, steps } = grid;
  const [K, B] = f.logEmission.shape;
  const cells = steps * nSeq;
  // the grid's element of each cell, B for a padded cell (a row appended below); plain loops:
  // typed-array `from` with a map function costs ~50 ns an element in V8
  const index = new Int32Array(cells);
  let padded = false;
  for (let i = 0; i < cells; i++) {
    const b = grid.cell[i]!;
    index[i] = b < 0 ? B : b;
    if (b < 0 && i >= nSeq) padded = true;
  }
  const firstCells = index.subarray(0, nSeq);
  const laterCells = index.subarray(nSeq);
  // equal-length sequences laid out sequence-major (element b = n * steps + t)
  let dense = true;
  for (let b = 0; b < B && dense; b++) {
    const n = Math.floor(b / steps);
    dense = grid.cellOf[b] === (b - n * steps) * nSeq + n;
  }
  const out = tf.tidy(() => {
    // equal-length sequences laid out sequence-major are a transpose, not a gather
    const logE = dense
      ? tf.transpose(tf.reshape(f.logEmission, [K, nSeq, steps]), [2, 1, 0])
      : tf.reshape(
          tf.gather(
            tf.concat([tf.transpose(f.logEmission), tf.zeros([1, K])]),
            tf.tensor1d(index, 'int32'),
          ),
          [steps, nSeq, K],
        );
    const m = tf.max(logE, 2, true);
    const E = slices(tf.exp(tf.sub(logE, m))) as tf.Tensor2D[];
    const given = 'shared' in f.transition ? f.transition : undefined;
    const full = given ? undefined : (f.transition as tf.Tensor3D);
    // the initial rows: any previous state (0) at step 0; a padded (empty) sequence: uniform
    const init =
      given?.init ??
      tf.gather(
        tf.concat([full!.gather(0), tf.fill([1, K], 1 / K)]),
        tf.tensor1d(firstCells, 'int32'),
      );
    // the transitions of steps ≥ 1 per cell [cells - nSeq, K, K]: shared when every element has
    // the same matrix (padded cells hold the identity)
    const later =
      full && steps > 1
        ? tf.transpose(
            tf.gather(
              tf.concat([full, tf.reshape(tf.eye(K), [K, 1, K])], 1),
              tf.tensor1d(laterCells, 'int32'),
              1,
            ),
            [1, 0, 2],
          )
        : undefined;
    const shared = given?.shared ?? (later && homogeneous(later, laterCells, B));
    const perStep =
      later && !shared ? (slices(tf.reshape(later, [steps - 1, nSeq, K, K])) as tf.Tensor3D[]) : [];
    // tfjs-wasm's per-op costs decide the form of a step (measured, [1000, 4] operands):
    // broadcasting [n, K] by [n, 1] costs ~5× a same-shape op, and a matMul with a transposed
    // operand ~4× a plain one. So a row sum is a product with the all-ones K × K matrix (the sum
    // repeated in every column, then a same-shape divide), and Aᵀ is transposed once.
    const ones = tf.ones([K, K]);
    // c's first column [cells, 1] as a product: tfjs-wasm slices a column slowly (7 ms here)
    const firstColumn = tf.tensor2d(
      Float32Array.from({ length: K }, (_, k) => (k === 0 ? 1 : 0)),
      [K, 1],
    );
    const sharedT = shared && tf.transpose(shared);
    const step = (t: number, a: tf.Tensor2D): tf.Tensor2D =>
      shared
        ? tf.matMul(a, shared)
        : tf.reshape(tf.matMul(tf.expandDims(a, 1), perStep[t - 1]!), [nSeq, K]);
    const stepBack = (t: number, b: tf.Tensor2D): tf.Tensor2D =>
      sharedT
        ? tf.matMul(b, sharedT)
        : tf.reshape(tf.matMul(perStep[t - 1]!, tf.expandDims(b, 2)), [nSeq, K]);
    // forward: α̂_t and c_t (repeated over the K columns)
    const alphas: tf.Tensor2D[] = [];
    const cs: tf.Tensor2D[] = [];
    for (let t = 0; t < steps; t++) {
      const pred = t === 0 ? (init as tf.Tensor2D) : step(t, alphas[t - 1]!);
      const a = tf.mul(pred, E[t]!) as tf.Tensor2D;
      const c = tf.matMul(a, ones) as tf.Tensor2D;
      alphas.push(tf.div(a, c));
      cs.push(c);
    }
    // backward: β̂ and eb = e ⊙ β̂ / c per step, in the forward's batched form; e / c for every
    // step is one op before the loop, so a step is two ops
    const cAll = tf.concat(cs); // [cells, K], the columns equal
    const Ec =
      steps > 1
        ? slices(tf.reshape(tf.div(tf.concat(E.slice(1)), cAll.slice(nSeq)), [steps - 1, nSeq, K]))
        : [];
    const betas: tf.Tensor2D[] = new Array(steps);
    const ebs: tf.Tensor2D[] = new Array(steps);
    betas[steps - 1] = tf.ones([nSeq, K]);
    for (let t = steps - 1; t > 0; t--) {
      ebs[t] = tf.mul(Ec[t - 1]!, betas[t]!);
      betas[t - 1] = stepBack(t, ebs[t]!);
    }
    const gammaSteps = tf.mul(tf.concat(alphas), tf.concat(betas)); // [cells, K]
    const gamma = dense
      ? tf.transpose(tf.reshape(gammaSteps, [steps, nSeq, K]), [1, 0, 2])
      : tf.gather(gammaSteps, tf.tensor1d(grid.cellOf, 'int32'));
    const logC = tf.add(tf.log(tf.matMul(cAll, firstColumn)), tf.reshape(m, [cells, 1]));
    const xi = f.transitions && steps > 1 ? expectedTransitions() : undefined;
    return { gamma, logC, ...(xi ? { xi } : {}) };

    /** Σ over sequences per step [steps - 1, K, K] of ξ_t (padded cells masked out) */
    function expectedTransitions(): tf.Tensor {
      let eb = tf.concat(ebs.slice(1)); // [cells - nSeq, K]
      if (padded) {
        const real = Float32Array.from(laterCells, (b) => (b < B ? 1 : 0));
        eb = tf.mul(eb, tf.tensor2d(real, [cells - nSeq, 1]));
      }
      const prev = tf.concat(alphas.slice(0, steps - 1));
      if (shared) {
        // Σ_n α̂_{t-1}(n, j) eb_t(n, k) per step, times A(j, k)
        const outer = tf.matMul(
          tf.reshape(prev, [steps - 1, nSeq, K]),
          tf.reshape(eb, [steps - 1, nSeq, K]),
          true,
          false,
        );
        return tf.mul(outer, shared);
      }
      const terms = tf.mul(tf.mul(tf.expandDims(prev, 2), later!), tf.expandDims(eb, 1));
      return tf.sum(tf.reshape(terms, [steps - 1, nSeq, K, K]), 1);
    }
  });
  try {
    const transitions = new Float64Array(K * K);
    if (out.xi) {
      const d = out.xi.dataSync();
      for (let i = 0; i < d.length; i++) transitions[i % (K * K)] += d[i]!;
    }
    const marginals = new Float64Array(out.gamma.dataSync());
    const logEvidence = sum64(out.logC);
    return { marginals, logEvidence, transitions };
  } finally {
    for (const t of Object.values(out)) t.dispose();
  }
}

/** The one transition matrix [K, K] every later step uses, or undefined when they differ. */
function homogeneous(later: tf.Tensor, laterCells: Int32Array, B: number): tf.Tensor2D | undefined {
  const first = laterCells.findIndex((b) => b < B);
  if (first < 0) return undefined;
  const K = later.shape[1]!;
  const A = tf.reshape(tf.slice(later, [first, 0, 0], [1, K, K]), [K, K]) as tf.Tensor2D;
  // padded cells hold the identity: compare the real cells only
  const cells: number[] = [];
  laterCells.forEach((b, i) => {
    if (b < B) cells.push(i);
  });
  const real = tf.tensor1d(cells, 'int32');
  const diff = tf.max(tf.abs(tf.sub(tf.gather(later, real), tf.expandDims(A, 0))));
  return diff.dataSync()[0] === 0 ? A : undefined;
}
