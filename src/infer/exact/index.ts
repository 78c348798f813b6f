// The `exact` engine (DESIGN.md §4): answers with no approximation whenever the model allows
// it. Two halves: closed-form conjugate posteriors (conjugate.ts, planned by
// plan.ts from the graph's conjugacy facts) and exact discrete inference (discrete/). Applies when either does;
// otherwise its reasons point at the blocking nodes.

import type { Reason } from '../../diagnostics/reason.js';
import type { BoundModel } from '../../graph/bound.js';
import { FINITE_FAMILIES } from '../discrete/analysis.js';
import { type Applicability, type Engine, notApplicable, type RunOptions } from '../engine.js';
import type { Posterior } from '../result.js';
import { conjugateApplicability, runConjugate } from './conjugate.js';
import { discreteApplicability, runDiscrete } from './discrete/index.js';
import { exactInfo } from './info.js';

export { conjugacyPlan, conjugateApplicability, runConjugate } from './conjugate.js';

/** Are all latents (and partially observed nodes) of finite support? Then the discrete reasons matter. */
function allFinite(bound: BoundModel): boolean {
  return bound.graph.order.every((n) => {
    const node = bound.graph.nodes[n];
    if (node.kind !== 'stochastic' || bound.observation[n]?.kind === 'observed') return true;
    return FINITE_FAMILIES.has(node.distribution);
  });
}

function which(
  bound: BoundModel,
): { half: 'conjugate' | 'discrete' } | { reasons: readonly Reason[] } {
  const c = conjugateApplicability(bound);
  if (c.ok) return { half: 'conjugate' };
  const d = discreteApplicability(bound);
  if (d.ok) return { half: 'discrete' };
  // explain with the half that was meant to handle this kind of model
  return { reasons: allFinite(bound) ? d.reasons : c.reasons };
}

export const exactEngine: Engine<typeof exactInfo.options> = {
  ...exactInfo,

  applicability(bound: BoundModel): Applicability {
    const w = which(bound);
    return 'half' in w ? { ok: true } : { ok: false, reasons: w.reasons };
  },

  async run(bound: BoundModel, options: RunOptions): Promise<Posterior> {
    const w = which(bound);
    if ('half' in w)
      return w.half === 'conjugate' ? runConjugate(bound, options) : runDiscrete(bound, options);
    throw notApplicable(bound, 'exact', w.reasons);
  },
};
