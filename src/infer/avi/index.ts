// The `avi` engine (DESIGN.md §4, issue 11): amortised variational inference. plan.ts decides
// the latents' bijectors and guides and the refusals (no tensors); guide.ts is the default
// guide; model.ts the ELBO's terms on a block of the outermost plate; run.ts trains with Adam
// and reports; state.ts holds every learned value under its reported name.
import type { BoundModel } from '../../graph/bound.js';
import { type Applicability, type Engine, notApplicable, type RunOptions } from '../engine.js';
import type { Posterior } from '../result.js';
import { aviInfo } from './info.js';
import { aviApplies, planAvi } from './plan.js';
import { runAvi } from './run.js';

export const aviEngine: Engine<typeof aviInfo.options> = {
  ...aviInfo,

  applicability(bound: BoundModel): Applicability {
    const p = planAvi(bound);
    return p.ok ? aviApplies(p.plan) : { ok: false, reasons: p.reasons };
  },

  async run(bound: BoundModel, options: RunOptions<typeof aviInfo.options>): Promise<Posterior> {
    const p = planAvi(bound, options.localGuide, options.discrete);
    if (!p.ok) throw notApplicable(bound, 'avi', p.reasons);
    return runAvi(bound, p.plan, options);
  },
};
