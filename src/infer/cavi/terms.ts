// One density term p(x | args) of the model as cavi sees it, vectorised over its plate elements
// and over the states of the discrete latent that weights it (Winn & Bishop 2005, VMP):
//
//   rows r = the node's elements (× the event axes its scalar family broadcasts over),
//   states s = the states of the weighting discrete latent w (S = 1 without one), with weight
//     W[s, r] = q(w_r = s): w is the mixture selector (`beta[z[d, n]]`: q(z[d, n] = k)), or the
//     node itself when it is a discrete latent (E_q[log p(z | θ)] = Σ_s q(z = s) log p(s | θ),
//     linear in T(z), so a discrete latent's own term is a mixture over its values).
//
// For every state the arguments are evaluated with w = s, so each row reads the element
// seg[s, r] of every continuous latent parent (its reference evaluated with element ids). With
// the child's statistics and the co-parents' expected statistics gathered at those elements, the
// child family's messageToParent (src/distributions) gives, per row and state,
//   E[log p(x_r | θ, co)] = <η_msg, E_q[T(θ_seg)]> + rest + log h(x_r),
// whose η_msg summed with the weights W over the rows that read an element is that element's
// update (weighted by q(z = k) for a mixture), and whose value, summed over a row's event axes,
// is the per-state log-likelihood ℓ[s, b] a selector's update adds to its logits.
import * as tf from '@tensorflow/tfjs';
import type { Env, ExprEvaluator } from '../../compile/evaluator.js';
import { fullShape } from '../../compile/evaluator.js';
import { expandTo } from '../../compile/value.js';
import type {
  ChildStats,
  ConjugateMessage,
  ExpFamily,
  Moments,
} from '../../distributions/distribution.js';
import { expFamilyOf } from '../../distributions/expfamily.js';
import { PARAM_EVENT_RANK } from '../../distributions/shapes.js';
import { DISTRIBUTIONS } from '../../distributions/signatures.js';
import type { StochasticNode } from '../../graph/ir.js';
import { ancestors } from '../../graph/query.js';
import { prod, sameShape } from '../../util/shape.js';
import type { CaviTerm, ParentUse } from './plan.js';
import {
  type Aggregated,
  addMessages,
  columnSums64,
  disposeAggregated,
  selectedChild,
  type UseRt,
  usesInSubLayout,
  weightedStats,
} from './selected.js';
import type { ContinuousQ, DiscreteQ, Q } from './state.js';

/**
 * rows[i] = t[at[i]] along the first axis: tf.gatherND, ~10x faster than tf.gather on the wasm
 * backend (measured, tfjs 4.22: 14M scalars 52 ms against 505 ms; compile/gather.ts likewise).
 */
function gatherRows(t: tf.Tensor, at: tf.Tensor): tf.Tensor {
  return tf.gatherND(t, tf.reshape(at, [-1, 1]));
}

/** tf.broadcastTo without wasm's slow Tile kernel (compile/value.ts), and no op when it fits. */
function bcast(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return sameShape(t.shape, shape) ? t : expandTo(t, shape);
}

export class TermRt {
  readonly node: StochasticNode;
  /** the latent whose q weights the states (selector or the node itself), if any */
  readonly weightBy?: string;
  readonly S: number;
  /** plate elements of the node */
  readonly B: number;
  /** rows per element (event axes of a scalar family) */
  readonly E: number;
  readonly R: number;
  /** the weighting latent's element per plate element: int32 [B] (absent: the identity) */
  private wseg?: tf.Tensor;
  private ef?: ExpFamily;
  /** the node's value per state and row: [S, R] or [S, R, C] */
  private x?: tf.Tensor;
  private readonly values: Record<string, tf.Tensor> = {};
  readonly uses: UseRt[] = [];
  /** rows per state the messages are evaluated at: R, or J per component (aggregated) */
  private rows = 0;
  /** a mixture-selected child evaluated per (state, column) from weighted statistics */
  private readonly agg?: Aggregated;
  /**
   * A discrete latent's own term whose arguments are the same for all its elements
   * (`z[i] ~ Categorical(weights)`): evaluated per state, once (rows = 1); the element each use
   * reads per state, on the host. Its ℓ is one row [1, S] and its message Σ_m q_ms η_msg(s) =
   * N_s η_msg(s), N_s the column sums of q (selected.ts columnSums64).
   */
  private readonly uniformSeg?: Map<UseRt, Int32Array>;
  /** log p per state for a term with no continuous latent: [S, B] (fixed) */
  private readonly fixed?: tf.Tensor;
  /**
   * A Categorical child with one row per element (E = 1) reading a Dirichlet (LDA's w and z):
   * its message is one-hot at a fixed category, so E[log p(x_r | θ) | state s] is the single entry
   * E[log θ][seg, x] (rest and base measure 0). The flat index seg · K + x of every (row, state),
   * element-major (row r, then state s: int32 [R · S, 1]), is computed once, and ℓ and the
   * weighted counts are produced in the [B, S] layout of q itself: one gather per evaluation,
   * no transposes and no S × R message tensors.
   */
  private readonly oneHotAt?: tf.Tensor;
  /** per use, the flat (element, category) index of a one-hot message's counts (state-major) */
  private readonly countAt = new Map<UseRt, tf.Tensor>();

  constructor(
    readonly term: CaviTerm,
    ev: ExprEvaluator,
    qs: ReadonlyMap<string, Q>,
    /** values of the learned params (variational EM: params.ts) */
    base: Env = {},
    /** allow the per-component evaluation of a mixture (off for terms differentiated in θ) */
    aggregate = true,
  ) {
    const model = ev.model;
    const node = model.graph.nodes[term.node] as StochasticNode;
    this.node = node;
    const self = qs.get(term.node);
    const w = term.selector?.latent ?? (self?.kind === 'discrete' ? term.node : undefined);
    this.weightBy = w;
    const wq = w ? (qs.get(w) as DiscreteQ) : undefined;
    const S = wq?.S ?? 1;
    this.S = S;
    const shape = model.shapes[term.node];
    const childRank = DISTRIBUTIONS[node.distribution].eventRank;
    const rowEvent = shape.event.slice(0, shape.event.length - childRank);
    this.B = prod(shape.batch);
    this.E = prod(rowEvent);
    this.R = this.B * this.E;
    const R = this.R;
    const B = this.B;
    const states = wq
      ? tf.tidy(() =>
          bcast(tf.reshape(tf.range(0, S, 1, 'float32'), [S, ...wq.F.map(() => 1)]), [S, ...wq.F]),
        )
      : undefined;
    const env: Record<string, tf.Tensor> = { ...base, ...(w && states ? { [w]: states } : {}) };
    const toSR = (t: tf.Tensor, trail: number[] = []) =>
      tf.reshape(bcast(t, [S, ...t.shape.slice(1)]), [S, R, ...trail]);
    try {
      const agg =
        aggregate && term.selector && term.observed && term.uses.length > 0
          ? selectedChild(term, node, ev, qs, wq as DiscreteQ, rowEvent)
          : undefined;
      if (agg) {
        this.agg = agg;
        this.rows = agg.J;
        this.uses.push(...agg.uses);
        Object.assign(this.values, agg.values);
        this.ef = agg.ef;
        return;
      }
      if (aggregate && !term.observed && w === term.node && term.uses.length > 0 && wq) {
        const u = this.uniformSelf(term, node, ev, qs, wq, env);
        if (u) {
          this.uniformSeg = u;
          return;
        }
      }
      this.rows = R;
      if (term.selector) {
        this.wseg = tf.tidy(() => {
          const wn = wq as DiscreteQ;
          const ids = tf.reshape(tf.range(0, wn.M, 1, 'float32'), [1, ...wn.F]);
          const v = ev.inLayout(term.selector!.ref, term.node, { [w as string]: ids }, []);
          return tf.cast(tf.round(tf.reshape(v, [B])), 'int32');
        });
        // element b of the node reading element b of the selector (`w[d, n]` by `z[d, n]`): no gather
        const at = this.wseg.dataSync();
        if (B === (wq as DiscreteQ).M && at.every((e, i) => e === i)) {
          this.wseg.dispose();
          this.wseg = undefined;
        }
      }
      if (term.uses.length === 0) {
        // p(x | args) with every argument known once w is fixed: the compiled log density
        this.fixed = tf.tidy(() => {
          const e: Record<string, tf.Tensor> = { ...env };
          for (const a of ancestors(model.graph, term.node))
            if (model.graph.nodes[a].kind === 'deterministic') e[a] = ev.nodeValue(a, e);
          const lp = ev.plan.logProb(term.node, e);
          return tf.reshape(bcast(lp, [S, ...lp.shape.slice(1)]), [S, B]);
        });
        return;
      }
      const first = qs.get(term.uses[0].latent) as ContinuousQ;
      const K = first.K > 1 ? first.K : undefined;
      for (const u of term.uses) {
        const lq = qs.get(u.latent) as ContinuousQ;
        const seg = tf.tidy(() => this.segments(u, lq, ev, env, rowEvent));
        const coef =
          u.role === 'identity'
            ? undefined
            : tf.tidy(() => {
                const ones = tf.ones([1, ...fullShape(model, u.latent)]);
                const at = { ...env, [u.latent]: ones };
                const v = toSR(ev.inLayout(node.args[u.arg], term.node, at, rowEvent));
                return u.role === 'precision' ? tf.pow(v, -2) : v;
              });
        const unit = coef?.dataSync().every((c) => c === 1) ?? true;
        const logCoef = coef && !unit ? tf.tidy(() => tf.log(coef)) : undefined;
        this.uses.push({ use: u, seg, coef, logCoef });
      }
      const used = new Set(term.uses.map((u) => u.arg));
      for (const [a, e] of Object.entries(node.args)) {
        if (used.has(a) || PARAM_EVENT_RANK[node.distribution][a] !== 0) continue;
        this.values[a] = tf.tidy(() => toSR(ev.inLayout(e, term.node, env, rowEvent)));
      }
      this.ef = expFamilyOf(node.distribution, { n: this.values.n, K });
      this.x = tf.tidy(() => {
        if (!term.observed) return bcast(tf.reshape(tf.range(0, S, 1, 'float32'), [S, 1]), [S, R]);
        const v = ev.observed(term.node);
        return childRank === 1
          ? toSR(tf.reshape(v, [1, R, -1]), [v.shape[v.rank - 1]])
          : toSR(tf.reshape(v, [1, R]));
      });
      if (node.distribution === 'Categorical' && this.E === 1 && K !== undefined) {
        const seg = this.uses[0].seg;
        const x = this.x;
        this.oneHotAt = tf.tidy(() => {
          const at = tf.add(
            tf.mul(seg, tf.scalar(K, 'int32')),
            tf.cast(tf.reshape(x, [-1]), 'int32'),
          );
          return tf.reshape(tf.transpose(tf.reshape(at, [S, R])), [R * S, 1]);
        });
      }
    } finally {
      states?.dispose();
    }
  }

  /**
   * The per-state form of a discrete latent's own term whose arguments do not vary along its
   * plate axes (each evaluated with those axes of size 1: ExprEvaluator.inSubLayout), or
   * undefined. Sets the uses, values and states x ([S, 1]); returns each use's element per state.
   */
  private uniformSelf(
    term: CaviTerm,
    node: StochasticNode,
    ev: ExprEvaluator,
    qs: ReadonlyMap<string, Q>,
    wq: DiscreteQ,
    env: Record<string, tf.Tensor>,
  ): Map<UseRt, Int32Array> | undefined {
    const S = this.S;
    const sub = wq.F.map(() => 1);
    const toS1 = (v: tf.Tensor) => tf.reshape(tf.mul(v, tf.ones([S, ...v.shape.slice(1)])), [S, 1]);
    let parts: ReturnType<typeof usesInSubLayout>;
    try {
      parts = usesInSubLayout(term, node, qs, env, [], (e, at, shape) => {
        const v = ev.inSubLayout(e, term.node, at, sub, shape);
        return v && v.size === 1 ? toS1(v) : undefined;
      });
    } catch {
      // an argument the per-state layout cannot evaluate: the row-by-row path takes it
      return undefined;
    }
    if (!parts) return undefined;
    const { uses, segHost, values } = parts;
    const first = qs.get(term.uses[0].latent) as ContinuousQ;
    const ef = expFamilyOf(node.distribution, {
      n: values.n,
      K: first.K > 1 ? first.K : undefined,
    });
    if (!ef?.messageToParent) {
      tf.dispose(Object.values(values));
      tf.dispose(
        uses.flatMap((u) => [u.seg, u.coef, u.logCoef].filter((t): t is tf.Tensor => !!t)),
      );
      return undefined;
    }
    this.uses.push(...uses);
    Object.assign(this.values, values);
    this.ef = ef;
    this.x = tf.tidy(() => tf.reshape(tf.range(0, S, 1, 'float32'), [S, 1]));
    this.rows = 1;
    return segHost;
  }

  /** seg[s, r]: the element of latent u.latent that row r reads in state s (int32 [S · R]). */
  private segments(
    u: ParentUse,
    lq: ContinuousQ,
    ev: ExprEvaluator,
    env: Record<string, tf.Tensor>,
    rowEvent: readonly number[],
  ): tf.Tensor {
    const F = lq.F;
    const K = lq.K;
    // a vector latent's element id stands in for its whole event axis (length 1, not K): the
    // reference selects rows, so the ids come out per row without an S × R × K intermediate
    const ids =
      K > 1
        ? tf.reshape(tf.range(0, lq.M, 1, 'float32'), [1, ...F.slice(0, -1), 1])
        : tf.reshape(tf.range(0, lq.M, 1, 'float32'), [1, ...F]);
    const vector = PARAM_EVENT_RANK[this.node.distribution][u.arg] === 1;
    const refShape = vector ? [...rowEvent, 1] : [...rowEvent];
    const v = ev.inLayout(u.ref, this.node.name, { ...env, [u.latent]: ids }, refShape);
    const full = bcast(v, [this.S, ...v.shape.slice(1)]);
    return tf.cast(tf.round(tf.reshape(full, [-1])), 'int32');
  }

  /** W[s, r] = q(w = s) for the weighting latent's element of each row: [S, R]. */
  weights(qs: ReadonlyMap<string, Q>): tf.Tensor | undefined {
    if (!this.weightBy) return undefined;
    const q = (qs.get(this.weightBy) as DiscreteQ).q;
    return tf.tidy(() => {
      const perB = this.wseg ? gatherRows(q, this.wseg) : q; // [B, S]
      const t = tf.transpose(perB); // [S, B]
      if (this.E === 1) return t;
      return tf.reshape(bcast(tf.reshape(t, [this.S, this.B, 1]), [this.S, this.B, this.E]), [
        this.S,
        this.R,
      ]);
    });
  }

  /** A parent's expected statistics at the elements the rows read: [S, R] or [S, R, K] per block. */
  private gathered(u: UseRt, qs: ReadonlyMap<string, Q>): Moments {
    const lq = qs.get(u.use.latent) as ContinuousQ;
    return lq.moments.map((m) =>
      tf.reshape(gatherRows(m, u.seg), [this.S, this.rows, ...m.shape.slice(1)]),
    );
  }

  /**
   * The statistics of co-parent u as its argument reads them: a precision c × τ has
   * E[log cτ] = log c + E[log τ] and E[cτ] = c E[τ] (a scaled Gamma rate likewise).
   */
  private coMoments(u: UseRt, qs: ReadonlyMap<string, Q>): Moments {
    const m = this.gathered(u, qs);
    if (!u.coef || !u.logCoef) return m;
    return [tf.add(u.logCoef, m[0]), tf.mul(u.coef, m[1])];
  }

  /** The message of this term's child family to the latent of use `u`, per state and row. */
  private message(
    u: UseRt,
    qs: ReadonlyMap<string, Q>,
    child: ChildStats = { value: this.x as tf.Tensor },
  ): ConjugateMessage {
    const moments: Record<string, Moments> = {};
    for (const o of this.uses) if (o !== u) moments[o.use.arg] = this.coMoments(o, qs);
    return (this.ef as ExpFamily).messageToParent!(u.use.arg, child, {
      values: this.values,
      moments,
      coefficient: u.coef,
    });
  }

  /**
   * This term's increments to the natural parameters of `latent` (the sum, over the rows that
   * read each element, of W · η_msg), one [N, w] tensor per block with the element each row of
   * it goes to (int32, N entries: the term's own fixed tensor, not to be disposed by the
   * caller): the caller sums them per element in float64.
   */
  increments(
    latent: string,
    qs: ReadonlyMap<string, Q>,
  ): { value: tf.Tensor; at: tf.Tensor; size: number }[] {
    const out: { value: tf.Tensor; at: tf.Tensor; size: number }[] = [];
    if (this.agg || this.uniformSeg) return out; // increments64
    for (const u of this.uses) {
      if (u.use.latent !== latent) continue;
      const lq = qs.get(latent) as ContinuousQ;
      if (this.oneHotAt) {
        // a count q(w = s) at (element, category) for every (row, state), element-major like q
        const at = this.oneHotAt;
        const value = tf.tidy(() => {
          const W = this.weightsByElement(qs);
          return W ? tf.reshape(W, [-1]) : tf.ones([this.R]);
        });
        out.push({ value, at, size: lq.M * lq.K });
        continue;
      }
      out.push(
        ...tf.tidy(() => {
          const W = this.weights(qs);
          const msg = this.message(u, qs);
          const n = this.S * this.R;
          if (msg.oneHot) {
            // an observed Categorical: a count W at (element, category); the flat index is fixed
            let at = this.countAt.get(u);
            if (!at) {
              at = tf.keep(
                tf.add(
                  tf.mul(u.seg, tf.scalar(lq.K, 'int32')),
                  tf.reshape(tf.cast(bcast(msg.eta[0], [this.S, this.R]), 'int32'), [n]),
                ),
              );
              this.countAt.set(u, at);
            }
            const value = W ? tf.reshape(W, [n]) : tf.ones([n]);
            return [{ value, at, size: lq.M * lq.K }];
          }
          return msg.eta.map((b) => {
            const trail = b.shape.length > 2 ? b.shape.slice(2) : [];
            const full = bcast(b, [this.S, this.R, ...trail]);
            const wv = W ? tf.mul(full, trail.length ? tf.expandDims(W, 2) : W) : full;
            return { value: tf.reshape(wv, [n, prod(trail)]), at: u.seg, size: lq.M };
          });
        }),
      );
    }
    return out;
  }

  /**
   * A mixture-selected child's increments to `latent` summed per element in float64 (one block
   * per natural-parameter block, as the latent's η), from the weighted statistics of the data
   * (selected.ts); undefined for a term evaluated row by row (increments).
   */
  increments64(latent: string, qs: ReadonlyMap<string, Q>): Float64Array[] | undefined {
    if (this.uniformSeg) return this.uniformIncrements(latent, qs, this.uniformSeg);
    const a = this.agg;
    if (!a) return undefined;
    const lq = qs.get(latent) as ContinuousQ;
    const out = lq.eta0.map((e) => new Float64Array(e.length));
    const q = (qs.get(this.weightBy as string) as DiscreteQ).q;
    for (const u of this.uses) {
      if (u.use.latent !== latent) continue;
      const sums = weightedStats(a, q);
      const etas = a.basis.map((b) => {
        const eta = tf.tidy(() => {
          const msg = this.message(u, qs, { moments: b });
          return msg.eta.map((e) => {
            const trail = e.rank > 2 ? e.shape.slice(2) : [];
            return bcast(e, [this.S, a.J, ...trail]);
          });
        });
        const d = eta.map((e) => e.dataSync() as Float32Array);
        tf.dispose(eta);
        return d;
      });
      addMessages(a, u, this.S, sums, etas, out);
    }
    return out;
  }

  /**
   * A uniform own term's increments: Σ_m q_ms η_msg(s) = N_s η_msg(s) at the element state s
   * reads, in float64 (for a one-hot message, a count N_s at (element, s)).
   */
  private uniformIncrements(
    latent: string,
    qs: ReadonlyMap<string, Q>,
    segs: ReadonlyMap<UseRt, Int32Array>,
  ): Float64Array[] {
    const lq = qs.get(latent) as ContinuousQ;
    const out = lq.eta0.map((e) => new Float64Array(e.length));
    const N = columnSums64((qs.get(this.weightBy as string) as DiscreteQ).q);
    for (const u of this.uses) {
      if (u.use.latent !== latent) continue;
      const seg = segs.get(u) as Int32Array;
      const msg = tf.tidy(() => {
        const m = this.message(u, qs);
        return { eta: m.eta.map((e) => tf.reshape(e, [this.S, -1])), oneHot: m.oneHot };
      });
      const etas = msg.eta.map((e) => e.dataSync());
      tf.dispose(msg.eta);
      for (let s = 0; s < this.S; s++) {
        if (msg.oneHot) {
          out[0][seg[s] * lq.K + etas[0][s]] += N[s];
          continue;
        }
        etas.forEach((e, b) => {
          const w = e.length / this.S;
          for (let c = 0; c < w; c++) out[b][seg[s] * w + c] += N[s] * e[s * w + c];
        });
      }
    }
    return out;
  }

  /**
   * A uniform own term's ℓ_self[s] = E_q[log p(z = s | args)] as a row [1, S], and the absolute
   * values of its pieces (as logLikScale), or undefined for another term.
   */
  selfRow(qs: ReadonlyMap<string, Q>): { l: tf.Tensor; scale: tf.Tensor } | undefined {
    if (!this.uniformSeg) return undefined;
    const { l, scale } = this.logLikScale(qs); // [S, 1]
    const out = tf.tidy(() => ({
      l: tf.reshape(l, [1, this.S]),
      scale: tf.reshape(scale, [1, this.S]),
    }));
    tf.dispose([l, scale]);
    return out;
  }

  /**
   * The coefficients of ℓ = L G of a mixture-selected child (selected.ts): G = [Gᵀ; Σ_j c; 1]
   * ([J · P + 2, S]) from the log-likelihood at the basis of the child's statistics, `extra`
   * ([1, S], another term's per-state constant) added to its row of ones; and per row of G the
   * bound max_s |G_ws| of its pieces' magnitude ([J · P + 2, 1]: |T(x_m)| · max_s |G_s| +
   * max_s Σ_j |c_sj| + |Σ_j log h| bounds element m's pieces in every state).
   */
  aggCoefficients(
    qs: ReadonlyMap<string, Q>,
    extra?: tf.Tensor,
  ): { G: tf.Tensor; big: tf.Tensor } | undefined {
    const a = this.agg;
    if (!a) return undefined;
    return tf.tidy(() => {
      const u = this.uses[0];
      const m = this.gathered(u, qs);
      const at = a.basis.map((b) => {
        const msg = this.message(u, qs, { moments: b });
        let s = msg.rest;
        msg.eta.forEach((e, i) => {
          const p = tf.mul(e, m[i]);
          const axes = Array.from({ length: p.rank - 2 }, (_, j) => 2 + j);
          s = tf.add(s, axes.length ? tf.sum(p, axes) : p);
        });
        return bcast(s, [this.S, a.J]);
      });
      const c = at[0];
      // Gᵀ [J · P, S], transposed while small
      const Gt = tf.transpose(
        tf.reshape(
          tf.div(
            tf.stack(
              at.slice(1).map((x) => tf.sub(x, c)),
              2,
            ),
            a.steps,
          ),
          [this.S, -1],
        ),
      );
      const cs = tf.reshape(tf.sum(c, 1), [1, this.S]);
      const G = tf.concat([Gt, extra ? tf.add(cs, extra) : cs, tf.ones([1, this.S])], 0);
      const big = tf.concat(
        [
          tf.max(tf.abs(Gt), 1, true),
          tf.reshape(tf.max(tf.sum(tf.abs(c), 1)), [1, 1]),
          tf.ones([1, 1]),
        ],
        0,
      );
      return { G, big };
    });
  }

  /** ℓ[m, s] and its magnitude per element ([M, 1], bounded over the states) of an aggregated child. */
  private aggLogLik(a: Aggregated, qs: ReadonlyMap<string, Q>): { l: tf.Tensor; scale: tf.Tensor } {
    const { G, big } = this.aggCoefficients(qs) as { G: tf.Tensor; big: tf.Tensor };
    const out = tf.tidy(() => ({ l: tf.matMul(a.L, G), scale: tf.matMul(tf.abs(a.L), big) }));
    tf.dispose([G, big]);
    return out;
  }

  /** ℓ[s, b] = E_q[log p(x_b | args) | w = s], summed over the element's rows: [S, B]. */
  logLik(qs: ReadonlyMap<string, Q>): tf.Tensor {
    const { l, scale } = this.logLikScale(qs);
    scale.dispose();
    return l;
  }

  /**
   * ℓ (as logLik) and, per state and element, Σ over its rows of the absolute values of the
   * pieces ℓ is summed from (|<η_msg, E[T]>| per block, |rest|, |log h|): the magnitude that
   * float32 rounding is relative to, before the pieces cancel.
   */
  logLikScale(qs: ReadonlyMap<string, Q>): { l: tf.Tensor; scale: tf.Tensor } {
    if (this.agg) {
      const { l, scale } = this.aggLogLik(this.agg, qs);
      const out = tf.tidy(() => ({ l: tf.transpose(l), scale: tf.transpose(scale) }));
      tf.dispose([l, scale]);
      return out;
    }
    if (this.fixed) return { l: tf.clone(this.fixed), scale: tf.abs(this.fixed) };
    // a uniform own term: one row per state ([S, 1]); else every row
    const R = this.rows;
    return tf.tidy(() => {
      const u = this.uses[0];
      const msg = this.message(u, qs);
      const lq = qs.get(u.use.latent) as ContinuousQ;
      let dot: tf.Tensor;
      let mag: tf.Tensor;
      if (msg.oneHot) {
        // <onehot(x), E[T(θ_seg)]> = E[T(θ)][seg, x]: one gather, never S × R × K
        const flat = tf.reshape(lq.moments[0], [-1]);
        const idx = tf.add(
          tf.mul(u.seg, tf.scalar(lq.K, 'int32')),
          tf.reshape(tf.cast(bcast(msg.eta[0], [this.S, R]), 'int32'), [-1]),
        );
        dot = tf.reshape(gatherRows(flat, idx), [this.S, R]);
        mag = tf.abs(dot);
      } else {
        const m = this.gathered(u, qs);
        dot = tf.zeros([this.S, R]);
        mag = tf.zeros([this.S, R]);
        msg.eta.forEach((b, i) => {
          const p = tf.mul(b, m[i]);
          const axes = Array.from({ length: p.rank - 2 }, (_, j) => 2 + j);
          dot = tf.add(dot, axes.length ? tf.sum(p, axes) : p);
          mag = tf.add(mag, tf.abs(axes.length ? tf.sum(p, axes) : p));
        });
      }
      const x = this.x as tf.Tensor;
      const h = (this.ef as ExpFamily).logBaseMeasure(x);
      const l = tf.add(tf.add(dot, msg.rest), h);
      const all = tf.add(tf.add(mag, tf.abs(msg.rest)), tf.abs(h));
      const perElement = (t: tf.Tensor) =>
        this.uniformSeg
          ? bcast(t, [this.S, 1])
          : tf.sum(tf.reshape(bcast(t, [this.S, R]), [this.S, this.B, this.E]), 2);
      return { l: perElement(l), scale: perElement(all) };
    });
  }

  /**
   * ℓ and its magnitude (as logLikScale) in the layout of the weighting latent's q: [B, S],
   * for the discrete update. The one-hot fast path gathers them so; otherwise transposed.
   */
  logLikByElement(qs: ReadonlyMap<string, Q>): { l: tf.Tensor; scale: tf.Tensor } {
    if (this.agg) return this.aggLogLik(this.agg, qs);
    if (this.uniformSeg) {
      const row = this.selfRow(qs) as { l: tf.Tensor; scale: tf.Tensor };
      const out = tf.tidy(() => {
        const ones = tf.ones([this.B, 1]);
        return { l: tf.mul(ones, row.l), scale: tf.mul(ones, row.scale) };
      });
      tf.dispose([row.l, row.scale]);
      return out;
    }
    if (this.oneHotAt) {
      const at = this.oneHotAt;
      return tf.tidy(() => {
        const lq = qs.get(this.uses[0].use.latent) as ContinuousQ;
        const l = tf.reshape(tf.gatherND(tf.reshape(lq.moments[0], [-1]), at), [this.B, this.S]);
        return { l, scale: tf.abs(l) };
      });
    }
    const { l, scale } = this.logLikScale(qs);
    const out = tf.tidy(() => ({ l: tf.transpose(l), scale: tf.transpose(scale) }));
    tf.dispose([l, scale]);
    return out;
  }

  /** q(w = s) of the weighting latent's element of each row, [R, S] (E = 1), or undefined. */
  private weightsByElement(qs: ReadonlyMap<string, Q>): tf.Tensor | undefined {
    if (!this.weightBy) return undefined;
    const q = (qs.get(this.weightBy) as DiscreteQ).q;
    return this.wseg ? gatherRows(q, this.wseg) : tf.clone(q);
  }

  /** The weights W[b, s] of ℓ per element (not per row), as logLikByElement, or undefined. */
  weightsPerElement(qs: ReadonlyMap<string, Q>): tf.Tensor | undefined {
    if (!this.weightBy) return undefined;
    const q = (qs.get(this.weightBy) as DiscreteQ).q;
    return this.wseg ? gatherRows(q, this.wseg) : tf.clone(q);
  }

  /** Is this a mixture-selected child evaluated per component (selected.ts)? */
  get aggregated(): boolean {
    return this.agg !== undefined;
  }

  /** The aggregated child's per-component data (selected.ts), if it is one. */
  get aggregate(): Aggregated | undefined {
    return this.agg;
  }

  /** Is this a discrete latent's own term evaluated once per state (arguments uniform)? */
  get uniform(): boolean {
    return this.uniformSeg !== undefined;
  }

  /** The weighting latent's element of each plate element (undefined: the identity). */
  get selectorSegments(): tf.Tensor | undefined {
    return this.wseg;
  }

  dispose(): void {
    if (this.agg) {
      disposeAggregated(this.agg);
      return;
    }
    // a uniform own term holds its uses, values and states x like the row-by-row path
    tf.dispose([
      ...this.uses.flatMap((u) => [u.seg, u.coef, u.logCoef].filter((t): t is tf.Tensor => !!t)),
      ...Object.values(this.values),
      ...(this.x ? [this.x] : []),
      ...(this.fixed ? [this.fixed] : []),
      ...(this.wseg ? [this.wseg] : []),
      ...(this.oneHotAt ? [this.oneHotAt] : []),
      ...this.countAt.values(),
    ]);
  }
}
