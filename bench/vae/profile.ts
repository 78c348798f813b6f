// bench/vae/profile.ts: where a training step of the bench's VAE spends its time, per tfjs
// kernel. Every kernel registered on the wasm backend is wrapped with a timer (the kernels are
// synchronous on wasm, XNNPACK's thread pool included), then avi trains for a few epochs and the
// totals per kernel name are printed per Adam step (the final ELBO estimate is excluded).
//
//   PLATO_WASM_THREADS=1 npx tsx bench/vae/profile.ts [--data mnist|digits] [--epochs E]
//     [--shapes] [--sites]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { BENCH_DIR, SHARED_DATA } from '../lib/index.js';

const { values: opt } = parseArgs({
  options: {
    data: { type: 'string', default: 'mnist' },
    epochs: { type: 'string', default: '2' },
    'data-dir': { type: 'string' },
    // split each kernel's time by its first input's shape
    shapes: { type: 'boolean', default: false },
    // split each kernel's count by the line of src/ that issued it (a gradient's kernels by
    // the line that ran the backward pass)
    sites: { type: 'boolean', default: false },
  },
});
const mnist = opt.data === 'mnist';
const ROOT = join(BENCH_DIR, '..');
const file = mnist ? 'mnist/mnist-10k.json' : 'digits/digits.json';
const raw = JSON.parse(readFileSync(join(opt['data-dir'] ?? SHARED_DATA, file), 'utf8')) as {
  x: number[][];
};
const x = raw.x.map((r) => r.map((v) => (v >= 0.5 ? 1 : 0)));
const hidden = mnist ? 400 : 128;
const latent = mnist ? 20 : 8;
const src = readFileSync(join(ROOT, 'examples/vae/vae.plato'), 'utf8')
  .replace(/size K = \d+/, `size K = ${latent}`)
  .replace(/mlp\(K -> \d+ -> P/, `mlp(K -> ${hidden} -> P`);

const { compile, infer } = await import('../../src/index.js');
const { initBackend, backendThreads } = await import('../../src/backend/index.js');
await initBackend('wasm');

interface Stat {
  n: number;
  ms: number;
}
const stats = new Map<string, Stat>();
let on = false;
for (const k of tf.getKernelsForBackend('wasm')) {
  const inner = k.kernelFunc;
  const name = k.kernelName;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      if (!on) return inner(args);
      const t = performance.now();
      const out = inner(args);
      const first = Object.values(args.inputs)[0] as tf.TensorInfo | undefined;
      let key = opt.shapes && first ? `${name} [${first.shape.join(',')}]` : name;
      if (opt.sites) key += ` ${site()}`;
      const s = stats.get(key) ?? { n: 0, ms: 0 };
      s.n++;
      s.ms += performance.now() - t;
      stats.set(key, s);
      return out;
    },
  });
}

/** The innermost line of this repository's src/ on the stack (slow: --sites only). */
const SRC = `${join(ROOT, 'src')}/`;
function site(): string {
  const hit = (new Error().stack ?? '').split('\n').find((l) => l.includes(SRC));
  return hit ? `src/${hit.slice(hit.indexOf(SRC) + SRC.length).replace(/\)$/, '')}` : '?';
}
if (opt.sites) Error.stackTraceLimit = 60;

const epochs = Number(opt.epochs);
const model = compile(src, { filename: 'vae.plato' });
const ticks: number[] = [];
// process CPU time (all threads) at each tick: steadier than wall time on a loaded machine
const cpu: number[] = [];
await infer(model, {
  data: { N: x.length, P: x[0].length, x },
  engine: 'avi',
  epochs: epochs + 1,
  batchSize: 128,
  lr: 1e-3,
  lrDecay: 1,
  tol: 0,
  hidden,
  netInit: 'torch',
  onProgress: (e) => {
    ticks.push(performance.now());
    const u = process.cpuUsage();
    cpu.push((u.user + u.system) / 1000);
    // epoch 1 warms up (compiles, allocates); time the next `epochs`, not the final estimate
    on = e < epochs + 1;
  },
} as Parameters<typeof infer>[1]);
const steps = Math.ceil(x.length / 128) * epochs;
const wall = ticks[epochs] - ticks[0];
const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, v]) => s + v.ms, 0);
const kernels = rows.reduce((s, [, v]) => s + v.n, 0);
console.log(
  `${opt.data}, ${backendThreads()} wasm thread(s): ${(wall / steps).toFixed(2)} ms/step wall, ` +
    `${((cpu[epochs] - cpu[0]) / steps).toFixed(2)} ms/step CPU, ` +
    `${(kernelMs / steps).toFixed(2)} ms/step in ${(kernels / steps).toFixed(1)} kernels ` +
    `(the rest, ${((wall - kernelMs) / steps).toFixed(2)} ms, is JS: tape, tidy, dispatch)`,
);
for (const [name, s] of rows)
  console.log(
    `  ${name.padEnd(opt.shapes || opt.sites ? 40 : 22)} ${(s.n / steps).toFixed(1).padStart(6)} /step  ${(s.ms / steps).toFixed(3).padStart(8)} ms/step  ${((1000 * s.ms) / s.n).toFixed(1).padStart(8)} µs each`,
  );
