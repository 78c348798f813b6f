// avi's view of the model for one block of the outermost plate: the compiled plans (one per
// block size: a minibatch is bound through the ordinary binder with the plate's size set to B,
// graph/minibatch.ts, and its observed values are gathered into the env each step), the
// observed data of the plate as tensors, and the ELBO's terms at one draw of q:
//   per element i of the block:  w_i = Σ_{nodes in the plate} log p(·)_i − Σ_{local z} log q(z_i)
//   once:                        g   = Σ_{nodes outside} log p(·) − Σ_{global z} log q(z)
// so that the ELBO of the whole plate is estimated by g + (N/B) Σ_{i in the block} w_i
// (Hoffman et al. 2013's scaling; unbiased over uniformly drawn blocks).
import * as tf from '@tensorflow/tfjs';
import { compileModel, type Env, type ModelPlan } from '../../compile/model.js';
import type { Rng } from '../../distributions/rng.js';
import { bind } from '../../graph/bind.js';
import type { BoundModel } from '../../graph/bound.js';
import { metaOf, minibatchData, recordOf } from '../../graph/minibatch.js';
import { float32Of } from '../../graph/values.js';
import { bijectForward } from './bijectors.js';
import { drawU, locScale } from './guide.js';
import type { AviLatent, AviPlan } from './plan.js';

/** One draw (S particles) of the ELBO's terms on a block. */
export interface Terms {
  /** [S]: the terms outside the plate */
  readonly g: tf.Tensor;
  /** [S, B]: per element of the block (absent without a plate) */
  readonly w?: tf.Tensor;
}

/** Draws of the global latents shared by several blocks (the IW bound needs one draw for all). */
export interface GlobalDraw {
  readonly env: Env;
  /** [S]: Σ_{global z} log q(z) */
  readonly logQ: tf.Tensor;
}

export class AviModel {
  private readonly plans = new Map<number, ModelPlan>();
  /** the plate's known values (data and observed nodes): [N, ...rest] */
  private readonly known = new Map<string, tf.Tensor>();
  /** each encoder's inputs over the whole plate: [N, inDim] */
  private readonly encoderInputs = new Map<string, tf.Tensor>();
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
      const s = bound.shapes[name];
      this.known.set(name, tf.keep(tf.tensor(float32Of(v), [...s.batch, ...s.event])));
    }
    for (const l of plan.latents) {
      if (l.inputs.length === 0) continue;
      const x = tf.tidy(() =>
        tf.concat(
          l.inputs.map((c) => tf.reshape(this.known.get(c) as tf.Tensor, [plan.N, -1])),
          1,
        ),
      );
      this.encoderInputs.set(l.name, tf.keep(x));
    }
  }

  /** The compiled plan for blocks of B elements (the bound model itself for the whole plate). */
  planFor(size: number): ModelPlan {
    const B = this.plan.plate === undefined ? this.plan.N : size;
    const hit = this.plans.get(B);
    if (hit) return hit;
    let model = this.bound;
    const plate = this.plan.plate;
    if (plate !== undefined && B !== this.plan.N) {
      this.meta ??= metaOf(this.bound, plate);
      const records = Array.from({ length: B }, (_, i) => recordOf(this.bound, plate, i));
      model = bind(this.bound.graph, minibatchData(this.bound.graph, plate, this.meta, records));
    }
    const p = compileModel(model);
    this.plans.set(B, p);
    return p;
  }

  /** The plate's known values and the encoders' inputs at `idx` ([B] int32). Call inside tidy. */
  blockEnv(idx: tf.Tensor | undefined): { env: Env; inputs: Map<string, tf.Tensor> } {
    const env: Record<string, tf.Tensor> = {};
    const inputs = new Map<string, tf.Tensor>();
    if (!idx) return { env, inputs };
    // row data (`X[i]`, X outside the plate) keep the layout [...shape] of an unplated value
    for (const [name, t] of this.known) env[name] = tf.expandDims(tf.gather(t, idx, 0), 0);
    for (const [name, t] of this.encoderInputs) inputs.set(name, tf.gather(t, idx, 0));
    return { env, inputs };
  }

  /** The bounds of an interval latent as its distribution sees them (fixed: plan.ts). */
  bounds(p: ModelPlan, l: AviLatent, env: Env): { lo: tf.Tensor; hi: tf.Tensor } {
    const { args } = p.distArgs(l.name, env);
    return { lo: args.lo, hi: args.hi };
  }

  /** Draw one latent: its value [S, ...batch, ...event] and log q of it summed over the event: [S, ...batch]. */
  private draw(
    p: ModelPlan,
    l: AviLatent,
    vars: Readonly<Record<string, tf.Tensor>>,
    env: Env,
    idx: tf.Tensor | undefined,
    inputs: Map<string, tf.Tensor>,
    S: number,
    rng: Rng,
  ): { x: tf.Tensor; logQ: tf.Tensor } {
    const { loc, logScale } = locScale(l, vars, l.local ? idx : undefined, inputs.get(l.name));
    const { u, logQ } = drawU(l, loc, logScale, S, rng);
    const bounds = l.support === 'interval' ? this.bounds(p, l, env) : undefined;
    const { x, logDet } = bijectForward(l.support, u, bounds);
    const extra = l.uevent.length - (l.support === 'simplex' ? 1 : 0);
    const axes = Array.from({ length: extra }, (_, k) => 1 + l.batch.length + k);
    const ld = axes.length > 0 ? tf.sum(logDet, axes) : logDet;
    return { x, logQ: tf.sub(logQ, ld) };
  }

  /** S draws of the global latents, given the params and nets in `base`. Call inside tidy. */
  drawGlobals(
    B: number,
    vars: Readonly<Record<string, tf.Tensor>>,
    base: Env,
    S: number,
    rng: Rng,
  ): GlobalDraw {
    const p = this.planFor(B);
    const env: Record<string, tf.Tensor> = {};
    let logQ: tf.Tensor = tf.zeros([S]);
    for (const l of this.plan.latents) {
      if (l.local) continue;
      const d = this.draw(p, l, vars, { ...base, ...env }, undefined, new Map(), S, rng);
      env[l.name] = d.x;
      logQ = tf.add(logQ, sumFrom(d.logQ, 1));
    }
    return { env, logQ };
  }

  /**
   * The ELBO's terms at S draws on the block `idx` (undefined: no plate). `base` holds the
   * params and net weights; `globals` a draw of the global latents to reuse (else drawn here).
   * Call inside tidy.
   */
  terms(
    B: number,
    idx: tf.Tensor | undefined,
    vars: Readonly<Record<string, tf.Tensor>>,
    base: Env,
    S: number,
    rng: Rng,
    globals?: GlobalDraw,
  ): Terms {
    const p = this.planFor(B);
    const plate = this.plan.plate;
    const { env: data, inputs } = this.blockEnv(idx);
    const gd = globals ?? this.drawGlobals(B, vars, base, S, rng);
    const env: Record<string, tf.Tensor> = { ...base, ...data, ...gd.env };
    let w: tf.Tensor | undefined = plate === undefined ? undefined : tf.zeros([S, B]);
    for (const l of this.plan.latents) {
      if (!l.local) continue;
      const d = this.draw(p, l, vars, env, idx, inputs, S, rng);
      env[l.name] = d.x;
      w = tf.sub(w as tf.Tensor, sumFrom(d.logQ, 2));
    }
    const full = { ...env, ...p.evaluateDeterministic(env) };
    let g = tf.neg(gd.logQ);
    for (const name of p.stochastic.keys()) {
      const lp = p.logProb(name, full);
      if (plate !== undefined && this.bound.graph.nodes[name].plates[0] === plate)
        w = tf.add(w as tf.Tensor, sumFrom(lp, 2));
      else g = tf.add(g, sumFrom(lp, 1));
    }
    return { g, w };
  }

  dispose(): void {
    for (const p of this.plans.values()) p.dispose();
    for (const t of [...this.known.values(), ...this.encoderInputs.values()]) t.dispose();
    this.plans.clear();
  }
}

/** Sum every axis from `from` on (none left: the tensor itself). */
function sumFrom(t: tf.Tensor, from: number): tf.Tensor {
  if (t.rank <= from) return t;
  return tf.sum(
    t,
    Array.from({ length: t.rank - from }, (_, k) => from + k),
  );
}
