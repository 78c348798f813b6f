// Which models em handles in this increment (issue 9, first part), read from the graph alone
// (no tensors, so `plato engines` answers without tfjs): one plate of independent cases whose
// latents are discrete (Categorical, Bernoulli), every observed node fully observed, and every
// learnable param in one of the slots that have a closed-form M-step:
//   z[i] ~ Categorical(pi)                 pi: simplex[K]     mixture weights
//   z[i] ~ Bernoulli(p)                    p: real(0,1)       a Bernoulli probability
//   x[i] ~ Normal(mu[z[i]], sigma[z[i]])   mu, sigma          per-component means and sds
//   x[i] ~ MvNormal(mu[z[i]], Sigma[z[i]]) mu, Sigma          per-component means, covariances
//   x[i] ~ Normal|MvNormal(mu, scale)      mu, scale          one component (no latent)
// (the scale may instead be free of learnables; the mean is then learned alone). Every other
// learnable param gets a gradient M-step (gradientPlan.ts). Nodes may sit in plates nested
// inside the plate of cases (d[n, k], s[n, j]); the closed-form slots are read on nodes of the
// case plate alone. Missing entries (null) of a Normal, MvNormal, Categorical or Bernoulli node
// are integrated out in the E-step (missing.ts). A model with a continuous latent goes to
// fa/analysis.ts (factor analysis).

import type { Reason } from '../../diagnostics/reason.js';
import type { BoundModel } from '../../graph/bound.js';
import { chains } from '../../graph/chains.js';
import type { StochasticNode } from '../../graph/ir.js';
import type { Expr } from '../../lang/ast.js';
import { namesIn } from '../../lang/walk.js';
import { reasonAt } from '../engine.js';
import { learnables } from '../registry.js';
import { truncatedReasons } from '../truncated.js';
import { type BaumWelchPlan, planBaumWelch } from './chain/analysis.js';
import { type LinearGaussianPlan, planLinearGaussian } from './fa/analysis.js';
import { type GradientPlan, planGradient } from './gradientPlan.js';

/** `z[i] ~ Categorical(pi)` or `z[i] ~ Bernoulli(p)`: a learnable probability. */
export interface WeightsSlot {
  readonly kind: 'weights';
  readonly param: string;
  /** the discrete node (latent or observed) it is the probability of */
  readonly node: string;
  readonly family: 'Categorical' | 'Bernoulli';
}

/** `x[i] ~ Normal|MvNormal(mu[z[i]], scale[z[i]])`: per-component Gaussian params. */
export interface GaussianSlot {
  readonly kind: 'gaussian';
  readonly node: string;
  readonly family: 'Normal' | 'MvNormal';
  /** the discrete latent indexing the params; absent: `Normal|MvNormal(mu, scale)`, one component */
  readonly latent?: string;
  /** the learnable mean param, [K, ...event of x] ([...event of x] without a latent) */
  readonly mean: string;
  /** the learnable scale param (sigma [K, ...event] or Sigma [K, D, D]); absent when fixed */
  readonly scale?: string;
}

export type Slot = WeightsSlot | GaussianSlot;

export interface EmPlan {
  /** the index of the plate of cases */
  readonly plate: string;
  readonly learn: readonly string[];
  readonly slots: readonly Slot[];
  /** the params without a closed-form slot: learned by gradient steps (gradientPlan.ts) */
  readonly gradient?: GradientPlan;
}

/** Families whose missing entries em integrates out. */
const MISSING_FAMILIES: readonly string[] = ['Categorical', 'Bernoulli', 'Normal', 'MvNormal'];

const SCOPE = 'em handles discrete latents in a plate of independent cases in this version';

/** `P[z[i]]`: the param P and latent z when the expression has that form, with i the plate index. */
function indexedByLatent(e: Expr, index: string): { param: string; latent: string } | undefined {
  if (e.kind !== 'index' || e.target.kind !== 'name' || e.indices.length !== 1) return undefined;
  const a = e.indices[0];
  if (a.kind !== 'at' || a.expr.kind !== 'index' || a.expr.target.kind !== 'name') return undefined;
  const inner = a.expr.indices;
  if (inner.length !== 1 || inner[0].kind !== 'at') return undefined;
  const i = inner[0].expr;
  if (i.kind !== 'name' || i.name !== index) return undefined;
  return { param: e.target.name, latent: a.expr.target.name };
}

/** Is the expression the literal v (`0`, `1`, `-1`)? For a param's declared bounds. */
function isNum(e: Expr | undefined, v: number): boolean {
  if (e?.kind === 'num') return e.value === v;
  if (e?.kind === 'unary' && e.arg.kind === 'num')
    return (e.op === '-' ? -1 : 1) * e.arg.value === v;
  return false;
}

/** The plan, or the reasons em does not apply (each at its node). */
export function planEm(
  bound: BoundModel,
):
  | { ok: true; plan: EmPlan | LinearGaussianPlan | BaumWelchPlan }
  | { ok: false; reasons: Reason[] } {
  const truncated = truncatedReasons(
    bound,
    "em's E-step and M-steps assume the family's own density, not a truncated one",
  );
  if (truncated.length > 0) return { ok: false, reasons: truncated };
  // a chain plate: Baum–Welch (chain/analysis.ts) or nothing
  if (chains(bound.graph).length > 0) return planBaumWelch(bound);
  // ---- models with a continuous latent: the linear-Gaussian analysis decides (fa/analysis.ts)
  const linear = planLinearGaussian(bound);
  if (linear) return linear;
  // ----
  const { graph } = bound;
  const reasons: Reason[] = [];
  const learn = learnables(bound);
  const learnSet = new Set(learn);
  const stochastic = graph.order
    .map((n) => graph.nodes[n])
    .filter((n): n is StochasticNode => n.kind === 'stochastic');
  if (learn.length === 0) {
    const at = stochastic[0]?.name ?? graph.order[0] ?? '';
    const message =
      'nothing to learn: em estimates params, and this model has none without a value';
    return { ok: false, reasons: [reasonAt(bound, at, message)] };
  }
  // the plate of cases: the outermost plate of every stochastic node, one index and size, not
  // ragged; plates nested inside it (not ragged) hold a case's inner elements
  const outer = stochastic.map((n) => graph.plates[n.plates[0] ?? '']);
  const inner = stochastic.flatMap((n) => n.plates.slice(1).map((id) => graph.plates[id]));
  let index: string | undefined;
  if (
    outer.every(
      (p) =>
        p && !p.parent && !p.raggedBy && p.index === outer[0].index && p.size === outer[0].size,
    ) &&
    inner.every((p) => !p.raggedBy)
  )
    index = outer[0]?.index;
  for (const n of stochastic) {
    const obs = bound.observation[n.name]?.kind;
    if (!index || n.plates.length === 0)
      reasons.push(
        reasonAt(
          bound,
          n.name,
          `${n.name} is not in a single plate of independent cases: ${SCOPE}; other structures are not supported yet`,
        ),
      );
    else if (obs === 'partial' && !MISSING_FAMILIES.includes(n.distribution))
      reasons.push(
        reasonAt(
          bound,
          n.name,
          `${n.name} has missing entries (null): em integrates out missing entries of ${MISSING_FAMILIES.join(', ')} nodes; ${n.distribution} is not supported yet`,
        ),
      );
  }
  for (const name of graph.order) {
    const node = graph.nodes[name];
    if (node.kind === 'net')
      reasons.push(reasonAt(bound, name, `net ${name}: em does not learn nets`));
  }
  // where each learnable param occurs
  const uses = new Map<string, number>();
  const count = (e: Expr | undefined) => {
    if (!e) return;
    for (const x of namesIn(e)) if (learnSet.has(x)) uses.set(x, (uses.get(x) ?? 0) + 1);
  };
  for (const name of graph.order) {
    const node = graph.nodes[name];
    if (node.kind === 'stochastic') for (const a of Object.values(node.args)) count(a);
    else if (node.kind === 'deterministic') count(node.value);
    else if (node.kind === 'param' || node.kind === 'hyper') count(node.default);
  }
  const slots: Slot[] = [];
  const latentCategorical = (z: string) => {
    const n = graph.nodes[z];
    const obs = bound.observation[z]?.kind;
    return (
      n?.kind === 'stochastic' &&
      (obs === 'latent' || obs === 'partial') &&
      (n.distribution === 'Categorical' || n.distribution === 'Bernoulli')
    );
  };
  const free = (e: Expr) => namesIn(e).every((x) => !learnSet.has(x));
  const unboundedReal = (p: string) => {
    const node = graph.nodes[p];
    return (
      node.kind === 'param' && node.type.base === 'real' && !node.type.lower && !node.type.upper
    );
  };
  // a scale the M-step can set: any covariance param, or an sd declared real(0,)
  const scaleParam = (family: 'Normal' | 'MvNormal', p: string) => {
    const node = graph.nodes[p];
    return (
      node.kind === 'param' &&
      (family === 'MvNormal' || (isNum(node.type.lower, 0) && !node.type.upper))
    );
  };
  const unindexedSlot = (n: StochasticNode, m: Expr, s: Expr): GaussianSlot | undefined => {
    if (m.kind !== 'name' || !learnSet.has(m.name) || !unboundedReal(m.name)) return undefined;
    const family = n.distribution as 'Normal' | 'MvNormal';
    if (free(s)) return { kind: 'gaussian', node: n.name, family, mean: m.name };
    if (s.kind !== 'name' || !learnSet.has(s.name) || s.name === m.name) return undefined;
    return scaleParam(family, s.name)
      ? { kind: 'gaussian', node: n.name, family, mean: m.name, scale: s.name }
      : undefined;
  };
  if (index)
    for (const n of stochastic) {
      if (n.plates.length !== 1) continue; // closed forms: nodes of the case plate alone
      if (n.distribution === 'Categorical' || n.distribution === 'Bernoulli') {
        const p = n.args.p;
        if (p?.kind === 'name' && learnSet.has(p.name)) {
          const param = graph.nodes[p.name];
          const ok =
            param.kind === 'param' &&
            (n.distribution === 'Categorical'
              ? param.type.base === 'simplex'
              : param.type.shape.length === 0 &&
                isNum(param.type.lower, 0) &&
                isNum(param.type.upper, 1));
          if (ok) {
            slots.push({ kind: 'weights', param: p.name, node: n.name, family: n.distribution });
          }
        }
      } else if (n.distribution === 'Normal' || n.distribution === 'MvNormal') {
        const m = n.args.mu;
        const s = n.distribution === 'Normal' ? n.args.sigma : n.args.Sigma;
        if (!m || !s) continue;
        // one component: Normal|MvNormal(mu, scale) with mu a learnable (missing.ts)
        const one = unindexedSlot(n, m, s);
        if (one) {
          slots.push(one);
          continue;
        }
        const mi = indexedByLatent(m, index);
        if (!mi || !learnSet.has(mi.param) || !latentCategorical(mi.latent)) continue;
        // the weighted mean may lie anywhere: the mean param must be unbounded
        if (!unboundedReal(mi.param)) continue;
        const si = indexedByLatent(s, index);
        if (si && learnSet.has(si.param) && si.latent === mi.latent && si.param !== mi.param) {
          if (!scaleParam(n.distribution, si.param)) continue;
          slots.push({
            kind: 'gaussian',
            node: n.name,
            family: n.distribution,
            latent: mi.latent,
            mean: mi.param,
            scale: si.param,
          });
        } else if (free(s)) {
          slots.push({
            kind: 'gaussian',
            node: n.name,
            family: n.distribution,
            latent: mi.latent,
            mean: mi.param,
          });
        }
      }
    }
  // the conditional mean of missing MvNormal entries needs the covariance (missing.ts)
  for (const slot of slots)
    if (
      slot.kind === 'gaussian' &&
      slot.family === 'MvNormal' &&
      !slot.scale &&
      bound.observation[slot.node]?.kind === 'partial'
    )
      reasons.push(
        reasonAt(
          bound,
          slot.node,
          `${slot.node} has missing entries and a fixed covariance: em integrates out missing MvNormal entries when the covariance is a learnable param; not supported yet`,
        ),
      );
  // ── gradient M-step: every param without a closed-form slot used once (gradientPlan.ts)
  const closed = slots.filter((slot) =>
    (slot.kind === 'weights' ? [slot.param] : [slot.mean, slot.scale ?? slot.mean]).every(
      (p) => uses.get(p) === 1,
    ),
  );
  const inClosed = new Set(
    closed.flatMap((s) => (s.kind === 'weights' ? [s.param] : [s.mean, s.scale ?? s.mean])),
  );
  const rest = learn.filter((p) => graph.nodes[p].kind === 'param' && !inClosed.has(p));
  const plate = Object.values(graph.plates).find((p) => p.index === index);
  const N = bound.sizes[plate?.size ?? ''];
  let gradient: GradientPlan | undefined;
  const partial = stochastic.filter((n) => bound.observation[n.name]?.kind === 'partial');
  if (rest.length > 0 && partial.length > 0)
    // Q's grid enumerates the same latent states in every case; missing entries differ per case
    for (const n of partial)
      reasons.push(
        reasonAt(
          bound,
          n.name,
          `${n.name} has missing entries (null) and param ${rest[0]} needs a gradient M-step: em does not combine them yet`,
        ),
      );
  if (rest.length > 0 && index && typeof N === 'number' && reasons.length === 0) {
    const g = planGradient(bound, rest, N);
    if (g.ok) gradient = g.plan;
    else reasons.push(...g.reasons);
  }
  // ── end gradient M-step
  if (reasons.length > 0 || !index) return { ok: false, reasons };
  return { ok: true, plan: { plate: index, learn, slots: closed, gradient } };
}
