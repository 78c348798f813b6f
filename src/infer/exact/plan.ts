// The exact engine's planner for its conjugate half: reads the graph's conjugacy facts
// (src/graph/conjugacy.ts) and decides, for every latent, whether its posterior is closed-form
// here, returning the steps conjugate.ts executes or, per blocking node, the reason worded for
// this engine.
//
// Steps (prior — children — role of the latent in the child; the pairs are the registry's,
// src/distributions/conjugacy.ts):
//   conjugate  Beta / Uniform(0, 1), Gamma / Exponential, Dirichlet priors whose every child is
//              an observed child of a registry pair (identity, c × latent, or the sd
//              (c × precision)^-1/2): one generic update over the children's messages
//   gaussian   Normal, MvNormal latents in linear-Gaussian blocks with known noise, or a Gamma
//              precision tau scaling the sd of every Normal in the block (`1 / sqrt(k * tau)`):
//              Normal–Gamma
//   prior      any family with known arguments and no children: the posterior is the prior.
// Chains are closed-form here only in the Gaussian and Normal–Gamma blocks; any other latent
// whose child is itself latent (a Gamma hyperprior on the rate of a latent Gamma, a Beta above a
// latent Bernoulli) is refused, as are params without a value and nets (this engine learns
// nothing), and missing entries anywhere but in leaves, in whole Multinomial vectors and in
// Normal nodes of a Gaussian block (a partially observed Normal with children is one more
// Gaussian latent with its observed entries pinned).

import type { Reason } from '../../diagnostics/reason.js';
import type { ConjugatePair, PriorView } from '../../distributions/conjugacy.js';
import { DISTRIBUTIONS, type DistName } from '../../distributions/signatures.js';
import type { BoundModel } from '../../graph/bound.js';
import {
  conjugateRelation,
  GAUSSIAN,
  type GaussianFactor,
  type GaussianStep,
  gaussianFactor,
  isBlockable,
  isBlockPrecision,
  type ModelFacts,
  modelFacts,
  priorMismatch,
  sizeOf,
} from '../../graph/conjugacy.js';
import type { StochasticNode } from '../../graph/ir.js';
import { unknownDeps } from '../../graph/linearity.js';
import type { Expr } from '../../lang/ast.js';
import { prod } from '../../util/shape.js';

export type { GaussianFactor, GaussianStep } from '../../graph/conjugacy.js';

/** The largest joint Gaussian block solved as one dense system (D × D, float64). */
export const MAX_DENSE_GAUSSIAN = 1000;

/** An observed (or predictive) child of a conjugate latent. */
export interface ScaledChild {
  readonly child: string;
  /** the registry pair: prior family, child family, argument */
  readonly pair: ConjugatePair;
  /** the child's argument the latent enters (`p`, `rate`, `sigma`) */
  readonly arg: string;
  readonly role: 'identity' | 'scaled' | 'precision';
  /** the reference to the latent inside that argument (selects the latent's element) */
  readonly ref: Expr;
}

export interface ScaledStep {
  readonly rule: 'conjugate';
  readonly latent: string;
  /** the latent's prior family as written, and its view as a conjugate prior */
  readonly prior: DistName;
  readonly view: PriorView;
  readonly children: readonly ScaledChild[];
  /**
   * latent leaves with a one-hot or binary statistic (Bernoulli, Categorical) reading the
   * latent: their posterior is the posterior predictive, Bernoulli(a' / (a' + b')) or
   * Categorical(α' / Σα')
   */
  readonly predictive: readonly ScaledChild[];
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

/** Plan the conjugate half of the exact engine for a bound model. Pure: no tensors. */
export function planConjugate(bound: BoundModel): ConjugacyPlan {
  return new Planner(bound).run();
}

class Planner {
  private readonly f: ModelFacts;
  private readonly graph;
  private readonly reasons: Reason[] = [];
  /**
   * The latents of this engine: the unobserved stochastic nodes, and every partially observed
   * Normal with children, which is one more Gaussian latent (its observed entries pinned to
   * their values, pinned.ts); without children its missing entries are integrated out.
   */
  private readonly latent: Set<string>;

  constructor(private readonly bound: BoundModel) {
    this.f = modelFacts(bound);
    this.graph = bound.graph;
    this.latent = new Set(this.f.latent);
    for (const n of this.f.stochastic) {
      const partial = this.f.status(n.name) === 'partial' && n.distribution === 'Normal';
      if (partial && (this.f.childrenOf.get(n.name)?.length ?? 0) > 0) this.latent.add(n.name);
    }
  }

  private reason(node: string, message: string): void {
    const n = this.graph.nodes[node];
    if (this.reasons.some((r) => r.node === node && r.message === message)) return;
    this.reasons.push({ node, line: n?.line ?? 0, column: n?.column ?? 0, message });
  }

  run(): ConjugacyPlan {
    const f = this.f;
    this.checkParamsAndNets();
    this.checkPartial();

    const steps: ConjugateStep[] = [];
    const gaussianLatents: StochasticNode[] = [];
    const precisions = new Set<string>(); // Gamma tau handled in a Gaussian block
    for (const n of f.stochastic) {
      if (!this.latent.has(n.name)) continue;
      const children = f.childrenOf.get(n.name) ?? [];
      const priorDeps = f.deps.get(n.name) ?? new Set();
      if (children.length === 0 && priorDeps.size === 0) {
        steps.push({ rule: 'prior', latent: n.name });
        continue;
      }
      if (GAUSSIAN.includes(n.distribution)) {
        gaussianLatents.push(n);
        continue;
      }
      if (priorDeps.size > 0) continue; // reported at its latent parent (see latentChild)
      const step = this.scaledStep(n, children, precisions);
      if (step) steps.push(step);
    }
    steps.push(...this.gaussianSteps(gaussianLatents, precisions));

    const known = f.stochastic
      .filter((n) => !this.latent.has(n.name) && (f.deps.get(n.name)?.size ?? 0) === 0)
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
    for (const n of this.f.stochastic) {
      if (this.f.status(n.name) !== 'partial') continue;
      const users = this.f.users(n.name);
      if (users.length > 0 && !this.latent.has(n.name)) {
        this.reason(
          n.name,
          `${n.name} has missing entries and ${users[0]} depends on it: exact inference handles missing entries only in nodes nothing depends on`,
        );
      }
      // a wholly missing Multinomial vector is simply unobserved (a leaf sums out to 1)
      const wholeRows = n.distribution === 'Multinomial' && this.wholeRowsMissing(n.name);
      if (DISTRIBUTIONS[n.distribution].eventRank === 1 && !wholeRows) {
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
    if (o?.kind !== 'partial') return true;
    const E = prod(this.bound.shapes[name].event);
    for (let r = 0; r < o.mask.length; r += E) {
      for (let k = 1; k < E; k++) if (o.mask[r + k] !== o.mask[r]) return false;
    }
    return true;
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
    precisions: Set<string>,
  ): ScaledStep | undefined {
    const f = this.f;
    const fam = n.distribution;
    const view = f.priorView(n);
    if (!view) {
      if (DISTRIBUTIONS[fam].finite) {
        this.reason(
          n.name,
          `${n.name} is a latent ${fam} node: closed-form conjugate updates need continuous latents (exact discrete inference needs every latent discrete)`,
        );
      } else if (DISTRIBUTIONS[fam].discrete) {
        this.reason(
          n.name,
          `${n.name} is a latent ${fam} node: its support is infinite, so it cannot be enumerated`,
        );
      } else {
        this.reason(n.name, priorMismatch(n, children[0]));
      }
      return undefined;
    }
    // a Gamma latent used as the precision of a Normal whose mean is not known: Normal–Gamma
    if (view.as === 'Gamma' && isBlockPrecision(f, n, children, this.latent)) {
      precisions.add(n.name);
      return undefined;
    }
    const out: ScaledChild[] = [];
    const predictive: ScaledChild[] = [];
    for (const c of children) {
      const r = conjugateRelation(f, n, c, view);
      if (this.latent.has(c.name)) {
        // a latent leaf with a binary or one-hot statistic: the posterior predictive
        const leaf =
          f.isLeaf(c) &&
          r.kind === 'conjugate' &&
          (c.distribution === 'Bernoulli' || c.distribution === 'Categorical');
        if (leaf) predictive.push(scaledChild(r));
        else this.latentChild(n, c);
        continue;
      }
      if (r.kind === 'conjugate') out.push(scaledChild(r));
      else if (r.kind === 'non-conjugate') this.reason(n.name, r.reason);
    }
    if (this.reasons.some((r) => r.node === n.name)) return undefined;
    return { rule: 'conjugate', latent: n.name, prior: fam, view, children: out, predictive };
  }

  // ---------------------------------------------------------------- Gaussian blocks

  private gaussianSteps(
    nodes: readonly StochasticNode[],
    precisions: ReadonlySet<string>,
  ): GaussianStep[] {
    const f = this.f;
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
    for (const p of precisions) parent.set(p, p);

    const factors = new Map<string, GaussianFactor>(); // by node
    const bad = new Set<string>();
    const factorOf = (
      node: StochasticNode,
      target: 'latent' | 'observed',
    ): GaussianFactor | undefined => {
      const r = gaussianFactor(f, node, target, names, precisions);
      if ('reason' in r) {
        this.reason(r.reason.node, r.reason.message);
        return undefined;
      }
      if (r.precision) {
        if (this.graph.nodes[r.precision].plates.length > 0) {
          this.reason(
            r.precision,
            `${r.precision} is a plate of precisions shared by a Normal block: not supported by exact inference`,
          );
          return undefined;
        }
        union(node.name, r.precision);
      }
      return r.factor;
    };

    for (const n of nodes) {
      const fa = factorOf(n, 'latent');
      if (!fa) bad.add(n.name);
      else {
        factors.set(n.name, fa);
        for (const r of fa.refs) union(n.name, r.latent);
      }
      for (const c of f.childrenOf.get(n.name) ?? []) {
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
        if (noise && unknownDeps(noise, f.scope([], c)).has(n.name)) {
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
    for (const tau of precisions) {
      for (const c of f.childrenOf.get(tau) ?? []) {
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
    for (const tau of precisions) group(find(tau)).precision = tau;
    for (const fa of factors.values()) group(find(fa.node)).factors.push(fa);

    const steps: GaussianStep[] = [];
    for (const g of groups.values()) {
      if (g.latents.some((l) => bad.has(l))) continue;
      const ord = new Map(this.graph.order.map((n, i) => [n, i]));
      g.latents.sort((a, b) => (ord.get(a) ?? 0) - (ord.get(b) ?? 0));
      g.factors.sort((a, b) => (ord.get(a.node) ?? 0) - (ord.get(b.node) ?? 0));
      if (g.precision) {
        const tau = g.precision;
        const unscaled = g.factors.find((fa) => !fa.precisionScaled);
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
        if ((f.deps.get(tau)?.size ?? 0) > 0) {
          this.reason(
            tau,
            `the prior of the precision ${tau} depends on another latent: not closed-form`,
          );
          continue;
        }
      }
      const dims = g.latents.reduce((s, l) => s + sizeOf(this.bound.shapes[l]), 0);
      const blocked = g.latents.length === 1 && isBlockable(f, g.latents[0], g.factors);
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
}

function scaledChild(r: {
  child: string;
  pair: ConjugatePair;
  arg: string;
  role: ScaledChild['role'];
  ref: Expr;
}): ScaledChild {
  return { child: r.child, pair: r.pair, arg: r.arg, role: r.role, ref: r.ref };
}
