// Conjugacy facts: for every latent stochastic node and every child that reads it, what the
// relation is, through plates and through indexing by known values:
//   conjugate        a pair of the registry (src/distributions/conjugacy.ts) in one of its roles:
//                    the argument is the latent itself (identity), c × latent (scaled) or the
//                    sd (c × latent)^-1/2 of a precision; Uniform(0, 1) and Exponential priors
//                    are read as Beta(1, 1) and Gamma(1, rate) (the registry's prior views)
//   linear-gaussian  a Normal/MvNormal child whose mean is affine in Normal latents
//                    (linearity.ts gives the coefficients), with known noise or a Gamma precision
//                    written `1 / sqrt(k * tau)`; connected latents form one Gaussian block
//   indexed          the argument selects by the value of a latent discrete node (a mixture)
//   non-conjugate    none of these, with the reason.
// Facts only: which of them an engine can use, and how it words a refusal, is the engine's
// planner's business (src/infer/exact/plan.ts for the exact engine). No tensors.

import type { Reason } from '../diagnostics/reason.js';
import {
  type ConjugatePair,
  type ConjugateRole,
  conjugatePriorsOf,
  findPair,
  type PriorView,
  pairsOfChild,
  priorViewOf,
} from '../distributions/conjugacy.js';
import { DISTRIBUTIONS, type DistName } from '../distributions/signatures.js';
import type { Expr } from '../lang/ast.js';
import { subExprs } from '../lang/walk.js';
import { prod } from '../util/shape.js';
import type { BoundModel } from './bound.js';
import { evalConst } from './evaluate.js';
import type { GraphNode, StochasticNode } from './ir.js';
import {
  affine,
  designMatrix,
  type LatentRef,
  type LinearityScope,
  precisionRef,
  refIndexKey,
  scaledRef,
  unknownDeps,
} from './linearity.js';

/** How one child's argument uses one latent. */
export type Relation =
  | {
      readonly kind: 'conjugate';
      readonly latent: string;
      readonly child: string;
      readonly arg: string;
      readonly pair: ConjugatePair;
      /** identity, scaled (c × latent, c known) or precision (sd = (c × latent)^-1/2) */
      readonly role: Exclude<ConjugateRole, 'linear'>;
      /** the reference to the latent inside the argument (selects the latent's element) */
      readonly ref: Expr;
    }
  | {
      readonly kind: 'linear-gaussian';
      readonly latent: string;
      readonly child: string;
      readonly arg: string;
      /** the affine form of the child's mean: its linear part, references and design matrices */
      readonly factor: GaussianFactor;
    }
  | {
      readonly kind: 'indexed';
      readonly latent: string;
      readonly child: string;
      readonly arg: string;
      /** the latent discrete node whose value selects */
      readonly by: string;
    }
  | {
      readonly kind: 'non-conjugate';
      readonly latent: string;
      readonly child: string;
      readonly arg?: string;
      readonly reason: string;
    };

/** One Normal/MvNormal factor of a Gaussian block: a block latent's prior or an observed child. */
export interface GaussianFactor {
  readonly node: string;
  readonly family: 'Normal' | 'MvNormal';
  /** the factor's variable: a latent of the block (its prior) or an observed node */
  readonly target: 'latent' | 'observed';
  /** the mean with known additive terms zeroed (linearity.ts); absent when the mean is known */
  readonly linear?: Expr;
  /** the mean may be nonzero at latents = 0 (a known mean, or known additive terms) */
  readonly offset: boolean;
  readonly refs: readonly LatentRef[];
  /** per latent: a known K with linear part = dot(K, latent) or K @ latent (design rows = K) */
  readonly designs: Readonly<Record<string, Expr>>;
  /** sd = (c × tau)^-1/2 with tau the block's precision */
  readonly precisionScaled: boolean;
}

/** A joint Gaussian block: Normal latents coupled by linear-Gaussian factors. */
export interface GaussianStep {
  readonly rule: 'gaussian';
  /** the Normal/MvNormal latents of the block, in topological order (may be empty) */
  readonly latents: readonly string[];
  /** the Gamma precision latent of a Normal–Gamma block */
  readonly precision?: string;
  readonly factors: readonly GaussianFactor[];
  /**
   * one latent with known prior arguments whose every reference selects one plate element:
   * the precision is block-diagonal over its plate elements (one small system per element)
   */
  readonly blocked: boolean;
}

export const GAUSSIAN: readonly DistName[] = ['Normal', 'MvNormal'];

const facts = new WeakMap<BoundModel, ModelFacts>();

/** The facts of a bound model (computed once per model). */
export function modelFacts(bound: BoundModel): ModelFacts {
  let f = facts.get(bound);
  if (!f) {
    f = new ModelFacts(bound);
    facts.set(bound, f);
  }
  return f;
}

/** Observation status, dependencies and children of the stochastic nodes of a bound model. */
export class ModelFacts {
  readonly graph: BoundModel['graph'];
  readonly stochastic: readonly StochasticNode[];
  readonly latent = new Set<string>();
  /** unknown stochastic nodes each stochastic node's arguments depend on */
  readonly deps = new Map<string, Set<string>>();
  /** stochastic nodes whose arguments depend on each unknown node */
  readonly childrenOf = new Map<string, StochasticNode[]>();

  constructor(readonly bound: BoundModel) {
    this.graph = bound.graph;
    this.stochastic = bound.graph.order
      .map((n) => bound.graph.nodes[n])
      .filter((n): n is StochasticNode => n.kind === 'stochastic');
    for (const n of this.stochastic) if (this.status(n.name) === 'latent') this.latent.add(n.name);
    const none = this.scope([], { plates: [] });
    for (const n of this.stochastic) {
      const d = new Set<string>();
      for (const e of Object.values(n.args)) for (const x of unknownDeps(e, none)) d.add(x);
      this.deps.set(n.name, d);
      for (const x of d) {
        const list = this.childrenOf.get(x) ?? [];
        list.push(n);
        this.childrenOf.set(x, list);
      }
    }
  }

  status(name: string): 'latent' | 'observed' | 'partial' {
    const o = this.bound.observation[name];
    return o?.kind === 'observed' ? 'observed' : o?.kind === 'partial' ? 'partial' : 'latent';
  }

  isKnown = (name: string): boolean => {
    const node = this.graph.nodes[name];
    if (!node) return true;
    switch (node.kind) {
      case 'size':
      case 'hyper':
      case 'data':
        return true;
      case 'param':
        return this.bound.values[name] !== undefined;
      case 'stochastic':
        return this.status(name) === 'observed';
      case 'net':
        return false;
      case 'deterministic':
        return node.parents.every((p) => this.isKnown(p));
    }
  };

  /** A linearity scope relative to `latents`, in the plates of `node`. */
  scope(latents: Iterable<string>, node: Pick<GraphNode, 'plates'>): LinearityScope {
    return {
      graph: this.graph,
      latents: new Set(latents),
      isKnown: this.isKnown,
      plates: node.plates,
    };
  }

  /** Nothing depends on the node. */
  isLeaf(n: StochasticNode): boolean {
    return !this.graph.order.some((m) => this.graph.nodes[m].parents.includes(n.name));
  }

  /** The nodes that read `name` directly. */
  users(name: string): string[] {
    return this.graph.order.filter((m) => this.graph.nodes[m].parents.includes(name));
  }

  /** The conjugate-prior view of a latent's family (Exponential as Gamma, Uniform(0, 1) as Beta). */
  priorView(n: StochasticNode): PriorView | undefined {
    // a truncated family is no conjugate prior (its normaliser depends on its arguments)
    if (n.truncation) return undefined;
    const v = priorViewOf(n.distribution);
    if (!v?.when) return v;
    try {
      const env = { sizes: this.bound.sizes, values: this.bound.values };
      for (const [arg, want] of Object.entries(v.when)) {
        if (!evalConst(n.args[arg], env).data.every((x) => x === want)) return undefined;
      }
      return v;
    } catch {
      return undefined; // not a constant: not the view's case as far as the analysis can tell
    }
  }
}

/** The fact about a truncated node: its density is not its family's. */
function truncatedFact(n: StochasticNode): string {
  return `${n.name} is a truncated ${n.distribution}: its density p(x) / (F(hi) - F(lo)) is not a ${n.distribution} density, so it forms no conjugate or linear-Gaussian relation`;
}

/** The message for a latent whose prior family no argument of the child is conjugate to. */
export function priorMismatch(latent: StochasticNode, child: StochasticNode): string {
  const fams = conjugatePriorsOf(child.distribution);
  return fams.length > 0
    ? `${latent.name} has a ${latent.distribution} prior; ${child.distribution} likelihood is conjugate to ${fams.join('/')} priors only`
    : `${latent.name} has a ${latent.distribution} prior and a ${child.distribution} child (${child.name}): no conjugate pair`;
}

/** How the pairs of a prior with a child family read: "precision (sd = 1 / sqrt(tau))" or the argument. */
function describeArgs(pairs: readonly ConjugatePair[]): string {
  return pairs
    .map((p) => (p.roles.includes('precision') ? 'precision (sd = 1 / sqrt(tau))' : p.arg))
    .join(' or ');
}

/**
 * How child `c` uses the latent `n` whose prior has the conjugate view `view`: a registry pair
 * with its role, or why not.
 */
export function conjugateRelation(
  f: ModelFacts,
  n: StochasticNode,
  c: StochasticNode,
  view: PriorView,
): Relation {
  const scope = f.scope([n.name], c);
  const nonConjugate = (reason: string, arg?: string): Relation => ({
    kind: 'non-conjugate',
    latent: n.name,
    child: c.name,
    arg,
    reason,
  });
  if (c.truncation) return nonConjugate(truncatedFact(c));
  const uses = Object.entries(c.args).filter(([, e]) => unknownDeps(e, scope).has(n.name));
  if (uses.length !== 1) {
    return nonConjugate(
      `${c.name} uses ${n.name} in ${uses.length} of its arguments (${uses.map(([a]) => a).join(', ')}): not a conjugate pair`,
    );
  }
  const [arg, expr] = uses[0];
  for (const [a, e] of Object.entries(c.args)) {
    if (a === arg) continue;
    const d = [...unknownDeps(e, f.scope([], c))];
    if (d.length > 0) {
      return nonConjugate(
        `${c.name} also depends on the latent ${d[0]} through its ${a}: not a conjugate pair`,
        arg,
      );
    }
  }
  const pair = findPair(view.as, c.distribution, arg);
  if (!pair) {
    if (arg === 'logits') {
      return nonConjugate(
        `${c.name} uses ${n.name} through logits: a ${n.distribution} prior is conjugate to ${c.distribution}(p = …) only`,
        arg,
      );
    }
    const same = pairsOfChild(c.distribution).filter((p) => p.prior === view.as);
    if (same.length > 0) {
      return nonConjugate(
        `${c.name} uses ${n.name} as its ${arg}: a ${n.distribution} prior is conjugate to the ${c.distribution} ${describeArgs(same)} only`,
        arg,
      );
    }
    return nonConjugate(priorMismatch(n, c), arg);
  }
  const precision = pair.roles.includes('precision');
  const r = precision ? precisionRef(expr, n.name, scope) : scaledRef(expr, n.name, scope);
  if (!r.ok) return nonConjugate(`${c.name}: ${r.message}`, arg);
  if (r.scaled && !precision && !pair.roles.includes('scaled')) {
    return nonConjugate(
      `${c.name}: its ${arg} is a multiple of ${n.name}, not ${n.name} itself: not conjugate to the ${n.distribution} prior`,
      arg,
    );
  }
  if (!selectsElements(n, r.ref, DISTRIBUTIONS[view.as].eventRank === 1)) {
    return nonConjugate(
      `${c.name} reads ${n.name} as ${exprText(r.ref.expr)}: each element of ${c.name} must use one element of ${n.name}`,
      arg,
    );
  }
  const role = precision ? 'precision' : r.scaled ? 'scaled' : 'identity';
  return { kind: 'conjugate', latent: n.name, child: c.name, arg, pair, role, ref: r.ref.expr };
}

/**
 * Does the reference give every element of the child one element of the latent? For the
 * scalar families any reference does (the reference's value broadcasts to the child); for a
 * Dirichlet it must select one plate element and keep its whole event vector.
 */
export function selectsElements(n: StochasticNode, ref: LatentRef, wholeEvent: boolean): boolean {
  if (!wholeEvent) return true;
  const k = n.plates.length;
  const e = ref.expr;
  if (e.kind === 'name') return k === 0;
  if (e.kind !== 'index') return false;
  const batchArgs = e.indices.slice(0, k);
  if (batchArgs.length < k || batchArgs.some((a) => a.kind !== 'at')) return false;
  return e.indices.slice(k).every((a) => a.kind === 'slice' && !a.lo && !a.hi);
}

/** The latent discrete nodes whose values index something inside `e` (`mu[z[i]]`: z). */
export function discreteIndices(f: ModelFacts, e: Expr, scope: LinearityScope): string[] {
  const out = new Set<string>();
  const visit = (x: Expr): void => {
    if (x.kind === 'index') {
      for (const a of x.indices) {
        if (a.kind !== 'at') continue;
        for (const d of unknownDeps(a.expr, scope)) {
          const node = f.graph.nodes[d];
          if (node?.kind === 'stochastic' && DISTRIBUTIONS[node.distribution].finite) out.add(d);
        }
      }
    }
    for (const child of subExprs(x)) visit(child);
  };
  visit(e);
  return [...out];
}

/**
 * Every (latent, child, argument) relation of the model: for each latent and each child that
 * reads it, what the relation is (see the top of this file). Gaussian blocks are listed per
 * factor as `linear-gaussian` facts.
 */
export function relations(bound: BoundModel): Relation[] {
  const f = modelFacts(bound);
  const out: Relation[] = [];
  const gaussian = new Set(
    f.stochastic
      .filter((n) => f.latent.has(n.name) && GAUSSIAN.includes(n.distribution) && !n.truncation)
      .map((n) => n.name),
  );
  for (const n of f.stochastic) {
    if (!f.latent.has(n.name)) continue;
    for (const c of f.childrenOf.get(n.name) ?? []) {
      const truncated = [n, c].find((x) => x.truncation);
      if (truncated) {
        out.push({
          kind: 'non-conjugate',
          latent: n.name,
          child: c.name,
          reason: truncatedFact(truncated),
        });
        continue;
      }
      const scope = f.scope([], c);
      const uses = Object.entries(c.args).filter(([, e]) => unknownDeps(e, scope).has(n.name));
      const indexed = uses.flatMap(([arg, e]) =>
        discreteIndices(f, e, scope).map((by) => ({ arg, by })),
      );
      if (indexed.length > 0) {
        for (const { arg, by } of indexed) {
          out.push({ kind: 'indexed', latent: n.name, child: c.name, arg, by });
        }
        continue;
      }
      const view = f.priorView(n);
      if (GAUSSIAN.includes(n.distribution)) {
        const mean = uses.find(([a]) => a === 'mu');
        const r =
          mean && uses.length === 1 && GAUSSIAN.includes(c.distribution)
            ? gaussianFactor(f, c, f.latent.has(c.name) ? 'latent' : 'observed', gaussian)
            : undefined;
        if (r && 'factor' in r) {
          out.push({
            kind: 'linear-gaussian',
            latent: n.name,
            child: c.name,
            arg: 'mu',
            factor: r.factor,
          });
        } else {
          out.push({
            kind: 'non-conjugate',
            latent: n.name,
            child: c.name,
            arg: uses[0]?.[0],
            reason: r
              ? r.reason.message
              : `${c.name} (${c.distribution}) depends on ${n.name}: a Normal latent is conjugate to the mean of a Normal/MvNormal child only`,
          });
        }
      } else if (view) out.push(conjugateRelation(f, n, c, view));
      else {
        out.push({
          kind: 'non-conjugate',
          latent: n.name,
          child: c.name,
          reason: priorMismatch(n, c),
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- Gaussian blocks

/** A factor of a Gaussian block, or why the node's mean or sd does not make one. */
export type FactorResult =
  | { readonly factor: GaussianFactor; readonly precision?: string }
  | { readonly reason: Reason };

function reasonAt(f: ModelFacts, node: string, message: string): Reason {
  const n = f.graph.nodes[node];
  return { node, line: n?.line ?? 0, column: n?.column ?? 0, message };
}

/**
 * The Normal/MvNormal factor of `node`: its mean affine in the Gaussian latents `names`, its sd
 * known or (c × tau)^-1/2 with tau one of `precisions` (a Gamma latent).
 */
export function gaussianFactor(
  f: ModelFacts,
  node: StochasticNode,
  target: 'latent' | 'observed',
  names: ReadonlySet<string>,
  precisions: ReadonlySet<string> = new Set(),
): FactorResult {
  if (node.truncation) return { reason: reasonAt(f, node.name, truncatedFact(node)) };
  const mean = node.args.mu;
  const scope = f.scope(names, node);
  const res = affine(mean, scope);
  if (!res.ok) {
    const deps = [...unknownDeps(mean, f.scope([], node))];
    const nonGauss = deps.find((d) => !names.has(d));
    const who = nonGauss ? f.graph.nodes[nonGauss] : undefined;
    if (who?.kind === 'stochastic' && target === 'observed') {
      return {
        reason: reasonAt(
          f,
          nonGauss ?? node.name,
          `the mean of ${node.name} depends on ${nonGauss} (${who.distribution}): ${res.message}`,
        ),
      };
    }
    return {
      reason: reasonAt(
        f,
        node.name,
        `the mean of ${node.name} is not affine in its Normal parents: ${res.message}`,
      ),
    };
  }
  const sdName = node.distribution === 'Normal' ? 'sigma' : 'Sigma';
  const sd = node.args[sdName];
  const sdDeps = [...unknownDeps(sd, f.scope([], node))];
  let precision: string | undefined;
  if (sdDeps.length > 0) {
    const tau = sdDeps.find((d) => precisions.has(d));
    if (!tau || sdDeps.length > 1 || node.distribution !== 'Normal') {
      const d = sdDeps.find((x) => !precisions.has(x)) ?? sdDeps[0];
      const dn = f.graph.nodes[d];
      return {
        reason: reasonAt(
          f,
          d,
          dn?.kind === 'stochastic' &&
            !GAUSSIAN.includes(dn.distribution) &&
            dn.distribution !== 'Gamma'
            ? priorMismatch(dn, node)
            : `the ${sdName} of ${node.name} depends on ${d}: a Normal latent is conjugate to the mean of a Normal child only; an unknown sd needs a Gamma precision written 1 / sqrt(k * tau)`,
        ),
      };
    }
    const r = precisionRef(sd, tau, f.scope([tau], node));
    if (!r.ok) return { reason: reasonAt(f, tau, `${node.name}: ${r.message}`) };
    precision = tau;
  }
  const refs = res.known ? [] : res.refs;
  const designs: Record<string, Expr> = {};
  for (const l of new Set(refs.map((r) => r.latent))) {
    const k = designMatrix(mean, l, scope);
    if (k) designs[l] = k;
  }
  return {
    factor: {
      node: node.name,
      family: node.distribution as 'Normal' | 'MvNormal',
      target,
      linear: res.known ? undefined : res.linear,
      offset: res.known || res.offset,
      refs,
      designs,
      precisionScaled: precision !== undefined,
    },
    precision,
  };
}

/**
 * Does a Gamma latent serve as the precision of a Gaussian block (some Normal child latent, or
 * its mean not known)? `latent`: the nodes the caller treats as latent.
 */
export function isBlockPrecision(
  f: ModelFacts,
  n: StochasticNode,
  children: readonly StochasticNode[],
  latent: ReadonlySet<string> = f.latent,
): boolean {
  return children.some((c) => {
    if (!GAUSSIAN.includes(c.distribution)) return false;
    const sd = c.args.sigma ?? c.args.Sigma;
    const noneScope = f.scope([], c);
    if (!sd || !unknownDeps(sd, noneScope).has(n.name)) return false;
    if (latent.has(c.name)) return true;
    const mean = c.args.mu;
    return !!mean && unknownDeps(mean, noneScope).size > 0;
  });
}

/**
 * One latent whose prior is known and whose references each select one plate element (the same
 * way per factor): its posterior precision is block-diagonal over its plate elements.
 */
export function isBlockable(
  f: ModelFacts,
  latent: string,
  factors: readonly GaussianFactor[],
): boolean {
  const n = f.graph.nodes[latent] as StochasticNode;
  if (n.plates.length === 0) return true;
  for (const fa of factors) {
    if (fa.node === latent) {
      if (fa.refs.length > 0) return false;
      continue;
    }
    const keys = new Set(fa.refs.map(refIndexKey));
    if (keys.size !== 1) return false;
    for (const r of fa.refs) {
      if (r.expr.kind !== 'index') return false;
      const batch = r.expr.indices.slice(0, n.plates.length);
      if (batch.length < n.plates.length || batch.some((a) => a.kind !== 'at')) return false;
    }
  }
  return true;
}

/** The number of scalar entries of a node. */
export function sizeOf(
  shape: { batch: readonly number[]; event: readonly number[] } | undefined,
): number {
  if (!shape) return 0;
  return prod([...shape.batch, ...shape.event]);
}

function exprText(e: Expr): string {
  return e.kind === 'name'
    ? e.name
    : e.kind === 'index' && e.target.kind === 'name'
      ? `${e.target.name}[…]`
      : 'an expression';
}
