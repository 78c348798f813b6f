// Deterministic nodes of a linear-Gaussian block's latents (`x = M @ e`, `eta[i] = dot(X[i],
// beta)`): a linear map of a Gaussian is Gaussian, so the node is reported with its exact
// posterior (marginal.ts): MvNormal with the per-element covariance for a vector node, Normal
// marginals otherwise; Student t under a Normal–Gamma precision. Deterministic nodes of other
// latents, non-affine ones (`exp(mu)`) and ones mixing latents of several blocks or the
// precision itself are not reported (docs/engines/exact.md).
import type { BoundModel } from '../../graph/bound.js';
import type { GaussianStep } from '../../graph/conjugacy.js';
import { affine, type LinearityScope, unknownDeps } from '../../graph/linearity.js';
import type { LatentSummary } from '../../report/result.js';
import { type ExprEvaluator, fullShape } from './evaluate.js';
import { affineMarginal, type BlockPosterior } from './marginal.js';
import { mvNormalSummary, mvStudentTSummary, normalSummary, studentTSummary } from './summary.js';

/** Is the value of a (non-latent) node known from the data and defaults? */
export function knownIn(model: BoundModel): (name: string) => boolean {
  const known = (name: string): boolean => {
    const node = model.graph.nodes[name];
    if (!node) return true;
    switch (node.kind) {
      case 'size':
      case 'hyper':
      case 'data':
        return true;
      case 'param':
        return model.values[name] !== undefined;
      case 'stochastic':
        return model.observation[name]?.kind === 'observed';
      case 'net':
        return false;
      case 'deterministic':
        return node.parents.every(known);
    }
  };
  return known;
}

/**
 * The Gaussian posterior of a block reported in its family: Normal/MvNormal, or t marginals
 * when `nu` is given (covariance scaled by `scale` = b'/a').
 */
export function gaussianSummary(
  mean: Float64Array,
  cov: Float64Array,
  E: number,
  shape: readonly number[],
  vector: boolean,
  nu: number | undefined,
  scale: number,
): LatentSummary {
  const scaled = cov.map((v) => v * scale);
  if (vector) {
    return nu === undefined
      ? mvNormalSummary(mean, scaled, shape)
      : mvStudentTSummary(nu, mean, scaled, shape);
  }
  const sd = mean.map((_, t) => Math.sqrt(Math.max(0, scaled[t * E + (t % E)])));
  return nu === undefined ? normalSummary(mean, sd, shape) : studentTSummary(nu, mean, sd, shape);
}

export function deterministicSummaries(
  step: GaussianStep,
  post: BlockPosterior,
  nu: number | undefined,
  scale: number,
  ev: ExprEvaluator,
): Record<string, LatentSummary> {
  const model = ev.model;
  const isKnown = knownIn(model);
  const latents = new Set(step.latents);
  const out: Record<string, LatentSummary> = {};
  for (const name of model.graph.order) {
    const node = model.graph.nodes[name];
    if (node.kind !== 'deterministic') continue;
    const scope: LinearityScope = { graph: model.graph, latents, isKnown, plates: node.plates };
    const deps = unknownDeps(node.value, scope);
    if (deps.size === 0 || [...deps].some((d) => !latents.has(d))) continue;
    const res = affine(node.value, scope);
    if (!res.ok || res.known) continue;
    const event = model.shapes[name].event;
    const q = { at: name, event, expr: node.value, linear: res.linear, refs: res.refs };
    const marg = affineMarginal(q, post, ev);
    if (!marg) continue;
    const shape = fullShape(model, name);
    out[name] = gaussianSummary(marg.mean, marg.cov, marg.E, shape, event.length === 1, nu, scale);
  }
  return out;
}
