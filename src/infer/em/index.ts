// The `em` engine (DESIGN.md §4, issue 9): maximum-likelihood params by expectation–
// maximisation. This version: discrete latents in one plate of cases (E-step: the exact
// engine's DiscreteEStep), closed-form M-steps for mixture weights, Bernoulli probabilities and
// per-component Normal/MvNormal means and scales, missing entries integrated out (missing.ts)
// (analysis.ts says which models; run.ts runs); and linear-Gaussian latents — factor analysis,
// probabilistic PCA (fa/: analysis, run); discrete chains by Baum–Welch (chain/: analysis, run).
import type { BoundModel } from '../../graph/bound.js';
import { type Applicability, type Engine, notApplicable, type RunOptions } from '../engine.js';
import type { Posterior } from '../result.js';
import { planEm } from './analysis.js';
import { isBaumWelch } from './chain/analysis.js';
import { runBaumWelch } from './chain/run.js';
import { isLinearGaussian } from './fa/analysis.js';
import { runLinearGaussian } from './fa/run.js';
import { emInfo } from './info.js';
import { runEm } from './run.js';

export { DECREASE_TOLERANCE } from './run.js';

export const emEngine: Engine<typeof emInfo.options> = {
  ...emInfo,

  applicability(bound: BoundModel): Applicability {
    const p = planEm(bound);
    return p.ok ? { ok: true } : { ok: false, reasons: p.reasons };
  },

  async run(bound: BoundModel, options: RunOptions<typeof emInfo.options>): Promise<Posterior> {
    const p = planEm(bound);
    if (!p.ok) throw notApplicable(bound, 'em', p.reasons);
    if (isLinearGaussian(p.plan)) return runLinearGaussian(bound, p.plan, options);
    if (isBaumWelch(p.plan)) return runBaumWelch(bound, p.plan, options);
    return runEm(bound, p.plan, options);
  },
};
