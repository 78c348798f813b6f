// Closed-form posteriors of the scalar conjugate pairs (conjugacy.ts `beta`, `gamma`,
// `dirichlet`), vectorised over the plates: every child element finds the latent element it
// reads (its reference evaluated with the latent replaced by element ids), its sufficient
// statistics are added into that element with one scatterND per statistic, and the updates
// and log evidence are done in float64 (Bernardo & Smith, Bayesian Theory, App. A):
//   Beta(a, b)      + Bernoulli x / Binomial(n, x):  a + Σx, b + Σ(n − x)
//   Gamma(a, b)     + Poisson(c λ) x:                a + Σx,   b + Σc
//                   + Exponential(c λ) x:            a + 1,    b + Σ c x        (per element)
//                   + Gamma(s, c λ) x:               a + Σs,   b + Σ c x
//                   + Normal(μ, (c τ)^-½) x:         a + n/2,  b + Σ c (x − μ)² / 2
//   Dirichlet(α)    + Categorical / Multinomial:     α + counts
//   log Z = Σ over latent elements of (log normaliser of the prior − that of the posterior):
//   Beta: ln B(a', b') − ln B(a, b); Gamma: a ln b − lnΓ(a) − a' ln b' + lnΓ(a');
//   Dirichlet: ln B(α') − ln B(α); plus the base measures of the children
//   (−ln x!, ln C(n, x), x ln c, ½ ln(c / 2π), …) summed over observed entries.
import * as tf from '@tensorflow/tfjs';
import { lgamma } from '../../distributions/special.js';
import { lbeta64, lgamma64 } from '../../distributions/special64.js';
import type { ScaledChild, ScaledStep } from '../../graph/conjugacy.js';
import type { StochasticNode } from '../../graph/ir.js';
import type { LatentPosterior } from '../result.js';
import { download, type ExprEvaluator, fullShape, prod, sum64 } from './evaluate.js';
import type { StepResult } from './gaussian.js';
import {
  bernoulliSummary,
  betaSummary,
  categoricalSummary,
  dirichletSummary,
  gammaSummary,
} from './summary.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export function runScaled(step: ScaledStep, ev: ExprEvaluator): StepResult {
  const model = ev.model;
  const L = step.latent;
  const node = model.graph.nodes[L] as StochasticNode;
  const F = fullShape(model, L);
  const event = model.shapes[L].event;
  const dirichlet = step.rule === 'dirichlet';
  const K = dirichlet ? F[F.length - 1] : 1;
  const M = prod(F) / K;

  // prior parameters in the latent's layout (float64)
  const param = (name: string) => download(() => ev.inLayout(node.args[name], L, {}, event));
  let p1: Float64Array; // a, shape or alpha
  let p2: Float64Array = new Float64Array(M); // b or rate
  if (step.prior === 'Uniform') {
    p1 = new Float64Array(M).fill(1);
    p2.fill(1);
  } else if (step.prior === 'Exponential') {
    p1 = new Float64Array(M).fill(1);
    p2 = param('rate');
  } else if (step.prior === 'Dirichlet') p1 = param('alpha');
  else if (step.prior === 'Beta') {
    p1 = param('a');
    p2 = param('b');
  } else {
    p1 = param('shape');
    p2 = param('rate');
  }

  const s1 = new Float64Array(M * K);
  const s2 = new Float64Array(M);
  let constant = 0;
  for (const c of step.children) {
    const r = childStats(c, step, ev, M, K);
    const d1 = r.s1.dataSync();
    for (let i = 0; i < d1.length; i++) s1[i] += d1[i];
    if (r.s2) {
      const d2 = r.s2.dataSync();
      for (let i = 0; i < d2.length; i++) s2[i] += d2[i];
    }
    constant += r.constant;
    r.s1.dispose();
    r.s2?.dispose();
  }

  let logEvidence = constant;
  if (step.rule === 'dirichlet') {
    const post = p1.map((a, i) => a + s1[i]);
    for (let m = 0; m < M; m++) logEvidence += lmvbeta(post, m * K, K) - lmvbeta(p1, m * K, K);
    const latents: Record<string, LatentPosterior> = { [L]: dirichletSummary(post, F) };
    for (const c of reported(step, model))
      latents[c.child] = predictiveSummary(c, step, ev, { alpha: post }, M, K);
    return { latents, logEvidence };
  }
  const a1 = p1.map((a, i) => a + s1[i]);
  const b1 = p2.map((b, i) => b + s2[i]);
  if (step.rule === 'beta') {
    for (let m = 0; m < M; m++) logEvidence += lbeta64(a1[m], b1[m]) - lbeta64(p1[m], p2[m]);
    const latents: Record<string, LatentPosterior> = { [L]: betaSummary(a1, b1, F) };
    for (const c of reported(step, model))
      latents[c.child] = predictiveSummary(c, step, ev, { a: a1, b: b1 }, M, K);
    return { latents, logEvidence };
  }
  for (let m = 0; m < M; m++) {
    logEvidence +=
      p1[m] * Math.log(p2[m]) - lgamma64(p1[m]) - (a1[m] * Math.log(b1[m]) - lgamma64(a1[m]));
  }
  return { latents: { [L]: gammaSummary(a1, b1, F) }, logEvidence };
}

/** Children reported as latents: predictive leaves, and Bernoulli/Categorical children with missing entries. */
function reported(step: ScaledStep, model: ExprEvaluator['model']): ScaledChild[] {
  const partial = step.children.filter(
    (c) =>
      model.observation[c.child]?.kind === 'partial' &&
      (c.likelihood === 'Bernoulli' || c.likelihood === 'Categorical'),
  );
  return [...step.predictive, ...partial];
}

/** ln B(α) of the K-vector starting at `o`: Σ lnΓ(α_k) − lnΓ(Σ α_k). */
function lmvbeta(alpha: Float64Array, o: number, K: number): number {
  let s = 0;
  let sum = 0;
  for (let k = 0; k < K; k++) {
    s += lgamma64(alpha[o + k]);
    sum += alpha[o + k];
  }
  return s - lgamma64(sum);
}

interface ChildStats {
  /** [M] (or [M, K] for a Dirichlet): successes, shape increments or counts */
  readonly s1: tf.Tensor;
  /** [M]: failures or rate increments */
  readonly s2?: tf.Tensor;
  /** the children's base-measure terms, summed */
  readonly constant: number;
}

/**
 * The latent element each element of the child reads, int32 [T] (for a Categorical or
 * Multinomial child, one per vector): its reference evaluated with the latent replaced by
 * element ids. Call inside tf.tidy.
 */
function segments(
  c: ScaledChild,
  step: ScaledStep,
  ev: ExprEvaluator,
  M: number,
  K: number,
): tf.Tensor {
  const model = ev.model;
  const F = fullShape(model, step.latent);
  const event = model.shapes[c.child].event;
  const ids =
    step.rule === 'dirichlet'
      ? tf.broadcastTo(tf.reshape(tf.range(0, M, 1, 'float32'), [1, ...F.slice(0, -1), 1]), [
          1,
          ...F,
        ])
      : tf.reshape(tf.range(0, M, 1, 'float32'), [1, ...F]);
  const refShape = c.likelihood === 'Categorical' ? [...event, K] : event;
  const refVal = ev.inLayout(c.ref, c.child, { [step.latent]: ids }, refShape);
  const vectors = c.likelihood === 'Categorical' || c.likelihood === 'Multinomial';
  const seg = vectors ? tf.slice(tf.reshape(refVal, [-1, K]), [0, 0], [-1, 1]) : refVal;
  return tf.cast(tf.round(tf.reshape(seg, [-1])), 'int32');
}

/**
 * The posterior of a latent (or partially observed) Bernoulli or Categorical child: the
 * posterior predictive Bernoulli(a' / (a' + b')) or Categorical(α' / Σα') of the element it
 * reads; observed entries are reported as themselves (sd 0).
 */
function predictiveSummary(
  c: ScaledChild,
  step: ScaledStep,
  ev: ExprEvaluator,
  post: { a: Float64Array; b: Float64Array } | { alpha: Float64Array },
  M: number,
  K: number,
): LatentPosterior {
  const model = ev.model;
  const F = fullShape(model, c.child);
  const seg = download(() => tf.cast(segments(c, step, ev, M, K), 'float32'));
  const x = model.values[c.child]?.data;
  const observed = (t: number) => x !== undefined && !Number.isNaN(x[t]);
  if ('a' in post) {
    const p = new Float64Array(seg.length);
    for (let t = 0; t < seg.length; t++) {
      const m = seg[t];
      p[t] = observed(t) ? (x as Float64Array)[t] : post.a[m] / (post.a[m] + post.b[m]);
    }
    return bernoulliSummary(p, F);
  }
  const p = new Float64Array(seg.length * K);
  for (let t = 0; t < seg.length; t++) {
    if (observed(t)) {
      p[t * K + (x as Float64Array)[t]] = 1;
      continue;
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += post.alpha[seg[t] * K + k];
    for (let k = 0; k < K; k++) p[t * K + k] = post.alpha[seg[t] * K + k] / s;
  }
  return categoricalSummary(p, F, K);
}

function childStats(
  c: ScaledChild,
  step: ScaledStep,
  ev: ExprEvaluator,
  M: number,
  K: number,
): ChildStats {
  const model = ev.model;
  const L = step.latent;
  const child = model.graph.nodes[c.child] as StochasticNode;
  const shape = model.shapes[c.child];
  const T = prod(shape.batch) * prod(shape.event);
  const F = fullShape(model, L);
  const obs = model.observation[c.child];
  const mask = obs?.kind === 'partial' ? obs.mask : undefined;

  const out = tf.tidy(() => {
    const arg = (name: string) =>
      tf.reshape(ev.inLayout(child.args[name], c.child, {}, shape.event), [T]);
    const xRaw = tf.reshape(ev.observed(c.child), [T]);
    const w = mask ? tf.tensor1d(Float32Array.from(mask)) : tf.ones([T]);
    const x = tf.where(tf.isNaN(xRaw), tf.zerosLike(xRaw), xRaw);

    const seg = tf.expandDims(segments(c, step, ev, M, K), 1);

    // c: the argument at latent = 1 (for a precision: sd^-2 there)
    const coef = () => {
      const v = tf.reshape(
        ev.inLayout(child.args[c.arg], c.child, { [L]: tf.ones([1, ...F]) }, shape.event),
        [T],
      );
      return c.likelihood === 'NormalPrecision' ? tf.pow(v, -2) : v;
    };
    const scatter = (v: tf.Tensor) => tf.scatterND(seg, v, [M]);

    switch (c.likelihood) {
      case 'Bernoulli':
        return { s1: scatter(tf.mul(w, x)), s2: scatter(tf.mul(w, tf.sub(1, x))), k: tf.scalar(0) };
      case 'Binomial': {
        const n = arg('n');
        const k = tf.sub(
          tf.sub(lgamma(tf.add(n, 1)), lgamma(tf.add(x, 1))),
          lgamma(tf.add(tf.sub(n, x), 1)),
        );
        return { s1: scatter(tf.mul(w, x)), s2: scatter(tf.mul(w, tf.sub(n, x))), k: tf.mul(w, k) };
      }
      case 'Poisson': {
        const cf = c.scaled ? coef() : tf.ones([T]);
        const xlogc = tf.where(tf.equal(x, 0), tf.zerosLike(x), tf.mul(x, tf.log(cf)));
        return {
          s1: scatter(tf.mul(w, x)),
          s2: scatter(tf.mul(w, cf)),
          k: tf.mul(w, tf.sub(xlogc, lgamma(tf.add(x, 1)))),
        };
      }
      case 'Exponential': {
        const cf = c.scaled ? coef() : tf.ones([T]);
        return { s1: scatter(w), s2: scatter(tf.mul(w, tf.mul(cf, x))), k: tf.mul(w, tf.log(cf)) };
      }
      case 'Gamma': {
        const cf = c.scaled ? coef() : tf.ones([T]);
        const s = arg('shape');
        const k = tf.sub(
          tf.add(
            tf.mul(s, tf.log(cf)),
            tf.mul(tf.sub(s, 1), tf.log(tf.where(tf.equal(w, 0), tf.onesLike(x), x))),
          ),
          lgamma(s),
        );
        return {
          s1: scatter(tf.mul(w, s)),
          s2: scatter(tf.mul(w, tf.mul(cf, x))),
          k: tf.mul(w, k),
        };
      }
      case 'NormalPrecision': {
        const cf = coef();
        const mu = arg('mu');
        const sq = tf.square(tf.sub(x, mu));
        return {
          s1: scatter(tf.mul(w, 0.5)),
          s2: scatter(tf.mul(w, tf.mul(tf.mul(cf, sq), 0.5))),
          k: tf.mul(w, tf.sub(tf.mul(tf.log(cf), 0.5), HALF_LOG_2PI)),
        };
      }
      case 'Categorical': {
        const idx = tf.concat([seg, tf.expandDims(tf.cast(tf.round(x), 'int32'), 1)], 1);
        return { s1: tf.scatterND(idx, w, [M, K]), s2: undefined, k: tf.scalar(0) };
      }
      case 'Multinomial': {
        const rows = tf.reshape(x, [-1, K]);
        const n = tf.sum(rows, 1);
        const k = tf.sub(lgamma(tf.add(n, 1)), tf.sum(lgamma(tf.add(rows, 1)), 1));
        return { s1: tf.scatterND(seg, rows, [M, K]), s2: undefined, k };
      }
    }
  });
  const constant = sum64(out.k);
  out.k.dispose();
  return { s1: out.s1, s2: out.s2, constant };
}
