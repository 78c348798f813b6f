// avi's view of the model for one block of the outermost plate: the compiled plans (one per
// block size: a minibatch is bound through the ordinary binder with the plate's size set to B,
// graph/minibatch.ts, and its observed values are gathered into the env each step), the
// observed data of the plate as tensors, and the ELBO's terms at one draw of q:
//   per element i of the block:  w_i = Σ_{nodes in the plate} log p(·)_i − Σ_{local z} log q(z_i)
//   once:                        g   = Σ_{nodes outside} log p(·) − Σ_{global z} log q(z)
// so that the ELBO of the whole plate is estimated by g + (N/B) Σ_{i in the block} w_i
// (Hoffman et al. 2013's scaling; unbiased over uniformly drawn blocks). Global discrete latents
// summed out (plan.ts) enter as an exact q-weighted sum over their joint states, the model
// evaluated at all of them at once (sumGlobals); local ones by log-sum-exp per element.
import * as tf from '@tensorflow/tfjs';
import { broadcast } from '../../backend/broadcast.js';
import { gatherHeapRows, scopedHeapFloat32 } from '../../backend/heapFloat32.js';
import { reshapeConstant } from '../../backend/reshape.js';
import { compileModel, type Env, type ModelPlan } from '../../compile/model.js';
import { userError } from '../../diagnostics/diagnostics.js';
import type { Rng } from '../../distributions/rng.js';
import { DISTRIBUTIONS } from '../../distributions/signatures.js';
import { markInSupport } from '../../distributions/support.js';
import { bind } from '../../graph/bind.js';
import type { BoundModel } from '../../graph/bound.js';
import { metaOf, minibatchData, recordOf } from '../../graph/minibatch.js';
import { float32Of, tensorOf } from '../../graph/values.js';
import { prod } from '../../util/shape.js';
import { bijectForward, hasBounds, type SupportBounds } from './bijectors.js';
import { type GaussianQ, normalKl } from './gaussianQ.js';
import { drawU, locScale } from './guide.js';
import { guideBound } from './guideBlock.js';
import {
  type AviLatent,
  type AviPlan,
  globalLogitsName,
  globalStateValues,
  MAX_STATES,
} from './plan.js';
import { drawScored, type ScoredDraw, scoreNatural } from './score.js';
import { TermSum } from './termSum.js';

/** One draw (S particles) of the ELBO's terms on a block. */
export interface Terms {
  /** [S]: the terms outside the plate */
  readonly g: tf.Tensor;
  /** [S, B]: per element of the block (absent without a plate) */
  readonly w?: tf.Tensor;
  /** with discrete latents summed out: each joint state's element terms [J, S, B] … */
  readonly logStates?: tf.Tensor;
  /** … and the states (one value per enumerated latent) */
  readonly states?: readonly (readonly number[])[];
  /** with global discrete latents summed out: q of each joint state at each draw [J, S] (logStates' draws are then J·S, state-major) */
  readonly globalQ?: tf.Tensor;
  /** … and log p of each joint state at each draw: outside the plate [J, S], per element [J, S, B] */
  readonly globalLogP?: { readonly g: tf.Tensor; readonly w?: tf.Tensor };
  /** the score-function latents' log q at their draws (score.ts) */
  readonly scored: readonly ScoredDraw[];
}

/** q's loc and log sd on the unconstrained space, [1 or S, ...batch, ...uevent]. */
export interface QParams {
  readonly loc: tf.Tensor;
  readonly logScale: tf.Tensor;
}

/** Draws of the global latents shared by several blocks (the IW bound needs one draw for all). */
export interface GlobalDraw {
  readonly env: Env;
  /** [S]: Σ_{global z} log q(z) */
  readonly logQ: tf.Tensor;
  /** the global score-function latents' log q, [S] each */
  readonly scored: readonly ScoredDraw[];
}

/** A value of the plate held on the host, [N, ...row], gathered by rows per block. */
interface HostRows {
  readonly data: Float32Array;
  /** the shape of one element's slice */
  readonly row: readonly number[];
  readonly size: number;
  /**
   * the same values on the wasm heap, gathered from there (gatherHeapRows): binding's tensor of
   * them (graph/values.ts tensorOf) while it lives, else a copy made on first use
   */
  readonly bound: () => tf.Tensor | undefined;
  own?: tf.Tensor;
}

/** Rows `rows` of `v` packed into `out` (a block's copy, one typed-array copy per row). */
function gatherRows(v: HostRows, rows: readonly number[], out: Float32Array): Float32Array {
  for (let i = 0; i < rows.length; i++)
    out.set(v.data.subarray(rows[i] * v.size, (rows[i] + 1) * v.size), i * v.size);
  return out;
}

/**
 * Rows `rows` of `v` as a tensor [1, B, ...row]: on wasm written straight into the tensor's
 * memory (no Float32Array of the block to allocate, fill and copy in again each step).
 */
function rowsTensor(v: HostRows, rows: readonly number[]): tf.Tensor {
  const shape = [1, rows.length, ...v.row];
  if (tf.getBackend() === 'wasm' && rows.length * v.size > 0) {
    let src = v.bound();
    if (!src) {
      v.own ??= tf.keep(tf.tensor(v.data));
      src = v.own;
    }
    const t = gatherHeapRows(src, v.size, rows, shape);
    if (t) return t;
  }
  const heap = rows.length * v.size > 0 ? scopedHeapFloat32(shape) : undefined;
  if (!heap) return tf.tensor(gatherRows(v, rows, new Float32Array(rows.length * v.size)), shape);
  gatherRows(v, rows, heap.view);
  return heap.tensor;
}

export class AviModel {
  private readonly plans = new Map<number, ModelPlan>();
  private readonly bounds_ = new Map<number, BoundModel>();
  /** the guide block's compiled expressions, per block size (guideBlock.ts) */
  private readonly guidePlans = new Map<number, ModelPlan>();
  /**
   * the plate's known values (data and observed nodes), [N, ...row], on the host: a block's
   * rows are copied there and uploaded once per step (tfjs-wasm's gather on a [10000, 784]
   * array cost ~15 ms a step, against ~0.2 ms for the copy and upload)
   */
  private readonly known = new Map<string, HostRows>();
  /** the whole plate's values as tensors, made once (full-batch steps and the results) */
  private whole?: Map<string, tf.Tensor>;
  private meta?: ReturnType<typeof metaOf>;

  constructor(
    readonly bound: BoundModel,
    readonly plan: AviPlan,
  ) {
    const g = bound.graph;
    const plate = plan.plate;
    if (plate === undefined) return;
    for (const name of g.order) {
      const node = g.nodes[name];
      const v = bound.values[name];
      const row = plan.rowData.includes(name);
      if (
        !v ||
        (!row && (node.plates[0] !== plate || (node.kind !== 'data' && node.kind !== 'stochastic')))
      )
        continue;
      const s = [...bound.shapes[name].batch, ...bound.shapes[name].event];
      const rest = s.slice(1);
      this.known.set(name, {
        data: float32Of(v),
        row: rest,
        size: prod(rest),
        bound: () => tensorOf(v),
      });
    }
  }

  /**
   * A block of `name`'s known values as uploaded: an observed node's are marked as checked in
   * its family's support (binding checked every entry, graph/support.ts), so that its log
   * density skips the per-step check (distributions/support.ts markInSupport).
   */
  private upload(name: string, t: tf.Tensor): tf.Tensor {
    const observed =
      this.bound.graph.nodes[name]?.kind === 'stochastic' &&
      this.bound.observation[name]?.kind === 'observed';
    return observed ? markInSupport(t) : t;
  }

  /** Are `rows` the whole plate in order? */
  private isWhole(rows: readonly number[]): boolean {
    return rows.length === this.plan.N && rows.every((r, i) => r === i);
  }

  /**
   * The plate's known values at `rows` (env layout [1, B, ...row]; row data `X[i]` keep the
   * layout of an unplated value) and each encoder's inputs [B, inDim] (its observed nodes'
   * rows flattened and concatenated). Call inside tidy.
   */
  blockEnv(rows: readonly number[] | undefined): { env: Env; inputs: Map<string, tf.Tensor> } {
    const env: Record<string, tf.Tensor> = {};
    const inputs = new Map<string, tf.Tensor>();
    if (!rows) return { env, inputs };
    const B = rows.length;
    if (this.isWhole(rows)) {
      if (!this.whole) {
        this.whole = new Map();
        for (const [name, v] of this.known)
          this.whole.set(name, this.upload(name, tf.keep(tf.tensor(v.data, [1, B, ...v.row]))));
      }
      for (const [name, t] of this.whole) env[name] = t;
    } else for (const [name, v] of this.known) env[name] = this.upload(name, rowsTensor(v, rows));
    for (const l of [...this.plan.latents, ...this.plan.scored]) {
      if (l.inputs.length === 0) continue;
      // data: no gradient reaches an encoder's inputs, so no tape node for their reshape
      const parts = l.inputs.map((c) => reshapeConstant(env[c], [B, env[c].size / B]));
      inputs.set(l.name, parts.length === 1 ? parts[0] : tf.concat(parts, 1));
    }
    return { env, inputs };
  }

  /** The bound model for blocks of B elements (the bound model itself for the whole plate). */
  private boundFor(size: number): BoundModel {
    const B = this.plan.plate === undefined ? this.plan.N : size;
    const hit = this.bounds_.get(B);
    if (hit) return hit;
    let model = this.bound;
    const plate = this.plan.plate;
    if (plate !== undefined && B !== this.plan.N) {
      this.meta ??= metaOf(this.bound, plate);
      const records = Array.from({ length: B }, (_, i) => recordOf(this.bound, plate, i));
      model = bind(this.bound.graph, minibatchData(this.bound.graph, plate, this.meta, records));
    }
    this.bounds_.set(B, model);
    return model;
  }

  /** The compiled plan for blocks of B elements. */
  planFor(size: number): ModelPlan {
    const B = this.plan.plate === undefined ? this.plan.N : size;
    const hit = this.plans.get(B);
    if (hit) return hit;
    const p = compileModel(this.boundFor(B));
    this.plans.set(B, p);
    return p;
  }

  /** The guide block's compiled expressions for blocks of B elements. */
  private guidePlanFor(size: number): ModelPlan {
    const B = this.plan.plate === undefined ? this.plan.N : size;
    const hit = this.guidePlans.get(B);
    if (hit) return hit;
    const guide = this.plan.guide;
    if (!guide) throw new Error('internal: no guide block');
    const p = compileModel(guideBound(this.boundFor(B), guide));
    this.guidePlans.set(B, p);
    return p;
  }

  /**
   * The ends of a bounded latent's support as its distribution sees them (fixed: plan.ts): a
   * Uniform's lo and hi; a truncated latent's bounds, each intersected with its family's own
   * support (HalfNormal T[, 3] lives on [0, 3]). Call inside tidy.
   */
  bounds(p: ModelPlan, l: AviLatent, env: Env): SupportBounds {
    const { args, bounds } = p.distArgs(l.name, env);
    const node = this.bound.graph.nodes[l.name];
    const family = node.kind === 'stochastic' ? DISTRIBUTIONS[node.distribution].support : 'real';
    const famLo = family === 'interval' ? args.lo : family === 'real' ? undefined : tf.scalar(0);
    const famHi =
      family === 'interval' ? args.hi : family === 'unit-interval' ? tf.scalar(1) : undefined;
    if (!bounds) return { lo: famLo, hi: famHi };
    const meet = (
      t: tf.Tensor | undefined,
      f: tf.Tensor | undefined,
      op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
    ) => (t && f ? op(t, f) : (t ?? f));
    return { lo: meet(bounds.lower, famLo, tf.maximum), hi: meet(bounds.upper, famHi, tf.minimum) };
  }

  /**
   * q's loc and logScale for a latent, [1 or S, ...batch, ...uevent]: the guide block's
   * arguments (Normal: mu, log sigma; LogNormal: the same of log z) in `env`, else the default
   * guide's. Call inside tidy.
   */
  private qParams(
    B: number,
    l: AviLatent,
    vars: Readonly<Record<string, tf.Tensor>>,
    env: Env,
    idx: tf.Tensor | undefined,
    inputs: Map<string, tf.Tensor>,
  ): GaussianQ {
    if (!l.guided) return locScale(l, vars, l.local ? idx : undefined, inputs.get(l.name), true);
    const { args, lead } = this.guidePlanFor(B).distArgs(l.name, env);
    const batch = l.local ? [B, ...l.batch.slice(1)] : l.batch;
    const shape = [lead ? args.mu.shape[0] : 1, ...batch, ...l.uevent];
    const mu = lead ? args.mu : tf.expandDims(args.mu, 0);
    const sigma = lead ? args.sigma : tf.expandDims(args.sigma, 0);
    return { loc: tf.broadcastTo(mu, shape), logScale: tf.broadcastTo(tf.log(sigma), shape) };
  }

  /**
   * Draw one latent: its value [S, ...batch, ...event], log q of it summed over the event
   * ([S, ...batch], made on demand) and q.
   */
  private draw(
    B: number,
    l: AviLatent,
    vars: Readonly<Record<string, tf.Tensor>>,
    env: Env,
    idx: tf.Tensor | undefined,
    inputs: Map<string, tf.Tensor>,
    S: number,
    rng: Rng,
  ): { x: tf.Tensor; logQ: () => tf.Tensor; q: GaussianQ } {
    const q = this.qParams(B, l, vars, env, idx, inputs);
    const { u, logQ } = drawU(l, q, S, rng);
    if (l.support === 'real') return { x: u, logQ, q };
    const bounds = hasBounds(l.support) ? this.bounds(this.planFor(B), l, env) : undefined;
    const { x, logDet } = bijectForward(l.support, u, bounds);
    const extra = l.uevent.length - (l.support === 'simplex' ? 1 : 0);
    const axes = Array.from({ length: extra }, (_, k) => 1 + l.batch.length + k);
    const ld = axes.length > 0 ? tf.sum(logDet, axes) : logDet;
    return { x, logQ: () => tf.sub(logQ(), ld), q };
  }

  /** S draws of the global latents, given the params and nets in `base`. Call inside tidy. */
  drawGlobals(
    B: number,
    vars: Readonly<Record<string, tf.Tensor>>,
    base: Env,
    S: number,
    rng: Rng,
    capture?: Map<string, QParams>,
  ): GlobalDraw {
    const env: Record<string, tf.Tensor> = {};
    let logQ: tf.Tensor = tf.zeros([S]);
    const scored: ScoredDraw[] = [];
    for (const d of this.plan.scored) {
      if (d.local) continue;
      const { z, logQ: lq } = drawScored(d, scoreNatural(d, vars, undefined, undefined), S, rng);
      env[d.name] = z;
      const total = sumFrom(lq, 1);
      scored.push({ latent: d, logQ: total });
      logQ = tf.add(logQ, total);
    }
    for (const l of this.plan.latents) {
      if (l.local) continue;
      const d = this.draw(B, l, vars, { ...base, ...env }, undefined, new Map(), S, rng);
      capture?.set(l.name, d.q);
      env[l.name] = d.x;
      logQ = tf.add(logQ, sumFrom(d.logQ(), 1));
    }
    return { env, logQ, scored };
  }

  /**
   * The ELBO's terms at S draws on the block of elements `rows` (undefined: no plate). `base` holds the
   * params and net weights; `globals` a draw of the global latents to reuse (else drawn here).
   * Call inside tidy.
   */
  terms(
    rows: readonly number[] | undefined,
    vars: Readonly<Record<string, tf.Tensor>>,
    base: Env,
    S: number,
    rng: Rng,
    globals?: GlobalDraw,
    analytic = false,
    capture?: Map<string, QParams>,
  ): Terms {
    const B = rows?.length ?? 0;
    const p = this.planFor(B);
    const plate = this.plan.plate;
    const { env: data, inputs } = this.blockEnv(rows);
    // free per-element parameters are gathered by index
    const idx =
      rows &&
      (this.plan.latents.some((l) => l.local && !l.guided && l.inputs.length === 0) ||
        this.plan.scored.some((d) => d.local && d.inputs.length === 0))
        ? tf.tensor1d(rows as number[], 'int32')
        : undefined;
    const gd = globals ?? this.drawGlobals(B, vars, base, S, rng, capture);
    const env: Record<string, tf.Tensor> = { ...base, ...data, ...gd.env };
    // the drawn latents (leading axis S), shared by every joint state of the summed-out globals
    const drawn = Object.keys(gd.env);
    const globalsDrawn = drawn.length; // (drawn grows with the local latents below)
    // the element terms [S, B], summed as one tape node at the end (termSum.ts; none: zero)
    const w = new TermSum();
    // local score-function latents: drawn from q, their log q in the element terms (score.ts)
    const scored: ScoredDraw[] = [...gd.scored];
    for (const d of this.plan.scored) {
      if (!d.local) continue;
      const eta = scoreNatural(d, vars, idx, inputs.get(d.name));
      const { z, logQ } = drawScored(d, eta, S, rng);
      env[d.name] = z;
      drawn.push(d.name);
      scored.push({ latent: d, logQ });
      w.sub(logQ);
    }
    // analytic: a real local latent with a Normal prior takes −KL(q ‖ p) in closed form in
    // place of its draw of log p(z) − log q(z) (Kingma & Welling 2014's estimator B: the same
    // expectation, less gradient variance). Training only: the IW bound needs the draws'
    // weights, and not through a sum over discrete states (the prior may depend on them).
    const J = this.plan.globalStates;
    const closed = new Map<string, GaussianQ>();
    for (const l of this.plan.latents) {
      if (!l.local) continue;
      const d = this.draw(B, l, vars, env, idx, inputs, S, rng);
      capture?.set(l.name, d.q);
      env[l.name] = d.x;
      drawn.push(l.name);
      const node = this.bound.graph.nodes[l.name];
      if (
        analytic &&
        this.plan.enumerated.length === 0 &&
        J === 1 &&
        this.plan.scored.length === 0 &&
        l.support === 'real' &&
        node.kind === 'stochastic' &&
        node.distribution === 'Normal'
      )
        closed.set(l.name, d.q);
      else w.sub(sumFrom(d.logQ(), 2));
    }
    const inPlate = (name: string) =>
      plate !== undefined && this.bound.graph.nodes[name].plates[0] === plate;
    // the global discrete latents summed out: every draw is evaluated at each of their J joint
    // states at once, as J·S draws (state-major: draw s of state j is j·S + s), the drawn
    // latents repeated per state
    const L = J * S;
    if (J > 1) {
      for (const n of drawn) env[n] = tf.tile(env[n], [J, ...env[n].shape.slice(1).map(() => 1)]);
      Object.assign(env, this.globalValues(S));
    }
    // log p at the L draws: outside the plate gL [L], per element wL [L, B]
    let gL: tf.Tensor | undefined;
    let wL: tf.Tensor | undefined;
    let logStates: tf.Tensor | undefined;
    let states: number[][] | undefined;
    if (this.plan.enumerated.length === 0) {
      const full = { ...env, ...p.evaluateDeterministic(env) };
      for (const [name, q] of closed) {
        // the prior's arguments unbroadcast: the KL broadcasts them in its own arithmetic
        const args = p.rawDistArgs(name, full);
        w.sub(normalKl(q, args.mu, args.sigma, 2));
      }
      for (const name of p.stochastic.keys()) {
        if (closed.has(name)) continue;
        const lp = p.logProb(name, full);
        if (inPlate(name)) wL = plus(wL, sumFrom(lp, 2));
        else gL = plus(gL, sumFrom(lp, 1));
      }
    } else {
      // the local discrete latents summed out: per joint state c of them, the element's terms
      // w_i^(c) = Σ_{nodes in the plate} log p(·)_i with c_i = c (their own log p(c_i = c)
      // among them), then w_i += log Σ_c exp w_i^(c) — the log of the element's joint with c_i
      // marginalised (plan.ts: nothing outside the plate depends on c, so g is the same for all c)
      states = this.jointStates(p, env);
      const per: tf.Tensor[] = [];
      states.forEach((st, k) => {
        const e: Record<string, tf.Tensor> = { ...env };
        this.plan.enumerated.forEach((d, j) => {
          e[d.name] = tf.fill([1, B], st[j]);
        });
        const full = { ...e, ...p.evaluateDeterministic(e) };
        let ws: tf.Tensor = tf.zeros([L, B]);
        for (const name of p.stochastic.keys()) {
          const lp = p.logProb(name, full);
          if (inPlate(name)) ws = tf.add(ws, sumFrom(lp, 2));
          else if (k === 0) gL = plus(gL, sumFrom(lp, 1));
        }
        per.push(ws);
      });
      logStates = tf.stack(per); // [Jl, L, B]
      wL = tf.logSumExp(logStates, 0);
    }
    // −log q of the global draws (none: drawGlobals's zeros, used as they are, not negated by a
    // kernel; only an exact zero's sign differs, which no sum with a nonzero term keeps)
    const g0 = globalsDrawn === 0 ? gd.logQ : tf.neg(gd.logQ);
    // the element terms in full: [S, B] (zeros when there are none)
    const elements = (t: tf.Tensor | undefined) => {
      if (plate === undefined) return undefined;
      if (!t) return tf.zeros([S, B]);
      return broadcast(t, [S, B]);
    };
    if (J === 1) {
      if (wL) w.add(wL);
      return {
        g: gL ? tf.add(g0, gL) : g0,
        w: elements(w.value()),
        logStates,
        states,
        scored,
      };
    }
    const sum = this.sumGlobals(
      vars,
      gL ?? tf.zeros([L]),
      plate === undefined ? undefined : (wL ?? tf.zeros([L, B])),
      S,
      B,
    );
    if (sum.w) w.add(sum.w);
    return {
      g: tf.add(g0, sum.g),
      w: elements(w.value()),
      logStates,
      states,
      globalQ: sum.q,
      globalLogP: { g: sum.gJ, w: sum.wJ },
      scored,
    };
  }

  /**
   * The ELBO's expectation over the global summed-out latents, exactly: with q(s) = softmax(η)
   * over their J joint states s (free logits, plan.globalLogitsName),
   *   E_q[ℓ] = Σ_s q(s) (g_s + Σ_i w_{s,i} − log q(s)),
   * returned split as g = Σ_s q(s) (g_s − log q(s)) [S] and w_i = Σ_s q(s) w_{s,i} [S, B] (linear
   * in the terms, so a minibatch's N/B scaling of w stays unbiased). A state with probability
   * zero under the model at a draw (log p = −∞: `either` is the OR of `tub` and `lung`) gets
   * q(s) = 0 there — q(s | draw) ∝ e^{η_s} over the possible states, a valid q that a softmax
   * alone cannot reach (0 · log 0 = 0); a draw with no possible state keeps them all (ELBO −∞).
   * Call inside tidy.
   */
  private sumGlobals(
    vars: Readonly<Record<string, tf.Tensor>>,
    gL: tf.Tensor,
    wL: tf.Tensor | undefined,
    S: number,
    B: number,
  ): { g: tf.Tensor; w?: tf.Tensor; q: tf.Tensor; gJ: tf.Tensor; wJ?: tf.Tensor } {
    const J = this.plan.globalStates;
    const gJ = tf.reshape(tf.broadcastTo(gL, [J * S]), [J, S]);
    const wJ = wL && tf.reshape(tf.broadcastTo(wL, [J * S, B]), [J, S, B]);
    const total = wJ ? tf.add(gJ, tf.sum(wJ, 2)) : gJ;
    // possible: log p > −∞ (a NaN stays in, and shows)
    const possible0 = tf.notEqual(total, Number.NEGATIVE_INFINITY);
    const possible = tf.logicalOr(possible0, tf.logicalNot(tf.any(possible0, 0, true)));
    const eta = tf.broadcastTo(tf.reshape(vars[globalLogitsName(this.plan)], [J, 1]), [J, S]);
    const etaM = tf.where(possible, eta, tf.fill([J, S], Number.NEGATIVE_INFINITY));
    const logQ = tf.sub(etaM, tf.logSumExp(etaM, 0, true));
    const zero = tf.zerosLike(gJ);
    const q = tf.where(possible, tf.exp(logQ), zero);
    // masked before the product: 0 · (−∞) would be NaN, in the value and the gradient
    const g = tf.sum(
      tf.mul(q, tf.sub(tf.where(possible, gJ, zero), tf.where(possible, logQ, zero))),
      0,
    );
    if (!wJ) return { g, q, gJ };
    const pm = tf.broadcastTo(tf.expandDims(possible, 2), [J, S, B]);
    const w = tf.sum(tf.mul(tf.expandDims(q, 2), tf.where(pm, wJ, tf.zerosLike(wJ))), 0);
    return { g, w, q, gJ, wJ };
  }

  /** The global summed-out latents' values at each joint state, row-major (the last value fastest). */
  private globalRows?: Float32Array[];

  /** Each global summed-out latent's value at the J·S draws (state-major), [J·S, ...batch]. Call inside tidy. */
  private globalValues(S: number): Record<string, tf.Tensor> {
    const J = this.plan.globalStates;
    const gl = this.plan.globalEnumerated;
    this.globalRows ??= globalStateValues(gl, J);
    const out: Record<string, tf.Tensor> = {};
    gl.forEach((d, k) => {
      const n = prod(d.batch);
      const v = tf.tensor((this.globalRows as Float32Array[])[k], [J, 1, n]);
      out[d.name] = tf.reshape(tf.broadcastTo(v, [J, S, n]), [J * S, ...d.batch]);
    });
    return out;
  }

  /** Each enumerated latent's number of states (Categorical: its probabilities' last axis). */
  private cards?: number[];

  /** The joint states of the enumerated latents, row-major (the last latent fastest). */
  private jointStates(p: ModelPlan, env: Env): number[][] {
    this.cards ??= this.plan.enumerated.map((d) => {
      if (d.family === 'Bernoulli') return 2;
      const { args } = p.distArgs(d.name, env);
      const a = args.p ?? args.logits;
      return a.shape[a.rank - 1];
    });
    const J = prod(this.cards);
    if (J * this.plan.globalStates > MAX_STATES)
      throw userError(
        `avi sums out ${this.plan.enumerated.map((d, j) => `${d.name} (${(this.cards as number[])[j]} states)`).join(', ')} per element: ${J} joint states${this.plan.globalStates > 1 ? `, times ${this.plan.globalStates} of the global ones summed out` : ''}, more than ${MAX_STATES}`,
        'unsupported',
      );
    const out: number[][] = [];
    for (let s = 0; s < J; s++) {
      const st: number[] = [];
      let r = s;
      for (let j = this.cards.length - 1; j >= 0; j--) {
        st.unshift(r % this.cards[j]);
        r = Math.floor(r / this.cards[j]);
      }
      out.push(st);
    }
    return out;
  }

  /** The enumerated latents' numbers of states (after a first call of terms). */
  cardinalities(): readonly number[] {
    return this.cards ?? [];
  }

  dispose(): void {
    for (const p of this.plans.values()) p.dispose();
    for (const p of this.guidePlans.values()) p.dispose();
    this.guidePlans.clear();
    this.bounds_.clear();
    for (const t of this.whole?.values() ?? []) t.dispose();
    this.whole = undefined;
    for (const v of this.known.values()) {
      v.own?.dispose();
      v.own = undefined;
    }
    this.plans.clear();
  }
}

/** a + b, a missing a being zero (no op recorded for it). */
function plus(a: tf.Tensor | undefined, b: tf.Tensor): tf.Tensor {
  return a ? tf.add(a, b) : b;
}

/** Sum every axis from `from` on (none left: the tensor itself). */
function sumFrom(t: tf.Tensor, from: number): tf.Tensor {
  if (t.rank <= from) return t;
  return tf.sum(
    t,
    Array.from({ length: t.rank - from }, (_, k) => from + k),
  );
}
