// bench/gmm-em: EM for a full-covariance Gaussian mixture, N = 100,000, D = 8, K = 10
// (/work/shared/peers.md §2, `gmm_em`): Plato's `em` engine through the public `infer()` beside
// scikit-learn's GaussianMixture (Debian's python3-sklearn under /usr/bin/python3), in one run.
// Model: examples/gmm/gmm.plato with K = 10 (pi and Sigma start from their declared defaults,
// mu from k-means). Metric: seconds per EM iteration with exactly 20 iterations (tol = 0), and
// the final average log-likelihood mean_n log Σ_k π_k N(x_n; μ_k, Σ_k); also the converged runs
// (Plato's default tol 1e-6 relative; sklearn's tol 1e-6 on the mean log-likelihood).
// Target (issue 9, Speed): per-iteration time ≤ 1.0× scikit-learn's, the final average
// log-likelihood within 0.1 % of scikit-learn's.
//
//   bash bench/setup.sh && npx tsx bench/gmm-em/run.ts [--quick] [--repeats R] [--wait-quiet]
//
// Timing. Plato: `infer(model, { data: { N, D, K, x }, engine: 'em', iters: 20, tol: 0 })` with x
// as the nested arrays JSON.parse gives, timed as a library user calls it (binding the data, the
// k-means initialisation, the first E-step and the result included in the wall time). Its
// per-iteration time comes from the `onProgress` callback, called after each iteration (M-step
// and E-step): per_iter = (t_last − t_first) / (iters − 1), and init = wall − iters · per_iter,
// so that per_iter = (wall − init) / iters as for sklearn. sklearn: `fit`, with its k-means
// initialisation timed on its own (sklearn_gmm.py) and per_iter = (wall − init) / n_iter_.
// Checks: Plato's reported log-likelihood equals an independent float64 computation at its
// returned params (Cholesky per component, written here), no tensor is leaked, and both
// systems' final average log-likelihoods agree within 0.1 %.
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
    ...peerOptions('gmm/gmm-100k.json'),
    'no-converged': { type: 'boolean', default: false },
  },
});

const HERE = join(BENCH_DIR, 'gmm-em');
const ROOT = join(BENCH_DIR, '..');
const ITERS = 20;
/** per-iteration time / sklearn's (issue 9) */
const TARGET_RATIO = 1.0;
/** |ℓ_Plato − ℓ_sklearn| / |ℓ_sklearn| of the final average log-likelihoods (issue 9) */
const TARGET_LL = 1e-3;
/**
 * Plato's reported ℓ against the float64 recomputation at its params: the E-step's tables are
 * float32, each log term off by a few ulp of its size (~12 nats here), the sum float64.
 */
const CHECK_LL = 1e-5;
const quick = opt.quick ?? false;
const repeats = Number(opt.repeats ?? (quick ? 2 : 5));
const log = (s: string) => process.stderr.write(`${s}\n`);

interface GmmData {
  N: number;
  D: number;
  K: number;
  x: number[][];
  true_params_avg_loglik: number;
}

/**
 * mean_n log Σ_k π_k N(x_n; μ_k, Σ_k) in float64: Cholesky of each Σ_k, forward substitution
 * per case, log-sum-exp over the components.
 */
function avgLogLik(
  x: readonly number[][],
  pi: ArrayLike<number>,
  mu: ArrayLike<number>,
  Sigma: ArrayLike<number>,
  K: number,
  D: number,
): number {
  const chol: Float64Array[] = [];
  const logNorm: number[] = [];
  for (let k = 0; k < K; k++) {
    const L = new Float64Array(D * D);
    let logDet = 0;
    for (let j = 0; j < D; j++) {
      for (let i = j; i < D; i++) {
        let s = Sigma[k * D * D + i * D + j];
        for (let p = 0; p < j; p++) s -= L[i * D + p] * L[j * D + p];
        if (i === j) {
          if (!(s > 0)) throw new Error(`Sigma[${k}] is not positive definite`);
          L[j * D + j] = Math.sqrt(s);
          logDet += Math.log(s);
        } else L[i * D + j] = s / L[j * D + j];
      }
    }
    chol.push(L);
    logNorm.push(Math.log(pi[k]) - 0.5 * logDet - 0.5 * D * Math.log(2 * Math.PI));
  }
  const w = new Float64Array(D);
  const terms = new Float64Array(K);
  let total = 0;
  for (const xi of x) {
    let m = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      const L = chol[k];
      let maha = 0;
      for (let i = 0; i < D; i++) {
        let s = xi[i] - mu[k * D + i];
        for (let p = 0; p < i; p++) s -= L[i * D + p] * w[p];
        w[i] = s / L[i * D + i];
        maha += w[i] * w[i];
      }
      terms[k] = logNorm[k] - 0.5 * maha;
      if (terms[k] > m) m = terms[k];
    }
    let z = 0;
    for (let k = 0; k < K; k++) z += Math.exp(terms[k] - m);
    total += m + Math.log(z);
  }
  return total / x.length;
}

interface Row {
  readonly system: string;
  readonly variant: string;
  readonly runs: number;
  readonly perIter: number;
  readonly init: number;
  readonly wall: number;
  readonly iterations: number;
  readonly avgLogLik: number;
  readonly checkError: number | null;
  readonly ok: boolean;
}

async function main(): Promise<number> {
  const dataPath = opt.data as string;
  if (!existsSync(dataPath)) {
    log(`gmm-em: ${dataPath} is absent (it lives in ../shared/data/gmm); nothing to run`);
    return 0;
  }
  if (!existsSync(opt.python as string))
    throw new Error(`${opt.python} not found; run: bash bench/setup.sh`);
  await waitIfAsked(opt, log);
  const machine = describeMachine();
  log(`gmm-em${quick ? ' --quick' : ''}: ${machineLine(machine)}`);

  const d = JSON.parse(readFileSync(dataPath, 'utf8')) as GmmData;
  const { N, D, K } = d;

  const { compile, infer } = await import('../../src/index.js');
  const tf = await import('@tensorflow/tfjs');
  const model = compile(readFileSync(join(ROOT, 'examples/gmm/gmm.plato'), 'utf8'), {
    filename: 'gmm.plato',
  });

  const plato = (fixed: boolean) => async (): Promise<Measurement> => {
    const before = tf.memory().numTensors;
    const ticks: number[] = [];
    const t0 = performance.now();
    const post = await infer(model, {
      data: { N, D, K, x: d.x },
      engine: 'em',
      ...(fixed ? { iters: ITERS, tol: 0 } : {}),
      onProgress: () => ticks.push(performance.now()),
    });
    const wall = (performance.now() - t0) / 1000;
    const iterations = post.iterations ?? 0;
    // the last tick is the final onProgress(total, total) after the loop
    const steps = ticks.slice(0, iterations);
    const perIter =
      steps.length > 1
        ? (steps[steps.length - 1] - steps[0]) / 1000 / (steps.length - 1)
        : Number.NaN;
    const ll = (post.logEvidence as number) / N;
    const ref = avgLogLik(
      d.x,
      post.params.pi.data,
      post.params.mu.data,
      post.params.Sigma.data,
      K,
      D,
    );
    return {
      seconds: perIter,
      checks: {
        wall,
        init: wall - iterations * perIter,
        iterations,
        avgLogLik: ll,
        checkError: Math.abs(ll - ref) / Math.abs(ref),
        leakedTensors: tf.memory().numTensors - before,
      },
    };
  };

  const { server: sk, hello } = await PeerServer.start(opt.python as string, [
    join(HERE, 'sklearn_gmm.py'),
    '--data',
    dataPath,
    '--serve',
  ]);
  const sklearn = (run: 'fixed' | 'converged') => async (): Promise<Measurement> => {
    const out = await sk.request({ run });
    return {
      seconds: Number(out.per_iter_s),
      checks: {
        wall: Number(out.seconds),
        init: Number(out.init_s),
        iterations: Number(out.iterations),
        avgLogLik: Number(out.avg_loglik),
      },
    };
  };
  const converged = !opt['no-converged'];
  const contenders: Contender[] = [
    { name: 'plato', warmup: 1, repeats, run: plato(true) },
    { name: 'sklearn', warmup: 0, repeats, run: sklearn('fixed') },
    ...(converged
      ? [
          { name: 'plato-converged', warmup: 0, repeats, run: plato(false) },
          { name: 'sklearn-converged', warmup: 0, repeats, run: sklearn('converged') },
        ]
      : []),
  ];
  const other = new OtherLoad();
  other.start([sk.pid]);
  let results: Awaited<ReturnType<typeof interleave>>;
  try {
    results = await interleave(contenders, (name, m, timed) =>
      log(
        `  ${name.padEnd(18)} ${timed ? 'timed ' : 'warmup'} ${secs(m.seconds)}/iter, ` +
          `wall ${secs(Number(m.checks?.wall))}, ${m.checks?.iterations} iterations, ` +
          `avg log-lik ${Number(m.checks?.avgLogLik).toFixed(6)}`,
      ),
    );
  } finally {
    sk.close();
  }
  const otherLoad = other.stop();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const variants: Record<string, string> = {
    plato: `infer, iters ${ITERS}, tol 0`,
    sklearn: `fit, max_iter ${ITERS}, tol 0`,
    'plato-converged': 'infer, default tol 1e-6',
    'sklearn-converged': 'fit, tol 1e-6',
  };
  const rows: Row[] = results.map((r) => {
    const c = (key: string) => r.runs.map((m) => Number(m.checks?.[key]));
    const isPlato = r.name.startsWith('plato');
    const checkError = isPlato ? Math.max(...c('checkError')) : null;
    const leaked = isPlato ? Math.max(...c('leakedTensors')) : 0;
    return {
      system: r.name,
      variant: variants[r.name] ?? r.name,
      runs: r.runs.length,
      perIter: r.medianSeconds,
      init: median(c('init')),
      wall: median(c('wall')),
      iterations: median(c('iterations')),
      avgLogLik: c('avgLogLik')[0],
      checkError,
      ok: leaked === 0 && (checkError === null || checkError <= CHECK_LL),
    };
  });
  const row = (name: string) => rows.find((x) => x.system === name) as Row;
  const speed = row('plato').perIter / row('sklearn').perIter;
  const llGap =
    Math.abs(row('plato').avgLogLik - row('sklearn').avgLogLik) /
    Math.abs(row('sklearn').avgLogLik);
  const llOk = llGap <= TARGET_LL;

  console.log(`\ngmm-em${quick ? ' (--quick)' : ''}  N=${N}, D=${D}, K=${K}, full covariances`);
  console.log(machineLine(machine));
  console.log(
    `scikit-learn ${String(hello.version)} (numpy ${String(hello.numpy)}, python ${String(hello.python)}); plato wasm`,
  );
  console.log(`other processes' load during the runs: ${otherLoad} cores\n`);
  const header = [
    'system',
    'variant',
    'runs',
    'per iteration',
    'init',
    'wall',
    'iterations',
    'avg log-lik',
    'vs float64',
    'checks',
  ];
  const cells = rows.map((x) => [
    x.system,
    x.variant,
    `${x.runs}`,
    secs(x.perIter),
    secs(x.init),
    secs(x.wall),
    `${x.iterations}`,
    x.avgLogLik.toFixed(6),
    x.checkError === null ? '-' : x.checkError.toExponential(1),
    x.ok ? 'ok' : 'FAIL',
  ]);
  console.log(textTable(header, cells));
  console.log(
    `\nper iteration: Plato ${secs(row('plato').perIter)} / sklearn ${secs(row('sklearn').perIter)} = ${ratio(speed)} ` +
      `(target ≤ ${TARGET_RATIO}×: ${speed <= TARGET_RATIO ? 'met' : 'MISSED'})`,
  );
  console.log(
    `final avg log-likelihood: Plato ${row('plato').avgLogLik.toFixed(6)}, sklearn ${row('sklearn').avgLogLik.toFixed(6)}, ` +
      `relative gap ${llGap.toExponential(1)} (target ≤ ${TARGET_LL}: ${llOk ? 'met' : 'MISSED'}); ` +
      `under the true params ${d.true_params_avg_loglik.toFixed(6)}`,
  );
  const record = {
    workload: 'gmm-em',
    quick,
    sizes: { N, D, K, iters: ITERS },
    machine,
    otherLoadCores: otherLoad,
    versions: {
      node: process.version,
      sklearn: hello.version,
      numpy: hello.numpy,
      python: hello.python,
      plato: { backend: 'wasm', commit: machine.gitCommit, dirty: machine.gitDirty },
    },
    systems: results.map((r, i) => ({
      ...rows[i],
      perIterSeconds: r.runs.map((m) => m.seconds),
      checks: r.runs.map((m) => m.checks),
    })),
    ratio: { plato_over_sklearn_per_iter: speed, avg_loglik_rel_gap: llGap },
    targets: { plato_over_sklearn_per_iter: TARGET_RATIO, avg_loglik_rel_gap: TARGET_LL },
  };
  const path = writeResults('gmm-em', machine.date, record, quick ? '-quick' : '');
  console.log(`\nrecord: ${path}`);
  console.log('\nmarkdown row for docs/benchmarks.md:');
  const conv = (name: string) =>
    converged ? `${secs(row(name).wall)} (${row(name).iterations} it.)` : '-';
  console.log(
    markdownTable(
      [
        'date (UTC)',
        'commit',
        'load',
        'Plato / iteration',
        'sklearn / iteration',
        'Plato / sklearn (≤ 1×)',
        'avg log-lik Plato, sklearn (gap ≤ 0.1 %)',
        'converged: Plato, sklearn',
      ],
      [
        [
          machine.date,
          machine.gitCommit,
          `${machine.loadAvg[0]} / ${otherLoad}`,
          `${secs(row('plato').perIter)} (init ${secs(row('plato').init)})`,
          `${secs(row('sklearn').perIter)} (init ${secs(row('sklearn').init)})`,
          `**${ratio(speed)}** ${speed <= TARGET_RATIO ? 'met' : 'missed'}`,
          `${row('plato').avgLogLik.toFixed(5)}, ${row('sklearn').avgLogLik.toFixed(5)} (${llGap.toExponential(1)})`,
          `${conv('plato-converged')}, ${conv('sklearn-converged')}`,
        ],
      ],
    ),
  );
  return rows.every((x) => x.ok) && llOk ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(2);
  },
);
