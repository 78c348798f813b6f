// bench/noisy-or: the exact posterior of the 16-disease × 40-symptom noisy-OR network
// (examples/noisy_or, /work/shared/peers.md Workload 2): Plato's `exact` discrete engine beside
// WebPPL's Infer({method: 'enumerate'}) on the same network.
// Metric: seconds for the posterior marginals of every disease (Plato also gives log Z).
// Target (issue 3, Speed): Plato >= 50x faster than WebPPL.
//
//   bash bench/setup.sh && npx tsx bench/noisy-or/run.ts [--quick]
//   other flags: --K k (first k diseases; default 16, --quick 12), --repeats R,
//   --webppl-repeats R, --no-webppl, --wait-quiet [--wait-minutes M]
//
// Plato runs three ways: its default (Quickscore, exponential only in the 6 positive findings),
// and forced to enumerate all 2^K states or to use the min-fill clique tree — the generic
// methods, for a fair view of the vectorised enumeration WebPPL also does. Systems run
// interleaved after warm-up; each figure is a median. Every result is checked against a
// float64 brute-force enumeration (and, at K = 16, the data set's stored answer).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BENCH_DIR,
  COMMON_OPTIONS,
  type Contender,
  describeMachine,
  interleave,
  type Measurement,
  machineLine,
  markdownTable,
  OtherLoad,
  ratio,
  runJson,
  secs,
  textTable,
  waitIfAsked,
  writeResults,
} from '../lib/index.js';

const { values: opt } = parseArgs({
  options: {
    ...COMMON_OPTIONS,
    K: { type: 'string' },
    'webppl-repeats': { type: 'string' },
    'no-webppl': { type: 'boolean', default: false },
  },
});

const HERE = join(BENCH_DIR, 'noisy-or');
const ROOT = join(BENCH_DIR, '..');
const WPPL_PROGRAM = join(HERE, 'noisy_or_enumerate.wppl');
const WEBPPL_BIN = join(BENCH_DIR, '.peers', 'node_modules', '.bin', 'webppl');
const WEBPPL_PKG = join(BENCH_DIR, '.peers', 'node_modules', 'webppl', 'package.json');
const TARGET_VS_WEBPPL = 50;
/** accuracy demanded of every system (issue 3: the data set's marginals and log Z to 1e-5) */
const TOL = 1e-5;

const quick = opt.quick ?? false;
const K = Number(opt.K ?? (quick ? 12 : 16));
const repeats = Number(opt.repeats ?? (quick ? 3 : 7));
const webpplRepeats = opt['no-webppl'] ? 0 : Number(opt['webppl-repeats'] ?? (quick ? 1 : 2));
const log = (s: string) => process.stderr.write(`${s}\n`);

interface NoisyOrData {
  K: number;
  M: number;
  leak: number;
  rho: number[];
  W: number[][];
  s: number[];
}

/** float64 brute force over the 2^K disease states (peers.md: the reference method) */
function exactAnswer(d: NoisyOrData): { logZ: number; marginals: number[] } {
  const n = 2 ** d.K;
  const lw = new Float64Array(n);
  let max = Number.NEGATIVE_INFINITY;
  const logLeak = Math.log1p(-d.leak);
  for (let st = 0; st < n; st++) {
    let w = 0;
    for (let k = 0; k < d.K; k++) w += Math.log((st >> k) & 1 ? d.rho[k] : 1 - d.rho[k]);
    for (let j = 0; j < d.M; j++) {
      let x = 0;
      for (let k = 0; k < d.K; k++) if ((st >> k) & 1) x += d.W[k][j];
      w += d.s[j] ? Math.log(-Math.expm1(logLeak - x)) : logLeak - x;
    }
    lw[st] = w;
    if (w > max) max = w;
  }
  let Z = 0;
  const p = new Array<number>(d.K).fill(0);
  for (let st = 0; st < n; st++) {
    const q = Math.exp(lw[st] - max);
    Z += q;
    for (let k = 0; k < d.K; k++) if ((st >> k) & 1) p[k] += q;
  }
  return { logZ: max + Math.log(Z), marginals: p.map((x) => x / Z) };
}

interface Row {
  readonly system: string;
  readonly variant: string;
  readonly runs: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly marginalError: number;
  readonly logZError: number | null;
  readonly ok: boolean;
}

async function main(): Promise<number> {
  if (webpplRepeats > 0 && !existsSync(WEBPPL_BIN))
    throw new Error('WebPPL not installed; run: bash bench/setup.sh');
  await waitIfAsked(opt, log);
  const machine = describeMachine();
  log(`noisy-or${quick ? ' --quick' : ''} K=${K}: ${machineLine(machine)}`);

  const full = JSON.parse(
    readFileSync(join(ROOT, 'examples/noisy_or/noisy_or.json'), 'utf8'),
  ) as NoisyOrData;
  if (!(K >= 1 && K <= full.K)) throw new Error(`--K must be in 1..${full.K}`);
  const data: NoisyOrData = { ...full, K, rho: full.rho.slice(0, K), W: full.W.slice(0, K) };
  const exact = exactAnswer(data);
  if (K === full.K) {
    const stored = JSON.parse(
      readFileSync(join(ROOT, 'examples/noisy_or/noisy_or-exact.json'), 'utf8'),
    );
    const dz = Math.abs(stored.log_evidence - exact.logZ);
    if (dz > 1e-9)
      throw new Error(`the float64 reference disagrees with the stored answer by ${dz}`);
  }
  log(`reference: float64 enumeration of 2^${K} states, log Z = ${exact.logZ}`);

  // Plato, compiled once; each timed run binds the data afresh (no cached analysis) and infers
  const { initBackend } = await import('../../src/backend/index.js');
  const { compile } = await import('../../src/index.js');
  const { bind } = await import('../../src/graph/bind.js');
  const { runDiscreteWith } = await import('../../src/infer/exact/discrete/index.js');
  await initBackend('wasm');
  const source = readFileSync(join(ROOT, 'examples/noisy_or/noisy_or.plato'), 'utf8');
  const model = compile(source, { filename: 'noisy_or.plato' });
  const tf = await import('@tensorflow/tfjs');

  const platoRun = (method: 'auto' | 'enumerate' | 'cliques') => async (): Promise<Measurement> => {
    const bound = bind(model.graph, data as unknown as Record<string, unknown>);
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const { posterior, methods } = await runDiscreteWith(bound, { seed: 0 }, { method });
    const seconds = (performance.now() - t0) / 1000;
    const p = Array.from(posterior.latents.d.mean.data);
    return {
      seconds,
      checks: {
        marginalError: Math.max(...p.map((x, k) => Math.abs(x - exact.marginals[k]))),
        logZError: Math.abs((posterior.logEvidence as number) - exact.logZ),
        leakedTensors: tf.memory().numTensors - before,
      },
      extra: { methods },
    };
  };
  const contenders: Contender[] = [
    { name: 'plato', warmup: 2, repeats, run: platoRun('auto') },
    { name: 'plato-enumerate', warmup: 1, repeats, run: platoRun('enumerate') },
    { name: 'plato-cliques', warmup: 1, repeats, run: platoRun('cliques') },
  ];
  const json = JSON.stringify(data);
  if (webpplRepeats > 0) {
    contenders.push({
      name: 'webppl',
      warmup: 0,
      repeats: webpplRepeats,
      run: async () => {
        const out = await runJson(WEBPPL_BIN, [WPPL_PROGRAM, '--', '--data', json, '--K', `${K}`]);
        const p = out.marginals as number[];
        return {
          seconds: Number(out.seconds),
          checks: { marginalError: Math.max(...p.map((x, k) => Math.abs(x - exact.marginals[k]))) },
        };
      },
    });
  }
  const webpplVersion = existsSync(WEBPPL_PKG)
    ? (JSON.parse(readFileSync(WEBPPL_PKG, 'utf8')).version as string)
    : null;

  const other = new OtherLoad();
  other.start();
  const results = await interleave(contenders, (name, m, timed) =>
    log(`  ${name.padEnd(16)} ${timed ? 'timed ' : 'warmup'} ${secs(m.seconds)}`),
  );
  const otherLoad = other.stop();
  const loadAfter = describeMachine().loadAvg;

  const variants: Record<string, string> = {
    plato: 'exact (default: Quickscore)',
    'plato-enumerate': 'exact, forced enumeration',
    'plato-cliques': 'exact, forced clique tree',
    webppl: 'Infer enumerate',
  };
  const rows: Row[] = results.map((r) => {
    const all = [...r.warmupRuns, ...r.runs];
    const worst = (key: string) => Math.max(...all.map((m) => Number(m.checks?.[key] ?? 0)));
    const marginalError = worst('marginalError');
    const logZError = r.name === 'webppl' ? null : worst('logZError');
    const leaked = worst('leakedTensors');
    return {
      system: r.name,
      variant: variants[r.name] ?? r.name,
      runs: r.runs.length,
      median: r.medianSeconds,
      min: r.minSeconds,
      max: r.maxSeconds,
      marginalError,
      logZError,
      ok: marginalError <= TOL && (logZError === null || logZError <= TOL) && leaked === 0,
    };
  });
  const seconds = (name: string) => rows.find((r) => r.system === name)?.median ?? Number.NaN;
  const webppl = seconds('webppl');

  console.log(
    `\nnoisy-or${quick ? ' (--quick)' : ''}  K=${K} diseases, M=${data.M} symptoms, leak=${data.leak}`,
  );
  console.log(machineLine(machine));
  console.log(`webppl ${webpplVersion ?? '-'}; plato wasm`);
  console.log(
    `other processes' load during the runs: ${otherLoad} cores; loadavg after ${loadAfter.join(' ')}\n`,
  );
  console.log(
    textTable(
      [
        'system',
        'variant',
        'runs',
        'median',
        'min – max',
        'WebPPL / it',
        'max |ΔP|',
        '|Δ log Z|',
        'checks',
      ],
      rows.map((r) => [
        r.system,
        r.variant,
        `${r.runs}`,
        secs(r.median),
        `${secs(r.min)} – ${secs(r.max)}`,
        r.system === 'webppl' ? '' : ratio(webppl / r.median),
        r.marginalError.toExponential(1),
        r.logZError === null ? '-' : r.logZError.toExponential(1),
        r.ok ? 'ok' : 'FAIL',
      ]),
    ),
  );
  const speedup = webppl / seconds('plato');
  if (webpplRepeats > 0) {
    console.log(
      `\nPlato (default) is ${ratio(speedup)} faster than WebPPL (target >= ${TARGET_VS_WEBPPL}×: ${speedup >= TARGET_VS_WEBPPL ? 'met' : 'MISSED'}); ` +
        `forced enumeration ${ratio(webppl / seconds('plato-enumerate'))}, clique tree ${ratio(webppl / seconds('plato-cliques'))}`,
    );
  }

  const record = {
    workload: 'noisy-or',
    quick,
    sizes: { K, M: data.M, leak: data.leak },
    machine,
    loadAvgAfter: loadAfter,
    otherLoadCores: otherLoad,
    versions: {
      node: process.version,
      webppl: webpplVersion,
      plato: { backend: 'wasm', commit: machine.gitCommit, dirty: machine.gitDirty },
    },
    reference: exact,
    systems: results.map((r, i) => ({
      ...rows[i],
      seconds: r.runs.map((m) => m.seconds),
      warmupSeconds: r.warmupRuns.map((m) => m.seconds),
      checks: r.runs.map((m) => m.checks),
      extra: r.runs.map((m) => m.extra ?? null),
    })),
    ratios: {
      webppl_over_plato: speedup,
      webppl_over_plato_enumerate: webppl / seconds('plato-enumerate'),
      webppl_over_plato_cliques: webppl / seconds('plato-cliques'),
    },
    targets: { webppl_over_plato: TARGET_VS_WEBPPL },
  };
  const path = writeResults('noisy-or', machine.date, record, quick ? '-quick' : '');
  console.log(`\nrecord: ${path}`);
  console.log('\nmarkdown row for docs/benchmarks.md:');
  console.log(
    markdownTable(
      [
        'date (UTC)',
        'machine',
        'load',
        'K',
        'Plato',
        'Plato enumerate',
        'WebPPL',
        'WebPPL/Plato',
        'WebPPL/Plato enumerate',
      ],
      [
        [
          machine.date,
          `${machine.nproc}× ${machine.cpuModel}`,
          `${machine.loadAvg[0]} / ${otherLoad}`,
          `${K}`,
          secs(seconds('plato')),
          secs(seconds('plato-enumerate')),
          secs(webppl),
          ratio(speedup),
          ratio(webppl / seconds('plato-enumerate')),
        ],
      ],
    ),
  );
  return rows.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(2);
  },
);
