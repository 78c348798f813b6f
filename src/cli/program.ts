// The `plato` command line (DESIGN.md §6), a thin shell over the library in src/index.ts.
// The library is imported only inside the actions, so `--help` and flag errors answer at once.
// `check` needs no tensor: it loads only the tensor-free src/model.ts; `engines` adds
// src/applies.ts and loads tfjs only when a check evaluates an expression; the other commands load src/index.ts and with it
// TensorFlow.js (test/cli/startup.test.ts holds `check` and `engines` to this).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { requestWasmThreads } from '../backend/threads.js';
import { type Diagnostic, renderDiagnostic } from '../diagnostics/diagnostics.js';
import type { DataInput } from '../graph/bound.js';
import { isVocabulary } from '../graph/vocab.js';
import { BUILTIN_ENGINES } from '../infer/builtin.js';
import {
  describeOptionProblem,
  type EngineInfo,
  flagOf,
  type InitialValues,
  OptionError,
  SEED,
} from '../infer/options.js';
import type { Posterior } from '../infer/result.js';
import type { CompiledModel } from '../model.js';
import { writeJsonChunks } from '../report/jsonStream.js';
import type { EnginesReport } from '../report/result.js';
import { checkText, enginesText, inferText, sampleText } from '../report/text.js';
import { describeError, EXIT_OK } from './errors.js';
import { engineFlags, positiveInt, sharedFlag } from './flags.js';
import {
  CliError,
  makeOutputDir,
  openOutput,
  readText,
  writeOutputFile,
  writeStream,
} from './io.js';
import { progressBar } from './progress.js';

type BackendFlag = 'wasm' | 'cpu' | 'node' | 'node-gpu';

interface GlobalOpts {
  backend: BackendFlag;
  threads?: number;
}
interface OutputOpts {
  json?: boolean;
  output?: string;
}
interface DataOpts {
  data?: string;
}
interface LoadOpts {
  load?: string;
}
interface PlotOpts {
  plot?: string;
}
interface VocabOpts {
  vocab?: string;
}

const library = () => import('../index.js');
const models = () => import('../model.js');

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

async function loadModel(path: string): Promise<CompiledModel> {
  const source = await readText(path, 'model file');
  const { compile } = await models();
  return compile(source, { filename: path });
}

async function loadData(path: string | undefined): Promise<DataInput | undefined> {
  if (path === undefined) return undefined;
  const text = await readText(path, 'data file');
  const { readDataText } = await import('../graph/data.js');
  const data = readDataText(text, path);
  return data;
}

/** A named-values flag's file (`--init start.json`): read as a data file is (JSON, or CSV by extension). */
async function loadValues(path: string, flag: string): Promise<DataInput> {
  const text = await readText(path, `${flag} file`);
  const { readDataText } = await import('../graph/data.js');
  return readDataText(text, path);
}

/**
 * `--load fit.json`: the `params` of a result `plato infer -o` wrote (learned params, net
 * weights, a guide's values), checked as a saved result (report/saved.ts); the library checks
 * them against the model.
 */
async function loadSaved(path: string | undefined): Promise<InitialValues | undefined> {
  if (path === undefined) return undefined;
  const { savedParams } = await import('../report/saved.js');
  return savedParams(await readSavedJson(path), path);
}

/** The parsed JSON of a saved fit. */
async function readSavedJson(path: string): Promise<unknown> {
  const text = await readText(path, 'saved fit');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(
      `cannot read saved fit '${path}': not JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  return json;
}

/**
 * The vocabulary of the topic lines and plots: `--vocab FILE` (a JSON array of strings, or an
 * object holding one under `vocab`, as examples/lda/lda-small-vocab.json), else the data's
 * `vocab` key, else none.
 */
async function loadVocab(
  path: string | undefined,
  data: DataInput | undefined,
): Promise<readonly string[] | undefined> {
  if (path === undefined) return isVocabulary(data?.vocab) ? data.vocab : undefined;
  const text = await readText(path, 'vocabulary file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(
      `cannot read vocabulary '${path}': not JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const v = Array.isArray(json) ? json : (json as { vocab?: unknown } | null)?.vocab;
  if (!isVocabulary(v))
    throw new CliError(
      `${path}: expected a vocabulary: a non-empty JSON array of strings, or an object whose "vocab" is one`,
    );
  return v;
}

/** `--vocab` given but no latent is a Dirichlet over as many words: say so (no topics would show). */
async function checkVocabUsed(
  path: string | undefined,
  vocab: readonly string[] | undefined,
  result: Posterior,
): Promise<void> {
  if (path === undefined || vocab === undefined) return;
  const over = Object.values(result.latents).some(
    (l) => l.family === 'Dirichlet' && l.shape[l.shape.length - 1] === vocab.length,
  );
  if (!over)
    await writeStream(
      process.stderr,
      `${path}: warning: ${vocab.length} words, but no latent is a Dirichlet over ${vocab.length} entries: no topics to label\n`,
    );
}

/** Where a user of the command line gives data it has not given (messages say `give "N" in …`). */
const NO_DATA_FILE = 'a data file (--data FILE)';

/** Non-fatal findings of data binding (DESIGN.md §3: undeclared keys) go to stderr. */
function warn(d: Diagnostic): void {
  process.stderr.write(`${renderDiagnostic(d)}\n`);
}

/** `warn`, but a warning already printed (the same text) is not printed again. */
function warnOnce(): (d: Diagnostic) => void {
  const seen = new Set<string>();
  return (d) => {
    const text = renderDiagnostic(d);
    if (seen.has(text)) return;
    seen.add(text);
    process.stderr.write(`${text}\n`);
  };
}

/**
 * `--json`: exactly the JSON object on stdout. Otherwise the text report. `-o F`: the same
 * JSON written to F in either case. Without `-o`, no file is written. The JSON is written in
 * chunks: a large sample does not fit in one string. F is replaced atomically (io.ts
 * `openOutput`): a crash mid-write leaves the old F intact.
 */
async function emit<R>(result: R, text: (r: R) => string, opts: OutputOpts): Promise<void> {
  const file = opts.output !== undefined ? await openOutput(opts.output) : undefined;
  try {
    const sinks: ((chunk: string) => Promise<void>)[] = [];
    if (file) sinks.push((c) => file.write(c));
    if (opts.json) sinks.push((c) => writeStream(process.stdout, c));
    if (sinks.length > 0) await writeJsonChunks(result, sinks);
    // the file replaces the old one only now, whole (io.ts): a failure above leaves it as it was
    await file?.commit();
  } catch (e) {
    await file?.discard();
    throw e;
  }
  if (!opts.json) await writeStream(process.stdout, `${text(result)}\n`);
}

const jsonOption = () =>
  new Option('--json', 'print the result as one JSON object and nothing else');
const outputOption = () =>
  new Option('-o, --output <file>', 'also write the JSON result to <file>');
const dataOption = () =>
  new Option('--data <file>', 'data: JSON (an object keyed by variable name) or CSV');
const seedOption = () => sharedFlag(SEED);
const loadOption = (what: string) =>
  new Option('--load <file>', `a saved fit (the JSON that \`plato infer -o\` wrote): ${what}`);
const vocabOption = () =>
  new Option(
    '--vocab <file>',
    'the words of a topic model\'s vocabulary (JSON: an array of strings, or an object with one under "vocab"), for its topic lines and plots; default: the data\'s "vocab"',
  );

/** What `infer` and `report` read to run an engine: --data, --engine, --seed, engine options. */
function addRunOptions(cmd: Command, engines: readonly EngineInfo[]): Command {
  cmd
    .addOption(dataOption().makeOptionMandatory())
    .addOption(
      new Option(
        '--engine <name>',
        `auto, or one of: ${inferenceEngines(engines).join(', ')} (see \`plato engines\`)`,
      ).default('auto'),
    )
    .addOption(seedOption())
    .addOption(
      loadOption('the engine starts the params and net weights it learns from the saved values'),
    );
  for (const flag of engineFlags(engines)) cmd.addOption(flag);
  return cmd;
}

/**
 * The command line. `engines` are the registered engines whose options become flags of
 * `plato infer` (the built-in ones; tests add stand-ins).
 */
export function buildProgram(engines: readonly EngineInfo[] = BUILTIN_ENGINES): Command {
  const program = new Command('plato')
    .description('Plato: a probabilistic programming language for Bayesian networks')
    .version(version(), '-V, --version')
    .addOption(
      new Option('--backend <name>', 'tfjs backend')
        .choices(['wasm', 'cpu', 'node', 'node-gpu'])
        .default('wasm'),
    )
    .addOption(
      new Option(
        '--threads <n>',
        'threads for the wasm backend (default: every core, at most 8, for a model with nets; else 1; or PLATO_WASM_THREADS)',
      ).argParser(positiveInt),
    )
    // before any action loads the backend, which reads the count once
    .hook('preAction', (_root, action) => {
      const t = action.optsWithGlobals<GlobalOpts>().threads;
      if (t !== undefined) requestWasmThreads(t);
    })
    .exitOverride() // subcommands inherit it: errors come back to `run` as CommanderError
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false })
    .addHelpText(
      'after',
      '\nExit codes: 0 success, 1 user error (bad model, data or flag), 2 internal error.\n' +
        'Set PLATO_DEBUG=1 to see the stack trace of an internal error.',
    );

  program
    .command('check')
    .description('parse and check a model; print its plates and nodes with their parents')
    .argument('<model>', 'the model file (.plato)')
    .addOption(jsonOption())
    .action(async (modelPath: string, opts: OutputOpts) => {
      const model = await loadModel(modelPath);
      const { check } = await models();
      await emit(check(model), checkText, { json: opts.json });
    });

  program
    .command('sample')
    .description('draw joint samples of every node (prior predictive, or given the data)')
    .argument('<model>', 'the model file (.plato)')
    .addOption(dataOption())
    .addOption(
      new Option('-n, --n <count>', 'number of draws').argParser(positiveInt).default(1000),
    )
    .addOption(seedOption())
    .addOption(
      new Option(
        '--conditional',
        'clamp observed nodes to their data and draw the rest given them',
      ),
    )
    .addOption(
      loadOption('its learned params and net weights are held fixed (draw from the trained model)'),
    )
    .addOption(
      new Option(
        '--posterior',
        "with --load: draw each latent from the fit's reported posterior and the observed nodes from the model given them (posterior predictive; a VAE's reconstructions)",
      ),
    )
    .addOption(outputOption())
    .addOption(jsonOption())
    .action(async (modelPath: string, opts: OutputOpts & DataOpts & LoadOpts, cmd: Command) => {
      const g = cmd.optsWithGlobals<
        GlobalOpts & { n: number; seed?: number; conditional?: boolean; posterior?: boolean }
      >();
      if (g.posterior && opts.load === undefined)
        throw new CliError(
          '--posterior draws from the posteriors of a saved fit: give it with --load FILE',
        );
      if (g.posterior && g.conditional)
        throw new CliError(
          '--conditional clamps the observed nodes and --posterior redraws them: give one of them',
        );
      const model = await loadModel(modelPath);
      const data = await loadData(opts.data);
      // --load and --posterior read the same file once
      const saved = opts.load !== undefined ? await readSavedJson(opts.load) : undefined;
      const { savedLatents, savedParams } = await import('../report/saved.js');
      const initial = saved !== undefined ? savedParams(saved, opts.load) : undefined;
      const posterior = g.posterior ? savedLatents(saved, opts.load) : undefined;
      const { sample } = await library();
      const result = await sample(model, {
        data,
        dataFile: opts.data,
        dataWhere: NO_DATA_FILE,
        onWarning: warn,
        n: g.n,
        seed: g.seed,
        conditional: g.conditional,
        backend: g.backend,
        initial,
        initialFile: opts.load,
        posterior,
      });
      // state frequencies, not mean state indices, for Categorical nodes (issue 7 item 13)
      const categorical = Object.values(model.graph.nodes)
        .filter((n) => n.kind === 'stochastic' && n.distribution === 'Categorical')
        .map((n) => n.name);
      await emit(result, (r) => sampleText(r, { categorical }), opts);
    });

  const inferCommand = program
    .command('infer')
    .description('run an inference engine on a model and its data; print the posterior')
    .argument('<model>', 'the model file (.plato)');
  addRunOptions(inferCommand, engines)
    .addOption(outputOption())
    .addOption(jsonOption())
    .addOption(
      new Option(
        '--plot <dir>',
        "also write the fit plots to <dir> as SVG and PNG: the objective trace, each latent's posterior, topics",
      ),
    )
    .addOption(vocabOption())
    .action(
      async (
        modelPath: string,
        opts: OutputOpts & DataOpts & PlotOpts & VocabOpts,
        cmd: Command,
      ) => {
        const model = await loadModel(modelPath);
        const data = await loadData(opts.data);
        const vocab = await loadVocab(opts.vocab, data);
        const result = await runInfer(model, data, opts.data, cmd, engines, !opts.json);
        await checkVocabUsed(opts.vocab, vocab, result);
        await emit(result, (r) => inferText(r, { vocab }), opts);
        if (opts.plot !== undefined) await writePlots(result, opts.plot, vocab);
      },
    )
    .addHelpText('after', () => enginesHelp(engines));

  program
    .command('engines')
    .description(
      'which engines apply to a model and its data, why the others do not, and which auto picks',
    )
    .argument('<model>', 'the model file (.plato)')
    .addOption(dataOption())
    .addOption(new Option('--verbose', 'list every reason, not only the first of each engine'))
    .addOption(jsonOption())
    .action(
      async (
        modelPath: string,
        opts: OutputOpts & DataOpts & { verbose?: boolean },
        cmd: Command,
      ) => {
        const model = await loadModel(modelPath);
        const data = await loadData(opts.data);
        const report = await enginesReport(model, data, opts.data, cmd);
        await emit(report, (r) => enginesText(r, { verbose: opts.verbose }), { json: opts.json });
      },
    );

  const reportCommand = program
    .command('report')
    .description(
      'run an engine and write one self-contained HTML page: plate diagram, convergence, summary, plots, engines',
    )
    .argument('<model>', 'the model file (.plato)');
  addRunOptions(reportCommand, engines)
    .addOption(
      new Option(
        '-o, --output <file>',
        'the HTML file to write (report.html)',
      ).makeOptionMandatory(),
    )
    .addOption(vocabOption())
    .action(
      async (modelPath: string, opts: DataOpts & VocabOpts & { output: string }, cmd: Command) => {
        const model = await loadModel(modelPath);
        const data = await loadData(opts.data);
        const vocab = await loadVocab(opts.vocab, data);
        // the data are bound twice (engines report, run): each warning is printed once
        const once = warnOnce();
        const applies = await enginesReport(model, data, opts.data, cmd, once);
        const result = await runInfer(model, data, opts.data, cmd, engines, true, once);
        await checkVocabUsed(opts.vocab, vocab, result);
        const [{ diagramSvg }, { fitPlots }, { renderPlots }, { posteriorJson }, { reportHtml }] =
          await Promise.all([
            import('../report/diagram/index.js'),
            import('../report/plots/specs.js'),
            import('../report/plots/render.js'),
            import('../report/json.js'),
            import('../report/html.js'),
          ]);
        const { bindModel } = await models();
        // bound again for the shading (its warnings were printed by the first binding)
        const bound = bindModel(model, { data, dataFile: opts.data });
        const posterior = posteriorJson(result);
        const html = reportHtml({
          model: model.graph.name,
          modelFile: modelPath,
          source: model.graph.source,
          dataFile: opts.data ?? '',
          posterior,
          engines: applies,
          diagram: await diagramSvg(model.graph, bound),
          plots: await renderPlots(fitPlots(posterior, { vocab })),
          version: version(),
        });
        await writeOutputFile(opts.output, html);
        await writeStream(process.stdout, `${inferText(result, { vocab })}\n`);
        await writeStream(process.stderr, `report: ${opts.output}\n`);
      },
    )
    .addHelpText('after', () => enginesHelp(engines));

  program
    .command('graph')
    .description(
      'draw the plate diagram of a model (Graphviz): DOT on stdout, or -o out.svg|out.png|out.dot',
    )
    .argument('<model>', 'the model file (.plato)')
    .addOption(dataOption())
    .addOption(new Option('-o, --output <file>', 'write out.svg, out.png or out.dot'))
    .addHelpText(
      'after',
      '\nObserved nodes are shaded. With --data, the data decides which nodes are observed and\n' +
        'the plate labels give the sizes; without it, `data` declarations and stochastic nodes\n' +
        'that no other node reads (the leaves) are drawn observed.',
    )
    .action(async (modelPath: string, opts: { data?: string; output?: string }) => {
      const { diagramFormatOf, renderDiagram } = await import('../report/diagram/index.js');
      const format = opts.output === undefined ? 'dot' : diagramFormatOf(opts.output);
      if (format === undefined)
        throw new CliError(
          `cannot tell the format of '${opts.output}': name it .svg, .png or .dot`,
        );
      const model = await loadModel(modelPath);
      const data = await loadData(opts.data);
      const { bindModel } = await models();
      const bound =
        data === undefined
          ? undefined
          : bindModel(model, {
              data,
              dataFile: opts.data,
              dataWhere: NO_DATA_FILE,
              onWarning: warn,
            });
      const out = await renderDiagram(model.graph, format, bound);
      if (opts.output === undefined) await writeStream(process.stdout, out as string);
      else await writeOutputFile(opts.output, out);
    });

  return program;
}

/**
 * Run the engine `--engine` names with the engine options given on the command line (the
 * library checks them against the engine that runs and fills in its defaults).
 */
async function runInfer(
  model: CompiledModel,
  data: DataInput | undefined,
  dataFile: string | undefined,
  cmd: Command,
  engines: readonly EngineInfo[],
  showProgress: boolean,
  onWarning: (d: Diagnostic) => void = warn,
): Promise<Posterior> {
  const g = cmd.optsWithGlobals<GlobalOpts & { engine: string; seed?: number }>();
  await checkEngineName(g.engine);
  const given: Record<string, unknown> = {};
  for (const e of engines)
    for (const o of e.options)
      if (cmd.getOptionValueSource(o.name) === 'cli')
        given[o.name] =
          o.type === 'values'
            ? await loadValues(cmd.getOptionValue(o.name) as string, flagOf(o.name))
            : cmd.getOptionValue(o.name);
  const load = (cmd.opts() as LoadOpts).load;
  const initial = await loadSaved(load);
  const { infer } = await library();
  const progress = await progressBar(showProgress, g.engine);
  try {
    return await infer(model, {
      ...given,
      data,
      dataFile,
      onWarning,
      engine: g.engine,
      seed: g.seed,
      backend: g.backend,
      initial,
      initialFile: load,
      onProgress: progress.onProgress,
    }).catch((e: unknown) => {
      // the library names options as the library does; here they are flags
      throw e instanceof OptionError ? new CliError(describeOptionProblem(e.problem, 'flags')) : e;
    });
  } finally {
    progress.stop();
  }
}

/** The `plato engines` report: without tensors where it can (issue 8), else with them. */
async function enginesReport(
  model: CompiledModel,
  data: DataInput | undefined,
  dataFile: string | undefined,
  cmd: Command,
  onWarning: (d: Diagnostic) => void = warn,
): Promise<EnginesReport> {
  const given = { data, dataFile, dataWhere: NO_DATA_FILE };
  const { bindModel, enginesWithoutTensors } = await import('../applies.js');
  return (
    enginesWithoutTensors(bindModel(model, { ...given, onWarning })) ??
    (await enginesWithTensors(model, given, cmd.optsWithGlobals<GlobalOpts>().backend))
  );
}

/**
 * `--plot DIR`: every fit plot of the result (report/plots) as DIR/NAME.svg and DIR/NAME.png;
 * the file names go to stderr, so stdout stays the report (or exactly the JSON).
 */
async function writePlots(
  result: Posterior,
  dir: string,
  vocab: readonly string[] | undefined,
): Promise<void> {
  const [{ fitPlots }, { renderPlots }, { posteriorJson }] = await Promise.all([
    import('../report/plots/specs.js'),
    import('../report/plots/render.js'),
    import('../report/json.js'),
  ]);
  await makeOutputDir(dir);
  const plots = await renderPlots(fitPlots(posteriorJson(result), { vocab }), { png: true });
  for (const p of plots) {
    await writeOutputFile(join(dir, `${p.name}.svg`), p.svg);
    await writeOutputFile(join(dir, `${p.name}.png`), p.png!);
  }
  const names = plots.map((p) => p.name).join(', ');
  await writeStream(process.stderr, `plots (svg, png) in ${dir}: ${names || 'none'}\n`);
}

/**
 * The library's engines(): it binds the data again (its warnings were printed by the first
 * binding) and evaluates the checks that need tensors, on the chosen backend.
 */
async function enginesWithTensors(
  model: CompiledModel,
  given: { data?: DataInput; dataFile?: string; dataWhere: string },
  backend: BackendFlag,
): Promise<EnginesReport> {
  const { engines } = await library();
  const { initBackend } = await import('../backend/index.js');
  await initBackend(backend);
  return engines(model, given);
}

function inferenceEngines(engines: readonly EngineInfo[]): string[] {
  return engines.filter((e) => e.inference).map((e) => e.name);
}

/** The registered inference engines and the options each reads, after `plato infer --help`. */
function enginesHelp(engines: readonly EngineInfo[]): string {
  const lines = ['', 'Engines (every engine reads --seed, and only its own options):'];
  for (const e of engines.filter((x) => x.inference)) {
    const own = e.options.map((o) => flagOf(o.name));
    lines.push(...wrap(`${e.name}: ${e.description}`, 78, '  ', '    '));
    lines.push(`    options: ${own.length > 0 ? own.join(', ') : 'none of its own'}`);
  }
  return lines.join('\n');
}

/** Words into lines of at most `width` characters, the first indented by `first`, the rest by `rest`. */
function wrap(text: string, width: number, first: string, rest: string): string[] {
  const out: string[] = [];
  let line = first;
  for (const word of text.split(' ')) {
    const fresh = line === first || line === rest;
    if (!fresh && line.length + 1 + word.length > width) {
      out.push(line);
      line = rest + word;
    } else line = fresh ? line + word : `${line} ${word}`;
  }
  out.push(line);
  return out;
}

/** Unknown `--engine` names are a user error that lists the known ones. */
async function checkEngineName(name: string): Promise<void> {
  const { isInferenceEngine, listEngines } = await import('../infer/engines.js');
  const known = [
    'auto',
    ...listEngines()
      .map((e) => e.name)
      .filter(isInferenceEngine),
  ];
  if (known.includes(name)) return;
  if (listEngines().some((e) => e.name === name)) {
    throw new CliError(
      `'${name}' is not an inference engine (use \`plato ${name}\`); known engines: ${known.join(', ')}`,
    );
  }
  throw new CliError(`unknown engine '${name}'; known engines: ${known.join(', ')}`);
}

/** Run the command line on `argv` (without node and the script); resolves to the exit code. */
export async function run(
  argv: readonly string[],
  engines: readonly EngineInfo[] = BUILTIN_ENGINES,
): Promise<number> {
  const program = buildProgram(engines);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (e) {
    const { text, code } = describeError(e, process.env.PLATO_DEBUG === '1');
    if (text) await writeStream(process.stderr, `${text}\n`);
    return code;
  }
}
