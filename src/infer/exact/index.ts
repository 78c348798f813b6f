// The `exact` engine (DESIGN.md §4): answers with no approximation whenever the model allows
// it. Two halves: closed-form conjugate posteriors (conjugate.ts, planned by
// plan.ts from the graph's conjugacy facts) and exact discrete inference (discrete/). Applies when either does;
// otherwise its reasons point at the blocking nodes. Which half applies is decided in
// applicability.ts (tensor-free, so `plato engines` can answer without tfjs); here the discrete
// half reads its values from the compiled plan.

import type { BoundModel } from '../../graph/bound.js';
import { type Applicability, type Engine, notApplicable, type RunOptions } from '../engine.js';
import type { Posterior } from '../result.js';
import { whichHalf } from './applicability.js';
import { runChain } from './chain/run.js';
import { runConjugate } from './conjugate.js';
import { discreteApplicability, runDiscrete } from './discrete/index.js';
import { exactInfo } from './info.js';

export { conjugacyPlan, conjugateApplicability, runConjugate } from './conjugate.js';

const which = (bound: BoundModel) => whichHalf(bound, discreteApplicability);

export const exactEngine: Engine<typeof exactInfo.options> = {
  ...exactInfo,

  applicability(bound: BoundModel): Applicability {
    const w = which(bound);
    return 'half' in w ? { ok: true } : { ok: false, reasons: w.reasons };
  },

  async run(bound: BoundModel, options: RunOptions): Promise<Posterior> {
    const w = which(bound);
    if ('half' in w) {
      if (w.half === 'chain') return runChain(bound, options);
      return w.half === 'conjugate' ? runConjugate(bound, options) : runDiscrete(bound, options);
    }
    throw notApplicable(bound, 'exact', w.reasons);
  },
};
