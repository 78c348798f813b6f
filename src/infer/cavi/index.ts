// The `cavi` engine (DESIGN.md §4, issue 10): mean-field variational Bayes by coordinate ascent,
// every update derived from the model's conjugate-exponential structure (variational message
// passing, Winn & Bishop 2005). plan.ts decides the variational families and refusals (no
// tensors); terms.ts evaluates each density term's messages; run.ts runs the sweeps and the ELBO;
// svi.ts runs stochastic VI over the outermost plate (--batch-size, --stream).
import { userError } from '../../diagnostics/diagnostics.js';
import type { BoundModel } from '../../graph/bound.js';
import { type Applicability, type Engine, notApplicable, type RunOptions } from '../engine.js';
import type { Posterior } from '../result.js';
import { caviInfo } from './info.js';
import { planCavi } from './plan.js';
import { runCavi } from './run.js';
import { runSvi } from './svi.js';

export { DECREASE_TOLERANCE } from './run.js';

export const caviEngine: Engine<typeof caviInfo.options> = {
  ...caviInfo,

  applicability(bound: BoundModel): Applicability {
    const p = planCavi(bound);
    return p.ok ? { ok: true } : { ok: false, reasons: p.reasons };
  },

  async run(bound: BoundModel, options: RunOptions<typeof caviInfo.options>): Promise<Posterior> {
    const p = planCavi(bound);
    if (!p.ok) throw notApplicable(bound, 'cavi', p.reasons);
    if (options.batchSize > 0 || options.stream !== '') {
      if (options.batchSize === 0)
        throw userError(
          'cavi --stream needs --batch-size (the minibatch size of stochastic VI)',
          'unsupported',
        );
      return runSvi(bound, p.plan, options);
    }
    return runCavi(bound, p.plan, options);
  },
};
