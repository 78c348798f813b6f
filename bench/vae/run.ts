// bench/vae: a variational autoencoder trained by Plato's `avi` engine through the public
// `infer()` beside the same network in PyTorch on CPU (/work/shared/peers.md §5, `vae`;
// bench/vae/torch_vae.py, Debian's python3-torch under /usr/bin/python3), in one run.
//   mnist   10,000 binarised MNIST images (P = 784): encoder 784→400→2×20, decoder 20→400→784,
//           batch 128, Adam 1e-3, 10 epochs. Model: examples/vae/vae.plato.
//   digits  1,797 8×8 digits (P = 64), binarised x ≥ 0.5 for both systems (Plato's Bernoulli
//           takes 0/1 data; peers.md's grey-level protocol is torch_vae.py --digits-targets
//           grey): encoder 64→128→2×8, decoder 8→128→64, batch 128, Adam 1e-3, 50 epochs.
// Metric: median seconds per epoch, and the final training ELBO per image (nats; Plato's
// `logEvidence` / N, torch's ELBO over all images after training, one sample each).
// Target (issue 11, Speed): time per epoch ≤ 1.5× PyTorch's, ELBO within 2 nats of it.
//
//   bash bench/setup.sh && npx tsx bench/vae/run.ts [--quick] [--only mnist|digits]
//        [--repeats R] [--peer-only] [--torch-threads T] [--wait-quiet]
//
// Timing. Plato: `infer(model, { data: { N, P, x }, engine: 'avi', epochs, batchSize: 128,
// lr: 1e-3 })` with x as the nested arrays JSON.parse gives, timed as a library user calls it;
// the engine calls `onProgress` once per epoch, and the epoch times are the differences of
// successive calls (the first epoch, which includes binding and initialisation, is reported
// apart as `first`). A constant step size (`lrDecay: 1`), no early stopping (`tol: 0`), the
// encoder's hidden width and PyTorch's layer initialisation (`netInit: 'torch'`) are passed when
// the engine declares those options, so that both systems run the same optimisation. torch: the median of its epoch times (torch_vae.py).
// `--peer-only` runs torch alone (its numbers for peers.md, or before avi is registered).
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
    only: { type: 'string' },
    'peer-only': { type: 'boolean', default: false },
    'data-dir': { type: 'string', default: SHARED_DATA },
    ...PYTHON_OPTION,
    // peers.md runs torch on 2 threads; on a machine busy with other work its OpenMP threads
    // spin-wait for each other and an epoch takes many times longer: 1 is then the fairer figure
    'torch-threads': { type: 'string', default: '2' },
  },
});

const HERE = join(BENCH_DIR, 'vae');
const ROOT = join(BENCH_DIR, '..');
/** seconds per epoch / torch's (issue 11) */
const TARGET_RATIO = 1.5;
/** |ELBO_Plato − ELBO_torch| per image, nats (issue 11) */
const TARGET_NATS = 2;
const BATCH = 128;
const LR = 1e-3;
const quick = opt.quick ?? false;
const repeats = Number(opt.repeats ?? (quick ? 1 : 3));
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Workload {
  readonly name: 'mnist' | 'digits';
  readonly file: string;
  readonly hidden: number;
  readonly latent: number;
  readonly epochs: number;
  /** the first this many images (0: all) */
  readonly limit: number;
}

const WORKLOADS: readonly Workload[] = [
  {
    name: 'mnist',
    file: 'mnist/mnist-10k.json',
    hidden: 400,
    latent: 20,
    epochs: quick ? 2 : 10,
    limit: quick ? 2000 : 0,
  },
  {
    name: 'digits',
    file: 'digits/digits.json',
    hidden: 128,
    latent: 8,
    epochs: quick ? 10 : 50,
    limit: 0,
  },
];

/** examples/vae/vae.plato with the workload's latent size and hidden width. */
function modelSource(w: Workload): string {
  const src = readFileSync(join(ROOT, 'examples/vae/vae.plato'), 'utf8');
  const out = src
    .replace(/size K = \d+/, `size K = ${w.latent}`)
    .replace(/mlp\(K -> \d+ -> P/, `mlp(K -> ${w.hidden} -> P`);
  if (!out.includes(`size K = ${w.latent}`) || !out.includes(`K -> ${w.hidden} -> P`))
    throw new Error('examples/vae/vae.plato no longer has the layout bench/vae expects');
  return out;
}

/** The images as 0/1 rows (digits: x ≥ 0.5), the first `limit` of them. */
function loadImages(w: Workload): { N: number; P: number; x: number[][] } {
  const d = JSON.parse(readFileSync(join(opt['data-dir'] as string, w.file), 'utf8')) as {
    x: number[][];
  };
  let x = w.limit > 0 ? d.x.slice(0, w.limit) : d.x;
  if (w.name === 'digits') x = x.map((row) => row.map((v) => (v >= 0.5 ? 1 : 0)));
  return { N: x.length, P: x[0].length, x };
}

interface Row {
  readonly system: string;
  readonly workload: string;
  readonly runs: number;
  readonly perEpoch: number;
  readonly first: number | null;
  readonly wall: number;
  readonly elbo: number;
  readonly ok: boolean;
}

async function main(): Promise<number> {
  const selected = WORKLOADS.filter((w) => !opt.only || w.name === opt.only);
  if (selected.length === 0) throw new Error(`--only ${opt.only}: use mnist or digits`);
  for (const w of selected)
    if (!existsSync(join(opt['data-dir'] as string, w.file))) {
      log(
        `vae: ${join(opt['data-dir'] as string, w.file)} is absent (../shared/data); nothing to run`,
      );
      return 0;
    }
  const peerOnly = opt['peer-only'] ?? false;
  const { compile, infer } = await import('../../src/index.js');
  const { listEngines } = await import('../../src/infer/engines.js');
  const avi = listEngines().find((e) => e.name === 'avi');
  if (!avi && !peerOnly) {
    log(
      "vae: the 'avi' engine is not registered in this build (src/infer/avi, issue 11), so there is " +
        'no Plato side to time; run with --peer-only for the torch figures alone',
    );
    return 1;
  }
  if (!existsSync(opt.python as string))
    throw new Error(`${opt.python} not found; run: bash bench/setup.sh`);
  await waitIfAsked(opt, log);
  const machine = describeMachine();
  log(`vae${quick ? ' --quick' : ''}: ${machineLine(machine)}`);
  const tf = await import('@tensorflow/tfjs');
  const declared = new Set(avi?.options.map((o) => o.name) ?? []);

  const plato = (w: Workload) => {
    const model = compile(modelSource(w), { filename: `vae-${w.name}.plato` });
    const data = loadImages(w);
    return async (): Promise<Measurement> => {
      const before = tf.memory().numTensors;
      const ticks: number[] = [];
      const t0 = performance.now();
      const post = await infer(model, {
        data,
        engine: 'avi',
        epochs: w.epochs,
        batchSize: BATCH,
        lr: LR,
        // the same optimisation as torch's where the engine has these knobs
        ...(declared.has('lrDecay') ? { lrDecay: 1 } : {}),
        ...(declared.has('tol') ? { tol: 0 } : {}),
        ...(declared.has('hidden') ? { hidden: w.hidden } : {}),
        // torch_vae.py's layers start at nn.Linear's default U(±1/√fan_in): over 10 MNIST
        // epochs avi's Glorot start ends 2.2 nats per image lower, PyTorch's start 0.1 higher
        ...(declared.has('netInit') ? { netInit: 'torch' as const } : {}),
        onProgress: () => ticks.push(performance.now()),
      });
      const wall = (performance.now() - t0) / 1000;
      if (ticks.length < w.epochs)
        throw new Error(`avi called onProgress ${ticks.length} times for ${w.epochs} epochs`);
      const epochs = ticks.slice(1, w.epochs).map((t, i) => (t - ticks[i]) / 1000);
      return {
        seconds: epochs.length > 0 ? median(epochs) : wall,
        checks: {
          wall,
          first: (ticks[0] - t0) / 1000,
          elbo: (post.logEvidence as number) / data.N,
          lastTrainingElbo: (post.elbo?.[post.elbo.length - 2] ?? Number.NaN) / data.N,
          leakedTensors: tf.memory().numTensors - before,
        },
        extra: { epochSeconds: epochs },
      };
    };
  };

  const { server: torch, hello } = await PeerServer.start(opt.python as string, [
    join(HERE, 'torch_vae.py'),
    '--serve',
    '--data-dir',
    opt['data-dir'] as string,
    '--threads',
    opt['torch-threads'] as string,
  ]);
  const peer = (w: Workload) => async (): Promise<Measurement> => {
    const out = await torch.request({ data: w.name, epochs: w.epochs, limit: w.limit });
    return {
      seconds: Number(out.per_epoch_s),
      checks: { wall: Number(out.wall_s), elbo: Number(out.train_elbo_per_image) },
      extra: { epochSeconds: out.epoch_s, running: out.running_elbo },
    };
  };
  const contenders: Contender[] = [];
  for (const w of selected) {
    if (!peerOnly) contenders.push({ name: `plato-${w.name}`, warmup: 0, repeats, run: plato(w) });
    contenders.push({ name: `torch-${w.name}`, warmup: 0, repeats, run: peer(w) });
  }
  const other = new OtherLoad();
  other.start([torch.pid]);
  let results: Awaited<ReturnType<typeof interleave>>;
  try {
    results = await interleave(contenders, (name, m) =>
      log(
        `  ${name.padEnd(14)} ${secs(m.seconds)}/epoch, wall ${secs(Number(m.checks?.wall))}, ` +
          `ELBO/image ${Number(m.checks?.elbo).toFixed(3)}`,
      ),
    );
  } finally {
    torch.close();
  }
  const otherLoad = other.stop();

  const rows: Row[] = results.map((r) => {
    const c = (key: string) => r.runs.map((m) => Number(m.checks?.[key]));
    const isPlato = r.name.startsWith('plato');
    const leaked = isPlato ? Math.max(...c('leakedTensors')) : 0;
    return {
      system: r.name.split('-')[0],
      workload: r.name.split('-')[1],
      runs: r.runs.length,
      perEpoch: r.medianSeconds,
      first: isPlato ? median(c('first')) : null,
      wall: median(c('wall')),
      elbo: median(c('elbo')),
      ok: leaked === 0 && c('elbo').every(Number.isFinite),
    };
  });
  console.log(`\nvae${quick ? ' (--quick)' : ''}: batch ${BATCH}, Adam ${LR}`);
  console.log(machineLine(machine));
  console.log(
    `torch ${String(hello.version)} (python ${String(hello.python)}, ${String(hello.threads)} threads); plato wasm`,
  );
  console.log(`other processes' load during the runs: ${otherLoad} cores\n`);
  console.log(
    textTable(
      ['system', 'data', 'runs', 'per epoch', 'first epoch', 'wall', 'ELBO / image', 'checks'],
      rows.map((x) => [
        x.system,
        x.workload,
        `${x.runs}`,
        secs(x.perEpoch),
        x.first === null ? '-' : secs(x.first),
        secs(x.wall),
        x.elbo.toFixed(3),
        x.ok ? 'ok' : 'FAIL',
      ]),
    ),
  );
  const comparisons = peerOnly
    ? []
    : selected.map((w) => {
        const p = rows.find((x) => x.system === 'plato' && x.workload === w.name) as Row;
        const t = rows.find((x) => x.system === 'torch' && x.workload === w.name) as Row;
        const speed = p.perEpoch / t.perEpoch;
        const gap = t.elbo - p.elbo;
        const met = speed <= TARGET_RATIO && Math.abs(gap) <= TARGET_NATS;
        console.log(
          `\n${w.name}: per epoch Plato ${secs(p.perEpoch)} / torch ${secs(t.perEpoch)} = ${ratio(speed)} ` +
            `(target ≤ ${TARGET_RATIO}×: ${speed <= TARGET_RATIO ? 'met' : 'MISSED'}); ` +
            `ELBO/image Plato ${p.elbo.toFixed(3)}, torch ${t.elbo.toFixed(3)}, gap ${gap.toFixed(3)} nats ` +
            `(target ≤ ${TARGET_NATS}: ${Math.abs(gap) <= TARGET_NATS ? 'met' : 'MISSED'})`,
        );
        return { workload: w.name, speed, gap, met, plato: p, torch: t };
      });
  const record = {
    workload: 'vae',
    quick,
    peerOnly,
    settings: selected.map((w) => ({ ...w, batch: BATCH, lr: LR })),
    machine,
    otherLoadCores: otherLoad,
    versions: {
      node: process.version,
      torch: hello.version,
      python: hello.python,
      plato: { backend: 'wasm', commit: machine.gitCommit, dirty: machine.gitDirty },
    },
    systems: results.map((r, i) => ({ ...rows[i], runs: r.runs })),
    comparisons,
    targets: { plato_over_torch_per_epoch: TARGET_RATIO, elbo_gap_nats: TARGET_NATS },
  };
  const path = writeResults(
    'vae',
    machine.date,
    record,
    `${quick ? '-quick' : ''}${peerOnly ? '-peer' : ''}`,
  );
  console.log(`\nrecord: ${path}`);
  if (comparisons.length > 0) {
    console.log('\nmarkdown rows for docs/benchmarks.md:');
    console.log(
      markdownTable(
        [
          'date (UTC)',
          'commit',
          'load',
          'data',
          'Plato / epoch',
          'torch / epoch',
          'Plato / torch (≤ 1.5×)',
          'ELBO/image Plato, torch (gap ≤ 2)',
        ],
        comparisons.map((c) => [
          machine.date,
          machine.gitCommit,
          `${machine.loadAvg[0]} / ${otherLoad}`,
          c.workload,
          secs(c.plato.perEpoch),
          secs(c.torch.perEpoch),
          `**${ratio(c.speed)}** ${c.speed <= TARGET_RATIO ? 'met' : 'missed'}`,
          `${c.plato.elbo.toFixed(2)}, ${c.torch.elbo.toFixed(2)} (${c.gap.toFixed(2)})`,
        ]),
      ),
    );
  }
  return rows.every((x) => x.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(2);
  },
);
