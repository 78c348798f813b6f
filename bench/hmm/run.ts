// bench/hmm: exact forward–backward on a 4-state Gaussian HMM, 1,000 sequences of 200 steps
// (/work/shared/peers.md workload 7, `hmm_fb`): Plato's `exact` engine through the public
// `infer()` beside a vectorised float64 numpy forward–backward (numpy_fb.py, /usr/bin/python3,
// kept warm as a server), interleaved run by run (bench/lib). Target (issue 13): ≥ 0.5× numpy's
// speed, i.e. Plato's median time ≤ 2× numpy's; log evidence within 1e-4 relative of the float64
// value stored with the data; the first and last marginals within 1e-4 of numpy's.
//
//   bash bench/setup.sh && npm run bench:hmm -- [--quick] [--repeats R] [--data FILE] [--wait-quiet]
//
// Plato's time is `infer()`'s wall time as a library user calls it (binding the data, evaluating
// the emissions and transitions, the recursions and the result included); numpy's is its
// forward–backward on arrays already in memory.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BENCH_DIR,
  COMMON_OPTIONS,
  type Contender,
  describeMachine,
  interleave,
  machineLine,
  markdownTable,
  OtherLoad,
  PeerServer,
  peerOptions,
  ratio,
  secs,
  si,
  textTable,
  waitIfAsked,
  writeResults,
} from '../lib/index.js';

const { values: opt } = parseArgs({
  options: {
    ...COMMON_OPTIONS,
    ...peerOptions('hmm/hmm-1000x200.json'),
  },
});
const HERE = join(BENCH_DIR, 'hmm');
/** Plato's time / numpy's (issue 13: ≥ 0.5× numpy's speed) */
const TARGET = 2;
const LOGZ_TOL = 1e-4;
const MARGINAL_TOL = 1e-4;
const quick = opt.quick ?? false;
const repeats = Number(opt.repeats ?? (quick ? 3 : 9));
const log = (s: string) => process.stderr.write(`${s}\n`);

interface HmmData {
  S: number;
  M: number;
  T: number;
  y: number[][];
  log_evidence: number;
}

async function main(): Promise<number> {
  const dataPath = opt.data as string;
  if (!existsSync(dataPath)) {
    log(`hmm: ${dataPath} is absent (it lives in ../shared/data/hmm); nothing to run`);
    return 0;
  }
  if (!existsSync(opt.python as string))
    throw new Error(`${opt.python} not found; run: bash bench/setup.sh`);
  await waitIfAsked(opt, log);
  const machine = describeMachine();
  log(`hmm${quick ? ' --quick' : ''}: ${machineLine(machine)}`);
  const d = JSON.parse(readFileSync(dataPath, 'utf8')) as HmmData;
  const { compile, infer } = await import('../../src/index.js');
  const tf = await import('@tensorflow/tfjs');
  const model = compile(readFileSync(join(HERE, 'hmm.plato'), 'utf8'), { filename: 'hmm.plato' });
  const { S, M, T } = d;
  // the marginals numpy reports: the first step of the first sequence, the last of the last
  let first: number[] = [];
  let last: number[] = [];
  const plato: Contender = {
    name: 'plato exact',
    warmup: 1,
    repeats,
    run: async () => {
      const before = tf.memory().numTensors;
      const t0 = performance.now();
      const post = await infer(model, { data: d as never, engine: 'exact' });
      const seconds = (performance.now() - t0) / 1000;
      const p = post.latents.z!.params.p!.data;
      first = Array.from(p.subarray(0, S));
      last = Array.from(p.subarray((M * T - 1) * S));
      const logZ = post.logEvidence ?? Number.NaN;
      return {
        seconds,
        checks: {
          logEvidence: logZ,
          logEvidenceRelError: Math.abs(logZ - d.log_evidence) / Math.abs(d.log_evidence),
          leakedTensors: tf.memory().numTensors - before,
        },
      };
    },
  };
  const { server: numpy, hello } = await PeerServer.start(opt.python as string, [
    join(HERE, 'numpy_fb.py'),
    dataPath,
    '--serve',
  ]);
  let marginalError = 0;
  const peer: Contender = {
    name: 'numpy fb',
    warmup: 0,
    repeats,
    run: async () => {
      const out = await numpy.request({ run: true });
      const logZ = Number(out.log_evidence);
      const diff = (a: number[], b: number[]) =>
        Math.max(...a.map((x, i) => Math.abs(x - (b[i] ?? Number.NaN))));
      marginalError = Math.max(
        diff(out.first as number[], first),
        diff(out.last as number[], last),
      );
      return {
        seconds: Number(out.seconds),
        checks: {
          logEvidence: logZ,
          logEvidenceRelError: Math.abs(logZ - d.log_evidence) / Math.abs(d.log_evidence),
        },
      };
    },
  };
  const other = new OtherLoad();
  other.start([numpy.pid]);
  let results: Awaited<ReturnType<typeof interleave>>;
  try {
    results = await interleave([plato, peer], (name, m, timed) =>
      log(`  ${name.padEnd(12)} ${timed ? 'timed ' : 'warmup'} ${secs(m.seconds)}`),
    );
  } finally {
    numpy.close();
  }
  const otherLoad = other.stop();
  const worst = (i: number, key: string) =>
    Math.max(...results[i]!.runs.map((m) => Number(m.checks?.[key] ?? 0)));
  const tp = results[0]!.medianSeconds;
  const tn = results[1]!.medianSeconds;
  const steps = M * T;
  const header = [
    'system',
    'runs',
    'median',
    'min – max',
    'steps/s',
    'time / numpy',
    'log Z',
    'rel err log Z',
  ];
  const cells = results.map((r, i) => [
    r.name,
    `${r.runs.length}`,
    secs(r.medianSeconds),
    `${secs(r.minSeconds)} – ${secs(r.maxSeconds)}`,
    si(steps / r.medianSeconds),
    ratio(r.medianSeconds / tn),
    Number(r.runs[r.runs.length - 1]?.checks?.logEvidence).toFixed(4),
    worst(i, 'logEvidenceRelError').toExponential(1),
  ]);
  const leaked = worst(0, 'leakedTensors');
  const logZOk = worst(0, 'logEvidenceRelError') <= LOGZ_TOL;
  const margOk = marginalError <= MARGINAL_TOL;
  console.log(`\nhmm${quick ? ' (--quick)' : ''}: ${S} states, ${M} sequences × ${T} steps`);
  console.log(machineLine(machine));
  console.log(`numpy ${String(hello.version)} (python ${String(hello.python)}); plato wasm`);
  console.log(`other processes' load during the runs: ${otherLoad} cores\n`);
  console.log(textTable(header, cells));
  console.log(
    `\nplato / numpy time: ${ratio(tp / tn)} = ${ratio(tn / tp)} numpy's speed (target time ≤ ${TARGET}×: ${tp / tn <= TARGET ? 'met' : 'MISSED'})`,
  );
  console.log(
    `log evidence within ${LOGZ_TOL} relative: ${logZOk ? 'yes' : 'NO'}; marginals within ${MARGINAL_TOL} of numpy's: ${margOk ? 'yes' : 'NO'} (${marginalError.toExponential(1)}); tensors leaked: ${leaked}`,
  );
  const record = {
    workload: 'hmm',
    quick,
    sizes: { S, M, T },
    machine,
    otherLoadCores: otherLoad,
    versions: {
      node: process.version,
      numpy: hello.version,
      python: hello.python,
      plato: { backend: 'wasm', commit: machine.gitCommit, dirty: machine.gitDirty },
    },
    systems: results.map((r) => ({
      name: r.name,
      median: r.medianSeconds,
      min: r.minSeconds,
      max: r.maxSeconds,
      seconds: r.runs.map((m) => m.seconds),
      checks: r.runs.map((m) => m.checks),
    })),
    ratio: { plato_over_numpy: tp / tn },
    marginalError,
    targets: {
      plato_over_numpy: TARGET,
      logEvidenceRelError: LOGZ_TOL,
      marginalError: MARGINAL_TOL,
    },
  };
  const path = writeResults('hmm', machine.date, record, quick ? '-quick' : '');
  console.log(`\nrecord: ${path}`);
  console.log('\nmarkdown for docs/benchmarks.md:');
  console.log(markdownTable(header, cells));
  return logZOk && margOk && leaked === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(2);
  },
);
