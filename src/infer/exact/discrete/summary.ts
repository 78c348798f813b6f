// Posterior summaries of discrete latents (DESIGN.md §5). Bernoulli: p = P(node = 1), mean p,
// sd sqrt(p(1-p)). Categorical: p and mean are the probability vector (shape: node shape + [K]),
// sd per state. A Binomial latent's posterior is a distribution over {0, …, n}: reported as
// 'Categorical' with that vector as p, and the mean and sd of the count itself.
import type { BoundModel } from '../../../graph/bound.js';
import type { StochasticNode } from '../../../graph/ir.js';
import type { FactorNode, FiniteFamily, VarNode } from '../../discrete/analysis.js';
import { float64, type LatentPosterior } from '../../result.js';
import { bernoulliSummary, categoricalSummary } from '../summary.js';

export function discreteSummary(v: VarNode, marginals: Float64Array): LatentPosterior {
  const shape = [...v.shape];
  const { card, size } = v;
  if (v.family === 'Bernoulli') {
    const p = new Float64Array(size);
    for (let i = 0; i < size; i++) p[i] = marginals[i * 2 + 1];
    return bernoulliSummary(p, shape);
  }
  if (v.family === 'Categorical') return categoricalSummary(marginals, shape, card);
  // Binomial: the count's mean and sd
  const mean = new Float64Array(size);
  const sd = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let m1 = 0;
    let m2 = 0;
    for (let k = 0; k < card; k++) {
      m1 += k * marginals[i * card + k];
      m2 += k * k * marginals[i * card + k];
    }
    mean[i] = m1;
    sd[i] = Math.sqrt(Math.max(0, m2 - m1 * m1));
  }
  return {
    family: 'Categorical',
    shape,
    params: { p: float64(marginals, [...shape, card]) },
    mean: float64(mean, shape),
    sd: float64(sd, shape),
  };
}

/**
 * A barren leaf (leaves.ts): observed entries as themselves (sd 0), missing ones by their
 * predictive. Finite families as their latents are; a leaf of infinite support by the mean and
 * sd of its predictive, a mixture over the states of the discrete nodes it reads ('Mixture',
 * no parameters).
 */
export function leafSummary(
  bound: BoundModel,
  f: FactorNode,
  leaf: { p?: Float64Array; card: number; mean?: Float64Array; sd?: Float64Array },
): LatentPosterior {
  const s = bound.shapes[f.name];
  const shape = [...s.batch, ...s.event];
  if (leaf.p) {
    const node = bound.graph.nodes[f.name] as StochasticNode;
    const v: VarNode = {
      name: f.name,
      family: node.distribution as FiniteFamily,
      card: leaf.card,
      shape,
      size: f.elements,
      offset: 0,
    };
    return discreteSummary(v, leaf.p);
  }
  return {
    family: 'Mixture',
    shape,
    params: {},
    mean: float64(leaf.mean ?? new Float64Array(0), shape),
    sd: float64(leaf.sd ?? new Float64Array(0), shape),
  };
}
