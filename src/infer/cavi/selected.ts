// A mixture-selected child evaluated per component, not per data row (cavi's fast path for
// `x[i, j] ~ Normal(mu[z[i], j], 1 / sqrt(tau[z[i], j]))`, a Beta–Bernoulli mixture, …).
//
// When every argument of the child reads the same latent elements, coefficients and known
// values for all elements m of the selector z (they depend on z's state s and on the column j of
// the child's row inside element m only: the reference `mu[z[i], j]`, not `mu[z[i], g[i]]`),
// everything the term contributes is a function of the weighted statistics of the data:
//
//   - the message of a conjugate-exponential child is affine in the child's sufficient
//     statistics T(x) (distribution.ts: η_msg and rest are linear in E[T(x)]), so with
//     η_msg(T) = η₀ + Σ_p T_p (η_p − η₀) / t_p (η_p: the message at T = t_p e_p, t_p the
//     largest |T_p| of the data, η₀ at T = 0), the update's sum over rows is, per state s and
//     column j,
//       Σ_m q(z_m = s) η_msg(T(x_mj)) = N_s η₀ + Σ_p (Σ_m q_ms T_p(x_mj)) (η_p − η₀) / t_p,
//     N_s = Σ_m q_ms: one matmul qᵀ [1, T(X)] ([S, M] × [M, 1 + J·P]), in blocks of rows whose
//     partial sums are added in float64 (the same sum for every parent of the child);
//   - the per-state log-likelihood the selector's update needs is affine in T(x) too:
//       ℓ[m, s] = Σ_j (c_sj + Σ_p T_p(x_mj) G_sjp) + Σ_j log h(x_mj),
//     c = E[log p | T = 0] − log h, G_p = (E[log p | T = t_p e_p] − log h − c) / t_p, at the S × J
//     (state, column) pairs from the parents' expected statistics: one matmul T(X) Gᵀ.
//
// Winn & Bishop's messages are unchanged (the child family's messageToParent, fed the basis
// vectors as the child's moments); only the sum over rows is reordered. Whether a term qualifies
// is decided from its layout (ExprEvaluator.inSubLayout: a value that does not vary along the
// selector's plate axes keeps size 1 there), not from the model's name or shape.
import * as tf from '@tensorflow/tfjs';
import type { Env, ExprEvaluator } from '../../compile/evaluator.js';
import type { ExpFamily } from '../../distributions/distribution.js';
import { expFamilyOf } from '../../distributions/expfamily.js';
import { PARAM_EVENT_RANK } from '../../distributions/shapes.js';
import type { StochasticNode } from '../../graph/ir.js';
import type { Expr } from '../../lang/ast.js';
import { prod } from '../../util/shape.js';
import type { CaviTerm, ParentUse } from './plan.js';
import type { ContinuousQ, DiscreteQ, Q } from './state.js';

/** rows per block of the float64-finished weighted sums */
const BLOCK = 4096;
/** at most this many statistics per selector element (J · P): wider children go row by row */
const MAX_WIDTH = 1024;

export interface UseRt {
  readonly use: ParentUse;
  /** the latent element each (state, row) reads: int32 [S · rows] */
  readonly seg: tf.Tensor;
  /** c of a scaled or precision role: [S, rows] */
  readonly coef?: tf.Tensor;
  /** log c, when c is not 1 everywhere (else the co-moments are the gathered ones) */
  readonly logCoef?: tf.Tensor;
}

export interface Aggregated {
  /** elements of the selector (rows of its q) */
  readonly M: number;
  /** the child's rows per selector element (the columns j) */
  readonly J: number;
  /** entries of T(x) per row, its blocks concatenated */
  readonly P: number;
  readonly uses: UseRt[];
  /** the element each (state, column) reads, per use, on the host */
  readonly segHost: Map<UseRt, Int32Array>;
  /** the known scalar arguments per (state, column): [S, J] */
  readonly values: Record<string, tf.Tensor>;
  readonly ef: ExpFamily;
  /** the child's statistics as its moments: T = 0, then t_jp e_p, blocks [S, J, …] */
  readonly basis: tf.Tensor[][];
  /** the steps t_jp ((j, p) order), on the host and as a tensor [1, J, P] */
  readonly step: Float64Array;
  readonly steps: tf.Tensor;
  /**
   * [T(x), 1, Σ_j log h(x_mj)] per selector element: [M, J · P + 2] ((j, p) order), so that ℓ is
   * one matmul with [Gᵀ; Σ_j c; 1]
   */
  readonly L: tf.Tensor;
  /** Σ_m |L[m, w]| per column (float64): the magnitude of ℓ's pieces is Σ_w absCol[w] · max_s |G_ws| */
  readonly absCol: Float64Array;
  /**
   * L in blocks of ≤ BLOCK rows ([rows, J · P + 2]), and the first row of each: the weighted
   * statistics are one 2-D matmul per block (q_bᵀ L_b), summed in float64
   */
  readonly blocks: tf.Tensor[];
  readonly starts: number[];
  /** the weighted sums Lᵀ q (float64, [J · P + 2, S]) of the q they were computed at */
  last?: { q: tf.Tensor; sums: Float64Array };
}

/**
 * The per-component form of an observed child selected by the discrete latent of `wq`, or
 * undefined when the term does not qualify (its arguments vary along the selector's plates,
 * its layout does not start with them, a one-hot child already has its own fast path, …).
 */
export function selectedChild(
  term: CaviTerm,
  node: StochasticNode,
  ev: ExprEvaluator,
  qs: ReadonlyMap<string, Q>,
  wq: DiscreteQ,
  rowEvent: readonly number[],
): Aggregated | undefined {
  const model = ev.model;
  const batch = model.shapes[term.node].batch;
  const F = wq.F;
  const k = F.length;
  const S = wq.S;
  const M = wq.M;
  if (k === 0 || batch.length < k || F.some((d, i) => batch[i] !== d)) return undefined;
  if (node.distribution === 'Binomial' || node.distribution === 'Multinomial') return undefined; // log h reads n per row
  const first = qs.get(term.uses[0].latent) as ContinuousQ;
  const K = first.K > 1 ? first.K : undefined;
  const E = prod(rowEvent);
  // LDA's one-hot words keep their gather path (terms.ts oneHotAt)
  if (node.distribution === 'Categorical' && E === 1 && K !== undefined) return undefined;
  const J = prod(batch.slice(k)) * E;
  const sub = [...F.map(() => 1), ...batch.slice(k)];
  const made: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    made.push(t);
    return t;
  };
  const fail = () => {
    tf.dispose(made);
    return undefined;
  };
  const z = wq.name;
  try {
    // element m of the selector is the first k plate axes of the child: z[i] read at (i, …)
    const ids = tf.tidy(() => {
      const v = ev.inSubLayout(
        term.selector!.ref,
        term.node,
        { [z]: tf.reshape(tf.range(0, M, 1, 'float32'), [1, ...F]) },
        [...F, ...batch.slice(k).map(() => 1)],
        [],
      );
      return v ? tf.reshape(v, [-1]) : undefined;
    });
    if (!ids) return fail();
    const at = ids.dataSync();
    ids.dispose();
    if (at.length !== M || !at.every((e, i) => e === i)) return fail();
    const states = keep(
      tf.tidy(() => tf.reshape(tf.range(0, S, 1, 'float32'), [S, ...F.map(() => 1)])),
    );
    const toSJ = (t: tf.Tensor) => tf.reshape(tf.mul(t, tf.ones([S, ...t.shape.slice(1)])), [S, J]);
    const parts = usesInSubLayout(term, node, qs, { [z]: states }, rowEvent, (e, env, shape) => {
      const v = ev.inSubLayout(e, term.node, env, sub, shape);
      return v ? toSJ(v) : undefined;
    });
    if (!parts) return fail();
    const { uses, segHost, values } = parts;
    for (const r of uses) keep(r.seg);
    for (const r of uses) if (r.coef) keep(r.coef);
    for (const r of uses) if (r.logCoef) keep(r.logCoef);
    for (const v of Object.values(values)) keep(v);
    const ef = expFamilyOf(node.distribution, { K }) as ExpFamily;
    if (!ef.messageToParent) return fail();
    const childEvent = model.shapes[term.node].event.slice(rowEvent.length);
    const stats = tf.tidy(() => {
      const x = tf.reshape(ev.observed(term.node), [M * J, ...childEvent]);
      const T = ef.sufficientStats(x);
      const widths = T.map((b) => b.shape.slice(1));
      // T(x)ᵀ [J · P, M] ((j, p) order): the blocks transposed to [J, w, M] and joined along
      // the statistics' axis (J row copies, not M)
      const flat = T.map((b) => tf.transpose(tf.reshape(b, [M, J, -1]), [1, 2, 0]));
      const X = tf.reshape(flat.length === 1 ? flat[0] : tf.concat(flat, 1), [-1, M]);
      const h = tf.sum(tf.reshape(ef.logBaseMeasure(x), [M, J]), 1);
      return { X, h, widths };
    });
    keep(stats.X);
    keep(stats.h);
    const P = stats.X.shape[0]! / J;
    if (J * P > MAX_WIDTH) return fail();
    // the points the child's moments are evaluated at: T = 0, then T_p = t_jp (the largest
    // |T_p(x_mj)|) in column j, so that (ℓ(t e_p) − ℓ(0)) / t is as accurate, relative to the
    // data's own pieces, as ℓ evaluated at the data (a unit step would lose |ℓ(0)| · 2⁻²⁴ · |T|)
    const largest = tf.tidy(() => tf.max(tf.abs(stats.X), 1));
    const step = largest.dataSync();
    largest.dispose();
    for (let i = 0; i < step.length; i++)
      if (!(step[i] > 0) || !Number.isFinite(step[i])) step[i] = 1;
    const basis: tf.Tensor[][] = [];
    for (let p = -1; p < P; p++) {
      let o = 0;
      basis.push(
        stats.widths.map((w) => {
          const size = prod(w);
          const d = new Float32Array(S * J * size);
          if (p >= o && p < o + size)
            for (let r = 0; r < S * J; r++) d[r * size + (p - o)] = step[(r % J) * P + p];
          o += size;
          return keep(tf.tensor(d, [S, J, ...w]));
        }),
      );
    }
    const steps = keep(tf.tensor(step, [1, J, P]));
    // Lᵀ = [T(x); 1; Σ_j log h] as rows over the elements, built along axis 0 (wasm's Concat
    // along an inner axis copies row by row in JS), L its transpose (one native kernel)
    const Lt = tf.tidy(() => tf.concat([stats.X, tf.ones([1, M]), tf.reshape(stats.h, [1, M])], 0));
    const L = keep(tf.transpose(Lt));
    const blocks: tf.Tensor[] = [];
    const starts: number[] = [];
    for (let o = 0; o < M; o += BLOCK) {
      starts.push(o);
      blocks.push(keep(tf.slice(L, [o, 0], [Math.min(BLOCK, M - o), J * P + 2])));
    }
    const absParts = tf.tidy(() => tf.stack(blocks.map((b) => tf.sum(tf.abs(b), 0))));
    const ad = absParts.dataSync();
    tf.dispose([absParts, Lt, stats.X, stats.h]);
    const absCol = new Float64Array(J * P + 2);
    for (let i = 0; i < ad.length; i++) absCol[i % (J * P + 2)] += ad[i];
    states.dispose();
    return {
      M,
      J,
      P,
      uses,
      segHost,
      values,
      ef,
      basis,
      step: Float64Array.from(step),
      steps,
      L,
      absCol,
      blocks,
      starts,
    };
  } catch {
    // an expression the per-component layout cannot evaluate: the row-by-row path takes it
    return fail();
  }
}

/**
 * The parts of a term evaluated in a sub-layout (some plate axes of size 1: a mixture's
 * (state, column) pairs, or a discrete latent's states): per use, the latent element each
 * evaluated row reads (ids, int32, and on the host) and its coefficient c of a scaled or
 * precision role (with log c unless c = 1); the known scalar arguments. `at(expr, env,
 * valueShape)` evaluates in that layout ([S, rows], or undefined where the value varies along
 * the plate axes it drops), inside a tidy. Undefined when any part does not qualify (nothing is
 * left allocated).
 */
export function usesInSubLayout(
  term: CaviTerm,
  node: StochasticNode,
  qs: ReadonlyMap<string, Q>,
  env: Env,
  rowEvent: readonly number[],
  at: (expr: Expr, env: Env, valueShape: number[]) => tf.Tensor | undefined,
):
  | { uses: UseRt[]; segHost: Map<UseRt, Int32Array>; values: Record<string, tf.Tensor> }
  | undefined {
  const made: tf.Tensor[] = [];
  const fail = () => {
    tf.dispose(made);
    return undefined;
  };
  const uses: UseRt[] = [];
  const segHost = new Map<UseRt, Int32Array>();
  for (const u of term.uses) {
    const lq = qs.get(u.latent) as ContinuousQ;
    const vector = PARAM_EVENT_RANK[node.distribution][u.arg] === 1;
    const seg = tf.tidy(() => {
      // a vector latent's element id stands in for its whole event axis (terms.ts segments)
      const lids = tf.reshape(
        tf.range(0, lq.M, 1, 'float32'),
        lq.K > 1 ? [1, ...lq.F.slice(0, -1), 1] : [1, ...lq.F],
      );
      const v = at(u.ref, { ...env, [u.latent]: lids }, vector ? [...rowEvent, 1] : [...rowEvent]);
      return v ? tf.cast(tf.round(tf.reshape(v, [-1])), 'int32') : undefined;
    });
    if (!seg) return fail();
    made.push(seg);
    let coef: tf.Tensor | undefined;
    if (u.role !== 'identity') {
      coef = tf.tidy(() => {
        const v = at(node.args[u.arg], { ...env, [u.latent]: tf.ones([1, ...lq.F]) }, [
          ...rowEvent,
        ]);
        return v && u.role === 'precision' ? tf.pow(v, -2) : v;
      });
      if (!coef) return fail();
      made.push(coef);
    }
    const unit = coef?.dataSync().every((c) => c === 1) ?? true;
    const logCoef = coef && !unit ? tf.tidy(() => tf.log(coef as tf.Tensor)) : undefined;
    if (logCoef) made.push(logCoef);
    const r: UseRt = { use: u, seg, coef, logCoef };
    uses.push(r);
    segHost.set(r, Int32Array.from(seg.dataSync()));
  }
  const used = new Set(term.uses.map((u) => u.arg));
  const values: Record<string, tf.Tensor> = {};
  for (const [a, e] of Object.entries(node.args)) {
    if (used.has(a) || PARAM_EVENT_RANK[node.distribution][a] !== 0) continue;
    const v = tf.tidy(() => at(e, env, [...rowEvent]));
    if (!v) return fail();
    made.push(v);
    values[a] = v;
  }
  return { uses, segHost, values };
}

/**
 * Σ_m q[m, s] over the elements (N_s), in float64, by q tensor: filled by weightedStats (its
 * row of ones) or by columnSums64, shared by every term weighted by the same q.
 */
const columnSums = new WeakMap<tf.Tensor, Float64Array>();

/**
 * Lᵀ q = Σ_m L[m, w] q[m, s] in float64, [J · P + 2, S] (w-major: rows T_jp, then N_s, then
 * Σ_m q_ms Σ_j log h(x_mj)); computed once per q. One 2-D matmul q_bᵀ L_b per block of rows,
 * the blocks' float32 sums added in float64. The fixed L_b is the matmul's second operand, which
 * XNNPACK packs (tfjs-wasm): ~2× faster than L_bᵀ q_b, which packs q_b, and than tfjs-wasm's
 * batched matmul (~6× slower than the same products one by one); q_b's transpose is a copy of
 * [rows, S] (src/backend/matMul.ts).
 */
export function weightedStats(a: Aggregated, q: tf.Tensor): Float64Array {
  if (a.last?.q === q) return a.last.sums;
  const S = q.shape[1] as number;
  const W = a.J * a.P + 2;
  const parts = tf.tidy(() => {
    const one = (b: tf.Tensor, i: number) =>
      tf.matMul(
        a.blocks.length === 1 ? q : tf.slice(q, [a.starts[i], 0], [b.shape[0] as number, S]),
        b,
        true,
        false,
      );
    return a.blocks.length === 1 ? one(a.blocks[0], 0) : tf.concat(a.blocks.map(one), 0);
  }); // [blocks · S, W]
  const d = parts.dataSync();
  parts.dispose();
  const sums = new Float64Array(W * S);
  for (let o = 0; o < d.length; o += W * S)
    for (let s = 0; s < S; s++) for (let w = 0; w < W; w++) sums[w * S + s] += d[o + s * W + w];
  a.last = { q, sums };
  columnSums.set(q, sums.slice((W - 2) * S, (W - 1) * S));
  return sums;
}

/** N_s = Σ_m q[m, s] in float64 (blocks of ≤ BLOCK rows summed on the device); cached per q. */
export function columnSums64(q: tf.Tensor): Float64Array {
  const hit = columnSums.get(q);
  if (hit) return hit;
  const [M, S] = q.shape as [number, number];
  const parts = tf.tidy(() => {
    const sums: tf.Tensor[] = [];
    for (let o = 0; o < M; o += BLOCK)
      sums.push(tf.sum(tf.slice(q, [o, 0], [Math.min(BLOCK, M - o), S]), 0));
    return tf.stack(sums);
  });
  const d = parts.dataSync();
  parts.dispose();
  const out = new Float64Array(S);
  for (let i = 0; i < d.length; i++) out[i % S] += d[i];
  columnSums.set(q, out);
  return out;
}

/**
 * Add Σ_m q_ms η_msg(T(x_mj)) = N_s η₀ + Σ_p S_sjp (η_p − η₀) at every (state, column) to the
 * element it reads, in float64. `etas[p + 1][block]` is the message at basis p, downloaded
 * ([S · J · w] per block).
 */
export function addMessages(
  a: Aggregated,
  u: UseRt,
  S: number,
  sums: Float64Array,
  etas: readonly (readonly Float32Array[])[],
  out: Float64Array[],
): void {
  const seg = a.segHost.get(u) as Int32Array;
  const J = a.J;
  const P = a.P;
  etas[0].forEach((e0, b) => {
    const w = e0.length / (S * J);
    const o = out[b];
    for (let s = 0; s < S; s++) {
      const n = sums[J * P * S + s];
      for (let j = 0; j < J; j++) {
        const r = s * J + j;
        const at = seg[r] * w;
        for (let c = 0; c < w; c++) {
          const i = r * w + c;
          let v = n * e0[i];
          for (let p = 0; p < P; p++)
            v += (sums[(j * P + p) * S + s] * (etas[p + 1][b][i] - e0[i])) / a.step[j * P + p];
          o[at + c] += v;
        }
      }
    }
  });
}

export function disposeAggregated(a: Aggregated): void {
  tf.dispose([
    ...a.uses.flatMap((u) => [u.seg, u.coef, u.logCoef].filter((t): t is tf.Tensor => !!t)),
    ...Object.values(a.values),
    ...a.basis.flat(),
    a.steps,
    a.L,
    ...a.blocks,
  ]);
}
