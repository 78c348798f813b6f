// bench/forward-lda: one ancestral draw of LDA (K=20, V=5000, D=2000, N=100, alpha=0.1,
// eta=0.01), Plato beside hand-vectorised numpy and WebPPL (peers.md, Workload 1).
// Metric: tokens/s = D·N / seconds for one complete draw of beta, theta, z and w; for Plato
// through the public `sample()` a library user calls (its result: typed arrays with shapes).
// Targets (issue "Foundation", Speed): Plato >= 20x WebPPL and >= 0.5x numpy.
//
//   bash bench/setup.sh && npx tsx bench/forward-lda/run.ts [--quick] [--profile]
//   other flags: --repeats R, --webppl-repeats R, --webppl-d D, --no-webppl, --no-plato,
//   --wait-quiet [--wait-minutes M] (first wait up to M=10 minutes for other processes to
//   use < 0.2 cores)
//
// Systems run interleaved (Plato, numpy, WebPPL, Plato, numpy, …) after warm-up; each figure is
// the median of its timed runs. Every draw's sanity statistics are checked against an ensemble
// of independent numpy draws. A record of the run goes to bench/results/forward-lda-<date>.json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BENCH_DIR,
  COMMON_OPTIONS,
  type Contender,
  type ContenderResult,
  describeMachine,
  interleave,
  type Json,
  type Measurement,
  machineLine,
  markdownTable,
  median,
  OtherLoad,
  PeerServer,
  ratio,
  runJson,
  secs,
  si,
  textTable,
  waitIfAsked,
  writeResults,
} from '../lib/index.js';
import { type Checks, judge, type Reference, type Verdict } from './checks.js';
import type { LdaSizes, PlatoLda, ProfileRow } from './plato.js';

const { values: opt } = parseArgs({
  options: {
    ...COMMON_OPTIONS,
    profile: { type: 'boolean', default: false },
    'webppl-repeats': { type: 'string' },
    'webppl-d': { type: 'string' },
    'no-webppl': { type: 'boolean', default: false },
    'no-plato': { type: 'boolean', default: false },
  },
});

const HERE = join(BENCH_DIR, 'forward-lda');
const PYTHON = '/usr/bin/python3';
const NUMPY_SCRIPT = join(HERE, 'numpy_forward_lda.py');
const WPPL_PROGRAM = join(HERE, 'forward_lda.wppl');
const WEBPPL_BIN = join(BENCH_DIR, '.peers', 'node_modules', '.bin', 'webppl');
const WEBPPL_PKG = join(BENCH_DIR, '.peers', 'node_modules', 'webppl', 'package.json');

const TARGET_VS_WEBPPL = 20;
const TARGET_VS_NUMPY = 0.5;
const REFERENCE_DRAWS = 40;

const sizes: LdaSizes = { K: 20, V: 5000, D: 2000, N: 100 };
const quick = opt.quick ?? false;
const repeats = Number(opt.repeats ?? (quick ? 3 : 9));
const webpplRepeats = opt['no-webppl'] ? 0 : Number(opt['webppl-repeats'] ?? (quick ? 1 : 3));
const webpplD = Number(opt['webppl-d'] ?? (quick ? 200 : sizes.D));

const log = (s: string) => process.stderr.write(`${s}\n`);

function sizeArgs(D: number): string[] {
  return ['--K', `${sizes.K}`, '--V', `${sizes.V}`, '--D', `${D}`, '--N', `${sizes.N}`];
}

async function numpyReference(D: number): Promise<Reference> {
  const out = await runJson(PYTHON, [
    NUMPY_SCRIPT,
    ...sizeArgs(D),
    '--reference',
    `${REFERENCE_DRAWS}`,
  ]);
  return out.reference as Reference;
}

function measurementOf(j: Json): Measurement {
  return { seconds: Number(j.seconds), checks: j.checks as Record<string, number> };
}

interface Row {
  readonly system: string;
  readonly variant: string;
  readonly D: number;
  readonly result: ContenderResult;
  readonly verdicts: readonly Verdict[];
  readonly tokensPerSecond: number;
}

async function main(): Promise<number> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found; run: bash bench/setup.sh`);
  if (webpplRepeats > 0 && !existsSync(WEBPPL_BIN))
    throw new Error('WebPPL not installed; run: bash bench/setup.sh');
  await waitIfAsked(opt, log);
  const machine = describeMachine();
  log(`forward-lda${quick ? ' --quick' : ''}: ${machineLine(machine)}`);

  // Reference ensembles for the checks (numpy, untimed), at every size a system draws.
  log(
    `reference: ${REFERENCE_DRAWS} numpy draws at D=${sizes.D}${webpplD !== sizes.D ? ` and D=${webpplD}` : ''}`,
  );
  const refs = new Map<number, Reference>([[sizes.D, await numpyReference(sizes.D)]]);
  if (webpplRepeats > 0 && webpplD !== sizes.D) refs.set(webpplD, await numpyReference(webpplD));

  // Plato, compiled and bound once; a missing piece of the library is reported, not fatal.
  let plato: PlatoLda | undefined;
  let platoMod: typeof import('./plato.js') | undefined;
  let platoError: string | undefined;
  if (!opt['no-plato']) {
    try {
      platoMod = await import('./plato.js');
      plato = await platoMod.setupPlato(sizes);
      log(
        `plato: ${plato.backend}; compile ${secs(plato.compileSeconds)}, bind ${secs(plato.bindSeconds)}`,
      );
    } catch (e) {
      platoError = e instanceof Error ? (e.stack ?? e.message) : String(e);
      log(`plato unavailable: ${platoError}`);
    }
  }

  const { server: numpy, hello } = await PeerServer.start(PYTHON, [
    NUMPY_SCRIPT,
    ...sizeArgs(sizes.D),
    '--serve',
    '--warmup',
    '1',
  ]);
  const webpplVersion = existsSync(WEBPPL_PKG)
    ? (JSON.parse(readFileSync(WEBPPL_PKG, 'utf8')).version as string)
    : null;

  const contenders: Contender[] = [];
  if (plato) {
    const p = plato;
    contenders.push({ name: 'plato', warmup: 2, repeats, run: (i) => p.run(i) });
  }
  contenders.push({
    name: 'numpy',
    warmup: 1,
    repeats,
    run: async (i) => measurementOf(await numpy.request({ seed: i })),
  });
  if (webpplRepeats > 0) {
    contenders.push({
      name: 'webppl',
      warmup: 0,
      repeats: webpplRepeats,
      run: async (i) =>
        measurementOf(
          await runJson(WEBPPL_BIN, [
            WPPL_PROGRAM,
            '--random-seed',
            `${i + 1}`,
            '--',
            ...sizeArgs(webpplD),
          ]),
        ),
    });
  }

  const other = new OtherLoad();
  other.start([numpy.pid]);
  const results = await interleave(contenders, (name, m, timed) =>
    log(`  ${name.padEnd(6)} ${timed ? 'timed ' : 'warmup'} ${secs(m.seconds)}`),
  );
  const otherLoad = other.stop();
  numpy.close();
  const loadAfter = describeMachine().loadAvg;

  const rows: Row[] = results.map((r) => {
    const D = r.name === 'webppl' ? webpplD : sizes.D;
    const ref = refs.get(D)!;
    return {
      system: r.name,
      variant:
        r.name === 'plato'
          ? 'public sample(), wasm'
          : r.name === 'numpy'
            ? 'hand-vectorised'
            : 'discrete (Infer forward)',
      D,
      result: r,
      verdicts: [...r.warmupRuns, ...r.runs].map((m) =>
        judge(m.checks as Partial<Checks>, ref, sizes.K, sizes.V),
      ),
      tokensPerSecond: (D * sizes.N) / r.medianSeconds,
    };
  });
  const rate = (name: string) => rows.find((r) => r.system === name)?.tokensPerSecond ?? Number.NaN;
  const vsWebppl = rate('plato') / rate('webppl');
  const vsNumpy = rate('plato') / rate('numpy');

  // Information beside the comparison: the sampler inside sample(), and where the time goes.
  let inner: number[] = [];
  let profile: { nodes: ProfileRow[]; kernels: ProfileRow[] } | undefined;
  if (plato && platoMod) {
    inner = platoMod.timeInner(plato, quick ? 3 : 5);
    const missed = vsWebppl < TARGET_VS_WEBPPL || vsNumpy < TARGET_VS_NUMPY; // NaN: not measured
    if (opt.profile || missed) {
      log('profiling Plato (per node, then per kernel)…');
      profile = {
        nodes: platoMod.profileNodes(plato, quick ? 3 : 5),
        kernels: await platoMod.kernelProfile(plato),
      };
    }
  }

  // The report.
  const header = [
    'system',
    'variant',
    'tokens',
    'runs',
    'median',
    'min – max',
    'tokens/s',
    'checks',
  ];
  const body = rows.map((r) => [
    r.system,
    r.variant,
    `${r.D * sizes.N} (D=${r.D})`,
    `${r.result.runs.length}`,
    secs(r.result.medianSeconds),
    `${secs(r.result.minSeconds)} – ${secs(r.result.maxSeconds)}`,
    si(r.tokensPerSecond),
    r.verdicts.every((v) => v.ok) ? 'ok' : 'FAIL',
  ]);
  const verdictOf = (x: number, target: number) =>
    Number.isNaN(x) ? 'not measured' : x >= target ? 'met' : 'MISSED';
  console.log(
    `\nforward-lda${quick ? ' (--quick)' : ''}  K=${sizes.K} V=${sizes.V} N=${sizes.N} alpha=0.1 eta=0.01`,
  );
  console.log(machineLine(machine));
  console.log(
    `numpy ${hello.version} (python ${hello.python}); webppl ${webpplVersion ?? '-'}; ` +
      `plato ${plato ? plato.backend : `unavailable`}` +
      (plato ? `; wasm ${JSON.stringify(plato.wasmFlags)}` : ''),
  );
  console.log(
    `other processes' load during the runs: ${otherLoad} cores; loadavg after ${loadAfter.join(' ')}\n`,
  );
  console.log(textTable(header, body));
  console.log('');
  if (plato) {
    console.log(
      `Plato / WebPPL: ${ratio(vsWebppl)}  (target >= ${TARGET_VS_WEBPPL}×: ${verdictOf(vsWebppl, TARGET_VS_WEBPPL)})`,
    );
    console.log(
      `Plato / numpy:  ${ratio(vsNumpy)}  (target >= ${TARGET_VS_NUMPY}×: ${verdictOf(vsNumpy, TARGET_VS_NUMPY)})`,
    );
    console.log(
      `Plato compile ${secs(plato.compileSeconds)}, bind ${secs(plato.bindSeconds)}, ` +
        `inner forwardSample + reading the draws ${secs(median(inner))} (median of ${inner.length})`,
    );
  } else {
    console.log(`Plato not run${platoError ? `: ${platoError.split('\n')[0]}` : ''}`);
  }
  if (profile) {
    console.log("\nWhere Plato's time goes (forwardSample's steps timed one by one, medians):");
    console.log(
      textTable(
        ['part', 'time', 'how'],
        profile.nodes.map((r) => [r.part, secs(r.seconds), r.how]),
      ),
    );
    console.log('\nKernels of one full draw (tf.profile):');
    const top = [...profile.kernels.slice(0, 10), ...profile.kernels.slice(-3)];
    console.log(
      textTable(
        ['kernel', 'time', 'calls'],
        top.map((r) => [r.part, secs(r.seconds), r.how]),
      ),
    );
  }
  for (const r of rows) {
    for (const [i, v] of r.verdicts.entries()) {
      if (!v.ok) console.log(`CHECK FAILED ${r.system} run ${i}: ${v.failures.join('; ')}`);
    }
  }

  const leaked = rows.flatMap((r) => r.result.runs.map((m) => Number(m.extra?.leakedTensors ?? 0)));
  if (leaked.some((x) => x !== 0))
    console.log(`WARNING Plato leaked tensors per draw: ${leaked.join(', ')}`);

  const record = {
    workload: 'forward-lda',
    quick,
    sizes: { ...sizes, alpha: 0.1, eta: 0.01, webpplD },
    machine,
    loadAvgAfter: loadAfter,
    otherLoadCores: otherLoad,
    versions: {
      node: process.version,
      numpy: hello.version,
      python: hello.python,
      webppl: webpplVersion,
      plato: plato
        ? {
            backend: plato.backend,
            wasm: plato.wasmFlags,
            commit: machine.gitCommit,
            dirty: machine.gitDirty,
          }
        : null,
    },
    references: Object.fromEntries(refs),
    systems: rows.map((r) => ({
      system: r.system,
      variant: r.variant,
      D: r.D,
      tokens: r.D * sizes.N,
      seconds: r.result.runs.map((m) => m.seconds),
      warmupSeconds: r.result.warmupRuns.map((m) => m.seconds),
      medianSeconds: r.result.medianSeconds,
      tokensPerSecond: r.tokensPerSecond,
      checks: r.result.runs.map((m) => m.checks),
      extra: r.result.runs.map((m) => m.extra ?? null),
      checksOk: r.verdicts.every((v) => v.ok),
      failures: r.verdicts.flatMap((v) => v.failures),
    })),
    ratios: { platoOverWebppl: vsWebppl, platoOverNumpy: vsNumpy },
    targets: { platoOverWebppl: TARGET_VS_WEBPPL, platoOverNumpy: TARGET_VS_NUMPY },
    plato: plato
      ? {
          compileSeconds: plato.compileSeconds,
          bindSeconds: plato.bindSeconds,
          innerForwardSampleSeconds: inner,
          profile: profile ?? null,
        }
      : { error: platoError ?? 'not run' },
  };
  const path = writeResults('forward-lda', machine.date, record, quick ? '-quick' : '');
  console.log(`\nrecord: ${path}`);
  const rowFor = (name: string) => rows.find((r) => r.system === name);
  console.log('\nmarkdown row for docs/benchmarks.md:');
  console.log(
    markdownTable(
      [
        'date (UTC)',
        'machine',
        'load',
        'Plato tok/s',
        'WebPPL tok/s',
        'numpy tok/s',
        'Plato/WebPPL',
        'Plato/numpy',
      ],
      [
        [
          machine.date,
          `${machine.nproc}× ${machine.cpuModel}`,
          `${machine.loadAvg[0]} / ${otherLoad}`,
          si(rate('plato')),
          `${si(rate('webppl'))}${rowFor('webppl') && webpplD !== sizes.D ? ` (D=${webpplD})` : ''}`,
          si(rate('numpy')),
          ratio(vsWebppl),
          ratio(vsNumpy),
        ],
      ],
    ),
  );
  return rows.every((r) => r.verdicts.every((v) => v.ok)) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(2);
  },
);
