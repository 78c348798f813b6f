// The compiled plan of a bound model: every deterministic node and every distribution
// argument lowered once to closures over tfjs ops (expr.ts), plus the constant tensors
// (data, hypers) they read. Engines build one plan and evaluate it many times:
//   const plan = compileModel(bound);
//   const lp = tf.tidy(() => plan.logJoint(env));   // [S]
//   const per = tf.tidy(() => plan.logProb('x', env)); // [S, ...batch of x]
//   plan.dispose();                                  // frees the constants
// The env maps node names (and net weights `f.W0`, …) to values [s, ...batch, ...event], where
// s = S for values that vary by sample and s = 1 for the rest (params, clamped data): a leading
// axis of 1 broadcasts. Hypers, data, observed nodes and params with a value in the model are
// read from the model when the env does not hold them.
import * as tf from '@tensorflow/tfjs';
import { reshape } from '../backend/reshape.js';
import { sum } from '../backend/sum.js';
import type { Distribution } from '../distributions/distribution.js';
import type { Rng } from '../distributions/rng.js';
import { PARAM_EVENT_RANK } from '../distributions/shapes.js';
import { DISTRIBUTIONS, type DistSignature, HOST_TRUNCATED } from '../distributions/signatures.js';
import { inSupport, markInSupport } from '../distributions/support.js';
import type { BoundModel } from '../graph/bound.js';
import { mentions } from '../graph/build.js';
import type { DeterministicNode, StochasticNode } from '../graph/ir.js';
import type { Expr, Index } from '../lang/ast.js';
import { checkArgDomains, latentDependent } from './argDomains.js';
import { Consts, nodeContext, type PlateContext, stepContext } from './context.js';
import { HostMassCache, logProbObserved, makeDistribution, truncate } from './dists.js';
import { planError } from './errors.js';
import {
  type Env,
  type Evaluator,
  type LowerScope,
  lower,
  lowerIndex,
  StepUnsupported,
} from './expr.js';
import type { RowGather } from './gather.js';
import { logProbTable, sampleTable, type TableParam } from './table.js';
import { expandTo, liftRank, toFloat, toNodeLayout, valueShape } from './value.js';

export type { Env } from './expr.js';

interface ArgPlan {
  readonly name: string;
  readonly run: Evaluator;
  readonly rank: number;
}

export interface StochasticPlan {
  readonly node: StochasticNode;
  readonly sig: DistSignature;
  readonly ctx: PlateContext;
  /** the node's batch shape (one axis per plate axis) */
  readonly plateBatch: readonly number[];
  /** the node's event shape */
  readonly event: readonly number[];
  /** leading event axes that are batch axes of the distribution (Normal with event [K]) */
  readonly extra: readonly number[];
  /** the distribution's event shape (the last axis of `event` for vector families) */
  readonly distEvent: readonly number[];
  readonly args: readonly ArgPlan[];
  /** the bounds of a truncated node (`T[lo, hi]`), lowered like scalar arguments */
  readonly bounds?: { readonly lower?: ArgPlan; readonly upper?: ArgPlan };
  /** Categorical(table[discrete]) lowered without gathering the rows (table.ts) */
  readonly table?: {
    readonly param: TableParam;
    readonly run: (env: Env) => RowGather | undefined;
  };
}

/** A truncated node's bounds lifted like its arguments (absent bounds undefined). */
export interface BoundValues {
  readonly lower?: tf.Tensor;
  readonly upper?: tf.Tensor;
}

/** A node's arguments by name, [S?, ...plateBatch, ...extra, ...parameter axes]. */
export interface DistArgValues {
  readonly args: Record<string, tf.Tensor>;
  /** the arguments (and bounds) have a leading sample axis */
  readonly lead: boolean;
  readonly bounds?: BoundValues;
}

/** A node's distribution in an env; `lead`: its batch shape starts with the sample axis. */
export interface NodeDistribution {
  readonly dist: Distribution;
  readonly lead: boolean;
}

/** A chain's step (ModelPlan.stepPlan): values [s, ...step batch, ...event]. */
export interface StepPlan {
  /** the (member, k) reads of the step's expressions: the env entries each step needs */
  readonly reads: ReadonlyMap<string, ReadonlySet<number>>;
  /** n draws of a stochastic member at the step's cells (a new tensor the caller owns) */
  sample(name: string, env: Env, n: number, rng: Rng): tf.Tensor;
  /** a deterministic member at the step's cells (a new tensor the caller owns) */
  deterministic(name: string, env: Env): tf.Tensor;
}

export class ModelPlan {
  readonly model: BoundModel;
  readonly consts = new Consts();
  /** hyper, data, param, stochastic and deterministic nodes in topological order */
  readonly order: readonly string[];
  readonly stochastic: ReadonlyMap<string, StochasticPlan>;
  /** nodes whose values come from draws (see latentDependent) */
  private readonly fromDraws: ReadonlySet<string>;
  private readonly deterministicPlans = new Map<string, { run: Evaluator; m: number }>();
  /** per partially observed vector node: has it an event both observed and missing in part? */
  private readonly mixed = new Map<string, boolean>();
  /** per host-truncated node, its float64 normaliser (distributions/truncatedHost.ts) */
  private readonly hostMasses = new Map<string, HostMassCache>();

  constructor(model: BoundModel) {
    this.model = model;
    const g = model.graph;
    this.order = g.order.filter((n) => {
      const k = g.nodes[n]?.kind;
      return (
        k === 'hyper' ||
        k === 'data' ||
        k === 'param' ||
        k === 'stochastic' ||
        k === 'deterministic'
      );
    });
    checkRanks(model, this.order);
    this.fromDraws = latentDependent(model);
    const stochastic = new Map<string, StochasticPlan>();
    for (const name of this.order) {
      const node = g.nodes[name];
      if (node.kind === 'deterministic')
        this.deterministicPlans.set(name, this.lowerDeterministic(node));
      if (node.kind === 'stochastic') stochastic.set(name, this.lowerStochastic(node));
    }
    this.stochastic = stochastic;
  }

  /** what the expression compiler sees while lowering the definition of `owner` */
  private scope(owner: string): LowerScope {
    return {
      model: this.model,
      consts: this.consts,
      owner,
      nodeValue: (n, env) => this.nodeValue(n, env),
    };
  }

  private lowerDeterministic(
    node: DeterministicNode,
    ctx: PlateContext = nodeContext(this.model, node.name),
  ): { run: Evaluator; m: number } {
    const l = lower(node.value, ctx, this.scope(node.name));
    return { run: l.run, m: ctx.axes.length };
  }

  private lowerStochastic(
    node: StochasticNode,
    ctx: PlateContext = nodeContext(this.model, node.name),
  ): StochasticPlan {
    const sig = DISTRIBUTIONS[node.distribution];
    const shape = this.model.shapes[node.name];
    if (!shape) throw planError(this.model, node.range, `internal: no shape for '${node.name}'`);
    const event = shape.event;
    const distEvent = sig.eventRank === 1 ? event.slice(event.length - 1) : [];
    const extra = event.slice(0, event.length - distEvent.length);
    const ranks = PARAM_EVENT_RANK[node.distribution];
    const scope = this.scope(node.name);
    const args: ArgPlan[] = Object.entries(node.args).map(([name, expr]) => ({
      name,
      run: lower(expr, ctx, scope).run,
      rank: ranks[name] ?? 0,
    }));
    const t = node.truncation;
    const bound = (name: string, expr: Expr | undefined): ArgPlan | undefined =>
      expr && { name, run: lower(expr, ctx, scope).run, rank: 0 };
    const bounds = t && { lower: bound('lower', t.lower), upper: bound('upper', t.upper) };
    let table: StochasticPlan['table'];
    if (node.distribution === 'Categorical' && event.length === 0) {
      const [param, expr] = Object.entries(node.args)[0] ?? [];
      if ((param === 'p' || param === 'logits') && expr?.kind === 'index') {
        const lazy = lowerIndex(expr as Index, ctx, scope, true);
        table = { param, run: (env) => lazy.run(env) as RowGather | undefined };
      }
    }
    return {
      node,
      sig,
      ctx,
      plateBatch: ctx.axes.map((a) => a.length),
      event,
      extra,
      distEvent,
      args,
      ...(bounds ? { bounds } : {}),
      table,
    };
  }

  /** The value of a node (or net weight) in `env`, else its known value from the model. */
  nodeValue(name: string, env: Env): tf.Tensor {
    const v = env[name];
    if (v) return v;
    const node = this.model.graph.nodes[name];
    const known = this.model.values[name];
    if (!node) {
      const net = name.split('.')[0];
      if (this.model.graph.nodes[net]?.kind === 'net') {
        throw new Error(`the weights of the net '${net}' are not initialised (${name})`);
      }
      throw new Error(`unknown node '${name}'`);
    }
    switch (node.kind) {
      case 'hyper':
      case 'data':
      case 'param':
        if (!known) {
          throw new Error(
            node.kind === 'param'
              ? `the param '${name}' has no value: give it in the data, give it a default, or let an engine initialise it`
              : `no value for '${name}'`,
          );
        }
        return this.consts.fromNDArray(`value:${name}`, known);
      case 'stochastic':
        if (known && this.model.observation[name]?.kind !== 'latent') {
          const t = this.consts.fromNDArray(`value:${name}`, known);
          // checked in the family's support at binding (graph/support.ts)
          return this.model.observation[name]?.kind === 'observed' ? markInSupport(t) : t;
        }
        throw new Error(`no value for the latent node '${name}'`);
      default:
        throw new Error(`no value for '${name}' (evaluate deterministic nodes first)`);
    }
  }

  /** A deterministic node's value [s, ...batch, ...event] (a new tensor the caller owns). */
  deterministic(name: string, env: Env): tf.Tensor {
    const p = this.deterministicPlans.get(name);
    if (!p) throw new Error(`'${name}' is not a deterministic node`);
    return this.deterministicWith(name, p, this.model.shapes[name].batch, env);
  }

  private deterministicWith(
    name: string,
    p: { run: Evaluator; m: number },
    batch: readonly number[],
    env: Env,
  ): tf.Tensor {
    const shape = this.model.shapes[name];
    return tf.tidy(() => {
      const out = toNodeLayout(toFloat(p.run(env)), p.m, batch, shape.event, `'${name}'`);
      // never hand out a cached constant: the caller may dispose what it gets
      return out.kept ? tf.clone(out) : out;
    });
  }

  /** Evaluate every deterministic node missing from `env`, in order; returns only the new values. */
  evaluateDeterministic(env: Env): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    const all: Record<string, tf.Tensor> = { ...env };
    for (const name of this.order) {
      if (this.model.graph.nodes[name].kind !== 'deterministic' || all[name]) continue;
      out[name] = this.deterministic(name, all);
      all[name] = out[name];
    }
    return out;
  }

  /** Every argument's PAV lifted to the rank of `extra` and its parameter axes; call inside tidy. */
  private argValues(p: StochasticPlan, env: Env, list?: readonly ArgPlan[]): tf.Tensor[] {
    const name = p.node.name;
    const m = p.ctx.axes.length;
    return (list ?? p.args).map((a) => {
      const t = toFloat(a.run(env));
      const v = valueShape(t, m);
      if (v.length > p.extra.length + a.rank) {
        throw planError(
          this.model,
          (p.node.args[a.name] ?? p.node.truncation)?.range,
          `'${name}': the argument '${a.name}' has shape [${v.join(', ')}], too many axes for the node's shape [${p.event.join(', ')}]`,
          'shape',
        );
      }
      return liftRank(t, m, p.extra.length + a.rank);
    });
  }

  /** The parameter axes of argument `a` (value `t`): [], [K], [D] or [D, D]. */
  private paramAxes(p: StochasticPlan, a: ArgPlan, t: tf.Tensor): number[] {
    if (a.rank === 0) return [];
    if (p.node.distribution === 'Categorical') return [t.shape[t.rank - 1]];
    return a.rank === 1 ? [...p.distEvent] : [p.distEvent[0], p.distEvent[0]];
  }

  /** Arguments broadcast to [S?, ...plateBatch, ...extra, ...paramAxes]; call inside tidy. */
  distArgs(name: string, env: Env): DistArgValues {
    return this.distArgsOf(this.stoch(name), env);
  }

  /**
   * The arguments as their expressions give them, [s, ...plateBatch, ...extra, ...parameter
   * axes] with size 1 on the axes where they do not vary (s = 1 or S): broadcastable to
   * distArgs' (with its leading axis), without the copies its broadcast makes, for callers
   * whose arithmetic broadcasts. Call inside tidy.
   */
  rawDistArgs(name: string, env: Env): Record<string, tf.Tensor> {
    const p = this.stoch(name);
    const vals = this.argValues(p, env);
    return Object.fromEntries(p.args.map((a, i) => [a.name, vals[i]]));
  }

  private distArgsOf(p: StochasticPlan, env: Env): DistArgValues {
    const vals = this.argValues(p, env);
    const bounds = p.bounds ? [p.bounds.lower, p.bounds.upper] : [];
    const present = bounds.filter((b): b is ArgPlan => !!b);
    const bvals = present.length ? this.argValues(p, env, present) : [];
    const S = Math.max(...vals.map((t) => t.shape[0]), ...bvals.map((t) => t.shape[0]));
    const toTarget = (t: tf.Tensor, target: number[]) => {
      const b = t.shape.every((d, j) => d === target[j]) ? t : expandTo(t, target);
      return S > 1 ? b : reshape(b, target.slice(1));
    };
    const args: Record<string, tf.Tensor> = {};
    p.args.forEach((a, i) => {
      const t = vals[i];
      args[a.name] = toTarget(t, [S, ...p.plateBatch, ...p.extra, ...this.paramAxes(p, a, t)]);
    });
    if (!p.bounds) return { args, lead: S > 1 };
    // the bounds of a truncated node, lifted like scalar arguments
    const target = [S, ...p.plateBatch, ...p.extra];
    let k = 0;
    const [lower, upper] = bounds.map((b) => (b ? toTarget(bvals[k++], target) : undefined));
    return { args, lead: S > 1, bounds: { lower, upper } };
  }

  /** The node's distribution (call inside tidy; its tensors belong to the scope). */
  distribution(name: string, env: Env): NodeDistribution {
    const { args, lead, bounds } = this.distArgs(name, env);
    return { dist: this.make(this.stoch(name), args, bounds), lead };
  }

  /** The family with `args`, truncated to `bounds` when the node has them. Call inside tidy. */
  private make(
    p: StochasticPlan,
    args: Record<string, tf.Tensor>,
    bounds?: BoundValues,
  ): Distribution {
    const name = p.node.name;
    const dist = makeDistribution(p.node.distribution, args);
    if (!bounds) return dist;
    // a family truncated on the host (Gamma, Beta, StudentT) computes its fixed normaliser once
    let cache = this.hostMasses.get(name);
    if (!cache && HOST_TRUNCATED.has(dist.family)) {
      cache = new HostMassCache();
      this.hostMasses.set(name, cache);
    }
    return truncate(dist, bounds.lower, bounds.upper, cache);
  }

  /**
   * The node's distribution when no argument varies along its plate axes: batch
   * [S, 1 × plate axes, ...extra], one distribution per sample that every plate element shares
   * (a mixture component's MvNormal is factored once per component, not once per case).
   * Undefined when an argument does vary along a plate axis. Call inside tidy.
   */
  sharedDistribution(name: string, env: Env): Distribution | undefined {
    const p = this.stoch(name);
    const m = p.ctx.axes.length;
    const vals = this.argValues(p, env);
    // a truncated node is scored per element (its bounds may vary along the plates)
    if (p.bounds) return undefined;
    if (vals.some((t) => t.shape.slice(1, 1 + m).some((d) => d !== 1))) return undefined;
    const S = Math.max(...vals.map((t) => t.shape[0]));
    const ones = new Array<number>(m).fill(1);
    const args: Record<string, tf.Tensor> = {};
    p.args.forEach((a, i) => {
      const t = vals[i];
      const target = [S, ...ones, ...p.extra, ...this.paramAxes(p, a, t)];
      args[a.name] = t.shape.every((d, j) => d === target[j]) ? t : expandTo(t, target);
    });
    return makeDistribution(p.node.distribution, args);
  }

  /**
   * Check every argument of a stochastic node that is fixed by the data and the model (it
   * mentions no latent node, nor anything depending on one) against its domain: engines that never draw from the
   * prior would otherwise compute a posterior from, say, Beta(-1, 1). Throws a PlatoError.
   */
  checkFixedArgs(): void {
    for (const [name, p] of this.stochastic) {
      const fixed = p.args.filter((a) =>
        mentions(p.node.args[a.name], new Set()).every((m) => !this.fromDraws.has(m.name)),
      );
      if (fixed.length === 0) continue;
      tf.tidy(() => {
        // all fixed: as the distribution gets them; else each fixed argument on its own
        const args =
          fixed.length === p.args.length
            ? this.distArgs(name, {}).args
            : Object.fromEntries(fixed.map((a) => [a.name, toFloat(a.run({}))]));
        checkArgDomains(this.model, p.node, args, false);
      });
    }
  }

  /** n draws of a stochastic node given its parents in env: [n, ...batch, ...event], float32. */
  sample(name: string, env: Env, n: number, rng: Rng): tf.Tensor {
    return this.sampleWith(this.stoch(name), env, n, rng);
  }

  private sampleWith(p: StochasticPlan, env: Env, n: number, rng: Rng): tf.Tensor {
    const name = p.node.name;
    return tf.tidy(() => {
      if (p.table) {
        const g = p.table.run(env);
        if (g && g.flat.rank === 2) {
          return sampleTable(g, p.table.param, [n, ...p.plateBatch], rng.nextSeed());
        }
      }
      const { args, lead, bounds } = this.distArgsOf(p, env);
      checkArgDomains(
        this.model,
        p.node,
        args,
        p.node.parents.some((q) => this.fromDraws.has(q)),
      );
      const dist = this.make(p, args, bounds);
      if (lead && dist.batchShape[0] !== n) {
        throw new Error(`'${name}': its parents have ${dist.batchShape[0]} samples, expected ${n}`);
      }
      return toFloat(dist.sample(lead ? [] : [n], rng));
    });
  }

  /**
   * log p(x | parents) per plate element: [s, ...plateBatch] (summed over the node's event).
   * x defaults to the node's value in env, else its data; a partially observed node taken
   * from the data scores its observed entries only, the missing ones integrated out: an entry
   * of a scalar family (the event axes are batch axes of the distribution, independent given
   * the parents) contributes its own log density or 0; a vector of a family with a closed-form
   * marginal (MvNormal) contributes log p(x_o | parents) of its observed sub-vector
   * (distributions/index.ts logProbObserved); an event wholly missing contributes 0.
   */
  logProb(name: string, env: Env, x?: tf.Tensor): tf.Tensor {
    const p = this.stoch(name);
    const obs = this.model.observation[name];
    const fromData = !x && !env[name];
    const value = x ?? this.nodeValue(name, env);
    return tf.tidy(() => {
      const xv = toFloat(
        value.rank === 1 + p.plateBatch.length + p.event.length ? value : tf.expandDims(value, 0),
      );
      const mask =
        fromData && obs?.kind === 'partial' ? this.maskTensor(name, obs.mask) : undefined;
      // which distribution batch entries [1, ...plateBatch, ...extra] have data to score
      let scored: tf.Tensor | undefined;
      let lp: tf.Tensor | undefined;
      if (p.table) {
        const g = p.table.run(env);
        if (g && g.flat.rank === 2) {
          const xs = mask ? tf.where(mask, xv, tf.zerosLike(xv)) : xv;
          lp = logProbTable(g, p.table.param, xs);
          if (mask) scored = mask;
        }
      }
      if (!lp && mask && p.distEvent.length > 0 && this.mixedEvents(name, obs)) {
        // vectors observed in part: the density of the observed sub-vectors from the
        // arguments, factorising no full covariance (bind keeps Dirichlet and Multinomial
        // rows whole, so this is MvNormal)
        const { args } = this.distArgs(name, env);
        const xs = tf.where(mask, xv, tf.zerosLike(xv));
        lp = logProbObserved(p.node.distribution, args, xs, tf.squeeze(mask, [0]));
        scored = tf.any(mask, -1);
      }
      if (!lp) {
        const { dist, lead } = this.distribution(name, env);
        let xs = xv;
        if (mask) xs = tf.where(mask, xv, this.fillValue(p, dist, xv.shape));
        if (lead && xs.shape[0] !== dist.batchShape[0])
          xs = tf.broadcastTo(xs, [dist.batchShape[0], ...xs.shape.slice(1)]);
        // the same values (a cast, a leading axis, a broadcast): still checked data
        if (!mask && inSupport(value)) markInSupport(xs);
        lp = dist.logProb(xs);
        // a vector event is scored when all of it is observed
        if (mask) scored = p.distEvent.length > 0 ? tf.all(mask, -1) : mask;
      }
      if (scored) lp = tf.where(scored, lp, tf.zerosLike(lp));
      // sum the event axes that are batch axes of the distribution (Normal with event [K])
      const perElement = 1 + p.plateBatch.length;
      if (lp.rank > perElement) lp = sum(lp, range(perElement, lp.rank));
      return lp;
    });
  }

  /** Does a partially observed vector node have an event with both observed and missing entries? */
  private mixedEvents(name: string, obs: BoundModel['observation'][string]): boolean {
    let hit = this.mixed.get(name);
    if (hit === undefined) {
      hit = false;
      if (obs?.kind === 'partial') {
        const D = this.stoch(name).distEvent[0] ?? 1;
        for (let e = 0; !hit && e < obs.mask.length; e += D)
          for (let k = 1; k < D; k++) if (obs.mask[e + k] !== obs.mask[e]) hit = true;
      }
      this.mixed.set(name, hit);
    }
    return hit;
  }

  /** sum over every stochastic node and plate element of logProb: [S] */
  logJoint(env: Env): tf.Tensor {
    return tf.tidy(() => {
      let total: tf.Tensor = tf.zeros([1]);
      for (const name of this.stochastic.keys()) {
        const lp = this.logProb(name, env);
        total = tf.add(total, lp.rank > 1 ? tf.sum(lp, range(1, lp.rank)) : lp);
      }
      return total;
    });
  }

  /** the mask of a partially observed node as a bool tensor [1, ...batch, ...event] */
  maskTensor(name: string, mask: Uint8Array): tf.Tensor {
    const shape = this.model.shapes[name];
    return this.consts.get(`mask:${name}`, () =>
      tf.cast(tf.tensor(mask, [1, ...shape.batch, ...shape.event], 'int32'), 'bool'),
    );
  }

  private fillValue(p: StochasticPlan, dist: Distribution, shape0: readonly number[]): tf.Tensor {
    const shape = [...shape0];
    switch (p.sig.support) {
      case 'positive':
        return tf.ones(shape);
      case 'unit-interval':
        return tf.fill(shape, 0.5);
      case 'simplex':
        return tf.fill(shape, 1 / (p.distEvent[0] ?? 1));
      case 'interval':
        return tf.broadcastTo(dist.mean(), shape);
      default:
        return tf.zeros(shape);
    }
  }

  /**
   * One step of a chain's scan (DESIGN §2 "Sequences"): `members` lowered with the chain
   * plate's axis holding the `width` cells of one step (context.ts stepContext), so a step
   * costs the cells' work, not the whole plate's. `carried` are the members drawn step by step.
   * Undefined when an expression reads a carried member in a way a step cannot evaluate
   * (expr.ts StepUnsupported).
   */
  stepPlan(
    plate: string,
    members: readonly string[],
    carried: ReadonlySet<string>,
    width: number,
  ): StepPlan | undefined {
    const reads = new Map<string, Set<number>>();
    const stochastic = new Map<string, StochasticPlan>();
    const deterministic = new Map<string, { run: Evaluator; m: number; batch: number[] }>();
    try {
      for (const name of members) {
        const node = this.model.graph.nodes[name];
        const ctx = stepContext(this.model, name, plate, width, carried, reads);
        if (node?.kind === 'stochastic') stochastic.set(name, this.lowerStochastic(node, ctx));
        else if (node?.kind === 'deterministic')
          deterministic.set(name, {
            ...this.lowerDeterministic(node, ctx),
            batch: ctx.axes.map((a) => a.length),
          });
      }
    } catch (e) {
      if (e instanceof StepUnsupported) return undefined;
      throw e;
    }
    return {
      reads,
      sample: (name, env, n, rng) => {
        const p = stochastic.get(name);
        if (!p) throw new Error(`internal: '${name}' is not a stochastic member of the step`);
        return this.sampleWith(p, env, n, rng);
      },
      deterministic: (name, env) => {
        const p = deterministic.get(name);
        if (!p) throw new Error(`internal: '${name}' is not a deterministic member of the step`);
        return this.deterministicWith(name, p, p.batch, env);
      },
    };
  }

  stoch(name: string): StochasticPlan {
    const p = this.stochastic.get(name);
    if (!p) throw new Error(`'${name}' is not a stochastic node`);
    return p;
  }

  dispose(): void {
    this.consts.dispose();
  }
}

function range(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let i = lo; i < hi; i++) out.push(i);
  return out;
}

/** Lower a bound model once; dispose the plan when done (it owns the constant tensors). */
/**
 * tfjs-wasm 4.22 broadcasts binary ops on tensors of rank >= 7 WRONGLY and silently (only an
 * "XNN status 4" console line; docs/numerics.md). A node's tensors have rank 1 (samples) +
 * plate axes + event rank (+1 for a covariance argument), so refuse deeper models on wasm
 * rather than return wrong numbers.
 */
export const MAX_WASM_RANK = 6;

function checkRanks(model: BoundModel, order: readonly string[]): void {
  if (tf.getBackend() !== 'wasm') return;
  for (const name of order) {
    const shape = model.shapes[name];
    const node = model.graph.nodes[name];
    if (!shape || !node) continue;
    const extra = node.kind === 'stochastic' && node.distribution === 'MvNormal' ? 1 : 0;
    const rank = 1 + shape.batch.length + shape.event.length + extra;
    if (rank > MAX_WASM_RANK) {
      throw planError(
        model,
        node.range,
        `${name} needs tensors of rank ${rank} (samples, ${shape.batch.length} plate axes, ` +
          `event rank ${shape.event.length + extra}); the wasm backend computes ranks above ` +
          `${MAX_WASM_RANK} wrongly: nest fewer plates, or run with --backend cpu`,
      );
    }
  }
}

export function compileModel(model: BoundModel): ModelPlan {
  return new ModelPlan(model);
}
