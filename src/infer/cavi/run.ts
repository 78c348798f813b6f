// The CAVI loop (mean-field coordinate ascent; variational message passing, Winn & Bishop 2005):
// each sweep updates every latent's factor once, in the plan's order, to its optimum given the
// others (Bishop, PRML §10.1.1: log q*(x) = E_{−x}[log p(everything)] + const):
//   continuous x (conjugate prior):  η_q(x) = η_prior + Σ_terms Σ_rows W · η_msg(E[T(child)], E[co])
//   discrete z:                      log q(z = s) = ℓ_self[s] + Σ_terms selected by z ℓ_term[s] + c
// (terms.ts gives the messages and ℓ). The ELBO
//   L = Σ_terms E_q[log p(x | args)] + Σ_latents H[q]
// is kept as a sum of per-node parts, brought up to date once per sweep: coordinate ascent
// never decreases L, so a decrease between sweeps beyond DECREASE_TOLERANCE (relative; the
// terms are float32 tensors summed in float64) is reported with the sweep — it signals a wrong
// update. The parts of the terms a discrete latent z weights come from z's own update: at
// q = softmax(logits), Σ_those terms E_q[log p] + H[q(z)] = Σ_elements log Σ_s exp(logits)
// (Bishop, PRML eq. 10.3 with q optimal), so no extra pass over the rows (at a q that is not
// the optimum, e.g. the start, z's group is recomputed as one part: setGroup); the other parts
// are recomputed after the sweep if a latent they read changed. The sweep's L goes to the trace
// `elbo`; the run stops when its relative change falls below `tol`.
import * as tf from '@tensorflow/tfjs';
import { expNonPositive } from '../../backend/expNonPositive.js';
import { type Env, ExprEvaluator, fullShape, sum64 } from '../../compile/evaluator.js';
import { Rng } from '../../distributions/rng.js';
import type { BoundModel } from '../../graph/bound.js';
import type { StochasticNode } from '../../graph/ir.js';
import { tick } from '../../util/tick.js';
import type { RunOptions } from '../engine.js';
import { knownLogProb } from '../exact/conjugate.js';
import {
  bernoulliSummary,
  betaSummary,
  categoricalSummary,
  dirichletSummary,
  gammaSummary,
  normalSummary,
} from '../exact/summary.js';
import { float64, type LatentPosterior, type Posterior, ResultArray } from '../result.js';
import { raggedAxes } from '../sample/summary.js';
import type { caviInfo } from './info.js';
import { LinearBlockRt } from './linear.js';
import {
  dirichletConcentrations,
  ParamState,
  priorObjective,
  readsParams,
  termObjective,
} from './params.js';
import type { CaviLatent, CaviPlan, CaviTerm } from './plan.js';
import { columnSums64, weightedStats } from './selected.js';
import { outerSplit } from './split.js';
import {
  type ContinuousQ,
  continuousQ,
  type DiscreteQ,
  discreteQ,
  disposeQ,
  negKl,
  pinned,
  priorArgs,
  priorEta,
  type Q,
  setEta,
} from './state.js';
import { TermRt } from './terms.js';

/**
 * A decrease of the ELBO after an update beyond this, relative to |ELBO| plus the magnitude of
 * the float32 pieces its expected log-likelihoods are summed from (Σ |<η_msg, E[T]>|, |rest|,
 * |log h| over rows, weighted), is a warning: those pieces carry float32 rounding and the
 * tensor digamma/lgamma's ~1e-6 relative error before they cancel (a Normal term's
 * τx·E[μ] − τx²/2 − τE[μ²]/2 is O(1) from pieces O(x²)), so the ELBO is known to about that
 * much; the variational factors' own terms (−KL) are exact float64.
 */
export const DECREASE_TOLERANCE = 1e-6;

/** a finite stand-in for ∞ in the magnitude of the discrete parts (updateDiscrete) */
const BIG = 1e30;

/** rows per block of the float64-finished segment sums */
const BLOCK = 4096;

/**
 * out[at[i] · w + k] += value[i, k] (value [N, w]): per block of BLOCK rows on the device, the
 * blocks' partial sums added in float64 on the host when that costs at most a few passes over
 * the rows; otherwise (many elements, few rows each: LDA's topic-word counts) one float32
 * segment sum, whose per-element sums have few terms. `at` is a term's own fixed tensor, so
 * its blocked ids (block · size + at) are computed once and kept in `cache` (the caller
 * disposes them; int32 arithmetic is slow on the wasm backend); without a cache they are
 * disposed here.
 */
function segmentSum64(
  value: tf.Tensor,
  at: tf.Tensor,
  size: number,
  out: Float64Array,
  cache?: Map<tf.Tensor, tf.Tensor>,
): void {
  const n = at.size;
  if (n === 0) return;
  const w = value.size / n;
  const nb = Math.ceil(n / BLOCK);
  const blocked = nb > 1 && nb * size * w <= 4 * n * w + 65536;
  let id = at;
  if (blocked) {
    const hit = cache?.get(at);
    if (hit) id = hit;
    else {
      id = tf.tidy(() => {
        const blk = tf.floorDiv(tf.range(0, n, 1, 'int32'), tf.scalar(BLOCK, 'int32'));
        return tf.add(tf.mul(blk, tf.scalar(size, 'int32')), tf.reshape(at, [n]));
      });
      cache?.set(at, id);
    }
  }
  const parts = tf.tidy(() => {
    const v = tf.reshape(value, w === 1 ? [n] : [n, w]);
    return tf.unsortedSegmentSum(v, tf.reshape(id, [n]) as tf.Tensor1D, blocked ? nb * size : size);
  });
  const d = parts.dataSync();
  parts.dispose();
  if (!cache && id !== at) id.dispose();
  const len = size * w;
  for (let b = 0; b < d.length / len; b++) {
    const o = b * len;
    for (let i = 0; i < len; i++) out[i] += d[o + i];
  }
}

/**
 * Σ along the last axis of t ([k, n], or [n] as one row), in float64: blocks of BLOCK entries
 * summed on the device, the blocks on the host.
 */
function rowSums64(t: tf.Tensor): Float64Array {
  const n = t.shape[t.rank - 1] as number;
  const k = t.size / n;
  const nb = Math.ceil(n / BLOCK);
  const parts = tf.tidy(() => {
    const x = tf.reshape(t, [k, n]);
    if (nb <= 1) return x;
    const padded =
      nb * BLOCK > n
        ? tf.pad(x, [
            [0, 0],
            [0, nb * BLOCK - n],
          ])
        : x;
    return tf.sum(tf.reshape(padded, [k, nb, BLOCK]), 2);
  });
  const d = parts.dataSync();
  parts.dispose();
  const out = new Float64Array(k);
  const w = d.length / k;
  for (let i = 0; i < k; i++) for (let j = 0; j < w; j++) out[i] += d[i * w + j];
  return out;
}

/** Σ_i a_i b_i in float64, 0 where a_i = 0 (a weight or count of 0 times an infinite log). */
function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) s += a[i] * b[i];
  return s;
}

/**
 * Σ q · l and Σ q · scale over [M, S] in float64. An impossible state (l = −∞, q = 0) gives
 * 0 · ∞ = NaN: then once more with l clamped at −BIG and the scale at BIG (the rare case pays
 * the clamping passes).
 */
function weightedByQ(q: tf.Tensor, l: tf.Tensor, scale: tf.Tensor): [number, number] {
  const sums = (clamp: boolean) => {
    const v = tf.tidy(() =>
      tf.stack([
        tf.sum(tf.mul(q, clamp ? tf.maximum(l, -BIG) : l), 1),
        tf.sum(tf.mul(q, clamp ? tf.minimum(scale, BIG) : scale), 1),
      ]),
    );
    const r = rowSums64(v);
    v.dispose();
    return r;
  };
  let r = sums(false);
  if (!Number.isFinite(r[0]) || !Number.isFinite(r[1])) r = sums(true);
  return [r[0], r[1]];
}

/** The number of states of a discrete latent: 2, or the length of its probability vector. */
function statesOf(name: string, ev: ExprEvaluator, qs: ReadonlyMap<string, Q>): number {
  const node = ev.model.graph.nodes[name] as StochasticNode;
  if (node.distribution === 'Bernoulli') return 2;
  const arg = node.args.p ?? node.args.logits;
  // a latent Dirichlet it reads fixes K; else the known argument's last axis
  for (const parent of node.parents) {
    const q = qs.get(parent);
    if (q?.kind === 'continuous' && q.K > 1) return q.K;
  }
  // valueShape evaluates the argument: tidy disposes that value
  let s: number[] = [];
  tf.tidy(() => {
    s = ev.valueShape(arg, name, {});
  });
  return s[s.length - 1];
}

/**
 * A global Dirichlet factor's random start, as scikit-learn's batch LDA starts λ: every
 * concentration an independent Gamma(100, rate 100) draw (mean 1, sd 0.1; seeded). With the
 * local factors fitted to it first, the components differ from the first sweep on.
 */
function randomDirichlet(q: ContinuousQ, rng: Rng): void {
  if (q.family !== 'Dirichlet') throw new Error(`cavi: random start of ${q.name} (${q.family})`);
  const g = tf.randomGamma([q.M * q.K], 100, 100, 'float32', rng.nextSeed());
  const lam = g.dataSync();
  g.dispose();
  // the Dirichlet's natural parameters are the concentrations − 1
  setEta(q, [Float64Array.from(lam, (v) => v - 1)]);
}

/**
 * The local factors have converged when, for every element of every local continuous factor,
 * the mean absolute change of its parameters in one local round is below this: scikit-learn's
 * `mean_change_tol` of its per-document E-step (LatentDirichletAllocation, default 1e-3).
 */
const LOCAL_CHANGE = 1e-3;

/** max over elements of the mean |Δη| over the element's entries (K for a Dirichlet). */
function maxMeanChange(before: Float64Array[], after: Float64Array[], K: number): number {
  let worst = 0;
  const a = after[0];
  const b = before[0];
  for (let m = 0; m < a.length / K; m++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.abs(a[m * K + k] - b[m * K + k]);
    worst = Math.max(worst, s / K);
  }
  for (let i = 1; i < after.length; i++)
    for (let j = 0; j < after[i].length; j++)
      worst = Math.max(worst, Math.abs(after[i][j] - before[i][j]));
  return worst;
}

/**
 * The local/global schedule of batch cavi, when the model splits at its outermost plate
 * (split.ts) into local latents with a discrete one (LDA's θ_d, z_dn) and global Dirichlet
 * factors (β): the globals start random, the discrete locals uniform, and each sweep fits the
 * local factors to convergence (rounds of continuous then discrete local updates, at most
 * `localIters`) before one update of the globals — scikit-learn's batch variational Bayes for
 * LDA (Hoffman, Blei & Bach 2010 with the whole corpus as the batch). Otherwise undefined: one
 * update of every factor per sweep from random responsibilities.
 */
export function localSchedule(
  bound: BoundModel,
  plan: CaviPlan,
): { locals: CaviLatent[]; globals: string[] } | undefined {
  const split = outerSplit(bound, plan);
  if (typeof split === 'string' || split.globals.length === 0) return undefined;
  const byName = new Map(plan.latents.map((l) => [l.name, l]));
  const locals = split.locals.map((n) => byName.get(n) as CaviLatent);
  const dirichlet = split.globals.every((n) => {
    const l = byName.get(n);
    return l?.kind === 'continuous' && l.family === 'Dirichlet';
  });
  if (!dirichlet || !locals.some((l) => l.kind === 'discrete')) return undefined;
  // continuous locals first: from uniform responsibilities they carry no information yet
  return {
    locals: [
      ...locals.filter((l) => l.kind === 'continuous'),
      ...locals.filter((l) => l.kind === 'discrete'),
    ],
    globals: [...split.globals],
  };
}

/** A copy of the variational state (Cavi.snapshot): η per continuous factor, q per discrete. */
interface Snapshot {
  readonly qs: Map<string, Float64Array[] | tf.Tensor>;
  readonly parts: Map<string, number>;
  readonly scales: Map<string, number>;
  readonly stale: Set<TermRt>;
  readonly staleGroups: Set<string>;
}

export class Cavi {
  readonly qs = new Map<string, Q>();
  readonly terms: TermRt[] = [];
  /** indices in `terms` of the terms that read a learned param */
  private readonly paramTerms: number[];
  /** the ELBO's parts, by node: a term's E_q[log p], a discrete latent's term + entropy, −KL */
  readonly parts = new Map<string, number>();
  /** per part, the magnitude of the float32 pieces it sums (see DECREASE_TOLERANCE) */
  readonly scales = new Map<string, number>();
  constant = 0;
  /** the continuous latents whose prior reads a learned param (variational EM: params.ts) */
  private readonly paramLatents: Extract<CaviLatent, { kind: 'continuous' }>[] = [];
  /** terms read by no discrete latent whose part is out of date (a latent they read changed) */
  private readonly stale = new Set<TermRt>();
  /** discrete latents whose weighted terms' parts are out of date */
  private readonly staleGroups = new Set<string>();
  /** the blocked segment ids of the terms' fixed element ids (segmentSum64) */
  private readonly blockIds = new Map<tf.Tensor, tf.Tensor>();

  constructor(
    readonly plan: CaviPlan,
    readonly ev: ExprEvaluator,
    seed: number,
    /** the learned params' current values (variational EM), as tensors */
    penv: Env = {},
    /** evaluate mixture-selected children per component (selected.ts); false: row by row */
    aggregate = true,
    /**
     * the local/global schedule's start (runCavi): these global Dirichlet factors at random
     * concentrations, these discrete factors uniform (instead of random responsibilities)
     */
    start: { readonly random?: readonly string[]; readonly uniform?: readonly string[] } = {},
  ) {
    const rng = new Rng(seed);
    const learned = new Set(plan.params.map((p) => p.name));
    for (const l of plan.latents)
      if (l.kind === 'continuous') {
        this.qs.set(l.name, continuousQ(l, ev, penv));
        if (readsParams(ev.model, l.name, learned)) this.paramLatents.push(l);
      }
    for (const name of start.random ?? []) randomDirichlet(this.qs.get(name) as ContinuousQ, rng);
    for (const l of plan.latents)
      if (l.kind === 'discrete') {
        const q = discreteQ(l, statesOf(l.name, ev, this.qs), ev, rng);
        if (start.uniform?.includes(l.name)) {
          const u = pinned(q.pin, tf.fill([q.M, q.S], 1 / q.S));
          q.q.dispose();
          q.q = u;
        }
        this.qs.set(l.name, q);
      }
    const byNode = new Map(plan.terms.map((t) => [t.node, t]));
    // a term that reads a learned param is rebuilt and differentiated in θ (params.ts): row by row
    for (const t of plan.terms)
      this.terms.push(
        new TermRt(t, ev, this.qs, penv, aggregate && !readsParams(ev.model, t.node, learned)),
      );
    // a discrete latent with known arguments still has its own term (its prior)
    for (const l of plan.latents) {
      if (l.kind !== 'discrete' || byNode.has(l.name)) continue;
      const t: CaviTerm = { node: l.name, observed: false, uses: [] };
      this.terms.push(new TermRt(t, ev, this.qs, penv));
    }
    this.paramTerms = this.terms
      .map((t, i) => (readsParams(ev.model, t.node.name, learned) ? i : -1))
      .filter((i) => i >= 0);
    for (const k of plan.known) this.constant += knownLogProb(k, ev);
    for (const q of this.qs.values()) if (q.kind === 'continuous') this.parts.set(q.name, negKl(q));
    this.recomputeParts();
    for (const b of plan.linear) {
      const rt = new LinearBlockRt(b, ev);
      this.blocks.set(b.latent, rt);
      this.setBlock(rt);
    }
  }

  /** the linear-Gaussian blocks (linear.ts), by latent */
  readonly blocks = new Map<string, LinearBlockRt>();

  /** E[log τ] and E[τ] of a block's noise precision (0 and 1 for a known sd). */
  private precisionMoments(b: LinearBlockRt): [number, number] {
    if (!b.block.precision) return [0, 1];
    const q = this.qs.get(b.block.precision) as ContinuousQ;
    const m = (q.f64.expectedStats as NonNullable<typeof q.f64.expectedStats>)(q.eta, 1);
    return [m[0][0], m[1][0]];
  }

  /** A block's ELBO parts: −KL of q(w), and its children's expected log-likelihood (float64). */
  private setBlock(b: LinearBlockRt): void {
    const [eLog, e] = this.precisionMoments(b);
    this.parts.set(b.block.latent, b.negKl());
    this.parts.set(`${b.block.latent} → children`, b.logLik(eLog, e));
  }

  elbo(): number {
    let s = this.constant;
    for (const v of this.parts.values()) s += v;
    return s;
  }

  /** Σ of the magnitudes of the float32 pieces the ELBO is summed from. */
  scale(): number {
    let s = 0;
    for (const v of this.scales.values()) s += v;
    return s;
  }

  setTerm(t: TermRt): void {
    const { value, scale } = this.termPart(t);
    this.parts.set(t.node.name, value);
    this.scales.set(t.node.name, scale);
  }

  /**
   * E_q[log p(x | args)] of a term (+ H[q] for a discrete latent's own term unless `entropy` is
   * false), float64.
   */
  private termPart(t: TermRt, entropy = true): { value: number; scale: number } {
    const own = this.qs.get(t.node.name);
    const [v, m] = tf.tidy(() => {
      const { l, scale } = t.logLikByElement(this.qs); // [B, S]
      const W = t.weightsPerElement(this.qs);
      const weighted = (x: tf.Tensor) =>
        W ? tf.mul(W, tf.where(tf.greater(W, 0), x, tf.zerosLike(x))) : x;
      let s = weighted(l);
      let mag = weighted(scale);
      if (own?.kind === 'discrete' && entropy) {
        const q = own.q;
        const ent = tf.where(tf.greater(q, 0), tf.mul(q, tf.log(q)), tf.zerosLike(q));
        s = tf.concat([tf.reshape(s, [-1]), tf.neg(tf.reshape(ent, [-1]))]);
        mag = tf.concat([tf.reshape(mag, [-1]), tf.abs(tf.reshape(ent, [-1]))]);
      }
      return [s, mag];
    });
    const out = { value: sum64(v), scale: sum64(m) };
    tf.dispose([v, m]);
    return out;
  }

  /** The continuous factor's optimum given the others: η = η_prior + Σ weighted messages. */
  private updateContinuous(q: ContinuousQ): void {
    const sums = q.eta0.map((e) => new Float64Array(e.length));
    for (const t of this.terms) {
      const inc64 = t.increments64(q.name, this.qs);
      if (inc64) {
        inc64.forEach((b, i) => {
          for (let j = 0; j < b.length; j++) sums[i][j] += b[j];
        });
        continue;
      }
      const inc = t.increments(q.name, this.qs);
      inc.forEach((b, i) => {
        // one block per message block, except a one-hot message (one block of counts)
        segmentSum64(b.value, b.at, b.size, sums[i], this.blockIds);
      });
      tf.dispose(inc.map((b) => b.value));
    }
    // a linear-Gaussian block's message to its noise precision τ (natural parameters log τ, τ)
    for (const b of this.blocks.values()) {
      if (b.block.precision !== q.name) continue;
      const [a, r] = b.precisionMessage();
      sums[0][0] += a;
      sums[1][0] += r;
    }
    setEta(
      q,
      q.eta0.map((e, i) => e.map((v, j) => v + sums[i][j])),
    );
    this.parts.set(q.name, negKl(q));
  }

  /**
   * The discrete factor's optimum: q(z = s) ∝ exp(ℓ_self[s] + Σ ℓ of the terms it selects).
   * Its ELBO part (the terms it weights + H[q]) is Σ_m log Σ_s exp(logits[m, s]) (PRML eq. 10.3
   * at the optimum); their magnitude (see DECREASE_TOLERANCE) is Σ q · |pieces| + H[q], with
   * H[q] = that part − Σ q · logits.
   *
   * Passes over [M, S]: the logits (one matmul L G per mixture-selected child, the uniform own
   * term's row ℓ_self folded into its row of ones), then the softmax and the log-sum-exp fused:
   * e = exp(logits − max) (src/backend/expNonPositive.ts), q = e / Σ_s e, lse = max + log Σ_s e. Σ q · logits of a selected child
   * is <Lᵀq, G> in float64 from the weighted statistics Lᵀq, which the next sweep's continuous
   * updates read anyway (selected.ts weightedStats, cached per q); only other terms' logits are
   * weighted on the device.
   */
  private updateDiscrete(q: DiscreteQ): void {
    if (q.pin) {
      this.updateDiscreteRows(q);
      return;
    }
    const { M, S } = q;
    const { row, rowScale, aggs, general } = this.groupRows(this.group(q.name));
    const coefs = this.coefficients(aggs, row);
    const [next, lse, gen, genScale] = tf.tidy(() => {
      let lg: tf.Tensor | undefined;
      aggs.forEach((t, i) => {
        const l = tf.matMul((t.aggregate as NonNullable<TermRt['aggregate']>).L, coefs[i].Gt);
        lg = lg ? tf.add(lg, l) : l;
      });
      let g: tf.Tensor | undefined;
      let gs: tf.Tensor | undefined;
      for (const t of general) {
        const { l, scale } = t.logLikByElement(this.qs); // [B, S]
        const seg = t.selectorSegments as tf.Tensor1D | undefined;
        const perM = (x: tf.Tensor) => (seg ? tf.unsortedSegmentSum(x, seg, M) : x);
        g = g ? tf.add(g, perM(l)) : perM(l);
        gs = gs ? tf.add(gs, perM(scale)) : perM(scale);
      }
      if (g) lg = lg ? tf.add(lg, g) : g;
      if (row && aggs.length === 0) {
        const r = tf.tensor(Float32Array.from(row), [1, S]);
        lg = lg ? tf.add(lg, r) : tf.mul(tf.ones([M, 1]), r);
      }
      const x = lg ?? tf.zeros([M, S]);
      const mx = tf.max(x, 1, true);
      const e = expNonPositive(tf.sub(x, mx));
      const se = tf.sum(e, 1, true);
      return [tf.div(e, se), tf.reshape(tf.add(mx, tf.log(se)), [1, M]), g, gs];
    });
    tf.dispose(coefs.map((c) => c.Gt));
    q.q.dispose();
    q.q = next;
    const part = rowSums64(lse)[0];
    lse.dispose();
    let cross = 0;
    let scale = 0;
    aggs.forEach((t, i) => {
      const a = t.aggregate as NonNullable<TermRt['aggregate']>;
      cross += dot64(weightedStats(a, next), coefs[i].G);
      scale += dot64(a.absCol, coefs[i].big);
    });
    if (row && aggs.length === 0) cross += dot64(columnSums64(next), row);
    if (rowScale) scale += dot64(columnSums64(next), rowScale);
    if (gen && genScale) {
      const [c, m] = weightedByQ(next, gen, genScale);
      tf.dispose([gen, genScale]);
      cross += c;
      scale += m;
    }
    this.setGroupPart(q, part, scale + (part - cross));
  }

  /**
   * updateDiscrete for a partly observed z (its observed rows pinned to their data): every
   * term's ℓ per element, the part of a pinned row Σ_s q · logits = logits[m, data] (H = 0).
   * Magnitude as updateDiscrete: Σ q · (scale − logits) + part, 0 (not 0 · ∞) at an impossible
   * state.
   */
  private updateDiscreteRows(q: DiscreteQ): void {
    const [next, part, mag] = tf.tidy(() => {
      let logits: tf.Tensor | undefined;
      let scale: tf.Tensor | undefined;
      for (const t of this.terms) {
        if (t.weightBy !== q.name) continue;
        const { l, scale: s } = t.logLikByElement(this.qs); // [B, S]
        const seg = t.selectorSegments as tf.Tensor1D | undefined;
        const perM = (x: tf.Tensor) => (seg ? tf.unsortedSegmentSum(x, seg, q.M) : x);
        logits = logits ? tf.add(logits, perM(l)) : perM(l);
        scale = scale ? tf.add(scale, perM(s)) : perM(s);
      }
      const lg = logits ?? tf.zeros([q.M, q.S]);
      // a partly observed node's observed rows stay point masses at their data
      const p = pinned(q.pin, tf.softmax(lg, 1));
      // q = 0 where a state is impossible (logits −∞): 0, not 0 · ∞
      const where = (x: tf.Tensor) => tf.where(tf.greater(p, 0), x, tf.zerosLike(x));
      const lse = tf.sub(tf.max(lg, 1), tf.log(tf.max(p, 1)));
      // a pinned row's part is Σ_s q · logits = logits[m, data] (H = 0), not log Σ exp logits
      const part = q.pin
        ? tf.where(
            tf.greater(tf.reshape(q.pin.mask, [q.M]), 0),
            tf.sum(tf.mul(p, where(lg)), 1),
            lse,
          )
        : lse;
      // p · (scale − logits) with 0, not 0 · ∞, at an impossible state: the logits clamped
      // from below and the difference from above (two passes; tf.where costs ~4 on wasm)
      const d = tf.minimum(tf.sub(scale ?? 0, tf.maximum(lg, -BIG)), BIG);
      const m = tf.add(tf.sum(tf.mul(p, d), 1), part);
      return [p, part, m];
    });
    q.q.dispose();
    q.q = next;
    this.parts.set(q.name, sum64(part));
    this.scales.set(q.name, sum64(mag));
    tf.dispose([part, mag]);
    for (const t of this.terms) {
      if (t.weightBy !== q.name || t.node.name === q.name) continue;
      this.parts.delete(t.node.name);
      this.scales.delete(t.node.name);
    }
    this.staleGroups.delete(q.name);
  }

  /** The factors and ELBO parts, to go back to (restore) or drop (release). */
  snapshot(): Snapshot {
    const qs = new Map<string, Float64Array[] | tf.Tensor>();
    for (const [name, q] of this.qs) qs.set(name, q.kind === 'continuous' ? q.eta : tf.clone(q.q));
    return {
      qs,
      parts: new Map(this.parts),
      scales: new Map(this.scales),
      stale: new Set(this.stale),
      staleGroups: new Set(this.staleGroups),
    };
  }

  restore(s: Snapshot): void {
    for (const [name, v] of s.qs) {
      const q = this.qs.get(name) as Q;
      // setEta never mutates η in place, so the saved arrays are the old values
      if (q.kind === 'continuous') setEta(q, v as Float64Array[]);
      else {
        q.q.dispose();
        q.q = v as tf.Tensor;
      }
    }
    for (const [from, to] of [
      [s.parts, this.parts],
      [s.scales, this.scales],
    ] as const) {
      to.clear();
      for (const [k, v] of from) to.set(k, v);
    }
    this.stale.clear();
    for (const t of s.stale) this.stale.add(t);
    this.staleGroups.clear();
    for (const g of s.staleGroups) this.staleGroups.add(g);
  }

  release(s: Snapshot): void {
    for (const v of s.qs.values()) if (v instanceof tf.Tensor) v.dispose();
  }

  /** Restart the discrete locals at uniform responsibilities (the schedule's cold start). */
  restartLocals(locals: readonly CaviLatent[]): void {
    for (const l of locals) {
      const q = this.qs.get(l.name) as Q;
      if (q.kind !== 'discrete') continue;
      const u = pinned(q.pin, tf.fill([q.M, q.S], 1 / q.S));
      q.q.dispose();
      q.q = u;
      // the parts of the terms it weights (its group's) are out of date
      this.staleGroups.add(q.name);
    }
  }

  /** Update one latent; mark the ELBO parts that depend on it out of date. */
  update(name: string): void {
    const block = this.blocks.get(name);
    if (block) {
      block.update(this.precisionMoments(block)[1]);
      this.setBlock(block);
      return;
    }
    const q = this.qs.get(name) as Q;
    if (q.kind === 'discrete') {
      this.updateDiscrete(q);
      return;
    }
    this.updateContinuous(q);
    for (const t of this.terms) {
      if (!t.uses.some((u) => u.use.latent === name)) continue;
      if (t.weightBy) this.staleGroups.add(t.weightBy);
      else this.stale.add(t);
    }
    for (const b of this.blocks.values()) if (b.block.precision === name) this.setBlock(b);
  }

  /**
   * The M-step's objective: the parts of E_q[log p] that read the learned params, as a
   * differentiable scalar of the params' tensors in `env` (params.ts).
   */
  paramObjective(env: Env): tf.Scalar {
    return tf.tidy(() => {
      let s: tf.Tensor = tf.scalar(0);
      for (const l of this.paramLatents) {
        const q = this.qs.get(l.name) as ContinuousQ;
        s = tf.add(
          s,
          priorObjective(l, q, env, (e) => priorArgs(l, this.ev, e, (f) => f())),
        );
      }
      for (const i of this.paramTerms) {
        const term = this.terms[i].term;
        s = tf.add(
          s,
          termObjective((e) => new TermRt(term, this.ev, this.qs, e, false), this.qs, env),
        );
      }
      return s as tf.Scalar;
    });
  }

  /** The mean over a Dirichlet latent's elements of E_q[log θ_e] (float64): Minka's statistic. */
  meanLog(name: string): Float64Array {
    const q = this.qs.get(name) as ContinuousQ;
    const m = (q.f64.expectedStats as NonNullable<typeof q.f64.expectedStats>)(q.eta, q.K)[0];
    const out = new Float64Array(q.K);
    for (let i = 0; i < m.length; i++) out[i % q.K] += m[i] / q.M;
    return out;
  }

  /** Recompute what reads the learned params (priors, terms, their ELBO parts) at θ in `env`. */
  refreshParams(env: Env): void {
    for (const l of this.paramLatents) {
      const q = this.qs.get(l.name) as ContinuousQ;
      q.eta0 = priorEta(l, this.ev, env);
      this.parts.set(q.name, negKl(q));
    }
    for (const i of this.paramTerms) {
      const old = this.terms[i];
      const next = new TermRt(old.term, this.ev, this.qs, env, false);
      this.terms[i] = next;
      this.stale.delete(old);
      old.dispose();
      // a term weighted by a discrete latent z has its part inside z's (Σ log Σ exp logits,
      // computed at the old params): recompute the whole group, not this term alone
      if (next.weightBy) this.staleGroups.add(next.weightBy);
      else this.stale.add(next);
    }
    // the blocked ids of the replaced terms' element ids
    for (const [at, id] of this.blockIds)
      if (at.isDisposed) {
        id.dispose();
        this.blockIds.delete(at);
      }
    this.refresh();
  }

  /** The ELBO with every part up to date. */
  refresh(): number {
    for (const t of this.terms) if (this.stale.has(t)) this.setTerm(t);
    for (const g of this.staleGroups) this.setGroup(this.qs.get(g) as DiscreteQ);
    this.stale.clear();
    this.staleGroups.clear();
    return this.elbo();
  }

  /** Every term's ELBO part from the current factors (the parts of z's group as one, setGroup). */
  recomputeParts(): void {
    for (const t of this.terms) if (!t.weightBy) this.setTerm(t);
    for (const q of this.qs.values()) if (q.kind === 'discrete') this.setGroup(q);
  }

  /** The terms weighted by discrete latent `name`: its own term and the children it selects. */
  private group(name: string): TermRt[] {
    return this.terms.filter((t) => t.weightBy === name);
  }

  /**
   * The ELBO part of discrete latent z's group at the current q(z) (not only at its optimum, as
   * updateDiscrete's): Σ_terms E_q[log p] + H[q(z)], under z's name. A mixture-selected child's
   * Σ_m,s q_ms ℓ_ms is <Lᵀq, G> (its weighted statistics, float64: no [M, S] pass), a uniform own
   * term's Σ_s N_s ℓ_self[s]; other terms as setTerm. A partly observed z keeps a part per term.
   */
  private setGroup(q: DiscreteQ): void {
    const group = this.group(q.name);
    if (q.pin) {
      for (const t of group) this.setTerm(t);
      return;
    }
    const { row, rowScale, aggs, general } = this.groupRows(group);
    let value = 0;
    let scale = 0;
    const N = aggs.length > 0 ? undefined : columnSums64(q.q);
    const coefs = this.coefficients(aggs, row);
    aggs.forEach((t, i) => {
      const a = t.aggregate as NonNullable<TermRt['aggregate']>;
      value += dot64(weightedStats(a, q.q), coefs[i].G);
      scale += dot64(a.absCol, coefs[i].big);
    });
    tf.dispose(coefs.map((c) => c.Gt));
    if (N && row) value += dot64(N, row);
    if (rowScale) scale += dot64(N ?? columnSums64(q.q), rowScale);
    for (const t of general) {
      const p = this.termPart(t, false);
      value += p.value;
      scale += p.scale;
    }
    // H[q] = −Σ q log q (0 log 0 = 0: q + 1e-30 changes log q only where q · log q is < 1e-28)
    const ent = tf.tidy(() => tf.neg(tf.sum(tf.mul(q.q, tf.log(tf.add(q.q, 1e-30))), 1)));
    const H = rowSums64(ent)[0];
    ent.dispose();
    this.setGroupPart(q, value + H, scale + H);
  }

  private setGroupPart(q: DiscreteQ, value: number, scale: number): void {
    for (const t of this.group(q.name)) {
      this.parts.delete(t.node.name);
      this.scales.delete(t.node.name);
    }
    this.parts.set(q.name, value);
    this.scales.set(q.name, scale);
    this.staleGroups.delete(q.name);
  }

  /**
   * A group's terms by kind: the uniform own terms' ℓ_self rows summed ([1, S] on the host: the
   * row, and the magnitude of its pieces), the mixture-selected children, the rest.
   */
  private groupRows(group: readonly TermRt[]): {
    row?: Float64Array;
    rowScale?: Float64Array;
    aggs: TermRt[];
    general: TermRt[];
  } {
    let row: Float64Array | undefined;
    let rowScale: Float64Array | undefined;
    for (const t of group) {
      const r = t.selfRow(this.qs);
      if (!r) continue;
      const [l, sc] = [r.l.dataSync(), r.scale.dataSync()];
      tf.dispose([r.l, r.scale]);
      row = row ?? new Float64Array(l.length);
      rowScale = rowScale ?? new Float64Array(l.length);
      for (let s = 0; s < l.length; s++) {
        row[s] += l[s];
        rowScale[s] += sc[s];
      }
    }
    return {
      row,
      rowScale,
      aggs: group.filter((t) => t.aggregated),
      general: group.filter((t) => !t.aggregated && !t.uniform),
    };
  }

  /** G and its magnitude bound of each aggregated child, the own row folded into the first's. */
  private coefficients(
    aggs: readonly TermRt[],
    row: Float64Array | undefined,
  ): { G: Float32Array; big: Float32Array; Gt: tf.Tensor }[] {
    return aggs.map((t, i) => {
      const extra = i === 0 && row ? tf.tensor(Float32Array.from(row), [1, row.length]) : undefined;
      const c = t.aggCoefficients(this.qs, extra) as { G: tf.Tensor; big: tf.Tensor };
      extra?.dispose();
      const big = c.big.dataSync() as Float32Array;
      c.big.dispose();
      return { G: c.G.dataSync() as Float32Array, big, Gt: c.G };
    });
  }

  dispose(): void {
    tf.dispose([...this.blockIds.values()]);
    for (const t of this.terms) t.dispose();
    for (const q of this.qs.values()) disposeQ(q);
  }
}

export async function runCavi(
  bound: BoundModel,
  plan: CaviPlan,
  options: RunOptions<typeof caviInfo.options>,
): Promise<Posterior> {
  const start = performance.now();
  // variational EM: the learned params' start (a loaded value, their default, else neutral and
  // jittered)
  const params =
    plan.params.length > 0
      ? new ParamState(
          plan.params,
          bound,
          new Rng(options.seed ^ 0x5bd1e995),
          dirichletConcentrations(
            bound,
            plan.params,
            new Set(plan.latents.filter((l) => l.kind === 'continuous').map((l) => l.name)),
          ),
          options.initial,
        )
      : undefined;
  const ev = new ExprEvaluator(params ? params.withValues(bound) : bound);
  const schedule = params ? undefined : localSchedule(bound, plan);
  let c: Cavi | undefined;
  try {
    c = new Cavi(plan, ev, options.seed, params?.env, true, {
      random: schedule?.globals,
      uniform: schedule?.locals.filter((l) => l.kind === 'discrete').map((l) => l.name),
    });
    const trace: number[] = [];
    let converged = false;
    let t = 0;
    let current = c.elbo();
    let restarting = schedule !== undefined;
    // the set-up is done (benchmarks time the sweeps from here)
    options.onProgress?.(0, options.iters);
    while (t < options.iters) {
      t++;
      if (schedule) {
        // the globals fitted to the previous sweep's locals (the first sweep fits the locals to
        // the random start): the sweep then ends with a discrete update, whose ELBO part is
        // current, so no pass is spent refreshing it
        if (t > 1) for (const g of schedule.globals) c.update(g);
        if (restarting) {
          // a restart of the local factors is not a coordinate step: kept only if the sweep's
          // ELBO did not decrease; else the state goes back and the sweep (and every later
          // one) runs warm
          const saved = c.snapshot();
          c.restartLocals(schedule.locals);
          localRounds(c, schedule.locals, options.rounds);
          if (c.refresh() >= current) c.release(saved);
          else {
            c.restore(saved);
            restarting = false;
          }
        }
        if (!restarting) localRounds(c, schedule.locals, options.rounds);
      } else {
        // the linear-Gaussian blocks' joint factors first, then the others (plan order)
        for (const b of plan.linear) c.update(b.latent);
        for (const l of plan.latents) c.update(l.name);
      }
      const next = c.refresh();
      if (next - current < -DECREASE_TOLERANCE * (Math.abs(current) + c.scale()))
        options.onWarning?.({
          kind: 'data',
          severity: 'warning',
          message: `cavi: the ELBO decreased at sweep ${t} (from ${current} to ${next}); coordinate ascent never decreases it, so an update is wrong or numerically unstable`,
        });
      current = next;
      if (params) {
        const cc = c;
        // the M-step keeps its steps only if the ELBO did not decrease (params.ts); its ELBO
        // is refreshed after each change of the params (refreshParams marks what they move)
        current = params.mStep(
          (env) => cc.paramObjective(env),
          (env) => cc.refreshParams(env),
          () => cc.refresh(),
          () => DECREASE_TOLERANCE * (Math.abs(cc.refresh()) + cc.scale()),
          options.tol,
          (name) => cc.meanLog(name),
        );
      }
      const prev = trace[trace.length - 1];
      trace.push(current);
      options.onProgress?.(t, options.iters);
      if (prev !== undefined && Math.abs(current - prev) < options.tol * Math.abs(current)) {
        converged = true;
        break;
      }
      await tick();
    }
    options.onProgress?.(options.iters, options.iters);
    return {
      engine: 'cavi',
      converged,
      iterations: t,
      seconds: (performance.now() - start) / 1000,
      logEvidence: current,
      elbo: trace,
      latents: summaries(bound, c),
      params: Object.fromEntries(
        plan.params.map((p) => [
          p.name,
          float64(Float64Array.from(params?.values[p.name] ?? []), p.shape),
        ]),
      ),
    };
  } finally {
    c?.dispose();
    params?.dispose();
    ev.dispose();
  }
}

/**
 * Fit the local factors to the globals: rounds of one update of each (continuous, then
 * discrete), until the continuous ones move by less than LOCAL_CHANGE or `max` rounds.
 */
function localRounds(c: Cavi, locals: readonly CaviLatent[], max: number): number {
  const watched = locals
    .filter((l) => l.kind === 'continuous')
    .map((l) => c.qs.get(l.name) as ContinuousQ);
  for (let round = 1; round <= max; round++) {
    const before = watched.map((q) => q.eta);
    for (const l of locals) c.update(l.name);
    // setEta replaces η (never in place), so `before` holds the previous round's
    const moved = watched.some((q, i) => maxMeanChange(before[i], q.eta, q.K) >= LOCAL_CHANGE);
    if (!moved || watched.length === 0) return round;
  }
  return max;
}

/** Each latent's variational factor as DESIGN.md §5 reports it (model order, ragged axes kept). */
export function summaries(
  bound: BoundModel,
  c: { readonly qs: ReadonlyMap<string, Q>; readonly blocks?: ReadonlyMap<string, LinearBlockRt> },
): Record<string, LatentPosterior> {
  const out: Record<string, LatentPosterior> = {};
  for (const name of bound.graph.order) {
    const q = c.qs.get(name);
    const block = c.blocks?.get(name);
    if (block) {
      // q(w) = N(m, S) reported by its marginals
      out[name] = normalSummary(block.m, block.sds(), fullShape(bound, name));
      continue;
    }
    if (!q) continue;
    const F = fullShape(bound, name);
    let s: LatentPosterior;
    if (q.kind === 'discrete') {
      const p = new Float64Array(q.q.dataSync());
      if (q.family === 'Bernoulli') {
        const p1 = new Float64Array(q.M);
        for (let i = 0; i < q.M; i++) p1[i] = p[2 * i + 1];
        s = bernoulliSummary(p1, F);
      } else s = categoricalSummary(p, F, q.S);
    } else {
      const p = q.f64.fromNatural(q.eta);
      s =
        q.family === 'Beta'
          ? betaSummary(p.a, p.b, F)
          : q.family === 'Gamma'
            ? gammaSummary(p.shape, p.rate, F)
            : q.family === 'Dirichlet'
              ? dirichletSummary(p.alpha, F)
              : normalSummary(p.mu, p.sigma, F);
    }
    out[name] = withRagged(s, raggedAxes(bound.axes[name] ?? [], bound.ragged));
  }
  return out;
}

function withRagged(s: LatentPosterior, ragged: ReturnType<typeof raggedAxes>): LatentPosterior {
  if (ragged.length === 0) return s;
  const r = (a: ResultArray) => new ResultArray(a.data, a.shape, ragged);
  return {
    ...s,
    params: Object.fromEntries(Object.entries(s.params).map(([k, v]) => [k, r(v)])),
    mean: r(s.mean),
    sd: r(s.sd),
  };
}

/** the float64-finished segment sums, for stochastic VI (svi.ts) */
export { segmentSum64 };
