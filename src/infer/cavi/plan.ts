// The cavi engine's planner: reads the graph's facts and decides, for every latent, its
// mean-field factor q and, for every stochastic node, how its density term couples the latents
// (variational message passing, Winn & Bishop 2005). Tensor-free, so `plato engines` answers
// without loading tfjs.
//
// Variational families (one factor per plate element):
//   continuous latents: the conjugate family of the prior (Beta or Uniform(0, 1), Gamma or
//     Exponential, Dirichlet, Normal); their prior arguments must be known (this increment);
//   discrete latents: Categorical, Bernoulli (q is a probability vector per element).
// A node's term p(x | args) is handled when every latent it reads is
//   - a continuous latent entering one argument through a registry pair
//     (src/distributions/conjugacy.ts) as itself, c × itself, or the sd (c × precision)^-1/2,
//     each element of the node reading one element of the latent; several arguments may each
//     read a different latent (Normal(mu, 1 / sqrt(tau)): mean-field Normal–Gamma);
//   - at most one discrete latent z, read through a whole-element reference `z[…]` anywhere in the
//     arguments (a mixture `beta[z[d, n]]`, `mu[z[i]]`, or a known table `m[z[i]]`): the term is
//     evaluated once per state of z and weighted by q(z).
// Params to learn are point-estimated by variational EM (params.ts): the planner reads them as
// known (their current value), and the run maximises the ELBO in them after each sweep.
// Missing entries of an observed discrete node are latents with their own factor (naive Bayes
// with some labels null): the node is a discrete latent whose observed entries are pinned.
// A Normal latent read through a design (`dot(X[i], w)`) is a linear-Gaussian block with a joint
// Gaussian factor (linearPlan.ts); its children are the block's, not terms here.
// Refused, with the node and line: nets, missing entries of a continuous node, latent prior
// arguments of a continuous latent (hierarchies), a latent node whose
// term is selected by a discrete latent, two discrete latents in one term (chains), and every
// non-conjugate edge.

import type { Reason } from '../../diagnostics/reason.js';
import { findPair, type PriorView, pairsOfChild } from '../../distributions/conjugacy.js';
import { DISTRIBUTIONS, type DistName } from '../../distributions/signatures.js';
import type { BoundModel, NDArray } from '../../graph/bound.js';
import { type ModelFacts, modelFacts, selectsElements } from '../../graph/conjugacy.js';
import type { StochasticNode } from '../../graph/ir.js';
import {
  type LinearityScope,
  precisionRef,
  scaledRef,
  unknownDeps,
} from '../../graph/linearity.js';
import { exprToString } from '../../graph/print.js';
import type { Expr } from '../../lang/ast.js';
import { subExprs } from '../../lang/walk.js';
import { prod } from '../../util/shape.js';
import { chainReasons } from '../chains.js';
import { type Transform, transformOf } from '../learn/transform.js';
import { learnables } from '../registry.js';
import { truncatedReasons } from '../truncated.js';
import { type LinearBlock, linearBlocks } from './linearPlan.js';

export type ContinuousFamily = 'Beta' | 'Gamma' | 'Dirichlet' | 'Normal';
export type DiscreteFamily = 'Categorical' | 'Bernoulli';

const CONTINUOUS: readonly DistName[] = ['Beta', 'Gamma', 'Dirichlet', 'Normal'];
const DISCRETE: readonly DistName[] = ['Categorical', 'Bernoulli'];
/** child families with an exponential-family view (messages): expfamily.ts `expFamilyOf` */
const MESSAGING: readonly DistName[] = [
  'Bernoulli',
  'Categorical',
  'Binomial',
  'Multinomial',
  'Poisson',
  'Exponential',
  'Gamma',
  'Normal',
];

export type CaviLatent =
  | {
      readonly name: string;
      readonly kind: 'continuous';
      readonly family: ContinuousFamily;
      /** the prior read as the conjugate family (Exponential as Gamma(1, rate), …) */
      readonly view: PriorView;
    }
  | {
      readonly name: string;
      readonly kind: 'discrete';
      readonly family: DiscreteFamily;
      /** an observed node with missing entries: q is pinned to the data where observed */
      readonly partial?: boolean;
    };

/** A param learned by the variational M-step, in unconstrained coordinates θ = T(u). */
export interface CaviParam {
  readonly name: string;
  /** the param's full shape */
  readonly shape: readonly number[];
  readonly transform: Transform;
}

/** A continuous latent read by one argument of a term. */
export interface ParentUse {
  readonly latent: string;
  readonly arg: string;
  readonly role: 'identity' | 'scaled' | 'precision';
  /** the reference to the latent inside the argument (selects its element) */
  readonly ref: Expr;
}

/** The density term p(x | args) of one stochastic node that reads latents. */
export interface CaviTerm {
  readonly node: string;
  readonly observed: boolean;
  readonly uses: readonly ParentUse[];
  /** the discrete latent whose value selects (a mixture), and its whole-element reference */
  readonly selector?: { readonly latent: string; readonly ref: Expr };
}

export interface CaviPlan {
  /** update order of a sweep: continuous latents (model order), then discrete ones */
  readonly latents: readonly CaviLatent[];
  /** the terms of nodes reading some latent (observed nodes and latents alike) */
  readonly terms: readonly CaviTerm[];
  /** observed nodes that read no latent nor learned param: constant terms of the ELBO */
  readonly known: readonly string[];
  /** params to learn (variational EM), model order */
  readonly params: readonly CaviParam[];
  /** Normal latents with a joint Gaussian factor and their linear-Gaussian children (linear.ts) */
  readonly linear: readonly LinearBlock[];
}

export type PlanResult =
  | { readonly ok: true; readonly plan: CaviPlan }
  | { readonly ok: false; readonly reasons: readonly Reason[] };

/** Plan cavi for a bound model (pure, no tensors). */
export function planCavi(bound: BoundModel): PlanResult {
  const chained = chainReasons(
    bound,
    'cavi treats plates as independent replication and has no update over a chain',
  );
  if (chained.length > 0) return { ok: false, reasons: chained };
  const truncated = truncatedReasons(
    bound,
    "cavi's updates are conjugate, and a truncated density is conjugate to no prior",
  );
  if (truncated.length > 0) return { ok: false, reasons: truncated };
  const learn = learnables(bound);
  const reasons: Reason[] = [];
  const params: CaviParam[] = [];
  const placeholders: Record<string, NDArray> = {};
  for (const p of learn) {
    const node = bound.graph.nodes[p];
    const at = { node: p, line: node.line ?? 0, column: node.column ?? 0 };
    if (node.kind === 'net') {
      reasons.push({
        ...at,
        message: `the net ${p} would have to be learned: cavi learns no nets (use avi)`,
      });
      continue;
    }
    const t = transformOf(bound, p, "cavi's M-step");
    if (typeof t === 'string') {
      reasons.push({ ...at, message: t });
      continue;
    }
    const s = bound.shapes[p];
    const shape = [...s.batch, ...s.event];
    params.push({ name: p, shape, transform: t });
    placeholders[p] = bound.values[p] ?? {
      shape,
      data: new Float64Array(prod(shape)),
    };
  }
  // the planner reads the learned params as known: each E-step holds them at their value
  const known =
    learn.length > 0 ? { ...bound, values: { ...bound.values, ...placeholders } } : bound;
  const r = new Planner(known, new Set(params.map((p) => p.name))).run();
  if (reasons.length > 0) return { ok: false, reasons: [...reasons, ...(r.ok ? [] : r.reasons)] };
  return r.ok ? { ok: true, plan: { ...r.plan, params } } : r;
}

class Planner {
  private readonly f: ModelFacts;
  private readonly reasons: Reason[] = [];

  /** the discrete nodes with missing entries: latents whose observed entries are pinned */
  private readonly partial = new Set<string>();

  constructor(
    private readonly bound: BoundModel,
    private readonly learned: ReadonlySet<string>,
  ) {
    this.f = modelFacts(bound);
    for (const n of this.f.stochastic)
      if (this.f.status(n.name) === 'partial' && DISCRETE.includes(n.distribution))
        this.partial.add(n.name);
  }

  /** latent, or a discrete node with missing entries */
  private unknown(name: string): boolean {
    return this.f.latent.has(name) || this.partial.has(name);
  }

  /** Does node n's log-density read a learned param (directly or through deterministic nodes)? */
  private readsParam(n: StochasticNode): boolean {
    const seen = new Set<string>();
    const visit = (name: string): boolean => {
      if (seen.has(name)) return false;
      seen.add(name);
      if (this.learned.has(name)) return true;
      const x = this.bound.graph.nodes[name];
      return x?.kind === 'deterministic' && x.parents.some(visit);
    };
    return n.parents.some(visit);
  }

  private reason(node: string, message: string): void {
    const n = this.bound.graph.nodes[node];
    if (this.reasons.some((r) => r.node === node && r.message === message)) return;
    this.reasons.push({ node, line: n?.line ?? 0, column: n?.column ?? 0, message });
  }

  private node(name: string): StochasticNode | undefined {
    const n = this.bound.graph.nodes[name];
    return n?.kind === 'stochastic' ? n : undefined;
  }

  private isDiscreteLatent(name: string): boolean {
    const n = this.node(name);
    return !!n && this.unknown(name) && DISTRIBUTIONS[n.distribution].finite;
  }

  run(): PlanResult {
    const lin = linearBlocks(this.f, (n) => this.unknown(n));
    for (const r of lin.reasons) this.reason(r.node, r.message);
    // a block's latent and children are the block's (linear.ts), not factors and terms here
    const inBlock = new Set(
      lin.blocks.flatMap((b) => [b.latent, ...b.children.map((c) => c.node)]),
    );
    for (const b of lin.blocks)
      for (const c of b.children)
        if (this.readsParam(this.node(c.node) as StochasticNode))
          this.reason(
            c.node,
            `${c.node} is a linear-Gaussian child of ${b.latent} and reads a param to learn: not in this version of cavi`,
          );
    const latents: CaviLatent[] = [];
    const discrete: CaviLatent[] = [];
    const terms: CaviTerm[] = [];
    const known: string[] = [];
    for (const n of this.f.stochastic) {
      if (inBlock.has(n.name)) continue;
      const status = this.f.status(n.name);
      if (status === 'partial' && !this.partial.has(n.name)) {
        this.reason(
          n.name,
          `${n.name} (${n.distribution}) has missing entries: cavi fills in missing entries of discrete nodes (Categorical, Bernoulli) only`,
        );
        continue;
      }
      const latent = status !== 'observed';
      if (latent) {
        const l = this.latent(n, status === 'partial');
        if (l?.kind === 'discrete') discrete.push(l);
        else if (l) latents.push(l);
      }
      const deps = this.f.deps.get(n.name) ?? new Set<string>();
      if (deps.size === 0) {
        // a node reading a learned param is a term of the M-step's objective
        if (!latent && !this.readsParam(n)) known.push(n.name);
        else if (!latent) terms.push({ node: n.name, observed: true, uses: [] });
        continue;
      }
      if (latent && DISTRIBUTIONS[n.distribution].finite === false) {
        const d = [...deps][0];
        this.reason(
          n.name,
          `the arguments of ${n.name} depend on the latent ${d}: a continuous latent with latent prior arguments (a hierarchy) is not in this version of cavi`,
        );
        continue;
      }
      const t = this.term(n, deps, latent);
      if (t) terms.push(t);
    }
    if (this.reasons.length > 0) return { ok: false, reasons: this.reasons };
    return {
      ok: true,
      plan: { latents: [...latents, ...discrete], terms, known, params: [], linear: lin.blocks },
    };
  }

  /** The variational factor of a latent, or a reason. */
  private latent(n: StochasticNode, partial: boolean): CaviLatent | undefined {
    if (DISCRETE.includes(n.distribution))
      return {
        name: n.name,
        kind: 'discrete',
        family: n.distribution as DiscreteFamily,
        ...(partial ? { partial: true } : {}),
      };
    const view = this.f.priorView(n);
    if (view && CONTINUOUS.includes(view.as))
      return { name: n.name, kind: 'continuous', family: view.as as ContinuousFamily, view };
    this.reason(
      n.name,
      `${n.name} has a ${n.distribution} prior: cavi's variational families are Beta, Gamma, Dirichlet, Normal (conjugate priors), Categorical and Bernoulli`,
    );
    return undefined;
  }

  /** How node n's term reads the latents `deps` (its arguments' unknown stochastic nodes). */
  private term(
    n: StochasticNode,
    deps: ReadonlySet<string>,
    latent: boolean,
  ): CaviTerm | undefined {
    const none = this.f.scope([], n);
    const unknown = [...deps].filter((d) => !this.unknown(d));
    if (unknown.length > 0)
      return void this.reason(n.name, `${n.name} reads ${unknown[0]}, which has no value`);
    const discrete = [...deps].filter((d) => this.isDiscreteLatent(d));
    if (discrete.length > 1) {
      return void this.reason(
        n.name,
        `${n.name} reads the discrete latents ${discrete.join(' and ')}: a term selected by two discrete latents (or a chain) is not in this version of cavi`,
      );
    }
    const z = discrete[0];
    if (z && latent) {
      return void this.reason(
        n.name,
        `${n.name} is latent and its arguments are selected by the discrete latent ${z}: not in this version of cavi (only observed nodes may be mixtures)`,
      );
    }
    let selector: CaviTerm['selector'];
    if (z) {
      const ref = this.selectorRef(n, z);
      if (!ref) return undefined;
      selector = { latent: z, ref };
    }
    if (!MESSAGING.includes(n.distribution) && [...deps].some((d) => d !== z)) {
      const d = [...deps].find((x) => x !== z) as string;
      return void this.reason(
        n.name,
        `${n.name} (${n.distribution}) reads the latent ${d}: a ${n.distribution} child sends no conjugate message in this version of cavi`,
      );
    }
    // the discrete latent counts as known: each state is evaluated on its own
    const scopeOf = (x: string): LinearityScope => ({
      ...this.f.scope([x], n),
      isKnown: (name: string) => name === z || this.f.isKnown(name),
    });
    const uses: ParentUse[] = [];
    const seen = new Set<string>();
    for (const [arg, e] of Object.entries(n.args)) {
      const xs = [...unknownDeps(e, none)].filter((d) => d !== z);
      if (xs.length === 0) continue;
      if (xs.length > 1) {
        this.reason(
          n.name,
          `the ${arg} of ${n.name} reads the latents ${xs.join(' and ')}: each argument may read one latent in mean-field cavi`,
        );
        continue;
      }
      const x = xs[0];
      if (seen.has(x)) {
        this.reason(n.name, `${n.name} reads ${x} in more than one argument: not a conjugate pair`);
        continue;
      }
      seen.add(x);
      const u = this.use(n, arg, e, x, scopeOf(x));
      if (u) uses.push(u);
    }
    return { node: n.name, observed: !latent, uses, selector };
  }

  /** A continuous latent x in argument `arg` of n: its registry pair and role, or a reason. */
  private use(
    n: StochasticNode,
    arg: string,
    e: Expr,
    x: string,
    scope: LinearityScope,
  ): ParentUse | undefined {
    const xn = this.node(x) as StochasticNode;
    if (DISTRIBUTIONS[xn.distribution].finite) {
      return void this.reason(
        n.name,
        `the ${arg} of ${n.name} reads the discrete latent ${x} other than as an index`,
      );
    }
    const view = this.f.priorView(xn);
    if (!view || !CONTINUOUS.includes(view.as)) return undefined; // reported at the latent
    const pair = findPair(view.as, n.distribution, arg);
    if (!pair) {
      const same = pairsOfChild(n.distribution).filter((p) => p.prior === view.as);
      return void this.reason(
        n.name,
        same.length > 0
          ? `${n.name} reads ${x} in its ${arg}: a ${xn.distribution} prior is conjugate to the ${n.distribution} ${same.map((p) => (p.roles.includes('precision') ? 'precision (sd = 1 / sqrt(tau))' : p.arg)).join(' or ')} only`
          : `${n.name} (${n.distribution}) reads ${x} in its ${arg}: no conjugate pair for a ${xn.distribution} prior (non-conjugate edge)`,
      );
    }
    const precision = pair.roles.includes('precision');
    const r = precision ? precisionRef(e, x, scope) : scaledRef(e, x, scope);
    if (!r.ok) return void this.reason(n.name, `${n.name}: ${r.message}`);
    if (r.scaled && !precision && !pair.roles.includes('scaled')) {
      return void this.reason(
        n.name,
        `the ${arg} of ${n.name} is not ${x} itself (${exprToString(e)}): a ${xn.distribution} latent enters a ${n.distribution} ${arg} as itself only in this version of cavi`,
      );
    }
    if (!selectsElements(xn, r.ref, DISTRIBUTIONS[view.as].eventRank === 1)) {
      return void this.reason(
        n.name,
        `${n.name} reads ${x} as ${exprToString(r.ref.expr)}: each element of ${n.name} must use one element of ${x}`,
      );
    }
    const role = precision ? 'precision' : r.scaled ? 'scaled' : 'identity';
    return { latent: x, arg, role, ref: r.ref.expr };
  }

  /** The one whole-element reference to the discrete latent z in n's arguments, or a reason. */
  private selectorRef(n: StochasticNode, z: string): Expr | undefined {
    const zn = this.node(z) as StochasticNode;
    const refs: Expr[] = [];
    const visit = (e: Expr): void => {
      if (e.kind === 'name' && e.name === z) refs.push(e);
      else if (e.kind === 'index' && e.target.kind === 'name' && e.target.name === z) refs.push(e);
      else for (const c of subExprs(e)) visit(c);
    };
    for (const e of Object.values(n.args)) visit(e);
    const texts = new Set(refs.map(exprToString));
    const whole = (e: Expr) =>
      e.kind === 'name'
        ? zn.plates.length === 0
        : e.kind === 'index' &&
          e.indices.length === zn.plates.length &&
          e.indices.every((a) => a.kind === 'at');
    if (refs.length === 0 || texts.size !== 1 || !whole(refs[0])) {
      return void this.reason(
        n.name,
        refs.length === 0
          ? `${n.name} reads the discrete latent ${z} through a deterministic node: write the index (${z}[…]) in ${n.name}'s arguments for cavi`
          : `${n.name} reads ${z} as ${[...texts].join(' and ')}: each element of ${n.name} must read one element of ${z}`,
      );
    }
    return refs[0];
  }
}
