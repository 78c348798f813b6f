// Forward–backward on a discrete chain (Rabiner 1989, the scaled recursions), vectorised over
// sequences: one batched tfjs op sequence per step t, never a loop over sequences. This is the
// clique tree of a chain (cliques (z[t-1], z[t]), separators z[t]) calibrated in one pass each way.
//   α̂_0 = π ⊙ e_0 / c_0,   α̂_t = (α̂_{t-1} A_t) ⊙ e_t / c_t
//   β̂_{T-1} = 1,           β̂_{t-1} = A_t (e_t ⊙ β̂_t / c_t)
//   P(z_t = k | y) = α̂_t(k) β̂_t(k),   log p(y) = Σ_t log c_t + Σ_t m_t
//   E[#(j → k)] = Σ_t α̂_{t-1}(j) A_t(j, k) (e_t ⊙ β̂_t / c_t)(k)     (Baum–Welch's ξ)
// where e_t = exp(log e_t − m_t) with m_t the per-step maximum (no underflow). The identities hold
// for any positive scale factors c_t (α̂_t = α_t / Π_{s≤t} c_s, β̂_t = β_t / Π_{s>t} c_s), so the
// pass normalises lazily: c_t = Σ_k (…)_k every LAZY_STEPS steps and at the last, c_t = 1 between
// (Rabiner §V.A's scaling "need not be done at every t"). Between normalisations α̂ shrinks by
// the steps' row sums (each ≤ 1); the pass checks afterwards that every block normaliser stayed
// above MIN_BLOCK_NORMALISER and every element's marginals sum to 1, and is redone with c_t at
// every step (and an exact maximum) when not — so an adversarial chain (structural zeros in A,
// observations far from every reachable state) costs a second pass, never a wrong answer.
// A padded step (past a ragged sequence's end) has e = 1 and a stochastic transition, so its row
// sum is 1 and β̂ = 1 there: the padding changes neither the marginals nor the evidence (and is
// masked out of ξ).
//
// Only the recursions are per step (forward: 2 small ops, plus 2 at a normalised step; backward:
// 2); everything else is one batched op over all cells: the emissions' exponent, the marginals
// α̂ ⊙ β̂ (one concat each of α̂ and β̂), ξ (one batched product), log c. The log normalisers' sum
// is finished in float64.
import * as tf from '@tensorflow/tfjs';
import { expNonPositive } from '../../backend/expNonPositive.js';
import { backendThreads } from '../../backend/index.js';
import { sum64 } from '../../compile/evaluator.js';
import type { SequenceGrid } from '../../graph/chains.js';
import { prod } from '../../util/shape.js';

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
function slices(x: tf.Tensor, n = x.shape[0]!): tf.Tensor[] {
  const rest = n === x.shape[0] ? x.shape.slice(1) : [x.shape[0]! / n, ...x.shape.slice(1)];
  const size = prod(rest);
  const data = x.dataSync() as Float32Array;
  return Array.from({ length: n }, (_, i) =>
    tf.tensor(data.subarray(i * size, (i + 1) * size), rest),
  );
}

/**
 * Normalise α̂ every LAZY_STEPS steps (Rabiner's scaled recursions hold with any positive scale
 * factors; c_t = 1 at the other steps). A step's row sum is a matMul and a divide, the two ops
 * of the forward's four that the recursion does not need.
 */
const LAZY_STEPS = 4;
/**
 * The smallest block normaliser c (the product of a block's per-step row sums, each ≤ 1 since
 * the emissions are max-normalised and A is stochastic) the lazy pass accepts. Within a block
 * α̂ is the per-step-normalised α̂ times that product, so above this bound it keeps float32's
 * relative accuracy (normal numbers reach 1.2e-38) for every state with filtered probability
 * above 1e-18; below it the pass is redone with per-step scaling.
 */
const MIN_BLOCK_NORMALISER = 1e-20;
/**
 * The marginals of every element must sum to 1 within ROW_SUM_TOL + ROW_SUM_DRIFT × steps: float32
 * rounding drifts along the recursions (measured on bench/hmm, 200 steps: ≤ 3.2e-6, ~1.6e-8 a
 * step), so the bound is 6× that drift plus the marginals' own tolerance in the tests (1e-4).
 */
const ROW_SUM_TOL = 1e-4;
const ROW_SUM_DRIFT = 1e-7;

/**
 * Exact per-step marginals and log evidence of a discrete chain. The inputs are not disposed.
 * The fast pass (lazy scaling, the emissions' maximum by pairwise ops) is checked after it runs —
 * every block normaliser ≥ MIN_BLOCK_NORMALISER and finite, every element's marginals summing
 * to 1 — and redone with per-step scaling and an exact maximum when a check fails, so the
 * shortcut never changes an answer.
 */
export function forwardBackward(f: ChainFactors): ChainPosterior {
  return chainPass(f, true) ?? chainPass(f, false)!;
}

/**
 * One forward–backward pass; `lazy`: the fast form, undefined when its checks fail (exported for
 * the tests that force the fallback).
 */
export function chainPass(f: ChainFactors, lazy: boolean): ChainPosterior | undefined {
  const { grid } = f;
  const { nSeq, steps } = grid;
  const [K, B] = f.logEmission.shape;
  const cells = steps * nSeq;
  // equal-length sequences laid out sequence-major (element b = n * steps + t)
  let dense = B === cells;
  for (let n = 0, b = 0; n < nSeq && dense; n++)
    for (let t = 0; t < steps && dense; t++, b++) dense = grid.cellOf[b] === t * nSeq + n;
  // the grid's element of each cell, B for a padded cell (a row appended below), for the gathers
  // of ragged grids and per-element transitions; plain loops: typed-array `from` with a map
  // function costs ~50 ns an element in V8
  const gathered = !dense || !('shared' in f.transition);
  const index = new Int32Array(gathered ? cells : 0);
  let padded = false;
  for (let i = 0; i < index.length; i++) {
    const b = grid.cell[i]!;
    index[i] = b < 0 ? B : b;
    if (b < 0 && i >= nSeq) padded = true;
  }
  const firstCells = index.subarray(0, nSeq);
  const laterCells = index.subarray(nSeq);
  const every = lazy ? LAZY_STEPS : 1;
  const normalised = (t: number) => t % every === every - 1 || t === steps - 1;
  const out = tf.tidy(() => {
    // e = exp(log e − m) with m the maximum over states, per element in the [K, B] layout
    const { e: eKB, m } = maxNormalised(f.logEmission, lazy);
    // equal-length sequences laid out sequence-major are a transpose, not a gather; a padded
    // cell has e = 1
    const E = slices(
      dense
        ? tf.transpose(tf.reshape(eKB, [K, nSeq, steps]), [2, 1, 0])
        : rows(tf.concat([tf.transpose(eKB), tf.ones([1, K])]), index),
      steps,
    ) as tf.Tensor2D[];
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
    // repeated in every column, then a same-shape divide), and Aᵀ is transposed once. An
    // unbatched [n, K] × [K, K] product is XNNPACK's, on its thread pool, which at this size
    // costs more than it saves ([1000, 4] × [4, 4]: one thread ≈ 10 µs; two ≈ 30 µs on a quiet
    // machine, ≈ 270 µs when other processes hold the cores). With more than one thread the
    // product is batched instead, [2, n/2, K] × [2, K, K]: tfjs-wasm's batched loop, which runs
    // on the calling thread (≈ 25 µs on any thread count).
    const halves = backendThreads() > 1 && nSeq % 2 === 0;
    const times = (W: tf.Tensor2D): ((x: tf.Tensor2D) => tf.Tensor2D) => {
      if (!halves) return (x) => tf.matMul(x, W);
      const W2 = tf.stack([W, W]) as tf.Tensor3D;
      return (x) =>
        tf.reshape(tf.matMul(tf.reshape(x, [2, nSeq / 2, K]) as tf.Tensor3D, W2), [nSeq, K]);
    };
    const rowSum = times(tf.ones([K, K]));
    // c's first column [cells, 1] as a product: tfjs-wasm slices a column slowly (7 ms here)
    const firstColumn = tf.tensor2d(
      Float32Array.from({ length: K }, (_, k) => (k === 0 ? 1 : 0)),
      [K, 1],
    );
    const byA = shared && times(shared);
    const byAT = shared && times(tf.transpose(shared));
    const step = (t: number, a: tf.Tensor2D): tf.Tensor2D =>
      byA ? byA(a) : tf.reshape(tf.matMul(tf.expandDims(a, 1), perStep[t - 1]!), [nSeq, K]);
    const stepBack = (t: number, b: tf.Tensor2D): tf.Tensor2D =>
      byAT ? byAT(b) : tf.reshape(tf.matMul(perStep[t - 1]!, tf.expandDims(b, 2)), [nSeq, K]);
    // forward: α̂_t, and c_t (repeated over the K columns) at the normalised steps; e_t / c_t
    // there for the backward (c_t = 1 elsewhere)
    const alphas: tf.Tensor2D[] = [];
    const cs: tf.Tensor2D[] = [];
    const Ec: tf.Tensor2D[] = E.slice();
    for (let t = 0; t < steps; t++) {
      const pred = t === 0 ? (init as tf.Tensor2D) : step(t, alphas[t - 1]!);
      const a = tf.mul(pred, E[t]!) as tf.Tensor2D;
      if (!normalised(t)) {
        alphas.push(a);
        continue;
      }
      const c = rowSum(a);
      alphas.push(tf.div(a, c));
      cs.push(c);
      if (t > 0) Ec[t] = tf.div(E[t]!, c);
    }
    // backward: β̂ and eb = e ⊙ β̂ / c per step, in the forward's batched form: two ops a step
    const betas: tf.Tensor2D[] = new Array(steps);
    const ebs: tf.Tensor2D[] = new Array(steps);
    betas[steps - 1] = tf.ones([nSeq, K]);
    for (let t = steps - 1; t > 0; t--) {
      ebs[t] = tf.mul(Ec[t]!, betas[t]!);
      betas[t - 1] = stepBack(t, ebs[t]!);
    }
    const gammaSteps = tf.mul(tf.concat(alphas), tf.concat(betas)); // [cells, K]
    // Σ_k α̂_t(k) β̂_t(k) = 1 in every cell (padded ones too), for the lazy pass's check
    const rowSums = lazy ? tf.matMul(gammaSteps, tf.ones([K, 1])) : undefined;
    const gamma = dense
      ? tf.transpose(tf.reshape(gammaSteps, [steps, nSeq, K]), [1, 0, 2])
      : rows(gammaSteps, grid.cellOf);
    // log c at the normalised steps [nNorm · nSeq, 1]
    const logC = tf.log(tf.matMul(tf.concat(cs), firstColumn));
    const xi = f.transitions && steps > 1 ? expectedTransitions() : undefined;
    return { gamma, logC, m, ...(xi ? { xi } : {}), ...(rowSums ? { rowSums } : {}) };

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
    // log p(y) = Σ log c_t + Σ m_t (float64); the checks of the lazy pass on the way
    const logC = out.logC.dataSync();
    let logEvidence = sum64(out.m);
    const floor = Math.log(MIN_BLOCK_NORMALISER);
    for (let i = 0; i < logC.length; i++) {
      const l = logC[i]!;
      if (lazy && !(l >= floor && l < Infinity)) return undefined;
      logEvidence += l;
    }
    if (lazy && !Number.isFinite(logEvidence)) return undefined;
    // Σ_k P(z_b = k | y) = 1 for every element: a state whose filtered probability underflowed
    // while the future makes it likely would break it
    if (out.rowSums) {
      const tol = ROW_SUM_TOL + ROW_SUM_DRIFT * steps;
      const sums = out.rowSums.dataSync();
      for (let i = 0; i < sums.length; i++) if (!(Math.abs(sums[i]! - 1) <= tol)) return undefined;
    }
    const marginals = new Float64Array(out.gamma.dataSync());
    const transitions = new Float64Array(K * K);
    if (out.xi) {
      const d = out.xi.dataSync();
      for (let i = 0; i < d.length; i++) transitions[i % (K * K)] += d[i]!;
    }
    return { marginals, logEvidence, transitions };
  } finally {
    for (const t of Object.values(out)) t.dispose();
  }
}

/**
 * m = max_k log e(k, b) per element [1, B] and e = exp(log e − m) [K, B]. The fast form takes
 * the maximum pairwise as max(a, b) = b + relu(a − b) (tfjs-wasm, 4 × 200,000 entries: ≈ 0.3 ms;
 * tf.max over the state axis ≈ 2.4 ms, tf.maximum ≈ 1.6 ms a pair) — NaN when a −∞ meets a finite
 * entry (a structural zero), which the pass's checks then send to the exact form. exp of
 * non-positive arguments is backend/expNonPositive.ts (tf.exp is a scalar loop on wasm).
 */
function maxNormalised(logE: tf.Tensor2D, fast: boolean): { e: tf.Tensor2D; m: tf.Tensor2D } {
  const [K, B] = logE.shape;
  let m: tf.Tensor2D;
  if (fast) {
    m = tf.slice(logE, [0, 0], [1, B]);
    for (let k = 1; k < K; k++) {
      const row = tf.slice(logE, [k, 0], [1, B]);
      m = tf.add(tf.relu(tf.sub(row, m)), m);
    }
  } else m = tf.max(logE, 0, true);
  return { e: expNonPositive(tf.sub(logE, m)) as tf.Tensor2D, m };
}

/**
 * x's rows at `at` (tf.gather along axis 0): gatherND, ~10× faster on wasm (200,000 rows of 4:
 * tf.gather ≈ 21 ms).
 */
function rows(x: tf.Tensor, at: Int32Array): tf.Tensor {
  return tf.gatherND(x, tf.tensor2d(at, [at.length, 1], 'int32'));
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
