// The linear-Gaussian chains the exact engine solves by the Kalman filter and RTS smoother
// (tensor-free). Every latent of the chain plate is a scalar Normal per step,
//   x_i[t] ~ Normal(mean affine in x_j[t − k] (k ≥ 1) and x_j[t] (j before i), known sd),
// every node reading them is an observed (or partly observed) scalar Normal in the same plates,
//   y[t] ~ Normal(mean affine in x_j[t − k] (k ≥ 0), known sd),
// and every other stochastic node is observed. "Affine" is graph/linearity.ts's reading (the
// one the linear-Gaussian rows of gaussian/rows.ts are built from), extended here through
// `test ? a : b` with a known test (`t == 0 ? m0 : a * x[t - 1]`): the linear part keeps the
// test and takes each branch's linear part. The coefficients are evaluated per element by
// kalman.ts. The state at step t holds x_j[t], x_j[t − 1], …, x_j[t − D_j] for every latent j,
// with D_j the furthest step back that a transition (less one) or an observation reads: the
// standard augmentation of a higher-order chain. Its size d is kept at most MAX_STATE.

import type { Reason } from '../../../diagnostics/reason.js';
import type { BoundModel } from '../../../graph/bound.js';
import type { Chain } from '../../../graph/chains.js';
import type { StochasticNode } from '../../../graph/ir.js';
import {
  affine,
  isKnownExpr,
  type LatentRef,
  type LinearityScope,
} from '../../../graph/linearity.js';
import type { Expr } from '../../../lang/ast.js';

/** The largest state (numbers per step and sequence): the smoother's work per step is O(d³). */
export const MAX_STATE = 32;

export const KALMAN =
  'exact solves a chain of scalar Normal latents by the Kalman smoother when every mean is affine in them (known coefficients) and every sd is known';

/** One Normal factor of the chain: `node ~ Normal(mean, sd)` with mean affine in the latents. */
export interface LinearTerm {
  readonly node: string;
  readonly mean: Expr;
  /** the part of the mean linear in the latents (a literal 0 when the mean is known) */
  readonly linear: Expr;
  /** per latent it reads: the steps back (0: the same step) it reads it at */
  readonly reads: readonly { readonly latent: string; readonly lags: readonly number[] }[];
  readonly sd: Expr;
  /**
   * observations per element of the chain: 1, or the size of the plates an observation has
   * inside the chain's (`y[t, i]` in `plate i in N` within `plate t in T`)
   */
  readonly inner: number;
}

/** An entry of the state at step t: `latent[t − lag]`. */
export interface StateEntry {
  readonly latent: string;
  readonly lag: number;
}

export interface GaussianChainPlan {
  readonly kind: 'gaussian';
  readonly chain: Chain;
  /** the first latent (the layout every coefficient is evaluated in is the chain's) */
  readonly latent: StochasticNode;
  /** every latent of the chain, in graph order (each may read the ones before it) */
  readonly latents: readonly StochasticNode[];
  /** per latent, in the same order: its transition */
  readonly transitions: readonly LinearTerm[];
  /** the observed Normal nodes reading the latents */
  readonly emissions: readonly LinearTerm[];
  readonly state: readonly StateEntry[];
  /** the other observed stochastic nodes: their log-likelihood is added to the evidence */
  readonly rest: readonly string[];
}

type Refusal = { readonly node: string; readonly reason: string; readonly at?: Reason };

/** The Kalman plan of a chain of Normal latents `inChain`, or why it has none. */
export function gaussianChainPlan(
  bound: BoundModel,
  chain: Chain,
  inChain: readonly StochasticNode[],
  latents: readonly StochasticNode[],
): GaussianChainPlan | Refusal {
  const { graph } = bound;
  const refuse = (node: string, why: string): Refusal => ({ node, reason: `${why}; ${KALMAN}` });
  const names = new Set(inChain.map((n) => n.name));
  const first = inChain[0]!;
  const outside = latents.find((n) => !names.has(n.name));
  if (outside)
    return refuse(
      outside.name,
      `${outside.name} is latent outside the chain over '${chain.plate.index}' (every other stochastic node must be observed)`,
    );
  for (const x of inChain) {
    if ((bound.shapes[x.name]?.event.length ?? 0) > 0)
      return refuse(x.name, `${x.name} is a vector per step`);
    if (x.plates.join() !== first.plates.join())
      return refuse(x.name, `${x.name} is not in the plates of ${first.name}`);
  }
  const isKnown = (name: string): boolean => {
    const node = graph.nodes[name];
    if (!node) return true;
    if (node.kind === 'stochastic') return bound.observation[name]?.kind === 'observed';
    if (node.kind === 'param') return bound.values[name] !== undefined;
    if (node.kind === 'deterministic') return node.parents.every(isKnown);
    return node.kind !== 'net';
  };
  const scopeOf = (node: StochasticNode): LinearityScope => ({
    graph,
    latents: names,
    isKnown,
    plates: node.plates,
  });

  const term = (node: StochasticNode, what: string, inner = 1): LinearTerm | Refusal => {
    const scope = scopeOf(node);
    const sd = node.args.sigma!;
    if (!isKnownExpr(sd, scope)) return refuse(node.name, `the sd of ${node.name} is not known`);
    const lin = linearPart(node.args.mu!, scope);
    if ('message' in lin) return refuse(node.name, `${what}: ${lin.message}`);
    const reads = new Map<string, Set<number>>();
    for (const r of lin.refs) {
      const x = graph.nodes[r.latent] as StochasticNode;
      const lag = stepsBack(r.expr, x, chain);
      if (lag === undefined)
        return refuse(
          node.name,
          `${node.name} reads ${r.latent} other than at its own step or an earlier one (${r.latent}[…, ${chain.plate.index}] or ${r.latent}[…, ${chain.plate.index} - k])`,
        );
      if (!reads.has(r.latent)) reads.set(r.latent, new Set());
      reads.get(r.latent)!.add(lag);
    }
    return {
      node: node.name,
      mean: node.args.mu!,
      linear: lin.linear,
      reads: [...reads].map(([latent, lags]) => ({
        latent,
        lags: [...lags].sort((a, b) => a - b),
      })),
      sd,
      inner,
    };
  };

  const transitions: LinearTerm[] = [];
  for (const [i, x] of inChain.entries()) {
    const t = term(x, `the transition of ${x.name} is not linear in the chain's latents`);
    if ('reason' in t) return t;
    for (const r of t.reads) {
      const j = inChain.findIndex((n) => n.name === r.latent);
      if (r.lags.includes(0) && j >= i)
        return refuse(x.name, `${x.name} reads ${r.latent} at its own step`);
    }
    transitions.push(t);
  }
  const emissions: LinearTerm[] = [];
  const rest: string[] = [];
  // the latent a node reads, directly or through deterministic nodes (inlined by its reader)
  const via = new Map<string, string | undefined>();
  const latentRead = (n: string): string | undefined => {
    if (via.has(n)) return via.get(n);
    via.set(n, undefined);
    let found: string | undefined;
    for (const p of graph.nodes[n]!.parents) {
      const parent = graph.nodes[p];
      if (names.has(p)) found = p;
      else if (parent?.kind === 'deterministic') found = latentRead(p);
      if (found) break;
    }
    via.set(n, found);
    return found;
  };
  for (const n of graph.order) {
    const node = graph.nodes[n]!;
    if (names.has(n)) continue;
    const read = latentRead(n);
    if (!read) {
      if (node.kind === 'stochastic') rest.push(n);
      continue;
    }
    // a deterministic function of the latents is inlined where it is read (graph/linearity.ts),
    // and its reader is refused when it cannot be
    if (node.kind !== 'stochastic') continue;
    if (node.distribution !== 'Normal')
      return refuse(n, `${n} is a ${node.distribution} reading ${read}, not a Normal`);
    if ((bound.shapes[n]?.event.length ?? 0) > 0) return refuse(n, `${n} is a vector per step`);
    const inner = innerSize(bound, n, first.name);
    if (inner === undefined)
      return refuse(
        n,
        `${n} reads ${read} but is not in its plates or in plates of fixed size inside them (observations per step)`,
      );
    const t = term(node, `the mean of ${n} is not linear in ${read}`, inner);
    if ('reason' in t) return t;
    emissions.push(t);
  }

  // D_j: how far back the state keeps latent j
  const back = new Map<string, number>(inChain.map((x) => [x.name, 0]));
  const need = (latent: string, k: number) => back.set(latent, Math.max(back.get(latent)!, k));
  for (const t of transitions) for (const r of t.reads) need(r.latent, Math.max(...r.lags) - 1);
  for (const t of emissions) for (const r of t.reads) need(r.latent, Math.max(...r.lags));
  const state: StateEntry[] = [];
  for (const x of inChain)
    for (let lag = 0; lag <= back.get(x.name)!; lag++) state.push({ latent: x.name, lag });
  if (state.length > MAX_STATE) {
    const widest = [...back].sort((a, b) => b[1] - a[1])[0]![0];
    return refuse(
      widest,
      `the chain's state has ${state.length} numbers per step (its ${inChain.length} latents and the earlier steps read of them, ${widest} ${back.get(widest)} steps back), more than the ${MAX_STATE} the smoother keeps`,
    );
  }
  return {
    kind: 'gaussian',
    chain,
    latent: first,
    latents: inChain,
    transitions,
    emissions,
    state,
    rest,
  };
}

/**
 * How many elements of `node` each element of `latent` has: 1 in the same plates, the size of the
 * plates it has inside them when its batch axes are the latent's followed by those (row-major, so
 * the observations of chain element b are b · inner … b · inner + inner − 1); undefined otherwise
 * (other plates, or a ragged one inside).
 */
function innerSize(bound: BoundModel, node: string, latent: string): number | undefined {
  const own = bound.axes[node] ?? [];
  const of = bound.axes[latent] ?? [];
  if (own.length < of.length) return undefined;
  for (const [i, a] of of.entries()) {
    const b = own[i]!;
    if (b.length !== a.length || b.plates.join() !== a.plates.join()) return undefined;
  }
  let inner = 1;
  for (const a of own.slice(of.length)) {
    if (a.plates.length !== 1) return undefined;
    inner *= a.length;
  }
  return inner;
}

const ZERO = (at: Expr): Expr => ({ kind: 'num', value: 0, isInt: true, range: at.range });

/**
 * The part of `e` linear in the scope's latents with the latents it reads, through conditionals
 * with a known test (`t == 0 ? m0 : a * x[t - 1]` → `t == 0 ? 0 : a * x[t - 1]`).
 */
function linearPart(
  e: Expr,
  scope: LinearityScope,
): { linear: Expr; refs: readonly LatentRef[] } | { message: string } {
  if (e.kind === 'cond') {
    if (!isKnownExpr(e.test, scope)) return { message: `its test reads a latent value` };
    const a = linearPart(e.whenTrue, scope);
    if ('message' in a) return a;
    const b = linearPart(e.whenFalse, scope);
    if ('message' in b) return b;
    return {
      linear: { ...e, whenTrue: a.linear, whenFalse: b.linear },
      refs: [...a.refs, ...b.refs],
    };
  }
  const r = affine(e, scope);
  if (!r.ok) return { message: r.message };
  return r.known ? { linear: ZERO(e), refs: [] } : { linear: r.linear, refs: r.refs };
}

/**
 * How many steps back a reference reads latent x: 0 for `x[i, t]`, k for `x[i, t - k]` (the
 * latent's own index names in order, the chain's index shifted); undefined for anything else.
 */
function stepsBack(e: Expr, x: StochasticNode, chain: Chain): number | undefined {
  if (e.kind !== 'index' || e.indices.length !== x.indices.length) return undefined;
  let lag = 0;
  for (const [p, a] of e.indices.entries()) {
    const own = x.indices[p]!;
    if (a.kind !== 'at') return undefined;
    const v = a.expr;
    if (v.kind === 'name' && v.name === own) continue;
    if (
      own === chain.plate.index &&
      v.kind === 'binary' &&
      v.op === '-' &&
      v.left.kind === 'name' &&
      v.left.name === own &&
      v.right.kind === 'num' &&
      v.right.isInt &&
      v.right.value >= 1
    ) {
      lag = v.right.value;
      continue;
    }
    return undefined;
  }
  return lag;
}
