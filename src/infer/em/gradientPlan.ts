// Which params em learns by a gradient M-step, and how (tensor-free: `plato engines` reads it).
// A learnable param without a closed-form slot (analysis.ts) is learned by generalised EM
// (Dempster, Laird & Rubin 1977 §3; Neal & Hinton 1998): each M-step increases
//   Q(θ) = Σ_i Σ_z q_i(z) log p(x_i, z | θ),   q_i(z) = p(z | x_i, θ_old),
// by gradient steps (gradient.ts) on an unconstrained u with θ = T(u), T chosen from the
// param's declared type (transforms.ts):
//   real                 identity
//   real(lo,)            lo + softplus(u)
//   real(,hi)            hi − softplus(u)
//   real(lo, hi)         lo + (hi − lo)·sigmoid(u)
//   simplex[…, K]        softmax over the last axis
//   real[…, D, D] read as an MvNormal's Sigma: L Lᵀ with L lower triangular, diagonal softplus
// q_i is the joint posterior of all of case i's discrete latents on their enumerated states
// (caseGrid.ts): a noisy-OR finding's factor reads every cause of its case, so marginals do not
// give Q. The plan refuses, at the node, what that enumeration cannot afford.
import type { Reason } from '../../diagnostics/reason.js';
import type { BoundModel } from '../../graph/bound.js';
import type { StochasticNode } from '../../graph/ir.js';
import { prod } from '../../util/shape.js';
import { reasonAt } from '../engine.js';
import { type Transform, transformOf } from '../learn/transform.js';

export type { Transform } from '../learn/transform.js';

/** Largest number of joint states of one case's discrete latents the gradient M-step enumerates. */
export const MAX_LOG2_CASE_STATES = 12;

export interface GradientParam {
  readonly name: string;
  /** the param's full shape */
  readonly shape: readonly number[];
  readonly transform: Transform;
}

export interface GradientPlan {
  readonly params: readonly GradientParam[];
  /** the stochastic nodes whose log-probability reads a gradient param: Q's terms */
  readonly factors: readonly string[];
  /** every latent (discrete) node of the cases: their joint states are enumerated per case */
  readonly latents: readonly string[];
}

/** States of a discrete latent's elements, when the bound shapes tell (else undefined). */
function statesOf(bound: BoundModel, node: StochasticNode): number | undefined {
  if (node.distribution === 'Bernoulli') return 2;
  if (node.distribution !== 'Categorical') return undefined;
  const e = node.args.p ?? node.args.logits;
  const target = e?.kind === 'index' ? e.target : e;
  if (target?.kind !== 'name') return undefined;
  const s = bound.shapes[target.name];
  const full = s ? [...s.batch, ...s.event] : [];
  return full.length > 0 ? full[full.length - 1] : undefined;
}

/**
 * The gradient M-step of `params` (learnables without a closed-form slot) in the plate of cases
 * of size N, or the reasons, each at its node.
 */
export function planGradient(
  bound: BoundModel,
  params: readonly string[],
  N: number,
): { ok: true; plan: GradientPlan } | { ok: false; reasons: Reason[] } {
  const { graph } = bound;
  const reasons: Reason[] = [];
  const out: GradientParam[] = [];
  for (const name of params) {
    const t = transformOf(bound, name, "em's gradient M-step");
    if (typeof t === 'string') reasons.push(reasonAt(bound, name, t));
    else {
      const s = bound.shapes[name];
      out.push({ name, shape: [...s.batch, ...s.event], transform: t });
    }
  }
  // the nodes reading a gradient param, directly or through deterministic nodes
  const dependent = new Set(params);
  const factors: string[] = [];
  for (const n of graph.order) {
    const node = graph.nodes[n];
    if (node.kind !== 'stochastic' && node.kind !== 'deterministic') continue;
    if (!node.parents.some((p) => dependent.has(p))) continue;
    dependent.add(n);
    if (node.kind === 'stochastic') factors.push(n);
  }
  const latents = graph.order.filter(
    (n) => graph.nodes[n].kind === 'stochastic' && bound.observation[n]?.kind === 'latent',
  );
  // the enumerated joint states of one case: Σ over latents of elements per case · log2 states
  let log2 = 0;
  const parts: string[] = [];
  for (const n of latents) {
    const states = statesOf(bound, graph.nodes[n] as StochasticNode);
    const s = bound.shapes[n];
    const perCase = prod([...s.batch, ...s.event]) / N;
    if (states === undefined) continue; // the run checks it with the evaluated states
    log2 += perCase * Math.log2(states);
    parts.push(`${n}: ${perCase} × ${states} states`);
  }
  if (log2 > MAX_LOG2_CASE_STATES && latents.length > 0)
    reasons.push(
      reasonAt(
        bound,
        latents[0],
        `em's gradient M-step (for ${params.join(', ')}) enumerates the joint states of each case's discrete latents (${parts.join('; ')}): 2^${log2.toFixed(1)} states per case, the limit is 2^${MAX_LOG2_CASE_STATES}`,
      ),
    );
  if (reasons.length > 0) return { ok: false, reasons };
  return { ok: true, plan: { params: out, factors, latents } };
}
