// bench/bgmm-cavi: a variational Bayesian Gaussian mixture on 100,000 points in 8 dimensions,
// K = 10 (/work/shared/peers.md §3, `bgmm_cavi`): Plato's `cavi` engine through the public
// `infer()` beside scikit-learn's BayesianGaussianMixture, in one run. peers.md's peer is the
// full-covariance (Wishart) model; cavi fits Gamma precisions per dimension (mean-field), so
// the peer here is sklearn with covariance_type='diag', whose per-iteration cost is the
// comparable one.
//   plato    infer(model, { data, engine: 'cavi', iters: 20, tol: 1e-300, seed: 0 }) on
//            bench/bgmm-cavi/bgmm_diag.plato; x as the nested arrays JSON.parse gives (binding
//            800k numbers is inside the timer); random responsibilities to start;
//   sklearn  BayesianGaussianMixture(n_components=10, covariance_type='diag',
//            weight_concentration_prior_type='dirichlet_distribution', max_iter=20, tol=0,
//            random_state=0): k-means start (timed alone and subtracted, as peers.md does).
// The priors, sklearn's defaults read as independent factors (sklearn couples the mean's
// precision to the component's: μ_kj | λ_kj ~ N(m0_j, 1 / (β0 λ_kj)), λ_kj ~ Gamma(ν0/2, rate
// v_j / 2), with m0 = column means, v = column variances (ddof 1), β0 = 1, ν0 = D):
//   weights ~ Dirichlet(1/K), mu[k, j] ~ Normal(m0_j, sd sqrt(v_j / (β0 ν0))) (the prior sd at
//   λ's prior mean ν0 / v_j), tau[k, j] ~ Gamma(ν0 / 2, v_j / 2).
// So the two fit slightly different models: the quality figure printed is each fit's plug-in
// average log-likelihood of x at its posterior means (weights, means, variances 1 / E[τ]),
// computed by the python peer for both.
// Metric: seconds per iteration, like for like, two ways (both printed):
//   steady  (wall − start) / iterations for both: Plato's start is binding + set-up until its
//           first sweep begins (the engine reports progress 0 there), sklearn's the k-means start
//           and first M-step (`_initialize_parameters`, timed alone, best of 3); both walls keep
//           their final pass (Plato's summaries, sklearn's last E-step);
//   whole   wall / iterations for both, each start included.
// Plato's median sweep is printed too. Target (issue 10): Plato per iteration ≤ 1.0× sklearn
// (the steady figure; the whole one is reported beside it).
//
//   bash bench/setup.sh && npx tsx bench/bgmm-cavi/run.ts [--quick] [--iters 20] [--repeats R] [--wait-quiet]
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
  peerOptions,
  ratio,
  secs,
  textTable,
  waitIfAsked,
  writeResults,
} from '../lib/index.js';

const { values: opt } = parseArgs({
  options: {
    ...COMMON_OPTIONS,
    iters: { type: 'string' },
    ...peerOptions('gmm/gmm-100k.json'),
  },
});

const HERE = join(BENCH_DIR, 'bgmm-cavi');
const TARGET_PER_ITER = 1.0;
const quick = opt.quick ?? false;
const iters = Number(opt.iters ?? 20);
const repeats = Number(opt.repeats ?? (quick ? 3 : 5));
const log = (s: string) => process.stderr.write(`${s}\n`);

interface GmmData {
  N: number;
  D: number;
  K: number;
  x: number[][];
}

async function main(): Promise<number> {
  const dataPath = opt.data as string;
  if (!existsSync(dataPath)) {
    log(`bgmm-cavi: ${dataPath} is absent (it lives in ../shared/data/gmm); nothing to run`);
    return 0;
  }
  if (!existsSync(opt.python as string))
    throw new Error(`${opt.python} not found; run: bash bench/setup.sh`);
  await waitIfAsked(opt, log);
  const machine = describeMachine();
  log(`bgmm-cavi${quick ? ' --quick' : ''}: ${machineLine(machine)}`);
  const d = JSON.parse(readFileSync(dataPath, 'utf8')) as GmmData;

  const { server: peer, hello } = await PeerServer.start(opt.python as string, [
    join(HERE, 'sklearn_bgmm.py'),
    '--data',
    dataPath,
    '--iters',
    String(iters),
    '--serve',
  ]);
  const hyper = hello.hyper as { m0: number[]; var: number[] };
  const nu0 = d.D;
  const beta0 = 1;

  const { initBackend } = await import('../../src/backend/index.js');
  const { compile, infer } = await import('../../src/index.js');
  const tf = await import('@tensorflow/tfjs');
  await initBackend('wasm');
  const model = compile(readFileSync(join(HERE, 'bgmm_diag.plato'), 'utf8'), {
    filename: 'bgmm_diag.plato',
  });
  const data = {
    N: d.N,
    D: d.D,
    K: d.K,
    alpha: 1 / d.K,
    nu0,
    m0: hyper.m0,
    s0: hyper.var.map((v) => Math.sqrt(v / (beta0 * nu0))),
    r0: hyper.var.map((v) => v / 2),
    x: d.x,
  };

  const plato = async (): Promise<Measurement> => {
    const before = tf.memory().numTensors;
    const ends: number[] = [];
    let started = 0;
    const t0 = performance.now();
    const r = await infer(model, {
      data,
      engine: 'cavi',
      iters,
      tol: 1e-300,
      seed: 0,
      onProgress: (done) => {
        if (done === 0) started = performance.now();
        else if (done > ends.length && done <= iters) ends.push(performance.now());
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const sweeps = ends.slice(1).map((t, i) => (t - ends[i]) / 1000);
    const tauMean = r.latents.tau.mean.data;
    const scored = await peer.request({
      system: 'plugin',
      weights: Array.from(r.latents.weights.mean.data),
      means: Array.from({ length: d.K }, (_, k) =>
        Array.from({ length: d.D }, (_, j) => r.latents.mu.mean.data[k * d.D + j]),
      ),
      variances: Array.from({ length: d.K }, (_, k) =>
        Array.from({ length: d.D }, (_, j) => 1 / tauMean[k * d.D + j]),
      ),
    });
    return {
      seconds,
      checks: {
        iterations: r.iterations,
        avgLoglik: Number(scored.avg_loglik),
        elboPerPoint: (r.logEvidence as number) / d.N,
        medianSweep: median(sweeps),
        startSeconds: (started - t0) / 1000,
        leakedTensors: tf.memory().numTensors - before,
      },
    };
  };
  const sklearn = async (): Promise<Measurement> => {
    const out = await peer.request({ system: 'sklearn' });
    const init = Number(out.init_seconds);
    return {
      seconds: Number(out.seconds),
      checks: {
        iterations: Number(out.iterations),
        avgLoglik: Number(out.avg_loglik),
        initSeconds: init,
      },
    };
  };
  const contenders: Contender[] = [
    { name: 'plato', warmup: 1, repeats, run: plato },
    { name: 'sklearn', warmup: 1, repeats, run: sklearn },
  ];
  const other = new OtherLoad();
  other.start();
  let results: Awaited<ReturnType<typeof interleave>>;
  try {
    results = await interleave(contenders, (name, m, timed) =>
      log(
        `  ${name.padEnd(8)} ${timed ? 'timed ' : 'warmup'} ${secs(m.seconds)}  ${m.checks?.iterations} iterations`,
      ),
    );
  } finally {
    peer.close();
  }
  const otherLoad = other.stop();
  const loadAfter = describeMachine().loadAvg;

  const rows = results.map((r) => {
    const last = r.runs[r.runs.length - 1].checks ?? {};
    const iterations = Number(last.iterations);
    // each system's start: sklearn's k-means + first M-step (timed alone), Plato's set-up
    const init =
      r.name === 'sklearn'
        ? Number(last.initSeconds)
        : median(r.runs.map((m) => Number(m.checks?.startSeconds)));
    return {
      system: r.name,
      runs: r.runs.length,
      median: r.medianSeconds,
      min: r.minSeconds,
      max: r.maxSeconds,
      iterations,
      init,
      perIteration: (r.medianSeconds - init) / iterations,
      wholePerIteration: r.medianSeconds / iterations,
      avgLoglik: Number(last.avgLoglik),
      elboPerPoint: r.name === 'plato' ? Number(last.elboPerPoint) : null,
      medianSweep:
        r.name === 'plato' ? median(r.runs.map((m) => Number(m.checks?.medianSweep))) : null,
      leaked: Math.max(
        ...[...r.warmupRuns, ...r.runs].map((m) => Number(m.checks?.leakedTensors ?? 0)),
      ),
    };
  });
  const p = rows.find((r) => r.system === 'plato') as (typeof rows)[number];
  const sk = rows.find((r) => r.system === 'sklearn') as (typeof rows)[number];
  const perIterRatio = p.perIteration / sk.perIteration;
  const wholeRatio = p.wholePerIteration / sk.wholePerIteration;
  const ok = rows.every((r) => r.leaked === 0);

  console.log(`\nbgmm-cavi${quick ? ' (--quick)' : ''}  N=${d.N}, D=${d.D}, K=${d.K}, diagonal`);
  console.log(machineLine(machine));
  console.log(
    `scikit-learn ${String(hello.sklearn)} (python ${String(hello.python)}, ${opt.python}); plato wasm`,
  );
  console.log(
    `other processes' load during the runs: ${otherLoad} cores; loadavg after ${loadAfter.join(' ')}\n`,
  );
  console.log(
    textTable(
      [
        'system',
        'runs',
        'median',
        'min – max',
        'iterations',
        'start',
        'per it. (steady)',
        '/ sklearn',
        'per it. (whole)',
        '/ sklearn',
        'plug-in avg log-lik',
      ],
      rows.map((r) => [
        r.system,
        `${r.runs}`,
        secs(r.median),
        `${secs(r.min)} – ${secs(r.max)}`,
        `${r.iterations}`,
        secs(r.init),
        secs(r.perIteration),
        ratio(r.perIteration / sk.perIteration),
        secs(r.wholePerIteration),
        ratio(r.wholePerIteration / sk.wholePerIteration),
        r.avgLoglik.toFixed(4),
      ]),
    ),
  );
  console.log('');
  console.log(
    `plato: median sweep ${secs(p.medianSweep as number)}; ELBO per point ${(p.elboPerPoint as number).toFixed(4)}`,
  );
  console.log(
    `per iteration, like for like: steady = (wall − start) / iterations for both (start: Plato's binding + set-up ${secs(p.init)}, ` +
      `sklearn's k-means + first M-step ${secs(sk.init)}); whole = wall / iterations for both, start included`,
  );
  console.log(
    `plato per iteration (steady) ${secs(p.perIteration)} / sklearn ${secs(sk.perIteration)} = ${ratio(perIterRatio)} ` +
      `(target ≤ ${TARGET_PER_ITER}×: ${perIterRatio <= TARGET_PER_ITER ? 'met' : 'MISSED'}); ` +
      `whole ${secs(p.wholePerIteration)} / ${secs(sk.wholePerIteration)} = ${ratio(wholeRatio)}`,
  );

  const record = {
    workload: 'bgmm-cavi',
    quick,
    sizes: { N: d.N, D: d.D, K: d.K, iters },
    priors: { alpha: 1 / d.K, nu0, beta0, m0: hyper.m0, var: hyper.var },
    machine,
    loadAvgAfter: loadAfter,
    otherLoadCores: otherLoad,
    versions: {
      node: process.version,
      sklearn: hello.sklearn,
      python: hello.python,
      plato: { backend: 'wasm', commit: machine.gitCommit, dirty: machine.gitDirty },
    },
    systems: results.map((res, i) => ({
      ...rows[i],
      seconds: res.runs.map((m) => m.seconds),
      warmupSeconds: res.warmupRuns.map((m) => m.seconds),
      checks: res.runs.map((m) => m.checks),
    })),
    ratios: {
      plato_over_sklearn_per_iteration: perIterRatio,
      plato_over_sklearn_whole_per_iteration: wholeRatio,
    },
    perIterationDefinition:
      'steady: (wall − start) / iterations for both (Plato start: binding + set-up until its first sweep; sklearn start: k-means + first M-step, timed alone); whole: wall / iterations for both',
    targets: { plato_over_sklearn_per_iteration: TARGET_PER_ITER },
  };
  const path = writeResults('bgmm-cavi', machine.date, record, quick ? '-quick' : '');
  console.log(`\nrecord: ${path}`);
  console.log('\nmarkdown row for docs/benchmarks.md:');
  console.log(
    markdownTable(
      [
        'date (UTC)',
        'commit',
        'load',
        `Plato per it. steady (${iters} sweeps; median sweep)`,
        'sklearn diag per it. steady',
        'Plato/sklearn steady (≤ 1×); whole',
        'plug-in avg log-lik Plato / sklearn',
      ],
      [
        [
          machine.date,
          machine.gitCommit,
          `${machine.loadAvg[0]} / ${otherLoad}`,
          `${secs(p.perIteration)} (${secs(p.median)}; ${secs(p.medianSweep as number)})`,
          `${secs(sk.perIteration)} (${secs(sk.median)})`,
          `**${ratio(perIterRatio)}** ${perIterRatio <= TARGET_PER_ITER ? 'met' : 'missed'}; ${ratio(wholeRatio)}`,
          `${p.avgLoglik.toFixed(4)} / ${sk.avgLoglik.toFixed(4)}`,
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
