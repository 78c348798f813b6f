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

/**
 * The Normal–Normal plate z_i ~ N(0, 1), x_i | z_i ~ N(z_i, s) with N draws of x (seeded) and
 * its analytic answer in float64:
 *   z_i | x_i ~ N(x_i/(1 + s²), s/√(1 + s²)),   log p(x) = Σ_i log N(x_i; 0, √(1 + s²)).
 */
export function normalNormal(N: number, seed: number) {
  const s = 0.5;
  const source = `model nn {
  size N
  hyper s: real(0,) = ${s}
  plate i in N {
    z[i] ~ Normal(0, 1)
    x[i] ~ Normal(z[i], s)
  }
}`;
  const rand = normal(seed);
  const x = Array.from({ length: N }, () => rand() * Math.sqrt(1 + s * s));
  const logEvidence = x.reduce(
    (a, v) => a - 0.5 * Math.log(2 * Math.PI * (1 + s * s)) - (v * v) / (2 * (1 + s * s)),
    0,
  );
  return {
    source,
    x,
    postMean: x.map((v) => v / (1 + s * s)),
    postSd: s / Math.sqrt(1 + s * s),
    logEvidence,
  };
}

/**
 * Var over z ~ N(m, q) of log q(z) − log N(z; mu, p), the variance of one particle's log weight
 * when p is the exact posterior (log p(x) is constant). With r = q/p, d = (m − mu)/p,
 *   log q − log p = const − ε²/2 + (rε + d)²/2,  ε ~ N(0, 1)
 *   Var = ((r² − 1)²/2) + r² d²   (Var of a ε² + b ε with a = (r² − 1)/2, b = r d).
 */
export function logWeightVar(m: number, q: number, mu: number, p: number): number {
  const r = q / p;
  const d = (m - mu) / p;
  return (r * r - 1) ** 2 / 2 + r * r * d * d;
}

/** A three-component mixture with known weights and means: c[i] is summed out or scored. */
export const MIXTURE = `model mix {
  size N
  size K = 3
  hyper w: simplex[K]
  hyper m: real[K]
  plate i in N {
    c[i] ~ Categorical(w)
    x[i] ~ Normal(m[c[i]], 1)
  }
}`;
