// Binomial(n, p) or Binomial(n, logits = l) on {0, …, n}. Exact vectorised sampling on the
// symmetric p' = min(p, 1 - p) (the count is reflected, n - X, when p > 1/2):
// - n p' < 10: the geometric waiting-time method (Devroye 1986, §X.4.3): sum Geometric(p') gaps
//   until they pass n, a per-element loop run on whole tensors;
// - n p' >= 10: BTRS, Hörmann's transformed rejection (Hörmann 1993, "The generation of binomial
//   random variates"), with the acceptance test on the saddle-point log pmf.
// The log pmf is Loader's saddle-point form (accurate in float32 for large n). Counts are float32,
// exact up to 2^24; for n p beyond ~1e6 the float32 products n p in the acceptance test carry a
// relative error ~1e-7, i.e. a bias of order n p 1e-7 in log density (negligible below that).
import * as tf from '@tensorflow/tfjs';
import { BaseDistribution } from './base.js';
import type { ChildStats, ConjugateMessage, DistArgs, ExpFamily } from './distribution.js';
import { childMoments, noConjugateParent } from './moments.js';
import type { Rng } from './rng.js';
import { binomialLogPmf } from './saddle.js';
import {
  computeWhere,
  iterateUntilDone,
  type Proposal,
  rejectionSample,
  splitApply,
  uniform,
} from './sampling.js';
import { numel } from './shapes.js';
import { lbeta, log1p } from './special.js';
import { f32, isInteger, mask, maskOutside } from './support.js';

export class Binomial extends BaseDistribution {
  constructor(args: DistArgs) {
    super('Binomial', args, 0);
  }

  get n(): tf.Tensor {
    return this.params.n!;
  }

  /** P(success) */
  probs(): tf.Tensor {
    return this.params.p ? tf.clone(this.params.p) : tf.sigmoid(this.params.logits!);
  }

  /** p, q = 1 - p, log p, log q, accurate from either parameterisation */
  private pq(): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
    return binomialPQ(this.params);
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const [p, q, lp, lq] = this.pq();
    const out = sampleBinomial(this.n, p, q, sampleShape, rng);
    tf.dispose([p, q, lp, lq]);
    return out;
  }

  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const xf = f32(x);
      const ok = mask(
        (u, n) =>
          tf.logicalAnd(isInteger(u), tf.logicalAnd(tf.greaterEqual(u, 0), tf.lessEqual(u, n))),
        xf,
        this.raw.n!,
      );
      const xS = tf.where(ok, xf, tf.zerosLike(xf));
      const [p, q, lp, lq] = binomialPQ(this.raw);
      return maskOutside(tf.logicalNot(ok), binomialLogPmf(xS, this.raw.n!, p, q, lp, lq));
    });
  }

  mean(): tf.Tensor {
    return tf.tidy(() => tf.mul(this.n, this.probs()));
  }

  variance(): tf.Tensor {
    return tf.tidy(() => {
      const [p, q] = this.pq();
      return tf.mul(this.n, tf.mul(p, q));
    });
  }
}

/** [p, 1 - p, log p, log(1 - p)] from {p} or {logits} (the logits form avoids 1 - p rounding) */
export function binomialPQ(
  params: Readonly<Record<string, tf.Tensor>>,
): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    if (params.p) {
      const p = params.p;
      return [tf.clone(p), tf.sub(1, p), tf.log(p), log1p(tf.neg(p))] as [
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
      ];
    }
    const l = params.logits!;
    return [
      tf.sigmoid(l),
      tf.sigmoid(tf.neg(l)),
      tf.neg(tf.softplus(tf.neg(l))),
      tf.neg(tf.softplus(l)),
    ] as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  });
}

/** Waiting times: X = #{k : G_1 + … + G_k <= n}, G ~ Geometric(p) on {1, 2, …}. */
function waitingStep(state: readonly tf.Tensor[], rng: Rng): tf.Tensor[] {
  const [running, S, X, n, logQ] = state as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const u = uniform(running.shape, rng);
  return tf.tidy(() => {
    const g = tf.maximum(tf.ceil(tf.div(tf.log(u), logQ)), 1);
    const S2 = tf.add(S, g);
    const inc = tf.logicalAnd(running, tf.lessEqual(S2, n));
    const out = [
      inc,
      tf.where(running, S2, S),
      tf.add(X, tf.cast(inc, 'float32')),
      tf.clone(n),
      tf.clone(logQ),
    ];
    u.dispose();
    return out;
  });
}

function binomialSmall(n: tf.Tensor, p: tf.Tensor): (rng: Rng) => tf.Tensor {
  return (rng) => {
    const init = tf.tidy(() => [
      tf.logicalAnd(tf.greater(n, 0), tf.greater(p, 0)),
      tf.zerosLike(n),
      tf.zerosLike(n),
      tf.clone(n),
      log1p(tf.neg(p)),
    ]);
    const fin = iterateUntilDone(init, waitingStep, rng);
    tf.dispose(init);
    const x = fin[2]!;
    tf.dispose([fin[0]!, fin[1]!, fin[3]!, fin[4]!]);
    return x;
  };
}

/**
 * One BTRS proposal per element (Hörmann 1993, algorithm BTRS), for p <= 1/2 and n p >= 10.
 * params: n, p, q = 1 - p, and the log pmf at the mode m = floor((n + 1) p). The squeeze accepts
 * most proposals; the log-pmf test runs only on the others.
 */
function proposeBtrs(params: readonly tf.Tensor[], rng: Rng): Proposal {
  const [n, p, q, lpm] = params as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const size = n.shape[0]!;
  const u0 = uniform([size], rng);
  const v = uniform([size], rng);
  const [k, lhs, quick, need] = tf.tidy(() => {
    const spq = tf.sqrt(tf.mul(n, tf.mul(p, q)));
    const b = tf.add(1.15, tf.mul(2.53, spq));
    const a = tf.add(tf.add(-0.0873, tf.mul(0.0248, b)), tf.mul(0.01, p));
    const c = tf.add(tf.mul(n, p), 0.5);
    const vr = tf.sub(0.92, tf.div(4.2, b));
    const alpha = tf.mul(tf.add(2.83, tf.div(5.1, b)), spq);
    const U = tf.sub(u0, 0.5);
    const us = tf.sub(0.5, tf.abs(U));
    const k = tf.floor(tf.add(tf.mul(tf.add(tf.div(tf.mul(2, a), us), b), U), c));
    const inRange = tf.logicalAnd(tf.greaterEqual(k, 0), tf.lessEqual(k, n));
    const squeeze = tf.logicalAnd(tf.greaterEqual(us, 0.07), tf.lessEqual(v, vr));
    const quick = tf.logicalAnd(inRange, squeeze);
    const lhs = tf.log(tf.div(tf.mul(v, alpha), tf.add(tf.div(a, tf.square(us)), b)));
    const kC = tf.minimum(tf.maximum(k, 0), n);
    const bad = tf.logicalNot(tf.isFinite(spq));
    return [kC, lhs, tf.logicalOr(quick, bad), tf.logicalAnd(inRange, tf.logicalNot(quick))];
  });
  const test = computeWhere(
    need,
    [lhs, k, n, p, q, lpm],
    (l, kk, nn, pp, qq, lm) =>
      tf.tidy(() => {
        const lpk = binomialLogPmf(kk!, nn!, pp!, qq!, tf.log(pp!), tf.log(qq!));
        return tf.cast(tf.lessEqual(l!, tf.sub(lpk, lm!)), 'float32');
      }),
    0,
  );
  const accept = tf.tidy(() => tf.logicalOr(quick, tf.cast(test, 'bool')));
  tf.dispose([u0, v, lhs, quick, need, test]);
  return { value: k, accept };
}

/**
 * Exact binomial draws (float32) of shape [...sampleShape, ...batch] for n, p, q = 1 - p of the
 * batch shape (p and q separately, for accuracy near 0 and 1). NaN where a parameter is NaN.
 */
export function sampleBinomial(
  n: tf.Tensor,
  p: tf.Tensor,
  q: tf.Tensor,
  sampleShape: readonly number[],
  rng: Rng,
): tf.Tensor {
  const shape = [...sampleShape, ...tf.broadcast_util.assertAndGetBroadcastShape(n.shape, p.shape)];
  const size = numel(shape);
  if (size === 0) return tf.zeros(shape);
  const [nf, ps, qs, flip, small] = tf.tidy(() => {
    const flat = (t: tf.Tensor) => tf.reshape(tf.broadcastTo(f32(t), shape), [size]);
    const nf = flat(n);
    const pf = flat(p);
    const qf = flat(q);
    const flip = tf.greater(pf, 0.5);
    const ps = tf.where(flip, qf, pf);
    const qs = tf.where(flip, pf, qf);
    return [nf, ps, qs, flip, tf.less(tf.mul(nf, ps), 10)];
  });
  const x = splitApply([nf, ps, qs], small, [
    (nn, pp) => binomialSmall(nn!, pp!)(rng),
    (nn, pp, qq) => {
      // the log pmf at the mode, once per element (it is the same in every round)
      const lpm = tf.tidy(() =>
        binomialLogPmf(
          tf.floor(tf.mul(tf.add(nn!, 1), pp!)),
          nn!,
          pp!,
          qq!,
          tf.log(pp!),
          tf.log(qq!),
        ),
      );
      const r = rejectionSample([nn!, pp!, qq!, lpm], proposeBtrs, rng);
      lpm.dispose();
      return r;
    },
  ]);
  const out = tf.tidy(() => {
    const r = tf.where(flip, tf.sub(nf, x), x);
    const bad = tf.logicalOr(tf.isNaN(nf), tf.isNaN(ps));
    return tf.reshape(tf.where(bad, tf.fill([size], Number.NaN), r), shape);
  });
  tf.dispose([nf, ps, qs, flip, small, x]);
  return out;
}

/**
 * Binomial with FIXED n as an exponential family in p: eta = [logit p], T(x) = [x],
 * A = n softplus(eta), log h = log C(n, x) = -log(n + 1) - lbeta(n - x + 1, x + 1).
 * Its message to a Beta parent p (Binomial(n, p = theta)):
 *   log p(x | theta) = <[x, n - x], [log theta, log(1 - theta)]> + log h(x).
 */
export function binomialExpFamily(n: tf.Tensor): ExpFamily {
  const messageToParent = (arg: string, child: ChildStats): ConjugateMessage => {
    if (arg !== 'p') throw noConjugateParent('Binomial', arg);
    return tf.tidy(() => {
      const [x] = childMoments(child, (v) => [f32(v)]) as tf.Tensor[];
      return { eta: [tf.clone(x!), tf.sub(f32(n), x!)], rest: tf.zerosLike(x!) };
    });
  };
  return {
    messageToParent,
    family: 'Binomial',
    naturalParams: (args) =>
      tf.tidy(() =>
        args.logits ? [tf.clone(args.logits)] : [tf.sub(tf.log(args.p!), log1p(tf.neg(args.p!)))],
      ),
    fromNatural: (eta) =>
      tf.tidy(() => ({ n: tf.broadcastTo(f32(n), eta[0]!.shape), p: tf.sigmoid(eta[0]!) })),
    sufficientStats: (x) => tf.tidy(() => [tf.clone(f32(x))]),
    expectedStats: (eta) => tf.tidy(() => [tf.mul(n, tf.sigmoid(eta[0]!))]),
    logNormalizer: (eta) => tf.tidy(() => tf.mul(n, tf.softplus(eta[0]!))),
    logBaseMeasure: (x) =>
      tf.tidy(() => {
        const xf = f32(x);
        const nf = f32(n);
        return tf.neg(
          tf.add(tf.log(tf.add(nf, 1)), lbeta(tf.add(tf.sub(nf, xf), 1), tf.add(xf, 1))),
        );
      }),
  };
}
