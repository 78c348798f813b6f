// Factor tables of nodes whose distribution every plate element shares once the template's
// variables are fixed. In a mixture, `x[i] ~ MvNormal(mu[z[i]], Sigma[z[i]])` reads the case i
// only through z[i]: for template state s (z[i] = k) every case has the same MvNormal(mu_k,
// Sigma_k). The generic table (tables.ts) builds the env z = [S, N] and evaluates S × N
// distributions — S × N Cholesky factorisations of the same K matrices; here the plate axes stay
// of length 1, the distribution has batch [S] (one factorisation per state) and all E elements
// are scored against it (MvNormal: one triangular solve per state with E right-hand sides).
//
// Whether a node qualifies is decided statically from its argument expressions: the node's plate
// indices may appear only as the aligned plate indices of a variable read (`z[i]` in plate i),
// and every other name must not vary along the plates (params, hypers, data and deterministic
// nodes outside every plate, variables outside every plate). The evaluation checks again that
// no argument has a plate axis longer than 1 and falls back to the generic table otherwise.
import * as tf from '@tensorflow/tfjs';
import type { ModelPlan } from '../../compile/model.js';
import { expandTo } from '../../compile/value.js';
import type { BoundModel } from '../../graph/bound.js';
import type { GraphNode } from '../../graph/ir.js';
import type { Expr, IndexArg } from '../../lang/ast.js';
import type { FactorNode } from './analysis.js';
import { selectedProbabilities } from './precision.js';

/** How to evaluate a shared node's arguments: the deterministic nodes they read, in order. */
export interface SharedPlan {
  readonly deterministic: readonly string[];
}

const cache = new WeakMap<BoundModel, Map<string, SharedPlan | null>>();

/** A shared own factor that reads no other variable: the same table column for every element. */
export function constantAcrossElements(f: FactorNode, shared: SharedPlan | undefined): boolean {
  return shared !== undefined && f.own && f.groups.length === 0;
}

/**
 * The plan of a fully observed factor node whose arguments vary along its plates only through
 * aligned reads of discrete variables, else undefined. `isVariable`: the nodes holding discrete
 * variables (analysis.ts).
 */
export function sharedPlan(
  model: BoundModel,
  f: FactorNode,
  isVariable: (name: string) => boolean,
): SharedPlan | undefined {
  let byNode = cache.get(model);
  if (!byNode) {
    byNode = new Map();
    cache.set(model, byNode);
  }
  let hit = byNode.get(f.name);
  if (hit === undefined) {
    hit = analyse(model, f, isVariable) ?? null;
    byNode.set(f.name, hit);
  }
  return hit ?? undefined;
}

function analyse(
  model: BoundModel,
  f: FactorNode,
  isVariable: (name: string) => boolean,
): SharedPlan | undefined {
  const node = model.graph.nodes[f.name];
  if (node?.kind !== 'stochastic' || f.missing) return undefined;
  // fully observed, or a latent variable whose own factor reads each element's own state (a
  // partially observed one carries per-element evidence; one with event axes, several slots)
  const obs = model.observation[f.name]?.kind;
  if (f.own ? obs !== 'latent' || model.shapes[f.name].event.length > 0 : obs !== 'observed')
    return undefined;
  // Bernoulli/Binomial probabilities corrected in float64 per entry (precision.ts): generic path
  if (selectedProbabilities(model, node)) return undefined;
  const axes = model.axes[f.name] ?? [];
  // plain plates only (a flattened ragged pair indexes by outerIndex: not aligned)
  if (axes.some((a) => a.plates.length !== 1)) return undefined;
  const walker = new Walker(model, isVariable);
  for (const e of Object.values(node.args)) if (!walker.invariant(e, node)) return undefined;
  const dets = model.graph.order.filter((n) => walker.deterministic.has(n));
  return { deterministic: dets };
}

class Walker {
  readonly deterministic = new Set<string>();
  private readonly checked = new Map<string, boolean>();

  constructor(
    private readonly model: BoundModel,
    private readonly isVariable: (name: string) => boolean,
  ) {}

  /** the plate id an index name stands for inside `owner`, if it is one of its plate indices */
  private plateOf(owner: GraphNode, name: string): string | undefined {
    return owner.plates.find((id) => this.model.graph.plates[id]?.index === name);
  }

  private noAxes(name: string): boolean {
    return (this.model.axes[name]?.length ?? 0) === 0;
  }

  /** Is `e`, written inside `owner`, the same for every plate element of owner? */
  invariant(e: Expr, owner: GraphNode): boolean {
    switch (e.kind) {
      case 'num':
        return true;
      case 'name':
        return this.name(e.name, owner);
      case 'vector':
        return e.items.every((x) => this.invariant(x, owner));
      case 'unary':
        return this.invariant(e.arg, owner);
      case 'binary':
        return this.invariant(e.left, owner) && this.invariant(e.right, owner);
      case 'cond':
        return [e.test, e.whenTrue, e.whenFalse].every((x) => this.invariant(x, owner));
      case 'call':
        if (this.model.graph.nodes[e.callee]?.kind === 'net') return false;
        return e.args.every((a) => this.invariant(a.value, owner));
      case 'index': {
        const t = e.target;
        if (t.kind === 'name' && this.plateOf(owner, t.name) === undefined) {
          const aligned = this.alignedVariable(t.name, e.indices, owner);
          if (aligned !== undefined) {
            // the plate indices are aligned (the env holds the variable with length-1 plate
            // axes); the remaining indices select along its event axes
            return aligned && e.indices.slice(this.axesOf(t.name)).every((a) => this.arg(a, owner));
          }
        }
        return this.invariant(t, owner) && e.indices.every((a) => this.arg(a, owner));
      }
    }
  }

  private axesOf(name: string): number {
    return this.model.axes[name]?.length ?? 0;
  }

  private arg(a: IndexArg, owner: GraphNode): boolean {
    if (a.kind === 'at') return this.invariant(a.expr, owner);
    return (!a.lo || this.invariant(a.lo, owner)) && (!a.hi || this.invariant(a.hi, owner));
  }

  /**
   * For a variable living in plates: whether `name[indices]` reads it aligned — its k plate axes
   * are the owner's first k (plain) plate axes and the first k indices are their index names, as
   * compile/expr.ts's alignPlan takes them without a gather. Undefined for anything else.
   */
  private alignedVariable(
    name: string,
    indices: readonly IndexArg[],
    owner: GraphNode,
  ): boolean | undefined {
    const node = this.model.graph.nodes[name];
    if (node?.kind !== 'stochastic' || !this.isVariable(name)) return undefined;
    const vAxes = this.model.axes[name] ?? [];
    if (vAxes.length === 0) return undefined;
    const oAxes = this.model.axes[owner.name] ?? [];
    if (vAxes.length > oAxes.length || indices.length < vAxes.length) return false;
    if (node.plates.length !== vAxes.length) return false;
    return vAxes.every((ax, j) => {
      const a = indices[j];
      return (
        ax.plates.length === 1 &&
        oAxes[j].plates.length === 1 &&
        oAxes[j].plates[0] === ax.plates[0] &&
        node.plates[j] === ax.plates[0] &&
        a.kind === 'at' &&
        a.expr.kind === 'name' &&
        this.plateOf(owner, a.expr.name) === ax.plates[0]
      );
    });
  }

  private name(name: string, owner: GraphNode): boolean {
    if (this.plateOf(owner, name) !== undefined) return false;
    const node = this.model.graph.nodes[name];
    if (!node) return false;
    switch (node.kind) {
      case 'size':
        return true;
      case 'hyper':
      case 'data':
      case 'param':
        return this.noAxes(name);
      case 'stochastic':
        // a variable outside every plate is free in the template; an observed one is data
        return this.noAxes(name);
      case 'deterministic':
        return this.noAxes(name) && this.deterministicNode(node);
      default:
        return false;
    }
  }

  private deterministicNode(node: GraphNode & { kind: 'deterministic' }): boolean {
    const hit = this.checked.get(node.name);
    if (hit !== undefined) return hit;
    this.checked.set(node.name, false);
    const ok = this.invariant(node.value, node);
    this.checked.set(node.name, ok);
    if (ok) this.deterministic.add(node.name);
    return ok;
  }
}

/**
 * log-potential [len, E] of the template states whose variables are in `env` (each variable
 * with length-1 plate axes), or undefined when an argument turns out to vary along a plate axis.
 * `own`: for a variable's own factor, its state in each template state [len]; with `compact`,
 * an own factor that reads no other variable (the same for every element) is given as
 * [len, 1]. Call inside tidy.
 */
export function sharedLogProb(
  plan: ModelPlan,
  f: FactorNode,
  shared: SharedPlan,
  env: Record<string, tf.Tensor>,
  len: number,
  own?: tf.Tensor,
  compact = false,
): tf.Tensor | undefined {
  const full = { ...env };
  for (const d of shared.deterministic) full[d] = plan.deterministic(d, full);
  const dist = plan.sharedDistribution(f.name, full);
  if (!dist) return undefined;
  const p = plan.stoch(f.name);
  const ones = new Array<number>(p.plateBatch.length).fill(1);
  const E = f.elements;
  // the batch is [S, 1 × plate axes, ...extra] with S = len, or 1 when no argument read the
  // template's variables
  const S = dist.batchShape[0];
  if (own) {
    // the same value for every element: score each state's own value once, then broadcast
    const lp = dist.logProb(tf.reshape(own, S === len ? [len, ...ones] : [len, 1, ...ones]));
    const column = tf.reshape(lp, [len, 1]);
    return compact && f.groups.length === 0 ? column : expandTo(column, [len, E]);
  }
  // x as [E, 1, 1 × plate axes, ...event]: the elements are leading "sample" axes of the
  // distribution; MvNormal broadcasts x against its batch itself (one L⁻¹ per member), the
  // other families are given the full shape
  let x = tf.reshape(plan.nodeValue(f.name, {}), [E, 1, ...ones, ...p.event]);
  if (p.node.distribution !== 'MvNormal')
    x = expandTo(x, [E, ...dist.batchShape, ...dist.eventShape]);
  let lp = dist.logProb(x); // [E, S, 1 × plate axes, ...extra]
  if (p.extra.length > 0) {
    const r = lp.rank;
    lp = tf.sum(
      lp,
      Array.from({ length: p.extra.length }, (_, i) => r - p.extra.length + i),
    );
  }
  const t = tf.transpose(tf.reshape(lp, [E, S]));
  return S === len ? t : expandTo(t, [len, E]);
}
