// Closed-form posteriors of the conjugate pairs of the registry (src/distributions/conjugacy.ts),
// one generic loop over the children's messages, vectorised over the plates: every child
// element finds the latent element it reads (its reference evaluated with the latent replaced by
// element ids); each child family's `messageToParent` gives per element the increment to the
// prior's natural parameters, added into that element in float64 (float32 sums of N ≈ 10⁵
// terms lose the digits that a + Σs and lnΓ(a') need); then, in float64 (Bernardo & Smith, Bayesian Theory, App. A; expfamily.ts `conjugateUpdate64`):
//   eta_post = eta_prior + Σ messages,
//   log Z    = Σ over latent elements of [A(eta_post) − A(eta_prior)]
//              + Σ over observed child entries of (rest + log h(x)),
// rest and log h being the terms of each child's log density free of the latent (−ln x!,
// ln C(n, x), x ln c, ½ ln(c / 2π), …). No family names here: a new pair is one family file
// edit and one registry entry.
import * as tf from '@tensorflow/tfjs';
import { download, type ExprEvaluator, fullShape, sum64 } from '../../compile/evaluator.js';
import type { ConjugateMessage } from '../../distributions/distribution.js';
import { conjugateUpdate64, expFamilyOf } from '../../distributions/expfamily.js';
import { PARAM_EVENT_RANK } from '../../distributions/shapes.js';
import { DISTRIBUTIONS, type DistName } from '../../distributions/signatures.js';
import type { StochasticNode } from '../../graph/ir.js';
import { prod } from '../../util/shape.js';
import type { LatentPosterior } from '../result.js';
import type { StepResult } from './gaussian.js';
import type { ScaledChild, ScaledStep } from './plan.js';
import { scaledPredictive } from './predictive.js';
import {
  bernoulliSummary,
  betaSummary,
  categoricalSummary,
  dirichletSummary,
  gammaSummary,
} from './summary.js';

type Params64 = Record<string, Float64Array>;

/** How each conjugate prior family's posterior is reported (its §5 parameters, mean and sd). */
const SUMMARIES: Partial<Record<DistName, (p: Params64, F: readonly number[]) => LatentPosterior>> =
  {
    Beta: (p, F) => betaSummary(p.a, p.b, F),
    Gamma: (p, F) => gammaSummary(p.shape, p.rate, F),
    Dirichlet: (p, F) => dirichletSummary(p.alpha, F),
  };

export function runScaled(step: ScaledStep, ev: ExprEvaluator): StepResult {
  const model = ev.model;
  const L = step.latent;
  const node = model.graph.nodes[L] as StochasticNode;
  const F = fullShape(model, L);
  const event = model.shapes[L].event;
  const family = step.view.as;
  const prior = expFamilyOf(family);
  const summary = SUMMARIES[family];
  if (!prior?.float64 || !summary) throw new Error(`internal: ${family} is not a conjugate prior`);
  const K = DISTRIBUTIONS[family].eventRank === 1 ? F[F.length - 1] : 1;
  const M = prod(F) / K;

  // the prior's parameters in the conjugate family's terms (float64, in the latent's layout)
  const args: Params64 = {};
  for (const name of DISTRIBUTIONS[family].params[0]) {
    const v = step.view.args[name] ?? name;
    const size = PARAM_EVENT_RANK[family][name] === 1 ? M * K : M;
    args[name] =
      typeof v === 'number'
        ? new Float64Array(size).fill(v)
        : download(() => ev.inLayout(node.args[v], L, {}, event));
  }
  const eta0 = prior.float64.naturalParams(args);
  const sums = eta0.map((e) => new Float64Array(e.length));
  let constant = 0;
  for (const c of step.children) {
    const r = childMessage(c, step, ev, M, K);
    r.blocks.forEach((b, i) => {
      segmentSum64(b.value, b.at, sums[i]);
    });
    constant += r.constant;
    tf.dispose(r.blocks.flatMap((b) => [b.value, b.at]));
  }
  const up = conjugateUpdate64(prior, eta0, sums, K);
  const post = prior.float64.fromNatural(up.eta);
  const latents: Record<string, LatentPosterior> = { [L]: summary(post, F) };
  for (const c of reported(step, model))
    latents[c.child] = predictiveSummary(c, step, ev, post, M, K);
  // missing entries of the other partially observed children: their posterior predictive
  const seg = (c: ScaledChild) => segments(c, step, ev, M, K);
  Object.assign(latents, scaledPredictive(step, post, ev, seg, K));
  return { latents, logEvidence: constant + up.logNormalizerGain };
}

/** Children reported as latents: predictive leaves, and Bernoulli/Categorical children with missing entries. */
function reported(step: ScaledStep, model: ExprEvaluator['model']): ScaledChild[] {
  const partial = step.children.filter(
    (c) => model.observation[c.child]?.kind === 'partial' && predictiveFamily(c, model),
  );
  return [...step.predictive, ...partial];
}

/** A child whose posterior predictive is reported: a binary or one-hot statistic of its parent's mean. */
function predictiveFamily(c: ScaledChild, model: ExprEvaluator['model']): boolean {
  const d = (model.graph.nodes[c.child] as StochasticNode).distribution;
  return d === 'Bernoulli' || d === 'Categorical';
}

/**
 * out[at[t]·w + k] += value[t, k] for every element t (w = 1, or K for a vector of counts), in
 * float64.
 */
function segmentSum64(value: tf.Tensor, at: tf.Tensor, out: Float64Array): void {
  const d = value.dataSync();
  const a = at.dataSync();
  const w = d.length / a.length;
  for (let t = 0; t < a.length; t++) {
    const o = a[t] * w;
    for (let k = 0; k < w; k++) out[o + k] += d[t * w + k];
  }
}

/** The argument of the child the latent enters is a vector over the latent's event (a Dirichlet's p). */
function vectorArg(c: ScaledChild): boolean {
  return PARAM_EVENT_RANK[c.pair.child][c.arg] === 1;
}

/**
 * The latent element each element of the child reads, int32 [T] (for a child whose argument is
 * a vector, one per vector): its reference evaluated with the latent replaced by element ids.
 * Call inside tf.tidy.
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
    K > 1
      ? tf.broadcastTo(tf.reshape(tf.range(0, M, 1, 'float32'), [1, ...F.slice(0, -1), 1]), [
          1,
          ...F,
        ])
      : tf.reshape(tf.range(0, M, 1, 'float32'), [1, ...F]);
  const vectors = vectorArg(c);
  const childRank = DISTRIBUTIONS[c.pair.child].eventRank;
  const refShape = vectors ? [...event.slice(0, event.length - childRank), K] : event;
  const refVal = ev.inLayout(c.ref, c.child, { [step.latent]: ids }, refShape);
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
  post: Params64,
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

interface ChildSums {
  /**
   * per block of the prior's eta: the child's message per element (value [R], or [R, K] for a
   * vector) and where it goes in the latent's layout (at, int32 [R]: the latent element, or
   * element · K + state for a one-hot message)
   */
  readonly blocks: { readonly value: tf.Tensor; readonly at: tf.Tensor }[];
  /** the child's terms free of the latent (rest + log h(x)), summed in float64 */
  readonly constant: number;
}

/**
 * One child's messages to the latent per element, with the latent element each goes to
 * (observed entries only: missing entries of a partially observed leaf, or whole missing
 * vectors, carry no message and no evidence).
 */
function childMessage(
  c: ScaledChild,
  step: ScaledStep,
  ev: ExprEvaluator,
  M: number,
  K: number,
): ChildSums {
  const model = ev.model;
  const L = step.latent;
  const child = model.graph.nodes[c.child] as StochasticNode;
  const shape = model.shapes[c.child];
  const F = fullShape(model, L);
  const childRank = DISTRIBUTIONS[child.distribution].eventRank;
  const rowEvent = shape.event.slice(0, shape.event.length - childRank);
  const R = prod(shape.batch) * prod(rowEvent);
  const obs = model.observation[c.child];
  // per row (a vector child's rows are wholly observed or wholly missing: plan.ts)
  const E = prod(shape.event) / prod(rowEvent);
  const mask =
    obs?.kind === 'partial'
      ? Float32Array.from({ length: R }, (_, r) => obs.mask[r * E])
      : undefined;

  const out = tf.tidy(() => {
    // the child's other scalar arguments (known: the planner checked), one value per row
    const values: Record<string, tf.Tensor> = {};
    for (const [a, e] of Object.entries(child.args)) {
      if (a === c.arg || PARAM_EVENT_RANK[child.distribution][a] !== 0) continue;
      values[a] = tf.reshape(ev.inLayout(e, c.child, {}, rowEvent), [R]);
    }
    // c: the argument at latent = 1 (for a precision: sd^-2 there)
    let coefficient: tf.Tensor | undefined;
    if (c.role !== 'identity') {
      const v = tf.reshape(
        ev.inLayout(child.args[c.arg], c.child, { [L]: tf.ones([1, ...F]) }, rowEvent),
        [R],
      );
      coefficient = c.role === 'precision' ? tf.pow(v, -2) : v;
    }
    const xRaw = tf.reshape(ev.observed(c.child), childRank === 1 ? [R, -1] : [R]);
    const x = tf.where(tf.isNaN(xRaw), tf.zerosLike(xRaw), xRaw);
    const keep = mask ? tf.greater(tf.tensor1d(mask), 0) : undefined;
    const kept = (t: tf.Tensor) =>
      keep
        ? tf.where(
            t.rank > 1 ? tf.broadcastTo(tf.reshape(keep, [R, 1]), t.shape) : keep,
            t,
            tf.zerosLike(t),
          )
        : t;

    const ef = expFamilyOf(child.distribution, { n: values.n, K });
    if (!ef?.messageToParent) throw new Error(`internal: ${child.distribution} sends no message`);
    const msg: ConjugateMessage = ef.messageToParent(c.arg, { value: x }, { values, coefficient });
    const seg = segments(c, step, ev, M, K);
    const blocks = msg.eta.map((b) => {
      if (msg.oneHot) {
        // a count of 1 at state b of the element read
        const at = tf.add(tf.mul(seg, tf.scalar(K, 'int32')), tf.cast(b, 'int32'));
        return { value: keep ? tf.cast(keep, 'float32') : tf.ones([R]), at };
      }
      return { value: kept(b), at: seg };
    });
    return { blocks, k: kept(tf.add(msg.rest, ef.logBaseMeasure(x))) };
  });
  const constant = sum64(out.k);
  out.k.dispose();
  return { blocks: out.blocks, constant };
}
