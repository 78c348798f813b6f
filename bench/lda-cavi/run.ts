// bench/lda-cavi: LDA by batch variational Bayes on 20,000 Debian package descriptions
// (V = 5,000, K = 20, alpha = 0.1, eta = 0.01; /work/shared/peers.md §1, `lda_cavi`): Plato's
// `cavi` engine through the public `infer()` beside scikit-learn's LatentDirichletAllocation
// (and gensim's batch LdaModel when Debian's python3-gensim is installed), in one run.
//   plato    infer(model, { data: { V, D, N, w }, engine: 'cavi', iters, tol: 1e-300, seed: 0 }):
//            examples/lda/lda.plato, the documents as the nested token arrays JSON.parse gives
//            (binding 700k tokens is inside the timer); exactly `iters` sweeps, each the λ
//            update and up to 3 rounds of φ, γ updates (cavi's local/global schedule,
//            docs/engines/cavi.md) plus the ELBO;
//   sklearn  LatentDirichletAllocation(learning_method='batch', max_iter=20, same K and priors),
//            whose iteration is an E-step run to convergence per document (≤ 100 inner γ
//            updates) plus the λ update;
//   gensim   LdaModel(update_every=0: batch VB, 5 passes), when importable.
// Metrics: seconds per iteration = a run's wall time / its iterations (Plato's includes binding
// and its set-up; the median sweep alone is printed too), and the training perplexity
// exp(−ELBO / tokens). Like with like: sklearn's `perplexity(X)` (a fresh E-step under the final
// λ, φ optimised out) is applied to sklearn's λ and to Plato's q(β) (= Dir(λ)) by the python
// peer; Plato's own ELBO (its final γ, φ, λ: a lower bound of that) is printed beside it.
// Targets (issue 10): Plato per iteration ≤ 1.0× sklearn; perplexity within 5% of sklearn's.
//
//   bash bench/setup.sh && npx tsx bench/lda-cavi/run.ts [--quick] [--iters 100] [--repeats R] [--wait-quiet]
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
  median,
  OtherLoad,
  PeerServer,
  PYTHON_OPTION,
  ratio,
  SHARED_DATA,
  secs,
  textTable,
  waitIfAsked,
  writeResults,
} from '../lib/index.js';

const { values: opt } = parseArgs({
  options: {
    ...COMMON_OPTIONS,
    iters: { type: 'string' },
    data: { type: 'string' },
    ...PYTHON_OPTION,
  },
});

const HERE = join(BENCH_DIR, 'lda-cavi');
const ROOT = join(BENCH_DIR, '..');
const DATA_DIR = join(SHARED_DATA, 'debian-descriptions');
const K = 20;
const ALPHA = 0.1;
const ETA = 0.01;
/** peers.md §1: sklearn runs 20 iterations, gensim 5 passes */
const SKLEARN_ITERS = 20;
const GENSIM_PASSES = 5;
const TARGET_PER_ITER = 1.0;
const PERPLEXITY_REL = 0.05;
const quick = opt.quick ?? false;
const iters = Number(opt.iters ?? 100);
const repeats = Number(opt.repeats ?? 3);
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Corpus {
  V: number;
  D: number;
  vocab: string[];
  docs: number[][];
}

/** The n largest entries' indices of each row of a [rows, V] array. */
function topWords(lambda: ArrayLike<number>, V: number, vocab: string[], n = 10) {
  const out: string[][] = [];
  for (let k = 0; k < lambda.length / V; k++) {
    const row = Array.from({ length: V }, (_, v) => lambda[k * V + v]);
    const ids = row.map((_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
    out.push(ids.slice(0, n).map((i) => vocab[i]));
  }
  return out;
}

async function main(): Promise<number> {
  const dataPath =
    (opt.data as string | undefined) ?? join(DATA_DIR, quick ? 'corpus-small.json' : 'corpus.json');
  if (!existsSync(dataPath)) {
    log(`lda-cavi: ${dataPath} is absent (it lives in ../shared/data); nothing to run`);
    return 0;
  }
  if (!existsSync(opt.python as string))
    throw new Error(`${opt.python} not found; run: bash bench/setup.sh`);
  await waitIfAsked(opt, log);
  const machine = describeMachine();
  log(`lda-cavi${quick ? ' --quick' : ''}: ${machineLine(machine)}`);
  const c = JSON.parse(readFileSync(dataPath, 'utf8')) as Corpus;
  const tokens = c.docs.reduce((s, d) => s + d.length, 0);

  const { initBackend } = await import('../../src/backend/index.js');
  const { compile, infer } = await import('../../src/index.js');
  const tf = await import('@tensorflow/tfjs');
  await initBackend('wasm');
  const model = compile(readFileSync(join(ROOT, 'examples/lda/lda.plato'), 'utf8'), {
    filename: 'lda.plato',
  });
  const data = {
    K,
    alpha: ALPHA,
    eta: ETA,
    V: c.V,
    D: c.D,
    N: c.docs.map((d) => d.length),
    w: c.docs,
  };

  const { server: peer, hello } = await PeerServer.start(opt.python as string, [
    join(HERE, 'sklearn_lda.py'),
    '--data',
    dataPath,
    '--iters',
    String(SKLEARN_ITERS),
    '--passes',
    String(GENSIM_PASSES),
    '--K',
    String(K),
    '--alpha',
    String(ALPHA),
    '--eta',
    String(ETA),
    '--serve',
  ]);

  const plato = async (): Promise<Measurement> => {
    const before = tf.memory().numTensors;
    const sweepEnds: number[] = [];
    const t0 = performance.now();
    const r = await infer(model, {
      data,
      engine: 'cavi',
      iters,
      tol: 1e-300,
      seed: 0,
      onProgress: (done) => {
        if (done > sweepEnds.length && done <= iters) sweepEnds.push(performance.now());
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const sweeps = sweepEnds.slice(1).map((t, i) => (t - sweepEnds[i]) / 1000);
    const lambda = r.latents.beta.params.alpha.data;
    // scored by the peer with sklearn's perplexity(X), outside the timer
    const rows: number[][] = [];
    for (let k = 0; k < K; k++)
      rows.push(Array.from({ length: c.V }, (_, v) => lambda[k * c.V + v]));
    const scored = await peer.request({ system: 'score', lambda: rows });
    return {
      seconds,
      checks: {
        iterations: r.iterations,
        perplexity: Number(scored.perplexity),
        ownPerplexity: Math.exp(-(r.logEvidence as number) / tokens),
        engineSeconds: r.seconds,
        medianSweep: median(sweeps),
        leakedTensors: tf.memory().numTensors - before,
      },
      extra: {
        top: topWords(lambda, c.V, c.vocab),
        trace: (r.elbo as number[]).map((l) => Math.exp(-l / tokens)),
      },
    };
  };
  const python = (system: string) => async (): Promise<Measurement> => {
    const out = await peer.request({ system });
    return {
      seconds: Number(out.seconds),
      checks: { iterations: Number(out.iterations), perplexity: Number(out.perplexity) },
      extra: { top: out.top },
    };
  };
  const contenders: Contender[] = [
    { name: 'plato', warmup: quick ? 1 : 0, repeats, run: plato },
    { name: 'sklearn', warmup: quick ? 1 : 0, repeats, run: python('sklearn') },
  ];
  if (hello.gensim)
    contenders.push({ name: 'gensim', warmup: 0, repeats: 1, run: python('gensim') });
  const other = new OtherLoad();
  other.start();
  let results: Awaited<ReturnType<typeof interleave>>;
  try {
    results = await interleave(contenders, (name, m, timed) =>
      log(
        `  ${name.padEnd(8)} ${timed ? 'timed ' : 'warmup'} ${secs(m.seconds)}  ${m.checks?.iterations} iterations, perplexity ${m.checks?.perplexity?.toFixed(1)}`,
      ),
    );
  } finally {
    peer.close();
  }
  const otherLoad = other.stop();
  const loadAfter = describeMachine().loadAvg;

  const rows = results.map((r) => {
    const last = r.runs[r.runs.length - 1];
    const iterations = Number(last.checks?.iterations);
    return {
      system: r.name,
      runs: r.runs.length,
      median: r.medianSeconds,
      min: r.minSeconds,
      max: r.maxSeconds,
      iterations,
      perIteration: r.medianSeconds / iterations,
      perplexity: Number(last.checks?.perplexity),
      ownPerplexity: r.name === 'plato' ? Number(last.checks?.ownPerplexity) : null,
      medianSweep:
        r.name === 'plato' ? median(r.runs.map((m) => Number(m.checks?.medianSweep))) : null,
      leaked: Math.max(
        ...[...r.warmupRuns, ...r.runs].map((m) => Number(m.checks?.leakedTensors ?? 0)),
      ),
      top: last.extra?.top as string[][],
    };
  });
  const row = (name: string) => rows.find((r) => r.system === name) as (typeof rows)[number];
  const p = row('plato');
  const sk = row('sklearn');
  const perIterRatio = p.perIteration / sk.perIteration;
  const perplexityRel = (p.perplexity - sk.perplexity) / sk.perplexity;
  const ok = rows.every((r) => r.leaked === 0);

  console.log(
    `\nlda-cavi${quick ? ' (--quick)' : ''}  D=${c.D}, V=${c.V}, tokens=${tokens}, K=${K}, alpha=${ALPHA}, eta=${ETA}`,
  );
  console.log(machineLine(machine));
  console.log(
    `scikit-learn ${String(hello.sklearn)}, gensim ${String(hello.gensim ?? 'not installed')} (python ${String(hello.python)}, ${opt.python}); plato wasm`,
  );
  console.log(
    `other processes' load during the runs: ${otherLoad} cores; loadavg after ${loadAfter.join(' ')}\n`,
  );
  const header = [
    'system',
    'runs',
    'median',
    'min – max',
    'iterations',
    'per iteration',
    '/ sklearn per it.',
    'perplexity (sklearn formula)',
  ];
  const cells = rows.map((r) => [
    r.system,
    `${r.runs}`,
    secs(r.median),
    `${secs(r.min)} – ${secs(r.max)}`,
    `${r.iterations}`,
    secs(r.perIteration),
    ratio(r.perIteration / sk.perIteration),
    r.perplexity.toFixed(1),
  ]);
  console.log(textTable(header, cells));
  console.log('');
  console.log(
    `plato: median sweep ${secs(p.medianSweep as number)} (set-up and binding are the rest of ${secs(p.median)}); its own ELBO's perplexity ${(p.ownPerplexity as number).toFixed(1)} (its γ, φ: a lower bound of the fresh-E-step figure)`,
  );
  console.log(
    `plato per iteration ${secs(p.perIteration)} / sklearn ${secs(sk.perIteration)} = ${ratio(perIterRatio)} ` +
      `(target ≤ ${TARGET_PER_ITER}×: ${perIterRatio <= TARGET_PER_ITER ? 'met' : 'MISSED'})`,
  );
  console.log(
    `plato perplexity ${p.perplexity.toFixed(1)} after ${p.iterations} sweeps vs sklearn ${sk.perplexity.toFixed(1)} after ${sk.iterations} iterations: ` +
      `${(100 * perplexityRel).toFixed(1)}% (target within ${100 * PERPLEXITY_REL}%: ${Math.abs(perplexityRel) <= PERPLEXITY_REL || perplexityRel < 0 ? 'met' : 'MISSED'})`,
  );
  const trace = results.find((r) => r.name === 'plato')?.runs[0].extra?.trace as number[];
  const at = [1, 5, 10, 20, 50, 100, 200, 500].filter((t) => t <= trace.length);
  console.log(
    `plato's own perplexity after t sweeps: ${at.map((t) => `${t}: ${trace[t - 1].toFixed(1)}`).join(', ')}`,
  );
  for (const r of rows) {
    console.log(`\ntop 10 words per topic, ${r.system}:`);
    for (const [k, words] of r.top.entries())
      console.log(`  ${String(k).padStart(2)}  ${words.join(' ')}`);
  }

  const record = {
    workload: 'lda-cavi',
    quick,
    sizes: {
      D: c.D,
      V: c.V,
      tokens,
      K,
      alpha: ALPHA,
      eta: ETA,
      iters,
      sklearnIters: SKLEARN_ITERS,
    },
    machine,
    loadAvgAfter: loadAfter,
    otherLoadCores: otherLoad,
    versions: {
      node: process.version,
      sklearn: hello.sklearn,
      gensim: hello.gensim,
      python: hello.python,
      plato: { backend: 'wasm', commit: machine.gitCommit, dirty: machine.gitDirty },
    },
    systems: results.map((res, i) => ({
      ...rows[i],
      seconds: res.runs.map((m) => m.seconds),
      warmupSeconds: res.warmupRuns.map((m) => m.seconds),
      checks: res.runs.map((m) => m.checks),
    })),
    platoTrace: trace,
    ratios: {
      plato_over_sklearn_per_iteration: perIterRatio,
      perplexity_rel_vs_sklearn: perplexityRel,
    },
    targets: { plato_over_sklearn_per_iteration: TARGET_PER_ITER, perplexity_rel: PERPLEXITY_REL },
  };
  const path = writeResults('lda-cavi', machine.date, record, quick ? '-quick' : '');
  console.log(`\nrecord: ${path}`);
  console.log('\nmarkdown row for docs/benchmarks.md:');
  console.log(
    markdownTable(
      [
        'date (UTC)',
        'commit',
        'load',
        `Plato per it. (${iters} sweeps; median sweep)`,
        'sklearn per it. (20 its)',
        'Plato/sklearn (≤ 1×)',
        'perplexity Plato / sklearn (within 5%)',
      ],
      [
        [
          machine.date,
          machine.gitCommit,
          `${machine.loadAvg[0]} / ${otherLoad}`,
          `${secs(p.perIteration)} (${secs(p.median)}; ${secs(p.medianSweep as number)})`,
          `${secs(sk.perIteration)} (${secs(sk.median)})`,
          `**${ratio(perIterRatio)}** ${perIterRatio <= TARGET_PER_ITER ? 'met' : 'missed'}`,
          `${p.perplexity.toFixed(1)} / ${sk.perplexity.toFixed(1)} (${(100 * perplexityRel).toFixed(1)}%)`,
        ],
      ],
    ),
  );
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(2);
  },
);
