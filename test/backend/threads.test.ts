// The wasm backend on XNNPACK threads (src/backend/wasmThreads.ts): it starts the count asked
// for, gives bit-identical results to the one-thread SIMD build (XNNPACK splits a product's
// output tiles between threads, each entry still summed by one thread in the same order), falls
// back to one thread when a worker cannot start, and never keeps a finished process alive. The
// one-thread build and the failures run in child processes: the backend is once per process.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backendThreads, initBackend } from '../../src/backend/index.js';
import { MAX_WASM_THREADS, wasmThreadsWanted } from '../../src/backend/threads.js';
import { ROOT, spawnCli } from '../cli/helpers.js';

const DIST = join(ROOT, 'dist', 'backend');

/** `node --input-type=module -e script` from the repository root; rejects after `ms`. */
function node(script: string, env: Record<string, string>, ms = 90_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    // a child that outlives its work is the hang this file guards against
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${ms} ms: ${stderr}`));
    }, ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// products large enough for XNNPACK to split them between threads (checked: a 2-thread run of
// XᵀX puts about half its CPU time on the pthread), a reduction, an elementwise chain, and a
// dense layer's gradient; the raw float32 bytes of each, as hex digests
const OPS = `
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { initBackend, backendThreads } from '${DIST}/index.js';
await initBackend('wasm');
const X = tf.randomUniform([20000, 50], -1, 1, 'float32', 1);
const A = tf.randomNormal([128, 784], 0, 1, 'float32', 2);
const W = tf.randomNormal([784, 400], 0, 0.05, 'float32', 3);
const outs = {
  xtx: tf.matMul(tf.transpose(X), X),
  xtxTransA: tf.matMul(X, X, true, false),
  dense: tf.relu(tf.matMul(A, W)),
  sum: tf.sum(X, 0),
  chain: tf.exp(tf.mul(tf.add(X, 0.5), tf.sub(X, 0.25))),
  grad: tf.grad((w) => tf.sum(tf.tanh(tf.matMul(A, w))))(W),
};
const digests = {};
for (const [k, t] of Object.entries(outs))
  digests[k] = createHash('sha256').update(Buffer.from((await t.data()).buffer)).digest('hex').slice(0, 16);
console.log(JSON.stringify({ threads: backendThreads(), digests }));
`;

describe('wasm backend threads', () => {
  it('starts the threads asked for (every core by default for nets, at most 8; else one)', async () => {
    await initBackend('wasm');
    const env = process.env.PLATO_WASM_THREADS;
    const wanted = wasmThreadsWanted();
    expect(wanted.threads).toBe(env ? Math.min(Number(env), MAX_WASM_THREADS) : 1);
    expect(wanted.source).toBe(env ? 'env' : 'default');
    if (!env) expect(wasmThreadsWanted(true).threads).toBe(Math.min(availableParallelism(), 8));
    expect(backendThreads()).toBe(wanted.threads);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('defaults to one thread for a model without wide nets and to every core for one with a layer ≥ 256 wide', async () => {
    // the public sample() decides on its first call, from the model (src/index.ts wideNets)
    const run = (file: string, data: string, hidden = 400) =>
      node(
        `
import { readFileSync } from 'node:fs';
import { compile, sample } from '${join(ROOT, 'dist')}/index.js';
import { backendThreads } from '${DIST}/index.js';
const model = compile(readFileSync('${file}', 'utf8').replace('-> 400 ->', '-> ${hidden} ->'));
await sample(model, { n: 2, data: ${data} });
console.log(backendThreads());
`,
        { PLATO_WASM_THREADS: '' },
      );
    const plain = await run('examples/coin/coin.plato', '{ N: 3 }');
    const nets = await run('examples/vae/vae.plato', '{ N: 3, P: 4 }');
    // the digits VAE's widths (8 → 128 → 64): small products, one thread
    const narrow = await run('examples/vae/vae.plato', '{ N: 3, P: 64 }', 128);
    expect(plain.code, plain.stderr).toBe(0);
    expect(nets.code, nets.stderr).toBe(0);
    expect(narrow.code, narrow.stderr).toBe(0);
    expect(Number(plain.stdout.trim())).toBe(1);
    expect(Number(narrow.stdout.trim())).toBe(1);
    expect(Number(nets.stdout.trim())).toBe(Math.min(availableParallelism(), MAX_WASM_THREADS));
  });

  it('gives the bytes of the one-thread SIMD build on products, sums and gradients', async () => {
    const one = await node(OPS, { PLATO_WASM_THREADS: '1' });
    const two = await node(OPS, { PLATO_WASM_THREADS: '2' });
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const a = JSON.parse(one.stdout);
    const b = JSON.parse(two.stdout);
    expect(a.threads).toBe(1);
    expect(b.threads).toBe(2);
    expect(Object.keys(a.digests)).toHaveLength(6);
    expect(b.digests).toEqual(a.digests);
  });

  it('gives the same fit from plato infer on one thread and on two', async () => {
    const args = ['infer', 'examples/gmm/gmm.plato', '--data', 'examples/gmm/gmm.json'];
    const one = await spawnCli(['--threads', '1', ...args, '--seed', '3', '--json']);
    const two = await spawnCli(['--threads', '2', ...args, '--seed', '3', '--json']);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    // wall-clock seconds are the only field allowed to differ
    const strip = (s: string) => s.replace(/"seconds":[-0-9.e+]+/g, '"seconds":0');
    expect(strip(two.stdout)).toBe(strip(one.stdout));
    expect(one.stdout.length).toBeGreaterThan(200);
  });

  it('falls back to one thread when a worker cannot start, and the process exits', async () => {
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import * as wasm from '@tensorflow/tfjs-backend-wasm';
      import { initThreadedWasm, workerSources } from '${DIST}/wasmThreads.js';
      const src = workerSources();
      const results = [];
      for (const bad of [{ ...src, code: 'throw new Error("boom")' }, { ...src, mainScript: '/nonexistent/glue.js' }]) {
        try { await initThreadedWasm(wasm, 2, bad); results.push('started'); }
        catch (e) { results.push('rejected: ' + e.message.split('\\n')[0]); }
      }
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      const ok = await tf.setBackend('wasm');
      const v = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync();
      console.log(JSON.stringify({ results, ok, threads: wasm.getThreadsCount(), v: Array.from(v) }));
    `;
    const r = await node(script, {});
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.results[0]).toBe('rejected: boom');
    expect(out.results[1]).toMatch(/^rejected: ENOENT/);
    expect(out).toMatchObject({ ok: true, threads: 1, v: [3, 3, 3, 3] });
  });

  it('reads PLATO_WASM_THREADS and says what is wrong with a bad value', async () => {
    const r = await spawnCli(
      ['infer', 'examples/coin/coin.plato', '--data', 'examples/coin/coin.json'],
      { PLATO_WASM_THREADS: 'two' },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "the environment variable PLATO_WASM_THREADS must be a positive integer (1 = one thread), got 'two'",
    );
  });
});
