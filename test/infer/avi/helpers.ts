// Shared helpers of the avi tests: run the engine through the real compiler and binder with
// every option at its declared default unless given, asserting it applies and leaves no tensor.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { DataInput } from '../../../src/graph/bound.js';
import { aviEngine } from '../../../src/infer/avi/index.js';
import { aviInfo } from '../../../src/infer/avi/info.js';
import type { RunOptions } from '../../../src/infer/engine.js';
import type { Posterior } from '../../../src/infer/result.js';
import { boundModel } from '../../support/models.js';

export type AviOptions = RunOptions<typeof aviInfo.options>;

export const AVI_DEFAULTS = Object.fromEntries([
  ['seed', 0],
  ...aviInfo.options.map((o) => [o.name, o.default]),
]) as unknown as AviOptions;

export async function runAvi(
  source: string,
  data: DataInput,
  options: Partial<AviOptions> = {},
): Promise<Posterior> {
  const bound = boundModel(source, data);
  const app = aviEngine.applicability(bound);
  if (!app.ok) throw new Error(`avi does not apply: ${JSON.stringify(app.reasons)}`);
  const before = tf.memory().numTensors;
  const r = await aviEngine.run(bound, { ...AVI_DEFAULTS, ...options });
  expect(tf.memory().numTensors).toBe(before);
  return r;
}

/** mulberry32: a seeded uniform stream for float64 references. */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal stream (Box–Muller) from a seeded uniform one. */
export function normal(seed: number): () => number {
  const u = uniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** log Σ exp(a) in float64. */
export function logSumExp(a: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < a.length; i++) m = Math.max(m, a[i]);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.exp(a[i] - m);
  return m + Math.log(s);
}
