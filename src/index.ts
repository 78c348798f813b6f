// The Plato library: the same operations as the command line (DESIGN.md §6).
//   const model = compile(source, { filename: 'lda.plato' });   // throws PlatoError
//   const draws = await sample(model, { data, n: 1000, seed: 1 });
//   const result = await infer(model, { data, engine: 'cavi', seed: 1 });
//   const report = engines(model, { data });
import { heapFloat32 } from './backend/heapFloat32.js';
import { type BackendName, initBackend } from './backend/index.js';
import { compileModel } from './compile/model.js';
import { type Diagnostic, PlatoError, userError } from './diagnostics/diagnostics.js';
import type { BoundModel, DataInput } from './graph/bound.js';
import { streamProbe } from './graph/stream.js';
import { releaseValues } from './graph/values.js';
import { engineApplies } from './infer/applicability.js';
import { type Engine, notApplicable, type RunOptions } from './infer/engine.js';
import { chooseAuto, getEngine, listEngines } from './infer/engines.js';
import { checkInitial, checkInitialShape } from './infer/initial.js';
import { type InitialValues, resolveOptions, type SavedLatents } from './infer/options.js';
import type { Posterior, SampleResult } from './infer/result.js';
import { forwardSample, sampleResult } from './infer/sample/index.js';
import { checkPosterior } from './infer/sample/posterior.js';
import { bindModel, type CompiledModel } from './model.js';
import type { EnginesReport } from './report/result.js';

export type { BackendName } from './backend/index.js';
export type { Diagnostic } from './diagnostics/diagnostics.js';
export { PlatoError } from './diagnostics/diagnostics.js';
export type { InitialValues, SavedLatents } from './infer/options.js';
export type {
  LatentPosterior,
  NumericArray,
  Posterior,
  RaggedAxis,
  SampleResult,
} from './infer/result.js';
export { ResultArray } from './infer/result.js';
export { type CompiledModel, type CompileOptions, check, compile } from './model.js';
export type {
  CheckResult,
  EnginesReport,
  LatentJson,
  Nested,
  PosteriorJson,
  SampleJson,
} from './report/result.js';
export { savedLatents, savedParams } from './report/saved.js';

export interface DataOptions {
  /** the data object (as read from JSON); sizes, hypers, covariates and observations */
  readonly data?: DataInput;
  /** the data file's name, for messages */
  readonly dataFile?: string;
  /** without a data file, how messages name the place to give data (default: the `data` option) */
  readonly dataWhere?: string;
  readonly backend?: BackendName;
  /** called with each non-fatal finding of data binding (e.g. a key the model does not declare) */
  readonly onWarning?: (warning: Diagnostic) => void;
}

/** Values a fit learned, given back: `initial: savedParams(JSON.parse(text))` (`--load F`). */
export interface LoadOptions {
  /**
   * Learned params, net weights (`decoder.W0`, …) and a guide's values (`guide.…`) keyed by
   * name, each at its full shape: a saved fit's `params` (`savedParams`). `infer` starts the
   * params and weights it learns from them (engines em, cavi, avi); `sample` holds them fixed.
   * A name the model does not have is a warning; a wrong shape is a PlatoError naming it.
   */
  readonly initial?: InitialValues;
  /** the file `initial` was read from, for messages */
  readonly initialFile?: string;
}

export interface SampleOptions extends DataOptions, LoadOptions {
  readonly n?: number;
  readonly seed?: number;
  /** clamp observed nodes to their data and draw the rest given them (default: prior predictive) */
  readonly conditional?: boolean;
  /**
   * Posterior predictive: draw each of these latents from the posterior a fit reported
   * (`savedLatents(result)`; with `initial: savedParams(result)` for its params and weights) and
   * every other node, the observed ones too, from the model given them (replicated data; a VAE's
   * reconstructions). Not together with `conditional`.
   */
  readonly posterior?: SavedLatents;
}

/** `options.initial` checked against the bound model (src/infer/initial.ts), if given. */
function loadedValues(bound: BoundModel, options: DataOptions & LoadOptions) {
  if (options.initial === undefined) return undefined;
  return checkInitial(bound, checkInitialShape(options.initial), {
    file: options.initialFile,
    onWarning: options.onWarning,
  });
}

/** The narrowest layer width of a net that starts XNNPACK's thread pool (see wideNets). */
const PARALLEL_MIN_WIDTH = 256;

/**
 * Does the model (or its guide) declare a neural net with a layer at least PARALLEL_MIN_WIDTH
 * wide (the widths known before binding: numbers, sizes given in `data` or with a default)?
 * Only dense products that large gain from XNNPACK's pool (backend/threads.ts), which wakes its
 * workers for every op: measured on 2 cores, MNIST's VAE (784 → 400 layers) ran 1.3–1.4× faster
 * on two threads and the digits VAE (64 → 128) 1.4× slower (a step of ~140 small kernels).
 */
function wideNets(model: CompiledModel, data: DataInput | undefined): boolean {
  const { graph } = model;
  const width = (d: string | number): number => {
    if (typeof d === 'number') return d;
    const given = data?.[d];
    if (typeof given === 'number') return given;
    const node = graph.nodes[d];
    return node?.kind === 'size' ? (node.default ?? 0) : 0;
  };
  return [graph, graph.guide].some(
    (g) =>
      g !== undefined &&
      Object.values(g.nodes).some(
        (n) => n.kind === 'net' && n.layers.some((d) => width(d) >= PARALLEL_MIN_WIDTH),
      ),
  );
}

/** A seed is any integer (`--seed -1` is fine); 1.5 or NaN would silently change the stream. */
function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed))
    throw userError(`seed must be an integer, got ${seed}`, 'unsupported');
}

/**
 * n joint ancestral draws of every node: typed arrays with their shapes; `JSON.stringify` of
 * the result is what `plato sample --json` prints.
 */
export async function sample(
  model: CompiledModel,
  options: SampleOptions = {},
): Promise<SampleResult> {
  await initBackend(options.backend ?? 'wasm', { parallel: wideNets(model, options.data) });
  const bound = bindModel(model, { ...options, float32Store: heapFloat32 });
  try {
    return sampleBound(bound, options);
  } finally {
    releaseValues(bound.values);
  }
}

function sampleBound(bound: BoundModel, options: SampleOptions): SampleResult {
  const n = options.n ?? 1000;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(n) || n < 1)
    throw userError(`n must be a positive integer, got ${n}`, 'unsupported');
  checkSeed(seed);
  const fixed = loadedValues(bound, options);
  if (options.posterior && options.conditional)
    throw userError(
      'conditional clamps the observed nodes, posterior redraws them from the fit: give one of them',
      'unsupported',
    );
  const posterior =
    options.posterior &&
    checkPosterior(bound, options.posterior, {
      file: options.initialFile,
      onWarning: options.onWarning,
    });
  const draws = forwardSample(bound, {
    n,
    seed,
    conditional: options.conditional,
    fixed,
    posterior,
    file: options.initialFile,
  });
  try {
    return sampleResult(bound, draws, { n, seed });
  } finally {
    for (const t of Object.values(draws)) t.dispose();
  }
}

/** Arguments fixed by the data and the model must lie in their domains (argDomains.ts). */
function checkFixedArgs(bound: BoundModel): void {
  const plan = compileModel(bound);
  try {
    plan.checkFixedArgs();
  } finally {
    plan.dispose();
  }
}

export interface InferOptions extends DataOptions, LoadOptions {
  /** `auto` (default) or a registered inference engine */
  readonly engine?: string;
  /** every engine takes a seed (default 0) */
  readonly seed?: number;
  /** called with (done, total) for progress bars */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * The options of the chosen engine (`iters`, `tol`, … as it declares them). Checked when the
   * engine is known: a name it does not read, or a bad value, is a PlatoError naming it.
   */
  readonly [option: string]: unknown;
}

/** What infer takes itself; everything else is an option of the engine. */
const INFER_KEYS = [
  'data',
  'dataFile',
  'dataWhere',
  'backend',
  'onWarning',
  'engine',
  'onProgress',
  'initial',
  'initialFile',
] as const;

/** The chosen engine's options, defaults filled in; an OptionError for a bad one. */
function engineOptions(
  engine: Engine,
  options: InferOptions,
  auto: boolean,
): RunOptions<Engine['options']> {
  const given: Record<string, unknown> = { ...options };
  for (const k of INFER_KEYS) delete given[k];
  const values = resolveOptions(engine, given, {
    registered: listEngines(),
    accepted: INFER_KEYS,
    auto,
  });
  // checked against the engine's declarations: each value has its declared type
  return {
    ...values,
    seed: values.seed as number,
    onProgress: options.onProgress,
    onWarning: options.onWarning,
  };
}

/** `plato infer --json`: run an engine (or `auto`) and return the posterior summary. */
export async function infer(model: CompiledModel, options: InferOptions = {}): Promise<Posterior> {
  await initBackend(options.backend ?? 'wasm', { parallel: wideNets(model, options.data) });
  const name = options.engine ?? 'auto';
  // a named engine's options are checked before the data is read; auto's once it has picked
  const named = name === 'auto' ? undefined : getEngine(name);
  const checked = named && engineOptions(named, options, false);
  // `stream` (cavi's stochastic VI): the data file holds all but the outermost plate, whose
  // elements are lines of a JSON-lines file; the model is bound with its first line as a plate of
  // one element (graph/stream.ts) and the engine reads the file
  const stream = typeof options.stream === 'string' && options.stream !== '' ? options.stream : '';
  const bound = stream
    ? bindModel(model, {
        ...options,
        data: await streamProbe(model.graph, options.data ?? {}, stream),
      })
    : bindModel(model, { ...options, float32Store: heapFloat32 });
  try {
    return await inferBound(bound, named, checked, options);
  } finally {
    // the engine's results are numbers of their own: the tensors binding filled can go
    releaseValues(bound.values);
  }
}

async function inferBound(
  bound: BoundModel,
  named: Engine | undefined,
  checked: RunOptions<Engine['options']> | undefined,
  options: InferOptions,
): Promise<Posterior> {
  const engine = named ?? chooseAuto(bound);
  const runOptions = checked ?? engineOptions(engine, options, true);
  const app = engine.applicability(bound);
  if (!app.ok) {
    throw notApplicable(bound, engine.name, app.reasons);
  }
  checkFixedArgs(bound);
  const initial = loadedValues(bound, options);
  return engine.run(bound, initial ? { ...runOptions, initial } : runOptions);
}

/** `plato engines --json`: which engines apply, and why the others do not. */
export function engines(model: CompiledModel, options: DataOptions = {}): EnginesReport {
  const bound = bindModel(model, options);
  // the same domain checks as `infer`: a model no engine can run is an error, not a list
  checkFixedArgs(bound);
  const list = listEngines().map((e) => {
    return engineApplies(e.name, e.applicability(bound));
  });
  let auto: string | null = null;
  try {
    auto = chooseAuto(bound).name;
  } catch (e) {
    if (!(e instanceof PlatoError)) throw e;
  }
  return { auto, engines: list };
}
