// The tensor-free half of the library facade: parse, check and build a model, and the
// `plato check` report. Nothing here (or below it) imports TensorFlow.js, so `plato check`
// and a program that only compiles models start without loading it; src/index.ts re-exports
// these next to the tensor-using operations (sample, infer, engines).
import { type Diagnostic, PlatoError, userError } from './diagnostics/diagnostics.js';
import { checkConstantArgs } from './graph/argChecks.js';
import { bind } from './graph/bind.js';
import type { BoundModel, DataInput } from './graph/bound.js';
import { buildGraph } from './graph/build.js';
import type { ModelGraph } from './graph/ir.js';
import type { Float32Store } from './graph/values.js';
import type { Program } from './lang/ast.js';
import { frontend } from './lang/index.js';
import { checkResult } from './report/check.js';
import type { CheckResult } from './report/result.js';

/** A parsed, checked model: the AST and the graph IR. */
export interface CompiledModel {
  readonly program: Program;
  readonly graph: ModelGraph;
}

export interface CompileOptions {
  readonly filename?: string;
}

/** Parse, check and build the graph; throws PlatoError with every diagnostic found. */
export function compile(source: string, options: CompileOptions = {}): CompiledModel {
  const filename = options.filename ?? '<model>';
  if (typeof source !== 'string')
    throw userError(`the model source must be a string, got ${typeof source}`, 'unsupported');
  const front = frontend(source, filename);
  const errors = front.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !front.program)
    throw new PlatoError(front.diagnostics, source, filename);
  const built = buildGraph(front.program, source, filename);
  // arguments that are constants of the model alone must lie in their domains (argChecks.ts)
  const constant = built.graph ? checkConstantArgs(built.graph) : [];
  const all = [...front.diagnostics, ...built.diagnostics, ...constant];
  if (!built.graph || all.some((d) => d.severity === 'error')) {
    throw new PlatoError(all, source, filename);
  }
  return { program: front.program, graph: built.graph };
}

/** `plato check --json` */
export function check(model: CompiledModel): CheckResult {
  return checkResult(model.graph);
}

export interface ModelDataOptions {
  readonly data?: DataInput;
  /** the data file's name, for messages */
  readonly dataFile?: string;
  /** without a data file, how messages name the place to give data */
  readonly dataWhere?: string;
  readonly onWarning?: (warning: Diagnostic) => void;
  /** where large float32 values go (graph/bind.ts BindOptions.float32Store) */
  readonly float32Store?: Float32Store;
}

/** Read the data against the model (graph/bind.ts), warnings go to `onWarning`. */
export function bindModel(model: CompiledModel, options: ModelDataOptions = {}): BoundModel {
  const bound = bind(model.graph, options.data ?? {}, {
    dataFile: options.dataFile,
    dataWhere: options.dataWhere,
    float32Store: options.float32Store,
  });
  for (const w of bound.warnings) options.onWarning?.(w);
  return bound;
}
