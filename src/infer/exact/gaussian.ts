// Closed-form posterior of a linear-Gaussian block (conjugacy.ts `gaussian`): Normal/MvNormal
// latents θ, every factor (a latent's prior, an observed child) a Gaussian whose mean is
// affine in θ with known noise. Each factor is whitened into rows ρ = b − A θ with unit
// noise; then (Bishop, PRML §3.3 and eq. 3.86, generalised to any set of factors)
//   J = Σ AᵀA,  h = Σ Aᵀb,  m = J⁻¹h,  S = J⁻¹,  R = Σ ‖b − A m‖²,
//   log Z = Σ log|W| − n/2 log 2π − R/2 − ½ log|J|,
// with Σ log|W| the log-determinants of the whitening maps (½ log|Λ| per factor) and n the
// number of observed scalars. With a Gamma(a, b) precision τ scaling every factor
// (Normal–Gamma, rows built at τ = 1):
//   τ | data ~ Gamma(a + n/2, b + R/2),  θ | τ ~ N(m, S/τ),  θ_j ~ t_{2a'}(m_j, √(b'/a' S_jj)),
//   log Z = Σ log|W| − n/2 log 2π − ½ log|J| + a log b − lnΓ(a) + lnΓ(a') − a' log b'.
// A block of one plated latent whose factors each read one plate element is solved element
// by element (J block-diagonal): one E × E system per element, vectorised over the plate.
//
// The rows, J, h and R come from the engine-neutral accumulation in ../gaussian; this file
// turns them into the exact posterior and evidence.
import { download, type ExprEvaluator, fullShape } from '../../compile/evaluator.js';
import { lgamma64 } from '../../distributions/special64.js';
import type { GaussianStep } from '../../graph/conjugacy.js';
import type { StochasticNode } from '../../graph/ir.js';
import { prod } from '../../util/shape.js';
import {
  type AccumulateOptions,
  accumulateFactors,
  type FactorRows,
  type GaussianLayout,
  gaussianLayout,
  type LatentSlice,
  residualSumOfSquares,
  solveSystem,
} from '../gaussian/index.js';
import type { LatentPosterior } from '../result.js';
import { deterministicSummaries } from './deterministic.js';
import { blockPins, pinCovariance, pinEquations, pinRows } from './pinned.js';
import { gaussianPredictive } from './predictive.js';
import {
  gammaSummary,
  mvNormalSummary,
  mvStudentTSummary,
  normalSummary,
  studentTSummary,
} from './summary.js';

const LOG_2PI = Math.log(2 * Math.PI);

export interface StepResult {
  readonly latents: Record<string, LatentPosterior>;
  readonly logEvidence: number;
}

export function runGaussian(
  step: GaussianStep,
  ev: ExprEvaluator,
  options: AccumulateOptions = {},
): StepResult {
  const model = ev.model;
  const layout = gaussianLayout(model, step.latents, step.blocked);
  // a Normal–Gamma precision is factored out of the rows (built at τ = 1) and integrated below
  const fixed = step.precision ? { [step.precision]: 1 } : {};
  // observed entries of partially observed latents (pinned.ts): observations, not latents
  const pins = blockPins(model, layout);
  const mapRows = pins ? (r: FactorRows) => pinRows(r, layout, pins) : undefined;
  const sys = accumulateFactors(step.factors, layout, ev, { ...options, fixed, mapRows });
  try {
    const n = sys.n + (pins?.index.length ?? 0);
    const { logDetW } = sys;
    if (pins) pinEquations(pins, layout.cols, sys.J, sys.h);
    const { m, S, logDetJ } = solveSystem(sys);
    if (pins) pinCovariance(pins, layout.cols, S);
    const R = residualSumOfSquares(sys, m);

    const out: Record<string, LatentPosterior> = {};
    let logEvidence = logDetW - (n / 2) * LOG_2PI - 0.5 * logDetJ;
    let nu: number | undefined;
    let scale = 1;
    if (step.precision) {
      const [a0, b0] = gammaPrior(step.precision, ev);
      const a1 = a0 + n / 2;
      const b1 = b0 + R / 2;
      logEvidence += a0 * Math.log(b0) - lgamma64(a0) + lgamma64(a1) - a1 * Math.log(b1);
      out[step.precision] = gammaSummary(
        Float64Array.of(a1),
        Float64Array.of(b1),
        fullShape(model, step.precision),
      );
      nu = 2 * a1;
      scale = b1 / a1;
    } else logEvidence -= R / 2;

    for (const l of layout.latents)
      out[l.name] = summarise(l, layout, m, S, nu, scale, model.shapes[l.name].event);
    // missing entries of its Normal children and its deterministic nodes (exact linear maps)
    const post = { ...layout, m, S };
    Object.assign(out, gaussianPredictive(step, post, nu, scale, ev));
    Object.assign(out, deterministicSummaries(step, post, nu, scale, ev));
    return { latents: out, logEvidence };
  } finally {
    sys.dispose();
  }
}

/** The posterior of one latent of the block: Normal/MvNormal, or t marginals under a Gamma precision. */
function summarise(
  l: LatentSlice,
  layout: GaussianLayout,
  m: Float64Array,
  S: Float64Array,
  nu: number | undefined,
  scale: number,
  event: readonly number[],
): LatentPosterior {
  const D = layout.cols;
  const E = prod(event);
  const mu = layout.blocked ? m : m.slice(l.offset, l.offset + l.size);
  const blocks = l.size / E;
  // per plate element: the E × E block of the covariance (scaled for a t marginal)
  const cov = new Float64Array(blocks * E * E);
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < E; i++) {
      for (let j = 0; j < E; j++) {
        const v = layout.blocked
          ? S[b * E * E + i * E + j]
          : S[(l.offset + b * E + i) * D + (l.offset + b * E + j)];
        cov[b * E * E + i * E + j] = v * scale;
      }
    }
  }
  // a vector latent is MvNormal whatever its length (DESIGN §5: the family never depends on a size)
  if (event.length === 1) {
    return nu === undefined
      ? mvNormalSummary(mu, cov, l.shape)
      : mvStudentTSummary(nu, mu, cov, l.shape);
  }
  const sd = new Float64Array(l.size);
  for (let i = 0; i < l.size; i++) sd[i] = Math.sqrt(cov[i * E * E]);
  return nu === undefined ? normalSummary(mu, sd, l.shape) : studentTSummary(nu, mu, sd, l.shape);
}

function gammaPrior(tau: string, ev: ExprEvaluator): [number, number] {
  const node = ev.model.graph.nodes[tau] as StochasticNode;
  const scalar = (e: typeof node.args.rate) => download(() => ev.inLayout(e, tau, {}, []))[0];
  if (node.distribution === 'Exponential') return [1, scalar(node.args.rate)];
  return [scalar(node.args.shape), scalar(node.args.rate)];
}
