// Sampling primitives shared by the families: seeded uniforms and normals, and two vectorised
// control structures for exact samplers whose work per draw is random:
// - `rejectionSample`: propose for every element, keep the accepted, re-propose only for the
//   rejected ones (gathered into a smaller tensor), until none is left;
// - `iterateUntilDone`: a per-element loop (Knuth's Poisson, binomial waiting times) run on the
//   whole tensor, compacted to the still-running elements once they are few.
// Each round costs one scalar read-back (the count of the remaining elements).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.js';

/** 2^-24: the float32 spacing just below 1. */
export const HALF_ULP_ONE = 2 ** -24;
/**
 * 2^-126, the smallest normal float32. Positive draws whose true value underflows float32 (a
 * Gamma(0.01) is below it a third of the time) are floored here rather than rounded to 0, so that
 * log x stays finite; the shift is below float32 resolution of any sum they enter.
 */
export const TINY = 2 ** -126;

/**
 * Uniform draws on the OPEN interval (0, 1): tfjs rounds its float64 draws to float32, which can
 * give exactly 1 (and in principle 0); both are clipped by 2^-24 so log(u) and log(1 - u) are finite.
 */
export function uniform(shape: readonly number[], rng: Rng): tf.Tensor {
  return tf.tidy(() =>
    tf.clipByValue(
      tf.randomUniform(shape as number[], 0, 1, 'float32', rng.nextSeed()),
      HALF_ULP_ONE,
      1 - HALF_ULP_ONE,
    ),
  );
}

/** Standard normal draws. */
export function normal(shape: readonly number[], rng: Rng): tf.Tensor {
  return tf.randomNormal(shape as number[], 0, 1, 'float32', rng.nextSeed());
}

/** Indices (int32 [count]) of the true entries of a 1-D boolean mask with `count` true entries. */
export function indicesWhere(mask: tf.Tensor, count: number): tf.Tensor1D {
  return tf.tidy(() => tf.topk(tf.cast(mask, 'float32'), count, false).indices as tf.Tensor1D);
}

/** read back a tensor computed by `f` (disposing it): one synchronisation */
export function readBack<T extends number | number[] | boolean>(f: () => tf.Tensor): T {
  const t = tf.tidy(f);
  const v = t.arraySync() as unknown as T;
  t.dispose();
  return v;
}

export function countTrue(mask: tf.Tensor): number {
  return readBack<number>(() => tf.sum(tf.cast(mask, 'int32')));
}

export interface Proposal {
  /** proposed values, [n] */
  readonly value: tf.Tensor;
  /** boolean [n]: accepted proposals (also true where the parameters are invalid, to terminate) */
  readonly accept: tf.Tensor;
}

const MAX_ROUNDS = 64;

/**
 * Exact rejection sampling, vectorised: `propose` maps 1-D parameter tensors (all [n]) to one
 * proposal per element; rejected elements are proposed again (only they). Returns [n].
 */
export function rejectionSample(
  params: readonly tf.Tensor[],
  propose: (params: readonly tf.Tensor[], rng: Rng) => Proposal,
  rng: Rng,
  round = 0,
): tf.Tensor {
  if (round >= MAX_ROUNDS) {
    throw new Error('rejection sampler did not accept within 64 rounds (invalid parameters?)');
  }
  const { value, accept } = propose(params, rng);
  const n = value.shape[0]!;
  const rejected = n - countTrue(accept);
  if (rejected === 0) {
    accept.dispose();
    return value;
  }
  const idx = tf.tidy(() => indicesWhere(tf.logicalNot(accept), rejected));
  accept.dispose();
  const sub = params.map((p) => tf.gather(p, idx));
  const again = rejectionSample(sub, propose, rng, round + 1);
  const out = tf.tidy(() => tf.tensorScatterUpdate(value, tf.expandDims(idx, 1), again));
  tf.dispose([value, idx, again, ...sub]);
  return out;
}

/**
 * A per-element loop run on whole tensors. `state[0]` is the boolean "still running" mask; `step`
 * advances every state tensor (it must leave finished elements unchanged). Checks every
 * `checkEvery` steps; when fewer than a quarter are still running it continues on those only.
 * Returns the final state (same shapes as the input).
 */
export function iterateUntilDone(
  state: readonly tf.Tensor[],
  step: (state: readonly tf.Tensor[], rng: Rng) => tf.Tensor[],
  rng: Rng,
  checkEvery = 4,
  maxSteps = 1 << 20,
): tf.Tensor[] {
  let cur = state.map((t) => tf.clone(t));
  let steps = 0;
  for (;;) {
    for (let i = 0; i < checkEvery; i++) {
      const next = step(cur, rng);
      tf.dispose(cur);
      cur = next;
    }
    steps += checkEvery;
    const n = cur[0]!.shape[0]!;
    const running = countTrue(cur[0]!);
    if (running === 0) return cur;
    if (steps >= maxSteps) throw new Error('vectorised sampler loop did not terminate');
    if (running * 4 < n) {
      const idx = tf.tidy(() => indicesWhere(cur[0]!, running));
      const sub = cur.map((t) => tf.gather(t, idx));
      const done = iterateUntilDone(sub, step, rng, checkEvery, maxSteps - steps);
      const idx2 = tf.expandDims(idx, 1);
      const merged = cur.map((t, i) => tf.tensorScatterUpdate(t, idx2, done[i]!));
      tf.dispose([...cur, ...sub, ...done, idx, idx2]);
      return merged;
    }
  }
}

/**
 * Apply `fns[0]` to the elements of the 1-D tensors where `mask` holds and `fns[1]` to the
 * others, each on a gathered sub-tensor (skipped when empty); returns the merged [n] result.
 */
export function splitApply(
  x: tf.Tensor | readonly tf.Tensor[],
  mask: tf.Tensor,
  fns: [(...xs: tf.Tensor[]) => tf.Tensor, (...xs: tf.Tensor[]) => tf.Tensor],
): tf.Tensor {
  const xs = Array.isArray(x) ? (x as tf.Tensor[]) : [x as tf.Tensor];
  const n = xs[0]!.shape[0]!;
  const nTrue = countTrue(mask);
  if (nTrue === n) return fns[0](...xs);
  if (nTrue === 0) return fns[1](...xs);
  const idxT = indicesWhere(mask, nTrue);
  const idxF = tf.tidy(() => indicesWhere(tf.logicalNot(mask), n - nTrue));
  const subT = xs.map((t) => tf.gather(t, idxT));
  const subF = xs.map((t) => tf.gather(t, idxF));
  const rT = fns[0](...subT);
  const rF = fns[1](...subF);
  const out = tf.tidy(() =>
    tf.add(
      tf.scatterND(tf.expandDims(idxT, 1), rT, [n]),
      tf.scatterND(tf.expandDims(idxF, 1), rF, [n]),
    ),
  );
  tf.dispose([idxT, idxF, ...subT, ...subF, rT, rF]);
  return out;
}

/**
 * `fn` evaluated only on the elements where `mask` holds (gathered into smaller tensors), `fill`
 * elsewhere: for an expensive acceptance test that a cheap squeeze already decided for most
 * elements. All inputs are 1-D [n]; fn returns float32 [m].
 */
export function computeWhere(
  mask: tf.Tensor,
  xs: readonly tf.Tensor[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor,
  fill: number,
): tf.Tensor {
  const n = mask.shape[0]!;
  const m = countTrue(mask);
  if (m === 0) return tf.fill([n], fill);
  if (m === n) return fn(...xs);
  const idx = indicesWhere(mask, m);
  const sub = xs.map((t) => tf.gather(t, idx));
  const r = fn(...sub);
  const out = tf.tidy(() => tf.tensorScatterUpdate(tf.fill([n], fill), tf.expandDims(idx, 1), r));
  tf.dispose([idx, ...sub, r]);
  return out;
}
