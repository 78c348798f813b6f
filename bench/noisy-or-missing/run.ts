// bench/noisy-or-missing: the noisy-OR triage model (10 diseases, 25 symptoms, a plate of 2,000
// patients) through the public `infer()`, with 0 %, 0.1 % and 10 % of the symptom entries
// missing (issue 7, item 7: a missing leaf symptom sums out to 1 and must not change the
// algorithm used for the other cases).
// Metric: seconds of `infer(model, { data, engine: 'exact' })` (bind, analysis, solve, summary).
//
//   npx tsx bench/noisy-or-missing/run.ts [--quick] [--repeats R] [--N n] [--wait-quiet]
//
// The network and the data are generated here from a fixed seed. Every run is checked against a
// float64 brute-force enumeration of each patient's 2^10 disease states: the disease marginals,
// the predictive P(s = 1) of every missing symptom, and the log evidence.
import { parseArgs } from 'node:util';
import { prng } from '../../test/support/prng.js';
import { TRIAGE } from '../../test/support/triage.js';
import {
  COMMON_OPTIONS,
  type Contender,
  describeMachine,
  interleave,
  type Measurement,
  machineLine,
  markdownTable,
  OtherLoad,
  secs,
  textTable,
  waitIfAsked,
  writeResults,
} from '../lib/index.js';

const { values: opt } = parseArgs({
  options: {
    ...COMMON_OPTIONS,
    N: { type: 'string' },
  },
});
const quick = opt.quick ?? false;
const N = Number(opt.N ?? (quick ? 500 : 2000));
const K = 10;
const M = 25;
const LEAK = 0.01;
const repeats = Number(opt.repeats ?? (quick ? 2 : 5));
const FRACTIONS = [0, 0.001, 0.1];
/** accuracy demanded (float32 tables, float64 Quickscore): marginals, and log Z relative */
const TOL = 1e-5;
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Triage {
  rho: number[];
  W: number[][];
  /** complete symptoms, drawn from the model */
  s: number[][];
}

function generate(seed: number): Triage {
  const r = prng(seed);
  const rho = Array.from({ length: K }, () => 0.02 + 0.1 * r());
  const W = Array.from({ length: K }, () =>
    Array.from({ length: M }, () => (r() < 0.3 ? 0.5 + 2 * r() : 0)),
  );
  const s = Array.from({ length: N }, () => {
    const d = rho.map((p) => (r() < p ? 1 : 0));
    return Array.from({ length: M }, (_, j) => {
      let x = 0;
      for (let k = 0; k < K; k++) x += W[k][j] * d[k];
      return r() < 1 - (1 - LEAK) * Math.exp(-x) ? 1 : 0;
    });
  });
  return { rho, W, s };
}

/** exactly round(fraction · N · M) entries set to null, chosen by a seeded shuffle */
function withMissing(s: number[][], fraction: number, seed: number): (number | null)[][] {
  const out: (number | null)[][] = s.map((row) => [...row]);
  const n = Math.round(fraction * N * M);
  const idx = Array.from({ length: N * M }, (_, i) => i);
  const r = prng(seed);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(r() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
    out[Math.floor(idx[i] / M)][idx[i] % M] = null;
  }
  return out;
}

interface Reference {
  logZ: number;
  /** [N][K] P(d = 1 | s) */
  d: number[][];
  /** [N][M] P(s = 1 | observed s): the observed value, or the predictive of a missing entry */
  s: number[][];
}

/** float64 brute force per patient over the 2^K disease states (missing symptoms sum out) */
function reference(t: Triage, s: (number | null)[][]): Reference {
  const S = 2 ** K;
  const logNeg = new Float64Array(S * M);
  const prior = new Float64Array(S);
  for (let st = 0; st < S; st++) {
    for (let k = 0; k < K; k++) prior[st] += Math.log((st >> k) & 1 ? t.rho[k] : 1 - t.rho[k]);
    for (let j = 0; j < M; j++) {
      let x = 0;
      for (let k = 0; k < K; k++) if ((st >> k) & 1) x += t.W[k][j];
      logNeg[st * M + j] = Math.log1p(-LEAK) - x;
    }
  }
  let logZ = 0;
  const lw = new Float64Array(S);
  const dOut: number[][] = [];
  const sOut: number[][] = [];
  for (const row of s) {
    let max = Number.NEGATIVE_INFINITY;
    for (let st = 0; st < S; st++) {
      let w = prior[st];
      for (let j = 0; j < M; j++) {
        const v = row[j];
        if (v === null) continue;
        const ln = logNeg[st * M + j];
        w += v === 1 ? Math.log(-Math.expm1(ln)) : ln;
      }
      lw[st] = w;
      max = Math.max(max, w);
    }
    let Z = 0;
    const pd = new Array<number>(K).fill(0);
    const ps = new Array<number>(M).fill(0);
    for (let st = 0; st < S; st++) {
      const q = Math.exp(lw[st] - max);
      Z += q;
      for (let k = 0; k < K; k++) if ((st >> k) & 1) pd[k] += q;
      for (let j = 0; j < M; j++) if (row[j] === null) ps[j] += q * -Math.expm1(logNeg[st * M + j]);
    }
    logZ += max + Math.log(Z);
    dOut.push(pd.map((x) => x / Z));
    sOut.push(ps.map((x, j) => (row[j] === null ? x / Z : (row[j] as number))));
  }
  return { logZ, d: dOut, s: sOut };
}

function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => {
    row.forEach((x, j) => {
      m = Math.max(m, Math.abs(x - b[i][j]));
    });
  });
  return m;
}

async function main(): Promise<number> {
  await waitIfAsked(opt, log);
  const machine = describeMachine();
  log(`noisy-or-missing${quick ? ' --quick' : ''} N=${N}: ${machineLine(machine)}`);
  const { compile, infer } = await import('../../src/index.js');
  const tf = await import('@tensorflow/tfjs');
  const model = compile(TRIAGE, { filename: 'triage.plato' });
  const t = generate(1);
  const cases = FRACTIONS.map((fraction, i) => {
    const s = withMissing(t.s, fraction, 100 + i);
    const missing = s.reduce((a, row) => a + row.filter((v) => v === null).length, 0);
    return {
      fraction,
      missing,
      data: { N, K, M, leak: LEAK, rho: t.rho, W: t.W, s },
      ref: reference(t, s),
    };
  });
  const contenders: Contender[] = cases.map((c) => ({
    name: `${(c.fraction * 100).toFixed(1)} %`,
    warmup: 1,
    repeats,
    run: async (): Promise<Measurement> => {
      const before = tf.memory().numTensors;
      const t0 = performance.now();
      const post = await infer(model, { data: c.data, engine: 'exact', seed: 0 });
      const seconds = (performance.now() - t0) / 1000;
      const logZ = post.logEvidence as number;
      return {
        seconds,
        checks: {
          dError: maxDiff(post.latents.d.mean.toJSON() as number[][], c.ref.d),
          // s is reported only when some entry is missing (a latent); observed entries as themselves
          sError:
            c.missing === 0 ? 0 : maxDiff(post.latents.s.mean.toJSON() as number[][], c.ref.s),
          logZError: Math.abs(logZ - c.ref.logZ) / Math.max(1, Math.abs(c.ref.logZ)),
          leakedTensors: tf.memory().numTensors - before,
        },
      };
    },
  }));

  const other = new OtherLoad();
  other.start();
  const results = await interleave(contenders, (name, m, timed) =>
    log(`  ${name.padEnd(8)} ${timed ? 'timed ' : 'warmup'} ${secs(m.seconds)}`),
  );
  const otherLoad = other.stop();
  const loadAfter = describeMachine().loadAvg;

  const rows = results.map((r, i) => {
    const all = [...r.warmupRuns, ...r.runs];
    const worst = (key: string) => Math.max(...all.map((m) => Number(m.checks?.[key] ?? 0)));
    const errs = {
      d: worst('dError'),
      s: worst('sError'),
      logZ: worst('logZError'),
      leaked: worst('leakedTensors'),
    };
    const ok = errs.d <= TOL && errs.s <= TOL && errs.logZ <= TOL && errs.leaked === 0;
    return { name: r.name, missing: cases[i].missing, r, errs, ok };
  });
  console.log(`\nnoisy-or-missing${quick ? ' (--quick)' : ''}  N=${N} patients, K=${K}, M=${M}`);
  console.log(machineLine(machine));
  console.log(
    `other processes' load during the runs: ${otherLoad} cores; loadavg after ${loadAfter.join(' ')}\n`,
  );
  console.log(
    textTable(
      [
        'missing',
        'entries',
        'runs',
        'median',
        'min – max',
        'max |ΔP(d)|',
        'max |ΔP(s)|',
        'rel Δ log Z',
        'checks',
      ],
      rows.map((x) => [
        x.name,
        `${x.missing}`,
        `${x.r.runs.length}`,
        secs(x.r.medianSeconds),
        `${secs(x.r.minSeconds)} – ${secs(x.r.maxSeconds)}`,
        x.errs.d.toExponential(1),
        x.errs.s.toExponential(1),
        x.errs.logZ.toExponential(1),
        x.ok ? 'ok' : 'FAIL',
      ]),
    ),
  );
  const record = {
    workload: 'noisy-or-missing',
    quick,
    sizes: { N, K, M, leak: LEAK },
    machine,
    loadAvgAfter: loadAfter,
    otherLoadCores: otherLoad,
    versions: {
      node: process.version,
      plato: { backend: 'wasm', commit: machine.gitCommit, dirty: machine.gitDirty },
    },
    systems: rows.map((x) => ({
      missingFraction: cases.find((c) => c.missing === x.missing)?.fraction,
      missingEntries: x.missing,
      median: x.r.medianSeconds,
      seconds: x.r.runs.map((m) => m.seconds),
      warmupSeconds: x.r.warmupRuns.map((m) => m.seconds),
      errors: x.errs,
      ok: x.ok,
    })),
  };
  const path = writeResults('noisy-or-missing', machine.date, record, quick ? '-quick' : '');
  console.log(`\nrecord: ${path}`);
  console.log('\nmarkdown row for docs/benchmarks.md:');
  console.log(
    markdownTable(
      ['date (UTC)', 'machine', 'load', 'N', ...rows.map((x) => `${x.name} missing`)],
      [
        [
          machine.date,
          `${machine.nproc}× ${machine.cpuModel}`,
          `${machine.loadAvg[0]} / ${otherLoad}`,
          `${N}`,
          ...rows.map((x) => secs(x.r.medianSeconds)),
        ],
      ],
    ),
  );
  return rows.every((x) => x.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(2);
  },
);
