// The tensor-free `plato engines` (issue 8): bind the data and, when no check needs an evaluated
// expression, say which engines apply — without loading TensorFlow.js. The fixed arguments'
// domain checks (graph/fixedArgs.ts) and every built-in engine's applicability
// (infer/applicability.ts) are decided from the bound data where they can be; otherwise
// src/index.ts's engines() gives the same report with tensors. Apart from model.ts so that
// `plato check` loads none of this.
import type { BoundModel } from './graph/bound.js';
import { fixedArgsPassWithoutTensors } from './graph/fixedArgs.js';
import { appliesWithoutTensors } from './infer/applicability.js';

export { bindModel } from './model.js';

import type { EnginesReport } from './report/result.js';

/** The engines report when nothing in it needs a tensor; undefined otherwise. */
export function enginesWithoutTensors(bound: BoundModel): EnginesReport | undefined {
  if (!fixedArgsPassWithoutTensors(bound)) return undefined;
  return appliesWithoutTensors(bound);
}
