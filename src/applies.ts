// The tensor-free `plato engines` (issue 8): bind the data and, when no check needs an evaluated
// expression, say which engines apply — without loading TensorFlow.js. The fixed arguments'
// domain checks (graph/fixedArgs.ts) and every built-in engine's applicability
// (infer/applicability.ts) are decided from the bound data where they can be; otherwise
// src/index.ts's engines() gives the same report with tensors. Apart from model.ts so that
// `plato check` loads none of this.
import type { Diagnostic } from './diagnostics/diagnostics.js';
import { bind } from './graph/bind.js';
import type { BoundModel, DataInput } from './graph/bound.js';
import { fixedArgsPassWithoutTensors } from './graph/fixedArgs.js';
import { appliesWithoutTensors } from './infer/applicability.js';
import type { CompiledModel } from './model.js';
import type { EnginesReport } from './report/result.js';

export interface BindOptions {
  readonly data?: DataInput;
  /** the data file's name, for messages */
  readonly dataFile?: string;
  /** without a data file, how messages name the place to give data */
  readonly dataWhere?: string;
  readonly onWarning?: (warning: Diagnostic) => void;
}

/** Read the data against the model (graph/bind.ts), as src/index.ts does; warnings go to `onWarning`. */
export function bindModel(model: CompiledModel, options: BindOptions = {}): BoundModel {
  const bound = bind(model.graph, options.data ?? {}, {
    dataFile: options.dataFile,
    dataWhere: options.dataWhere,
  });
  for (const w of bound.warnings) options.onWarning?.(w);
  return bound;
}

/** The engines report when nothing in it needs a tensor; undefined otherwise. */
export function enginesWithoutTensors(bound: BoundModel): EnginesReport | undefined {
  if (!fixedArgsPassWithoutTensors(bound)) return undefined;
  return appliesWithoutTensors(bound);
}
