// The Plato library: the same operations as the command line (DESIGN.md §6).
//   const model = compile(source, { filename: 'lda.plato' });   // throws PlatoError
//   const draws = await sample(model, { data, n: 1000, seed: 1 });
//   const result = await infer(model, { data, engine: 'cavi', seed: 1 });
//   const report = engines(model, { data });
import { type BackendName, initBackend } from './backend/index.js';
import { compileModel } from './compile/model.js';
import { type Diagnostic, PlatoError, userError } from './diagnostics/diagnostics.js';
import { bind } from './graph/bind.js';
import type { BoundModel, DataInput } from './graph/bound.js';
import { notApplicable, type RunOptions } from './infer/engine.js';
import { chooseAuto, getEngine, listEngines } from './infer/engines.js';
import { forwardSample, sampleResult } from './infer/sample/index.js';
import type { CompiledModel } from './model.js';
import type { EnginesReport, Posterior, SampleResult } from './report/result.js';

export type { BackendName } from './backend/index.js';
export type { Diagnostic } from './diagnostics/diagnostics.js';
export { PlatoError } from './diagnostics/diagnostics.js';
export { type CompiledModel, type CompileOptions, check, compile } from './model.js';
export type { CheckResult, EnginesReport, Posterior, SampleResult } from './report/result.js';

export interface DataOptions {
  /** the data object (as read from JSON); sizes, hypers, covariates and observations */
  readonly data?: DataInput;
  /** the data file's name, for messages */
  readonly dataFile?: string;
  readonly backend?: BackendName;
  /** called with each non-fatal finding of data binding (e.g. a key the model does not declare) */
  readonly onWarning?: (warning: Diagnostic) => void;
}

function bindData(model: CompiledModel, options: DataOptions): BoundModel {
  const bound = bind(model.graph, options.data ?? {}, { dataFile: options.dataFile });
  for (const w of bound.warnings) options.onWarning?.(w);
  return bound;
}

export interface SampleOptions extends DataOptions {
  readonly n?: number;
  readonly seed?: number;
  /** clamp observed nodes to their data and draw the rest given them (default: prior predictive) */
  readonly conditional?: boolean;
}

/** A seed is any integer (`--seed -1` is fine); 1.5 or NaN would silently change the stream. */
function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed))
    throw userError(`--seed must be an integer, got ${seed}`, 'unsupported');
}

/** The numeric options, as the CLI's flag parsers check them (src/cli/flags.ts). */
function checkRunOptions(options: Partial<RunOptions>): void {
  const counts = ['iters', 'batchSize', 'epochs', 'restarts', 'particles'] as const;
  for (const k of counts) {
    const v = options[k];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1))
      throw userError(`${k} must be a positive integer, got ${v}`, 'unsupported');
  }
  for (const k of ['tol', 'lr'] as const) {
    const v = options[k];
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      throw userError(`${k} must be a positive number, got ${v}`, 'unsupported');
  }
}

/** `plato sample --json`: n joint ancestral draws of every node. */
export async function sample(
  model: CompiledModel,
  options: SampleOptions = {},
): Promise<SampleResult> {
  await initBackend(options.backend ?? 'wasm');
  const bound = bindData(model, options);
  const n = options.n ?? 1000;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(n) || n < 1)
    throw userError(`-n must be a positive integer, got ${n}`, 'unsupported');
  checkSeed(seed);
  const draws = forwardSample(bound, { n, seed, conditional: options.conditional });
  try {
    return sampleResult(bound, draws, { n, seed });
  } finally {
    for (const t of Object.values(draws)) t.dispose();
  }
}

export interface InferOptions extends DataOptions, Partial<RunOptions> {
  readonly engine?: string;
}

/** `plato infer --json`: run an engine (or `auto`) and return the posterior summary. */
export async function infer(model: CompiledModel, options: InferOptions = {}): Promise<Posterior> {
  await initBackend(options.backend ?? 'wasm');
  const bound = bindData(model, options);
  if (options.seed !== undefined) checkSeed(options.seed);
  checkRunOptions(options);
  const name = options.engine ?? 'auto';
  const engine = name === 'auto' ? chooseAuto(bound) : getEngine(name);
  const app = engine.applicability(bound);
  if (!app.ok) {
    throw notApplicable(bound, engine.name, app.reasons);
  }
  // arguments fixed by the data and the model must lie in their domains (argDomains.ts)
  const plan = compileModel(bound);
  try {
    plan.checkFixedArgs();
  } finally {
    plan.dispose();
  }
  return engine.run(bound, { ...options, seed: options.seed ?? 0 });
}

/** `plato engines --json`: which engines apply, and why the others do not. */
export function engines(model: CompiledModel, options: DataOptions = {}): EnginesReport {
  const bound = bindData(model, options);
  const list = listEngines().map((e) => {
    const app = e.applicability(bound);
    return { name: e.name, applies: app.ok, reasons: app.ok ? [] : [...app.reasons] };
  });
  let auto: string | null = null;
  try {
    auto = chooseAuto(bound).name;
  } catch (e) {
    if (!(e instanceof PlatoError)) throw e;
  }
  return { auto, engines: list };
}
