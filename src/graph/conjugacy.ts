// Conjugacy analysis: for every latent stochastic node, decide from the graph whether its
// prior and ALL its children form a conjugate pair (through plates and through indexing by
// observed discrete nodes or int data), and return a plan the exact engine executes, or a
// precise reason per blocking node.
//
// Rules (prior — child likelihood — role of the latent in the child):
//   beta       Beta, Uniform(0, 1)  — Bernoulli(p), Binomial(n, p)                — p itself
//   gamma      Gamma, Exponential   — Poisson(rate), Exponential(rate),
//                                     Gamma(shape, rate), Normal(mu, sigma)     — c × rate;
//                                                                                  sd = (c × prec)^-1/2
//   dirichlet  Dirichlet            — Categorical(p), Multinomial(n, p)          — p itself
//   gaussian   Normal, MvNormal     — Normal / MvNormal children whose mean is affine in the
//              latents (linearity.ts) with known noise; chains of Normal latents form one
//              joint Gaussian block; a Gamma precision tau that scales the sd of every Normal
//              in the block (`1 / sqrt(k * tau)`) makes it Normal–Gamma.
//   prior      any family with known arguments and no children: the posterior is the prior.
// Chains are closed-form only in the Gaussian and Normal–Gamma blocks; any other latent whose
// child is itself latent (a Gamma hyperprior on the rate of a latent Gamma, a Beta above a
// latent Bernoulli) is refused.

import type { Reason } from '../diagnostics/reason.js';
import type { DistName } from '../distributions/signatures.js';
import type { Expr } from '../lang/ast.js';
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

/** The largest joint Gaussian block solved as one dense system (D × D, float64). */
export const MAX_DENSE_GAUSSIAN = 1000;

export type ScaledLikelihood =
  | 'Bernoulli'
  | 'Binomial'
  | 'Poisson'
  | 'Exponential'
  | 'Gamma'
  | 'NormalPrecision'
  | 'Categorical'
  | 'Multinomial';

/** A child of a Beta, Gamma or Dirichlet latent. */
export interface ScaledChild {
  readonly child: string;
  readonly likelihood: ScaledLikelihood;
  /** the child's argument the latent enters: `p`, `rate` or `sigma` */
  readonly arg: string;
  /** the reference to the latent inside that argument (selects the latent's element) */
  readonly ref: Expr;
  /**
   * the argument is c × latent with c known (c is the argument's value at latent = 1; for
   * NormalPrecision the precision coefficient is sigma^-2 at latent = 1)
   */
  readonly scaled: boolean;
}

export interface ScaledStep {
  readonly rule: 'beta' | 'gamma' | 'dirichlet';
  readonly latent: string;
  readonly prior: 'Beta' | 'Uniform' | 'Gamma' | 'Exponential' | 'Dirichlet';
  readonly children: readonly ScaledChild[];
  /**
   * latent Bernoulli (Beta) or Categorical (Dirichlet) leaves reading the latent: their
   * posterior is the posterior predictive, Bernoulli(a' / (a' + b')) or Categorical(α' / Σα')
   */
  readonly predictive: readonly ScaledChild[];
}

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

export interface PriorStep {
  readonly rule: 'prior';
  readonly latent: string;
}

export type ConjugateStep = ScaledStep | GaussianStep | PriorStep;

export interface ConjugacyPlan {
  readonly ok: boolean;
  readonly reasons: readonly Reason[];
  readonly steps: readonly ConjugateStep[];
  /** observed (or partially observed) nodes none of whose parents is latent: constant evidence terms */
  readonly known: readonly string[];
}

const GAUSSIAN: readonly DistName[] = ['Normal', 'MvNormal'];

/** Which priors a child likelihood is conjugate to, for messages. */
const CONJUGATE_PRIORS: Partial<Record<DistName, string>> = {
  Normal: 'Normal/Gamma',
  MvNormal: 'Normal/MvNormal',
  Bernoulli: 'Beta',
  Binomial: 'Beta',
  Categorical: 'Dirichlet',
  Multinomial: 'Dirichlet',
  Poisson: 'Gamma',
  Exponential: 'Gamma',
  Gamma: 'Gamma',
};

/** Analyse a bound model. Pure: no tensors. */
export function analyzeConjugacy(bound: BoundModel): ConjugacyPlan {
  return new Analysis(bound).run();
}

class Analysis {
  private readonly graph;
  private readonly reasons: Reason[] = [];
  private readonly stochastic: StochasticNode[];
  private readonly latent = new Set<string>();
  /** unknown stochastic nodes each stochastic node's arguments depend on */
  private readonly deps = new Map<string, Set<string>>();
  /** stochastic nodes whose arguments depend on each unknown node */
  private readonly childrenOf = new Map<string, StochasticNode[]>();

  constructor(private readonly bound: BoundModel) {
    this.graph = bound.graph;
    this.stochastic = bound.graph.order
      .map((n) => bound.graph.nodes[n])
      .filter((n): n is StochasticNode => n.kind === 'stochastic');
    for (const n of this.stochastic) if (this.status(n.name) === 'latent') this.latent.add(n.name);
  }

  private status(name: string): 'latent' | 'observed' | 'partial' {
    const o = this.bound.observation[name];
    return o?.kind === 'observed' ? 'observed' : o?.kind === 'partial' ? 'partial' : 'latent';
  }

  private isKnown = (name: string): boolean => {
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
  private scope(latents: Iterable<string>, node: Pick<GraphNode, 'plates'>): LinearityScope {
    return {
      graph: this.graph,
      latents: new Set(latents),
      isKnown: this.isKnown,
      plates: node.plates,
    };
  }

  private reason(node: string, message: string): void {
    const n = this.graph.nodes[node];
    if (this.reasons.some((r) => r.node === node && r.message === message)) return;
    this.reasons.push({ node, line: n?.line ?? 0, column: n?.column ?? 0, message });
  }

  run(): ConjugacyPlan {
    this.checkParamsAndNets();
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
    // a partially observed Normal with children is one more Gaussian latent (its observed
    // entries pinned to their values); without children its missing entries are integrated out
    for (const n of this.stochastic) {
      if (this.status(n.name) === 'partial' && n.distribution === 'Normal') {
        if ((this.childrenOf.get(n.name)?.length ?? 0) > 0) this.latent.add(n.name);
      }
    }
    this.checkPartial();

    const steps: ConjugateStep[] = [];
    const gaussianLatents: StochasticNode[] = [];
    const precisionOf = new Map<string, string>(); // Gamma tau -> handled in a Gaussian block
    for (const n of this.stochastic) {
      if (!this.latent.has(n.name)) continue;
      const children = this.childrenOf.get(n.name) ?? [];
      const priorDeps = this.deps.get(n.name) ?? new Set();
      if (children.length === 0 && priorDeps.size === 0) {
        steps.push({ rule: 'prior', latent: n.name });
        continue;
      }
      if (GAUSSIAN.includes(n.distribution)) {
        gaussianLatents.push(n);
        continue;
      }
      if (priorDeps.size > 0) continue; // reported at its latent parent (see latentChild)
      const step = this.scaledStep(n, children, precisionOf);
      if (step) steps.push(step);
    }
    steps.push(...this.gaussianSteps(gaussianLatents, precisionOf));

    const known = this.stochastic
      .filter((n) => !this.latent.has(n.name) && (this.deps.get(n.name)?.size ?? 0) === 0)
      .map((n) => n.name);
    const order = new Map(this.graph.order.map((n, i) => [n, i]));
    const first = (s: ConjugateStep) =>
      order.get(s.rule === 'gaussian' ? (s.latents[0] ?? s.precision ?? '') : s.latent) ?? 0;
    steps.sort((a, b) => first(a) - first(b));
    return { ok: this.reasons.length === 0, reasons: this.reasons, steps, known };
  }

  private checkParamsAndNets(): void {
    for (const name of this.graph.order) {
      const node = this.graph.nodes[name];
      if (node.kind === 'param' && this.bound.values[name] === undefined) {
        this.reason(
          name,
          `param ${name} has no value: exact inference does not learn params (give ${name} in the data or a default, or use em)`,
        );
      }
      if (node.kind === 'net') {
        this.reason(
          name,
          `net ${name} has weights to learn: exact inference does not learn them (use avi)`,
        );
      }
    }
  }

  /** A partially observed node may only be a leaf: its missing entries are integrated out. */
  private checkPartial(): void {
    for (const n of this.stochastic) {
      if (this.status(n.name) !== 'partial') continue;
      const users = this.graph.order.filter((m) => this.graph.nodes[m].parents.includes(n.name));
      if (users.length > 0 && !this.latent.has(n.name)) {
        this.reason(
          n.name,
          `${n.name} has missing entries and ${users[0]} depends on it: exact inference handles missing entries only in nodes nothing depends on`,
        );
      }
      if (
        n.distribution === 'MvNormal' ||
        (n.distribution === 'Multinomial' && !this.wholeRowsMissing(n.name)) ||
        n.distribution === 'Dirichlet'
      ) {
        this.reason(
          n.name,
          `${n.name} has missing entries inside its ${n.distribution} vectors: not supported by exact inference`,
        );
      }
    }
  }

  /** Is every event vector of a partially observed node either wholly observed or wholly missing? */
  private wholeRowsMissing(name: string): boolean {
    const o = this.bound.observation[name];
    const E = this.bound.shapes[name].event.reduce((a, b) => a * b, 1);
    if (o?.kind !== 'partial') return true;
    for (let r = 0; r < o.mask.length; r += E) {
      for (let k = 1; k < E; k++) if (o.mask[r + k] !== o.mask[r]) return false;
    }
    return true;
  }

  /** The message for a latent whose prior family no child likelihood here is conjugate to. */
  private priorMismatch(latent: StochasticNode, child: StochasticNode): string {
    const fams = CONJUGATE_PRIORS[child.distribution];
    return fams
      ? `${latent.name} has a ${latent.distribution} prior; ${child.distribution} likelihood is conjugate to ${fams} priors only`
      : `${latent.name} has a ${latent.distribution} prior and a ${child.distribution} child (${child.name}): no conjugate pair`;
  }

  /** A latent child of a non-Gaussian latent: the chain is not closed-form. */
  private latentChild(parent: StochasticNode, child: StochasticNode): void {
    this.reason(
      parent.name,
      `${parent.name} is a parameter of the latent node ${child.name} (${child.distribution}): its posterior is closed-form only when its children are observed` +
        (parent.distribution === 'Gamma' && child.distribution === 'Gamma'
          ? ' (a Gamma hyperprior on the rate of a latent Gamma has no closed-form posterior)'
          : ''),
    );
  }

  private scaledStep(
    n: StochasticNode,
    children: readonly StochasticNode[],
    precisionOf: Map<string, string>,
  ): ScaledStep | undefined {
    const fam = n.distribution;
    const rule =
      fam === 'Beta' || (fam === 'Uniform' && this.isUnitUniform(n))
        ? 'beta'
        : fam === 'Gamma' || fam === 'Exponential'
          ? 'gamma'
          : fam === 'Dirichlet'
            ? 'dirichlet'
            : undefined;
    if (!rule) {
      const finite = ['Bernoulli', 'Categorical', 'Binomial', 'Multinomial'].includes(fam);
      if (finite) {
        this.reason(
          n.name,
          `${n.name} is a latent ${fam} node: closed-form conjugate updates need continuous latents (exact discrete inference needs every latent discrete)`,
        );
      } else if (fam === 'Poisson') {
        this.reason(
          n.name,
          `${n.name} is a latent Poisson node: its support is infinite, so it cannot be enumerated`,
        );
      } else {
        this.reason(n.name, this.priorMismatch(n, children[0]));
      }
      return undefined;
    }
    // a Gamma latent used as the precision of a Normal whose mean is not known: Normal–Gamma
    if (rule === 'gamma' && this.isBlockPrecision(n, children)) {
      precisionOf.set(n.name, n.name);
      return undefined;
    }
    const out: ScaledChild[] = [];
    const predictive: ScaledChild[] = [];
    for (const c of children) {
      if (this.latent.has(c.name)) {
        const r = this.isLeaf(c) ? this.scaledChild(n, c, rule) : undefined;
        if (
          r &&
          typeof r !== 'string' &&
          (r.likelihood === 'Bernoulli' || r.likelihood === 'Categorical')
        ) {
          predictive.push(r);
        } else this.latentChild(n, c);
        continue;
      }
      const r = this.scaledChild(n, c, rule);
      if (typeof r === 'string') this.reason(n.name, r);
      else out.push(r);
    }
    if (this.reasons.some((r) => r.node === n.name)) return undefined;
    return { rule, latent: n.name, prior: fam as ScaledStep['prior'], children: out, predictive };
  }

  /** Nothing depends on the node. */
  private isLeaf(n: StochasticNode): boolean {
    return !this.graph.order.some((m) => this.graph.nodes[m].parents.includes(n.name));
  }

  private isUnitUniform(n: StochasticNode): boolean {
    try {
      const env = { sizes: this.bound.sizes, values: this.bound.values };
      const lo = evalConst(n.args.lo, env);
      const hi = evalConst(n.args.hi, env);
      return lo.data.every((v) => v === 0) && hi.data.every((v) => v === 1);
    } catch {
      return false; // not a constant: not the unit interval as far as conjugacy can tell
    }
  }

  /** How child `c` uses the scalar-family latent `n`, or why it is not conjugate. */
  private scaledChild(
    n: StochasticNode,
    c: StochasticNode,
    rule: ScaledStep['rule'],
  ): ScaledChild | string {
    const scope = this.scope([n.name], c);
    const uses = Object.entries(c.args).filter(([, e]) => unknownDeps(e, scope).has(n.name));
    if (uses.length !== 1) {
      return `${c.name} uses ${n.name} in ${uses.length} of its arguments (${uses.map(([a]) => a).join(', ')}): not a conjugate pair`;
    }
    const [arg, expr] = uses[0];
    const others = Object.entries(c.args).filter(([a]) => a !== arg);
    for (const [a, e] of others) {
      const d = [...unknownDeps(e, this.scope([], c))];
      if (d.length > 0)
        return `${c.name} also depends on the latent ${d[0]} through its ${a}: not a conjugate pair`;
    }
    const mismatch = this.priorMismatch(n, c);
    const likelihood = ((): ScaledLikelihood | undefined => {
      if (rule === 'beta') {
        if (c.distribution === 'Bernoulli' && arg === 'p') return 'Bernoulli';
        if (c.distribution === 'Binomial' && arg === 'p') return 'Binomial';
      } else if (rule === 'dirichlet') {
        if (c.distribution === 'Categorical' && arg === 'p') return 'Categorical';
        if (c.distribution === 'Multinomial' && arg === 'p') return 'Multinomial';
      } else {
        if (c.distribution === 'Poisson' && arg === 'rate') return 'Poisson';
        if (c.distribution === 'Exponential' && arg === 'rate') return 'Exponential';
        if (c.distribution === 'Gamma' && arg === 'rate') return 'Gamma';
        if (c.distribution === 'Normal' && arg === 'sigma') return 'NormalPrecision';
      }
      return undefined;
    })();
    if (!likelihood) {
      if (arg === 'logits') {
        return `${c.name} uses ${n.name} through logits: a ${n.distribution} prior is conjugate to ${c.distribution}(p = …) only`;
      }
      const fams = CONJUGATE_PRIORS[c.distribution];
      if (fams?.includes(rule === 'beta' ? 'Beta' : rule === 'gamma' ? 'Gamma' : 'Dirichlet')) {
        return `${c.name} uses ${n.name} as its ${arg}: a ${n.distribution} prior is conjugate to the ${c.distribution} ${
          c.distribution === 'Normal' ? 'precision (sd = 1 / sqrt(tau))' : 'rate'
        } only`;
      }
      return mismatch;
    }
    const r =
      likelihood === 'NormalPrecision'
        ? precisionRef(expr, n.name, scope)
        : scaledRef(expr, n.name, scope);
    if (!r.ok) return `${c.name}: ${r.message}`;
    if (r.scaled && (rule === 'beta' || rule === 'dirichlet')) {
      return `${c.name}: its ${arg} is a multiple of ${n.name}, not ${n.name} itself: not conjugate to the ${n.distribution} prior`;
    }
    if (!this.selectsElements(n, r.ref, rule === 'dirichlet')) {
      return `${c.name} reads ${n.name} as ${exprText(r.ref.expr)}: each element of ${c.name} must use one element of ${n.name}`;
    }
    return { child: c.name, likelihood, arg, ref: r.ref.expr, scaled: r.scaled };
  }

  /**
   * Does the reference give every element of the child one element of the latent? For the
   * scalar families any reference does (the reference's value broadcasts to the child); for a
   * Dirichlet it must select one plate element and keep its whole event vector.
   */
  private selectsElements(n: StochasticNode, ref: LatentRef, wholeEvent: boolean): boolean {
    if (!wholeEvent) return true;
    const k = n.plates.length;
    const e = ref.expr;
    if (e.kind === 'name') return k === 0;
    if (e.kind !== 'index') return false;
    const batchArgs = e.indices.slice(0, k);
    if (batchArgs.length < k || batchArgs.some((a) => a.kind !== 'at')) return false;
    return e.indices.slice(k).every((a) => a.kind === 'slice' && !a.lo && !a.hi);
  }

  /** Does a Gamma latent serve as the precision of a Gaussian block (some Normal child's mean not known)? */
  private isBlockPrecision(n: StochasticNode, children: readonly StochasticNode[]): boolean {
    return children.some((c) => {
      if (!GAUSSIAN.includes(c.distribution)) return false;
      const sd = c.args.sigma ?? c.args.Sigma;
      const noneScope = this.scope([], c);
      if (!sd || !unknownDeps(sd, noneScope).has(n.name)) return false;
      if (this.latent.has(c.name)) return true;
      const mean = c.args.mu;
      return !!mean && unknownDeps(mean, noneScope).size > 0;
    });
  }

  // ---------------------------------------------------------------- Gaussian blocks

  private gaussianSteps(
    nodes: readonly StochasticNode[],
    precisionOf: ReadonlyMap<string, string>,
  ): GaussianStep[] {
    const names = new Set(nodes.map((n) => n.name));
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      if (!parent.has(x)) parent.set(x, x);
      let r = x;
      for (let p = parent.get(r); p !== undefined && p !== r; p = parent.get(r)) r = p;
      parent.set(x, r);
      return r;
    };
    const union = (a: string, b: string) => parent.set(find(a), find(b));
    for (const n of names) parent.set(n, n);
    for (const p of precisionOf.keys()) parent.set(p, p);

    const factors = new Map<string, GaussianFactor>(); // by node
    const bad = new Set<string>();
    const factorOf = (
      node: StochasticNode,
      target: 'latent' | 'observed',
    ): GaussianFactor | undefined => {
      const mean = node.args.mu;
      const scope = this.scope(names, node);
      const res = affine(mean, scope);
      if (!res.ok) {
        const deps = [...unknownDeps(mean, this.scope([], node))];
        const nonGauss = deps.find((d) => !names.has(d));
        const who = nonGauss ? this.graph.nodes[nonGauss] : undefined;
        if (who?.kind === 'stochastic' && target === 'observed') {
          this.reason(
            nonGauss ?? node.name,
            `the mean of ${node.name} depends on ${nonGauss} (${who.distribution}): ${res.message}`,
          );
        } else
          this.reason(
            node.name,
            `the mean of ${node.name} is not affine in its Normal parents: ${res.message}`,
          );
        return undefined;
      }
      const sdName = node.distribution === 'Normal' ? 'sigma' : 'Sigma';
      const sd = node.args[sdName];
      const sdDeps = [...unknownDeps(sd, this.scope([], node))];
      let precisionScaled = false;
      if (sdDeps.length > 0) {
        const tau = sdDeps.find((d) => precisionOf.has(d));
        if (!tau || sdDeps.length > 1 || node.distribution !== 'Normal') {
          const d = sdDeps.find((x) => !precisionOf.has(x)) ?? sdDeps[0];
          const dn = this.graph.nodes[d];
          this.reason(
            d,
            dn?.kind === 'stochastic' &&
              !GAUSSIAN.includes(dn.distribution) &&
              dn.distribution !== 'Gamma'
              ? `${d} has a ${dn.distribution} prior; Normal likelihood is conjugate to Normal/Gamma priors only`
              : `the ${sdName} of ${node.name} depends on ${d}: a Normal latent is conjugate to the mean of a Normal child only; an unknown sd needs a Gamma precision written 1 / sqrt(k * tau)`,
          );
          return undefined;
        }
        const r = precisionRef(sd, tau, this.scope([tau], node));
        if (!r.ok) {
          this.reason(tau, `${node.name}: ${r.message}`);
          return undefined;
        }
        if (this.graph.nodes[tau].plates.length > 0) {
          this.reason(
            tau,
            `${tau} is a plate of precisions shared by a Normal block: not supported by exact inference`,
          );
          return undefined;
        }
        union(node.name, tau);
        precisionScaled = true;
      }
      const refs = res.known ? [] : res.refs;
      const designs: Record<string, Expr> = {};
      for (const l of new Set(refs.map((r) => r.latent))) {
        const k = designMatrix(mean, l, scope);
        if (k) designs[l] = k;
      }
      return {
        node: node.name,
        family: node.distribution as 'Normal' | 'MvNormal',
        target,
        linear: res.known ? undefined : res.linear,
        offset: res.known || res.offset,
        refs,
        designs,
        precisionScaled,
      };
    };

    for (const n of nodes) {
      const f = factorOf(n, 'latent');
      if (!f) bad.add(n.name);
      else {
        factors.set(n.name, f);
        for (const r of f.refs) union(n.name, r.latent);
      }
      for (const c of this.childrenOf.get(n.name) ?? []) {
        if (factors.has(c.name) || names.has(c.name)) {
          if (names.has(c.name)) union(n.name, c.name);
          continue;
        }
        if (this.latent.has(c.name)) {
          this.reason(
            n.name,
            `${n.name} is a parameter of the latent ${c.distribution} node ${c.name}: not a linear-Gaussian chain`,
          );
          bad.add(n.name);
          continue;
        }
        if (!GAUSSIAN.includes(c.distribution)) {
          this.reason(
            n.name,
            `${c.name} (${c.distribution}) depends on ${n.name}: a Normal latent is conjugate to the mean of a Normal/MvNormal child only`,
          );
          bad.add(n.name);
          continue;
        }
        const noise = c.args.sigma ?? c.args.Sigma;
        if (noise && unknownDeps(noise, this.scope([], c)).has(n.name)) {
          this.reason(
            n.name,
            `the sd of ${c.name} depends on ${n.name}: a Normal latent is conjugate to the mean of a Normal child only`,
          );
          bad.add(n.name);
          continue;
        }
        const fc = factorOf(c, 'observed');
        if (!fc) bad.add(n.name);
        else {
          factors.set(c.name, fc);
          union(c.name, n.name);
          for (const r of fc.refs) union(n.name, r.latent);
        }
      }
    }
    // Gamma precisions: every child of tau must be a Normal factor (of a block, or with known mean)
    for (const tau of precisionOf.keys()) {
      for (const c of this.childrenOf.get(tau) ?? []) {
        if (factors.has(c.name)) continue;
        if (this.latent.has(c.name) || c.distribution !== 'Normal') {
          this.reason(
            tau,
            `${tau} is the precision of a Normal–Gamma block and also a parameter of ${c.name} (${c.distribution}): not conjugate`,
          );
          continue;
        }
        const fc = factorOf(c, 'observed');
        if (fc) factors.set(c.name, fc);
      }
    }

    // group
    const groups = new Map<
      string,
      { latents: string[]; factors: GaussianFactor[]; precision?: string }
    >();
    const group = (root: string) => {
      let g = groups.get(root);
      if (!g) {
        g = { latents: [], factors: [] };
        groups.set(root, g);
      }
      return g;
    };
    for (const n of nodes) group(find(n.name)).latents.push(n.name);
    for (const tau of precisionOf.keys()) group(find(tau)).precision = tau;
    for (const f of factors.values()) group(find(f.node)).factors.push(f);

    const steps: GaussianStep[] = [];
    for (const g of groups.values()) {
      if (g.latents.some((l) => bad.has(l))) continue;
      const ord = new Map(this.graph.order.map((n, i) => [n, i]));
      g.latents.sort((a, b) => (ord.get(a) ?? 0) - (ord.get(b) ?? 0));
      g.factors.sort((a, b) => (ord.get(a.node) ?? 0) - (ord.get(b.node) ?? 0));
      if (g.precision) {
        const tau = g.precision;
        const unscaled = g.factors.find((f) => !f.precisionScaled);
        if (unscaled) {
          this.reason(
            unscaled.node,
            `the sd of ${unscaled.node} does not scale with the precision ${tau}: the Normal–Gamma form needs every Normal of the block written with sd 1 / sqrt(k * ${tau})` +
              (unscaled.target === 'latent'
                ? ` (e.g. ${unscaled.node} ~ Normal(m0, 1 / sqrt(k * ${tau})))`
                : ''),
          );
          continue;
        }
        if ((this.deps.get(tau)?.size ?? 0) > 0) {
          this.reason(
            tau,
            `the prior of the precision ${tau} depends on another latent: not closed-form`,
          );
          continue;
        }
      }
      const dims = g.latents.reduce((s, l) => s + sizeOf(this.bound.shapes[l]), 0);
      const blocked = g.latents.length === 1 && this.isBlockable(g.latents[0], g.factors);
      if (!blocked && dims > MAX_DENSE_GAUSSIAN) {
        this.reason(
          g.latents[0],
          `the joint Gaussian posterior of ${g.latents.join(', ')} has ${dims} dimensions (more than ${MAX_DENSE_GAUSSIAN}) and does not split by plate element`,
        );
        continue;
      }
      steps.push({
        rule: 'gaussian',
        latents: g.latents,
        precision: g.precision,
        factors: g.factors,
        blocked,
      });
    }
    return steps;
  }

  /** One latent whose prior is known and whose references each select one plate element (same way per factor). */
  private isBlockable(latent: string, factors: readonly GaussianFactor[]): boolean {
    const n = this.graph.nodes[latent] as StochasticNode;
    if (n.plates.length === 0) return true;
    for (const f of factors) {
      if (f.node === latent) {
        if (f.refs.length > 0) return false;
        continue;
      }
      const keys = new Set(f.refs.map(refIndexKey));
      if (keys.size !== 1) return false;
      for (const r of f.refs) {
        if (r.expr.kind !== 'index') return false;
        const batch = r.expr.indices.slice(0, n.plates.length);
        if (batch.length < n.plates.length || batch.some((a) => a.kind !== 'at')) return false;
      }
    }
    return true;
  }
}

function sizeOf(shape: { batch: readonly number[]; event: readonly number[] } | undefined): number {
  if (!shape) return 0;
  return [...shape.batch, ...shape.event].reduce((a, b) => a * b, 1);
}

function exprText(e: Expr): string {
  return e.kind === 'name'
    ? e.name
    : e.kind === 'index' && e.target.kind === 'name'
      ? `${e.target.name}[…]`
      : 'an expression';
}
