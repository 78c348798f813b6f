// Deterministic nodes of a linear-Gaussian block's latents (`x = M @ e`, `eta[i] = dot(X[i],
// beta)`): a linear map of a Gaussian is Gaussian, so the node is reported with its exact
// posterior (marginal.ts): MvNormal with the per-element covariance for a vector node, Normal
// marginals otherwise; Student t under a Normal–Gamma precision. Deterministic nodes of other
// latents, non-affine ones (`exp(mu)`) and ones mixing latents of several blocks or the
// precision itself are not reported (docs/engines/exact.md).
import { type ExprEvaluator, fullShape } from '../../compile/evaluator.js';
import { type GaussianStep, modelFacts } from '../../graph/conjugacy.js';
import { affine, unknownDeps } from '../../graph/linearity.js';
import type { LatentPosterior } from '../result.js';
import { affineMarginal, type BlockPosterior } from './marginal.js';
import { mvNormalSummary, mvStudentTSummary, normalSummary, studentTSummary } from './summary.js';

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
): LatentPosterior {
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
): Record<string, LatentPosterior> {
  const model = ev.model;
  const facts = modelFacts(model);
  const latents = new Set(step.latents);
  const out: Record<string, LatentPosterior> = {};
  for (const name of model.graph.order) {
    const node = model.graph.nodes[name];
    if (node.kind !== 'deterministic') continue;
    const scope = facts.scope(latents, node);
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
