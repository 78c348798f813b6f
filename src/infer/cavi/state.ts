// The variational factors of cavi: one exponential-family q per latent, one factor per plate
// element. A continuous latent keeps its natural parameters η in float64 on the host (the
// update η = η_prior + Σ messages is finished there) and its expected statistics E_q[T(x)] as
// tensors for the messages; a discrete latent keeps q as probabilities [M, S] (M elements, S
// states) on the device.
import * as tf from '@tensorflow/tfjs';
import { download, type ExprEvaluator, fullShape } from '../../compile/evaluator.js';
import type { Env } from '../../compile/model.js';
import type { ExpFamily, ExpFamily64 } from '../../distributions/distribution.js';
import { expFamilyOf } from '../../distributions/expfamily.js';
import type { Rng } from '../../distributions/rng.js';
import { PARAM_EVENT_RANK } from '../../distributions/shapes.js';
import { DISTRIBUTIONS } from '../../distributions/signatures.js';
import type { StochasticNode } from '../../graph/ir.js';
import { prod } from '../../util/shape.js';
import type { CaviLatent, ContinuousFamily, DiscreteFamily } from './plan.js';

export interface ContinuousQ {
  readonly kind: 'continuous';
  readonly name: string;
  readonly family: ContinuousFamily;
  readonly ef: ExpFamily;
  readonly f64: ExpFamily64;
  /** the node's full shape */
  readonly F: readonly number[];
  /** entries per element: K for a Dirichlet, else 1 */
  readonly K: number;
  /** elements (factors) */
  readonly M: number;
  /** the prior's η (changes only when a learned param in the prior's arguments moves: params.ts) */
  eta0: readonly Float64Array[];
  eta: Float64Array[];
  /** E_q[T(x)] per block: [M] or [M, K] */
  moments: tf.Tensor[];
}

export interface DiscreteQ {
  readonly kind: 'discrete';
  readonly name: string;
  readonly family: DiscreteFamily;
  readonly F: readonly number[];
  readonly M: number;
  /** states: 2 for a Bernoulli, K for a Categorical */
  readonly S: number;
  /** q(x = s) per element: [M, S] */
  q: tf.Tensor;
  /**
   * A discrete node with missing entries: its observed entries are point masses (mask [M, 1] is
   * 1 there, onehot [M, S] the data), only the missing ones are free factors.
   */
  readonly pin?: { readonly mask: tf.Tensor; readonly onehot: tf.Tensor };
}

export type Q = ContinuousQ | DiscreteQ;

/** A continuous latent's factor, started at its prior (η = η_prior). */
export function continuousQ(
  l: Extract<CaviLatent, { kind: 'continuous' }>,
  ev: ExprEvaluator,
  env: Env = {},
): ContinuousQ {
  const eta0 = priorEta(l, ev, env);
  const F = fullShape(ev.model, l.name);
  const ef = expFamilyOf(l.family) as ExpFamily;
  const f64 = ef.float64 as ExpFamily64;
  const K = DISTRIBUTIONS[l.family].eventRank === 1 ? F[F.length - 1] : 1;
  const M = prod(F) / K;
  const q: ContinuousQ = {
    kind: 'continuous',
    name: l.name,
    family: l.family,
    ef,
    f64,
    F,
    K,
    M,
    eta0,
    eta: eta0.map((e) => Float64Array.from(e)),
    moments: [],
  };
  setEta(q, q.eta);
  return q;
}

/** The prior's η of a continuous latent (float64), its arguments evaluated in `env`. */
export function priorEta(
  l: Extract<CaviLatent, { kind: 'continuous' }>,
  ev: ExprEvaluator,
  env: Env = {},
): Float64Array[] {
  const f64 = (expFamilyOf(l.family) as ExpFamily).float64 as ExpFamily64;
  const args = priorArgs(l, ev, env, download);
  return f64.naturalParams(args);
}

/**
 * The prior's parameters in the conjugate family's terms, in the latent's layout ([M] or
 * [M · K] entries): a number of the view (Exponential's shape 1) or the node's argument
 * evaluated in `env` by the thunk `as` is given (download, or call it to keep the tensor for
 * autodiff).
 */
export function priorArgs<T>(
  l: Extract<CaviLatent, { kind: 'continuous' }>,
  ev: ExprEvaluator,
  env: Env,
  as: (evaluate: () => tf.Tensor) => T,
): Record<string, T | Float64Array> {
  const model = ev.model;
  const node = model.graph.nodes[l.name] as StochasticNode;
  const F = fullShape(model, l.name);
  const event = model.shapes[l.name].event;
  const K = DISTRIBUTIONS[l.family].eventRank === 1 ? F[F.length - 1] : 1;
  const M = prod(F) / K;
  const args: Record<string, T | Float64Array> = {};
  for (const name of DISTRIBUTIONS[l.family].params[0]) {
    const v = l.view.args[name] ?? name;
    const size = PARAM_EVENT_RANK[l.family][name] === 1 ? M * K : M;
    args[name] =
      typeof v === 'number'
        ? new Float64Array(size).fill(v)
        : as(() => ev.inLayout(node.args[v], l.name, env, event));
  }
  return args;
}

/** E_q[T(x)] in float64 of an η set by setEta (negKl reads them: computed once per update). */
const moments64 = new WeakMap<Float64Array[], Float64Array[]>();
/**
 * A(η_prior) per element, keyed by the η_prior arrays themselves: variational EM replaces a
 * prior's η (a new array, never mutated in place: Cavi.refreshParams) when it reads a learned
 * param, so a moved prior gets its own entry.
 */
const priorA = new WeakMap<readonly Float64Array[], Float64Array>();

/**
 * Set a continuous factor's η (float64) and recompute its expected statistics: in float64 on the
 * host when the family has them (one pass over the parameters, which −KL needs anyway; the
 * device's float32 digamma was a second pass of several ops), else on the device.
 */
export function setEta(q: ContinuousQ, eta: Float64Array[]): void {
  q.eta = eta;
  const shape = q.K > 1 ? [q.M, q.K] : [q.M];
  const m64 = q.f64.expectedStats?.(eta, q.K);
  if (m64) moments64.set(eta, m64);
  const next = tf.tidy(() =>
    m64
      ? m64.map((m) => tf.tensor(Float32Array.from(m), shape, 'float32'))
      : q.ef.expectedStats(eta.map((e) => tf.tensor(Float32Array.from(e), shape, 'float32'))),
  );
  tf.dispose(q.moments);
  q.moments = next;
}

/**
 * A discrete latent's factor, started at random probabilities (rows of Dirichlet(1) draws,
 * seeded): random responsibilities break the symmetry of mixture components, which would
 * otherwise all receive the same updates.
 */
export function discreteQ(
  l: Extract<CaviLatent, { kind: 'discrete' }>,
  S: number,
  ev: ExprEvaluator,
  rng: Rng,
): DiscreteQ {
  const F = fullShape(ev.model, l.name);
  const M = prod(F);
  const pin = l.partial
    ? tf.tidy(() => {
        // the data, NaN where missing: Categorical states 0…K−1, Bernoulli 0/1
        const v = tf.reshape(ev.observed(l.name), [M]);
        const seen = tf.logicalNot(tf.isNaN(v));
        const at = tf.cast(tf.where(seen, v, tf.zerosLike(v)), 'int32') as tf.Tensor1D;
        return { mask: tf.reshape(tf.cast(seen, 'float32'), [M, 1]), onehot: tf.oneHot(at, S) };
      })
    : undefined;
  const q = tf.tidy(() => {
    const e = tf.neg(tf.log(tf.randomUniform([M, S], 1e-6, 1, 'float32', rng.nextSeed())));
    return pinned(pin, tf.div(e, tf.sum(e, 1, true)));
  });
  return { kind: 'discrete', name: l.name, family: l.family, F, M, S, q, pin };
}

/** q with a partly observed node's observed entries set to their data (point masses). */
export function pinned(pin: DiscreteQ['pin'], q: tf.Tensor): tf.Tensor {
  if (!pin) return q;
  return tf.tidy(() => tf.add(tf.mul(pin.mask, pin.onehot), tf.mul(tf.sub(1, pin.mask), q)));
}

/**
 * The ELBO's terms of a continuous factor with a known prior, in float64:
 *   E_q[log p(x)] + H[q] = Σ_elements <η_prior − η, E_q[T(x)]> + A(η) − A(η_prior)
 * (the base measures cancel), i.e. −KL(q ‖ prior).
 */
export function negKl(q: ContinuousQ): number {
  const a = q.f64.logNormalizer(q.eta, q.K);
  let a0 = priorA.get(q.eta0);
  if (!a0) {
    a0 = q.f64.logNormalizer(q.eta0, q.K);
    priorA.set(q.eta0, a0);
  }
  const m =
    moments64.get(q.eta) ??
    (q.f64.expectedStats as NonNullable<ExpFamily64['expectedStats']>)(q.eta, q.K);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] - a0[i];
  m.forEach((mb, b) => {
    const e = q.eta[b];
    const e0 = q.eta0[b];
    for (let i = 0; i < mb.length; i++) s += (e0[i] - e[i]) * mb[i];
  });
  return s;
}

export function disposeQ(q: Q): void {
  if (q.kind === 'continuous') tf.dispose(q.moments);
  else tf.dispose([q.q, ...(q.pin ? [q.pin.mask, q.pin.onehot] : [])]);
}
