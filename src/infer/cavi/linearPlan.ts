// Linear-Gaussian blocks in cavi (tensor-free: `plato engines` reads it). A Normal latent w
// read by observed Normal children through a design (`y[i] ~ Normal(dot(X[i], w), 1 / sqrt(tau))`,
// `X @ w`) gets one joint Gaussian factor q(w) = N(m, S) over all its entries rather than one
// factor per entry; the noise precision τ, if latent, is a Gamma factor of its own (the mean-field
// Normal–Gamma of Bayesian linear regression with unknown noise, Bishop PRML §10.3 with the noise
// precision learned: q(w) q(τ)). The graph's facts (graph/conjugacy.ts `gaussianFactor`) give each
// child's mean affine in w with its design and its sd known or (c τ)^-1/2; linear.ts runs them.
import type { Reason } from '../../diagnostics/reason.js';
import {
  GAUSSIAN,
  type GaussianFactor,
  gaussianFactor,
  type ModelFacts,
} from '../../graph/conjugacy.js';
import type { StochasticNode } from '../../graph/ir.js';

export interface LinearBlock {
  /** the Normal latent with a joint Gaussian factor */
  readonly latent: string;
  /** its prior's factor (known mean and sd) */
  readonly prior: GaussianFactor;
  /** the observed Normal children, each mean affine in the latent */
  readonly children: readonly GaussianFactor[];
  /** the Gamma latent every child's sd reads as (c τ)^-1/2, if any */
  readonly precision?: string;
}

/**
 * The linear-Gaussian blocks of a model: Normal latents w (no plates, known prior arguments)
 * with a child whose mean reads w through a design (`dot`, `@`). Their children must all be
 * observed Normal nodes with means affine in w alone and sds known or (c τ)^-1/2 with τ one
 * scalar Gamma latent; otherwise a reason at the node.
 */
export function linearBlocks(
  f: ModelFacts,
  isLatent: (name: string) => boolean,
): { blocks: LinearBlock[]; reasons: Reason[] } {
  const blocks: LinearBlock[] = [];
  const reasons: Reason[] = [];
  const reason = (node: string, message: string) => {
    const n = f.graph.nodes[node];
    reasons.push({ node, line: n?.line ?? 0, column: n?.column ?? 0, message });
  };
  const gammas = new Set(
    f.stochastic
      .filter((n) => f.latent.has(n.name) && f.priorView(n)?.as === 'Gamma')
      .map((n) => n.name),
  );
  for (const w of f.stochastic) {
    if (!f.latent.has(w.name) || w.distribution !== 'Normal') continue;
    const children = f.childrenOf.get(w.name) ?? [];
    const names = new Set([w.name]);
    const tried = children.map((c) => ({
      c,
      r:
        GAUSSIAN.includes(c.distribution) && !isLatent(c.name)
          ? gaussianFactor(f, c, 'observed', names, gammas)
          : undefined,
    }));
    const designed = tried.some((t) => t.r && 'factor' in t.r && t.r.factor.designs[w.name]);
    if (!designed) continue;
    const fail = (node: string, message: string) => void reason(node, message);
    if (w.plates.length > 0) {
      fail(
        w.name,
        `${w.name} enters a linear-Gaussian mean through a design and has plates: cavi's joint Gaussian factors are for one latent without plates in this version`,
      );
      continue;
    }
    if ((f.deps.get(w.name)?.size ?? 0) > 0) continue; // reported as a hierarchy
    const prior = gaussianFactor(f, w, 'latent', names);
    if (!('factor' in prior)) {
      fail(prior.reason.node, prior.reason.message);
      continue;
    }
    const factors: GaussianFactor[] = [];
    const precisions = new Set<string>();
    let ok = true;
    for (const { c, r } of tried) {
      if (!r || c.distribution !== 'Normal') {
        ok = false;
        fail(
          c.name,
          `${c.name} reads ${w.name}, which enters a linear-Gaussian mean elsewhere: its children must all be observed Normal nodes with means affine in ${w.name} in this version of cavi`,
        );
        continue;
      }
      if ('reason' in r) {
        ok = false;
        fail(r.reason.node, r.reason.message);
        continue;
      }
      const others = [...(f.deps.get(c.name) ?? [])].filter(
        (d) => d !== w.name && d !== r.precision,
      );
      if (others.length > 0) {
        ok = false;
        fail(
          c.name,
          `the mean of ${c.name} reads ${others[0]} beside ${w.name}: one latent per linear-Gaussian block in this version of cavi`,
        );
        continue;
      }
      if (r.precision) precisions.add(r.precision);
      factors.push(r.factor);
    }
    const tau = [...precisions];
    if (tau.length > 1) {
      ok = false;
      fail(
        w.name,
        `the children of ${w.name} read the precisions ${tau.join(' and ')}: one per block in this version of cavi`,
      );
    }
    const t = tau[0];
    if (t && (f.graph.nodes[t] as StochasticNode).plates.length > 0) {
      ok = false;
      fail(
        t,
        `${t} is a plate of noise precisions of a linear-Gaussian block: one scalar precision in this version of cavi`,
      );
    }
    if (t && factors.some((x) => !x.precisionScaled)) {
      ok = false;
      fail(
        w.name,
        `some children of ${w.name} read the precision ${t} and some do not: not in this version of cavi`,
      );
    }
    if (ok) blocks.push({ latent: w.name, prior: prior.factor, children: factors, precision: t });
  }
  return { blocks, reasons };
}
