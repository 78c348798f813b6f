// Plato's side of bench/forward-lda: examples/lda/lda.plato with data {K, V, D, N[D]} and no
// observations, so one draw of beta, theta, z and w is the prior. The timed region is the
// public `sample(model, { data, n: 1, seed })` exactly as a library user calls it (binding the
// data, drawing, and the result with every draw as a typed array); the model is compiled once.
// The checks read the result's arrays after the clock stops. For information, the inner
// sampler alone (`forwardSample` on a bound model, plus reading the draws) is timed too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { compileModel } from '../../src/compile/model.js';
import { Rng } from '../../src/distributions/rng.js';
import { bind } from '../../src/graph/bind.js';
import type { BoundModel } from '../../src/graph/bound.js';
import { type CompiledModel, compile, sample } from '../../src/index.js';
import { forwardSample } from '../../src/infer/sample/index.js';
import type { Measurement } from '../lib/index.js';
import { BENCH_DIR, median, timeIt } from '../lib/index.js';
import { ldaChecks } from './checks.js';

export const LDA_MODEL_PATH = join(BENCH_DIR, '..', 'examples', 'lda', 'lda.plato');

export interface LdaSizes {
  readonly K: number;
  readonly V: number;
  readonly D: number;
  readonly N: number;
}

export function ldaData(s: LdaSizes): Record<string, unknown> {
  return { K: s.K, V: s.V, D: s.D, N: new Array<number>(s.D).fill(s.N) };
}

export interface PlatoLda {
  readonly model: CompiledModel;
  readonly bound: BoundModel;
  readonly compileSeconds: number;
  readonly bindSeconds: number;
  readonly backend: string;
  readonly wasmFlags: Record<string, boolean>;
  /** one timed public sample() call with checks */
  run(seed: number): Promise<Measurement>;
}

function docOffsets(s: LdaSizes): Int32Array {
  const off = new Int32Array(s.D + 1);
  for (let d = 0; d < s.D; d++) off[d + 1] = off[d] + s.N;
  return off;
}

/** Draw once; returns the seconds of forwardSample + reading the draws, and the draws' data. */
function timedDraw(
  bound: BoundModel,
  seed: number,
): { seconds: number; data: Record<string, tf.TypedArray> } {
  const t0 = performance.now();
  const draws = forwardSample(bound, { n: 1, seed });
  const data: Record<string, tf.TypedArray> = {};
  for (const [name, t] of Object.entries(draws)) data[name] = t.dataSync();
  const seconds = (performance.now() - t0) / 1000;
  for (const t of Object.values(draws)) t.dispose();
  return { seconds, data };
}

export async function setupPlato(
  sizes: LdaSizes,
  source = readFileSync(LDA_MODEL_PATH, 'utf8'),
): Promise<PlatoLda> {
  const backend = await initBackend('wasm');
  const c = await timeIt(() => compile(source, { filename: 'lda.plato' }));
  const data = ldaData(sizes);
  const b = await timeIt(() => bind(c.value.graph, data));
  const offsets = docOffsets(sizes);
  const env = tf.env();
  const wasmFlags: Record<string, boolean> = {};
  for (const flag of ['WASM_HAS_SIMD_SUPPORT', 'WASM_HAS_MULTITHREAD_SUPPORT']) {
    wasmFlags[flag] = env.getBool(flag);
  }
  return {
    model: c.value,
    bound: b.value,
    compileSeconds: c.seconds,
    bindSeconds: b.seconds,
    backend: `${backend} (tfjs ${tf.version.tfjs}, ${tf.getBackend()})`,
    wasmFlags,
    async run(seed: number): Promise<Measurement> {
      const before = tf.memory().numTensors;
      const t0 = performance.now();
      const result = await sample(c.value, { data, n: 1, seed });
      const seconds = (performance.now() - t0) / 1000;
      const z = result.draws.z?.data;
      const w = result.draws.w?.data;
      if (!z || !w)
        throw new Error(
          `sample() returned no z or w (got ${Object.keys(result.draws).join(', ')})`,
        );
      const checks = ldaChecks(z, w, offsets, sizes.K, sizes.V);
      return { seconds, checks, extra: { leakedTensors: tf.memory().numTensors - before } };
    },
  };
}

/** The sampler inside `sample()`: forwardSample on the bound model plus reading the draws. */
export function timeInner(p: PlatoLda, repeats: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) out.push(timedDraw(p.bound, 100 + r).seconds);
  return out;
}

export interface ProfileRow {
  readonly part: string;
  readonly seconds: number;
  readonly how: string;
}

/**
 * Where Plato's time goes: forwardSample's steps timed one by one (plan compilation, then each
 * node's sampling, in graph order), median over `repeats` draws after one warm-up. Mirrors
 * src/infer/sample/forward.ts for a model without params or deterministic nodes.
 */
export function profileNodes(p: PlatoLda, repeats: number): ProfileRow[] {
  const times = new Map<string, number[]>();
  const add = (k: string, s: number) => times.set(k, [...(times.get(k) ?? []), s]);
  for (let r = 0; r <= repeats; r++) {
    const t0 = performance.now();
    const plan = compileModel(p.bound);
    const compiled = performance.now();
    const root = new Rng(r);
    root.fork(); // forwardSample's param-initialisation stream
    const drawRng = root.fork();
    const env: Record<string, tf.Tensor> = {};
    if (r > 0) add('plan (compileModel)', (compiled - t0) / 1000);
    for (const name of plan.order) {
      if (p.bound.graph.nodes[name].kind !== 'stochastic') continue;
      const t1 = performance.now();
      env[name] = plan.sample(name, env, 1, drawRng.fork());
      env[name].dataSync();
      if (r > 0)
        add(
          `${name} ~ ${plan.stoch(name).node.distribution}, shape [${env[name].shape}]`,
          (performance.now() - t1) / 1000,
        );
    }
    if (r > 0) add('total', (performance.now() - t0) / 1000);
    for (const t of Object.values(env)) t.dispose();
    plan.dispose();
  }
  return [...times.entries()].map(([part, s]) => ({
    part,
    seconds: median(s),
    how: `median of ${s.length}`,
  }));
}

/**
 * Kernel-level profile of one full draw: total time per kernel name, largest first, then the
 * sum over kernels and the rest of the wall time (work outside kernels: tfjs' random ops
 * randomUniform/randomNormal/randomGamma fill their buffers in JavaScript, not in wasm).
 */
export async function kernelProfile(p: PlatoLda): Promise<ProfileRow[]> {
  const t0 = performance.now();
  const info = await tf.profile(() => {
    const draws = forwardSample(p.bound, { n: 1, seed: 7 });
    for (const t of Object.values(draws)) t.dispose();
  });
  const wallMs = performance.now() - t0;
  const byName = new Map<string, { ms: number; calls: number }>();
  let sumMs = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls += 1;
    sumMs += ms;
    byName.set(k.name, e);
  }
  const rows = [...byName.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([name, e]) => ({
      part: name,
      seconds: e.ms / 1000,
      how: `${e.calls} call${e.calls > 1 ? 's' : ''}`,
    }));
  return [
    ...rows,
    { part: 'all kernels', seconds: sumMs / 1000, how: `${info.kernels.length} calls` },
    {
      part: 'outside kernels',
      seconds: (wallMs - sumMs) / 1000,
      how: 'wall (profiled) minus kernels',
    },
    { part: 'wall (profiled)', seconds: wallMs / 1000, how: 'one draw under tf.profile' },
  ];
}
