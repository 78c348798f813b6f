// Poisson(rate) on {0, 1, 2, …}. tfjs has no Poisson sampler; this one is exact and vectorised:
// - rate < 10: Knuth's method in log space (count unit-rate exponential arrivals before `rate`),
//   a per-element loop run on whole tensors (`iterateUntilDone`);
// - rate >= 10: PTRS, Hörmann's transformed rejection with squeeze (Hörmann 1993, "The
//   transformed rejection method for generating Poisson random variables"), as in NumPy, with
//   the acceptance test on the saddle-point log pmf (accurate in float32 for large counts).
// Counts are float32, exact up to 2^24.
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type {
  ChildStats,
  ConjugateMessage,
  CoParents,
  DistArgs,
  ExpFamily,
} from './distribution.js';
import { childMoments, noConjugateParent } from './moments.js';
import type { Rng } from './rng.js';
import { poissonLogPmf } from './saddle.js';
import {
  computeWhere,
  iterateUntilDone,
  type Proposal,
  rejectionSample,
  splitApply,
  uniform,
} from './sampling.js';
import { numel } from './shapes.js';
import { lgamma } from './special.js';
import { f32, isInteger, mask, maskOutside } from './support.js';

export class Poisson extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Poisson', args, 0);
  }

  get rate(): tf.Tensor {
    return this.params.rate!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    return samplePoisson(this.rate, sampleShape, rng);
  }

  /** saddle-point log pmf (Loader 2000); -Inf off the non-negative integers */
  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const xf = f32(x);
      const ok = mask((u) => tf.logicalAnd(isInteger(u), tf.greaterEqual(u, 0)), xf);
      const xS = tf.where(ok, xf, tf.zerosLike(xf));
      const v = poissonLogPmf(xS, this.raw.rate!);
      // rate 0: all mass at 0
      const zeroRate = mask((r) => tf.equal(r, 0), this.raw.rate!);
      const v0 = tf.where(
        tf.broadcastTo(zeroRate, v.shape),
        tf.where(
          mask((u) => tf.equal(u, 0), xS),
          tf.zerosLike(v),
          tf.fill(v.shape, Number.NEGATIVE_INFINITY),
        ),
        v,
      );
      return maskOutside(tf.logicalNot(ok), v0);
    });
  }

  mean(): tf.Tensor {
    return tf.clone(this.rate);
  }

  variance(): tf.Tensor {
    return tf.clone(this.rate);
  }
}

/** Knuth in log space: X = #{k : E_1 + … + E_k <= rate}. State: [running, S, X, rate]. */
function knuthStep(state: readonly tf.Tensor[], rng: Rng): tf.Tensor[] {
  const [running, S, X, lam] = state as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const u = uniform(running.shape, rng);
  return tf.tidy(() => {
    const S2 = tf.sub(S, tf.log(u));
    const inc = tf.logicalAnd(running, tf.lessEqual(S2, lam));
    const out = [inc, tf.where(running, S2, S), tf.add(X, tf.cast(inc, 'float32')), tf.clone(lam)];
    u.dispose();
    return out;
  });
}

function poissonSmall(lam: tf.Tensor, rng: Rng): tf.Tensor {
  const init = tf.tidy(() => [
    tf.greater(lam, 0),
    tf.zerosLike(lam),
    tf.zerosLike(lam),
    tf.clone(lam),
  ]);
  const fin = iterateUntilDone(init, knuthStep, rng);
  tf.dispose([...init, fin[0]!, fin[1]!, fin[3]!]);
  return fin[2]!;
}

/**
 * One PTRS proposal per element (Hörmann 1993, algorithm PTRS). The squeeze accepts most
 * proposals; the log-pmf test runs only on the others.
 */
function proposePtrs(params: readonly tf.Tensor[], rng: Rng): Proposal {
  const [lam] = params as [tf.Tensor];
  const n = lam.shape[0]!;
  const u0 = uniform([n], rng);
  const v = uniform([n], rng);
  const [k, lhs, quick, need] = tf.tidy(() => {
    const b = tf.add(0.931, tf.mul(2.53, tf.sqrt(lam)));
    const a = tf.add(-0.059, tf.mul(0.02483, b));
    const invAlpha = tf.add(1.1239, tf.div(1.1328, tf.sub(b, 3.4)));
    const vr = tf.sub(0.9277, tf.div(3.6224, tf.sub(b, 2)));
    const U = tf.sub(u0, 0.5);
    const us = tf.sub(0.5, tf.abs(U));
    const k = tf.floor(tf.add(tf.mul(tf.add(tf.div(tf.mul(2, a), us), b), U), tf.add(lam, 0.43)));
    const nonNeg = tf.greaterEqual(k, 0);
    const quick = tf.logicalAnd(
      nonNeg,
      tf.logicalAnd(tf.greaterEqual(us, 0.07), tf.lessEqual(v, vr)),
    );
    const inRange = tf.logicalAnd(
      nonNeg,
      tf.logicalNot(tf.logicalAnd(tf.less(us, 0.013), tf.greater(v, us))),
    );
    const lhs = tf.sub(
      tf.add(tf.log(v), tf.log(invAlpha)),
      tf.log(tf.add(tf.div(a, tf.square(us)), b)),
    );
    return [tf.maximum(k, 0), lhs, quick, tf.logicalAnd(inRange, tf.logicalNot(quick))];
  });
  const test = computeWhere(
    need,
    [lhs, k, lam],
    (l, kk, la) => tf.tidy(() => tf.cast(tf.lessEqual(l!, poissonLogPmf(kk!, la!)), 'float32')),
    0,
  );
  const accept = tf.tidy(() =>
    tf.logicalOr(tf.logicalOr(quick, tf.cast(test, 'bool')), tf.logicalNot(tf.isFinite(lam))),
  );
  tf.dispose([u0, v, lhs, quick, need, test]);
  return { value: k, accept };
}

/** Exact Poisson draws, float32 [...sampleShape, ...rate.shape]; NaN where rate is NaN. */
export function samplePoisson(
  rate: tf.Tensor,
  sampleShape: readonly number[],
  rng: Rng,
): tf.Tensor {
  const shape = [...sampleShape, ...rate.shape];
  const n = numel(shape);
  if (n === 0) return tf.zeros(shape);
  const lam = tf.tidy(() => tf.reshape(tf.broadcastTo(f32(rate), shape), [n]));
  const small = tf.tidy(() => tf.less(lam, 10));
  const out = splitApply(lam, small, [
    (l) => poissonSmall(l, rng),
    (l) => rejectionSample([l], proposePtrs, rng),
  ]);
  const res = tf.tidy(() =>
    tf.reshape(tf.where(tf.isNaN(lam), tf.fill([n], Number.NaN), out), shape),
  );
  tf.dispose([lam, small, out]);
  return res;
}

/**
 * A Poisson child's message to a Gamma parent lambda in its rate c × lambda (c known, 1 unless
 * scaled; an exposure):
 *   log p(x | lambda) = x log(c lambda) - c lambda - lgamma(x + 1)
 *                     = <[x, -c], [log lambda, lambda]> + x log c + log h(x)   (x log c = 0 at x = 0).
 */
function poissonMessageToParent(arg: string, child: ChildStats, co: CoParents): ConjugateMessage {
  if (arg !== 'rate') throw noConjugateParent('Poisson', arg);
  return tf.tidy(() => {
    const [x] = childMoments(child, (v) => [f32(v)]) as tf.Tensor[];
    if (!co.coefficient)
      return { eta: [tf.clone(x!), tf.fill(x!.shape, -1)], rest: tf.zerosLike(x!) };
    const c = tf.broadcastTo(f32(co.coefficient), x!.shape);
    const xlogc = tf.where(tf.equal(x!, 0), tf.zerosLike(x!), tf.mul(x!, tf.log(c)));
    return { eta: [tf.clone(x!), tf.neg(c)], rest: xlogc };
  });
}

/** eta = [log rate], T(x) = [x], A = exp(eta), log h = -lgamma(x + 1). */
export const poissonExpFamily: ExpFamily = {
  family: 'Poisson',
  naturalParams: (args) => tf.tidy(() => [tf.log(args.rate!)]),
  fromNatural: (eta) => tf.tidy(() => ({ rate: tf.exp(eta[0]!) })),
  sufficientStats: (x) => tf.tidy(() => [tf.clone(f32(x))]),
  expectedStats: (eta) => tf.tidy(() => [tf.exp(eta[0]!)]),
  logNormalizer: (eta) => tf.exp(eta[0]!),
  logBaseMeasure: (x) => tf.tidy(() => tf.neg(lgamma(tf.add(f32(x), 1)))),
  messageToParent: poissonMessageToParent,
};
