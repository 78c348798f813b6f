// The conjugate half of the exact engine: run the plan of plan.ts step by step (each
// step a closed-form posterior over its latents, with its share of the log evidence), add
// the log-probability of observed nodes that no latent touches, and report per DESIGN.md §5.
import * as tf from '@tensorflow/tfjs';
import { ExprEvaluator, sum64 } from '../../compile/evaluator.js';
import { userError } from '../../diagnostics/diagnostics.js';
import type { BoundModel } from '../../graph/bound.js';
import { ancestors } from '../../graph/query.js';
import { NotPositiveDefiniteError } from '../../linalg/dense64.js';
import { withFloat64Probabilities } from '../discrete/precision.js';
import { notApplicable, type RunOptions } from '../engine.js';
import type { LatentPosterior, Posterior } from '../result.js';
import { conjugacyPlan } from './applicability.js';
import { runGaussian } from './gaussian.js';
import { knownPredictive } from './predictive.js';
import { priorSummary } from './prior.js';
import { runScaled } from './scaled.js';

export { conjugacyPlan, conjugateApplicability } from './applicability.js';

/** Options of the conjugate half beyond the engine's (tests and benchmarks). */
export interface ConjugateOptions {
  /** the linear-Gaussian accumulation's host/device threshold (0: everything through tfjs) */
  readonly hostFlops?: number;
}

export async function runConjugate(
  bound: BoundModel,
  options: RunOptions,
  conjugate: ConjugateOptions = {},
): Promise<Posterior> {
  const t0 = performance.now();
  const plan = conjugacyPlan(bound);
  if (!plan.ok) {
    throw notApplicable(bound, 'exact', plan.reasons);
  }
  const ev = new ExprEvaluator(bound);
  const latents: Record<string, LatentPosterior> = {};
  let logEvidence = 0;
  const total = plan.steps.length + plan.known.length;
  let done = 0;
  try {
    for (const step of plan.steps) {
      if (step.rule === 'prior') latents[step.latent] = priorSummary(step.latent, ev);
      else {
        const r = step.rule === 'gaussian' ? runGaussian(step, ev, conjugate) : runScaled(step, ev);
        Object.assign(latents, r.latents);
        logEvidence += r.logEvidence;
      }
      options.onProgress?.(++done, total);
    }
    for (const name of plan.known) {
      logEvidence += knownLogProb(name, ev);
      if (bound.observation[name]?.kind === 'partial') latents[name] = knownPredictive(name, ev);
      options.onProgress?.(++done, total);
    }
  } catch (e) {
    if (e instanceof NotPositiveDefiniteError) {
      throw userError(
        `exact inference failed: ${e.message}; check that every sd in the model is positive and finite`,
        'unsupported',
      );
    }
    throw e;
  } finally {
    ev.dispose();
  }
  // order the latents as the model declares them
  const ordered: Record<string, LatentPosterior> = {};
  for (const n of bound.graph.order) if (latents[n]) ordered[n] = latents[n];
  return {
    engine: 'exact',
    converged: true,
    iterations: 1,
    seconds: (performance.now() - t0) / 1000,
    logEvidence,
    latents: ordered,
    params: {},
  };
}

/** log p(x) of an observed node whose parents are all known (missing entries contribute 0). */
export function knownLogProb(name: string, ev: ExprEvaluator): number {
  const lp = tf.tidy(() => {
    const env: Record<string, tf.Tensor> = {};
    for (const a of ancestors(ev.model.graph, name)) {
      if (ev.model.graph.nodes[a].kind === 'deterministic') env[a] = ev.nodeValue(a, env);
    }
    // probabilities given in float64 stay float64 (issue 7, item 15)
    const x = ev.model.values[name]?.data;
    const lp32 = ev.plan.logProb(name, env);
    return withFloat64Probabilities(ev.model, ev.plan, name, env, lp32, (i) =>
      x ? x[i] : Number.NaN,
    );
  });
  const s = sum64(lp);
  lp.dispose();
  return s;
}
