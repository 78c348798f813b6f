// The outermost plate of a model for cavi's local/global schedules: the top-level plate that
// holds the observed data (LDA's documents); latents inside it are local (θ_d, z_dn), the others
// global (β). Stochastic VI subsamples the plate (svi.ts); batch cavi fits the local factors to
// convergence between global updates (run.ts), as batch variational Bayes for LDA does.
import type { BoundModel } from '../../graph/bound.js';
import type { CaviPlan } from './plan.js';

/** The outermost plate and which latents are local to it. */
export interface SviSplit {
  readonly plate: string;
  readonly globals: readonly string[];
  readonly locals: readonly string[];
}

/**
 * Split the latents at the top-level plate holding the observed data, or say why they cannot be
 * (stochastic VI reports it as a PlatoError; batch cavi then keeps its plain schedule).
 */
export function outerSplit(bound: BoundModel, plan: CaviPlan): SviSplit | string {
  const g = bound.graph;
  const holding = new Set<string>();
  for (const [name, o] of Object.entries(bound.observation)) {
    const p = g.nodes[name].plates[0];
    if (o.kind !== 'latent' && p !== undefined) holding.add(p);
  }
  const top = [...holding].filter((p) => g.plates[p].parent === undefined);
  const plateText = (p: string) => `${g.plates[p].index} in ${g.plates[p].size}`;
  if (top.length !== 1)
    return top.length === 0
      ? 'cavi --batch-size (stochastic VI) needs the observed data in a plate (its outermost plate is subsampled): no observed node is in a plate'
      : `cavi --batch-size (stochastic VI) subsamples one outermost plate, but observed nodes are in the plates ${top.map(plateText).join(' and ')}`;
  const plate = top[0];
  // not combined yet: SVI's global step blends the natural parameters of conjugate factors only
  if (plan.linear.length > 0)
    return `cavi --batch-size (stochastic VI): ${plan.linear[0].latent} has a joint linear-Gaussian factor (a regression); stochastic VI does not update those yet: run batch cavi (no --batch-size)`;
  if (plan.params.length > 0)
    return `cavi --batch-size (stochastic VI): param ${plan.params[0].name} would be learned by variational EM, which stochastic VI does not do yet: give its value in the data, or run batch cavi (no --batch-size)`;
  const inside = (n: string) => g.nodes[n].plates[0] === plate;
  const globals: string[] = [];
  const locals: string[] = [];
  for (const l of plan.latents) {
    if (inside(l.name)) locals.push(l.name);
    else if (l.kind === 'discrete')
      return `cavi --batch-size: the discrete latent ${l.name} is outside the plate ${plateText(plate)}: stochastic VI updates only continuous global factors`;
    else globals.push(l.name);
  }
  for (const t of plan.terms) {
    if (inside(t.node)) continue;
    const reads = [...t.uses.map((u) => u.latent), ...(t.selector ? [t.selector.latent] : [])];
    const local = reads.find((r) => locals.includes(r));
    if (local)
      return `cavi --batch-size: ${t.node}, outside the plate ${plateText(plate)}, reads its local latent ${local}: stochastic VI needs the local latents read only inside the plate`;
  }
  return { plate, globals, locals };
}
