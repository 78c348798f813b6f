// The EM loop (Dempster, Laird & Rubin 1977): E-step (the exact discrete posterior of every
// case's latents, DiscreteEStep — the exact engine's machinery), then the closed-form M-step of
// each slot (mstep.ts) and the gradient M-step of the other params (gradient.ts: generalised
// EM), until the relative change of the log-likelihood
//   ℓ(θ) = Σ_i log Σ_z p(z, x_i | θ)
// falls below `tol` or `iters` M-steps were taken. ℓ is recorded at every E-step (`elbo`: for
// em the bound is tight, it is the log-likelihood itself), so the last entry is ℓ at the
// returned params, reported as `logEvidence` (DESIGN.md §5). EM never decreases ℓ; a decrease
// beyond 1e-6 relative (the E-step's tables are float32) is reported as a warning naming the
// iteration: it signals a numerical problem. `restarts` runs from seeds seed, seed+1, … and
// keeps the best final ℓ.
import { fullShape } from '../../compile/evaluator.js';
import { userError } from '../../diagnostics/diagnostics.js';
import type { BoundModel } from '../../graph/bound.js';
import { prod } from '../../util/shape.js';
import { tick } from '../../util/tick.js';
import { DiscreteEStep, type EStepResult } from '../discrete/estep.js';
import type { RunOptions } from '../engine.js';
import { bernoulliSummary, categoricalSummary } from '../exact/summary.js';
import { float64, type LatentPosterior, type Posterior, type ResultArray } from '../result.js';
import type { EmPlan, GaussianSlot } from './analysis.js';
import { CaseBlocks } from './caseSums.js';
import { GradientMStep, gradientStart } from './gradient.js';
import type { emInfo } from './info.js';
import { dataMoments, kmeansPlusPlus, lloyd, uniform } from './init.js';
import { initialRows, missingGaussianUpdate, missingMask, observedWeights } from './missing.js';
import {
  counts,
  EMPTY_COMPONENT,
  gaussianUpdate,
  positiveDefinite,
  weightsUpdate,
} from './mstep.js';
import { bestOfRestarts } from './restarts.js';
import { startValues } from './start.js';
import { recordStep } from './trace.js';

export { DECREASE_TOLERANCE } from './trace.js';

type Values = Record<string, Float64Array>;

interface Run {
  readonly values: Values;
  readonly trace: number[];
  readonly last: EStepResult;
  readonly converged: boolean;
  readonly iterations: number;
}

/** The cases' rows of an observed node: [N × D]. */
function rows(bound: BoundModel, node: string, N: number): { x: Float64Array; D: number } {
  const x = bound.values[node].data;
  return { x, D: x.length / N };
}

/** The responsibilities [N × K] of a Gaussian slot's components: its latent's posterior, or one component. */
function components(e: EStepResult, slot: GaussianSlot, N: number): { r: Float64Array; K: number } {
  if (!slot.latent) return { r: new Float64Array(N).fill(1), K: 1 };
  const post = e.posterior[slot.latent];
  return { r: post.probs, K: post.card };
}

/** Check the shapes of a Gaussian slot's params: [K, ...event of x], Sigma [K, D, D] (no K without a latent). */
function checkGaussian(bound: BoundModel, slot: GaussianSlot, K: number, D: number): void {
  const ev = bound.shapes[slot.node].event;
  const want = (p: string, shape: readonly number[]) => {
    const got = fullShape(bound, p);
    if (got.join(',') !== shape.join(','))
      throw userError(
        `em: param ${p} has shape [${got.join(', ')}]; for ${slot.node}'s components it must be [${shape.join(', ')}]`,
        'unsupported',
      );
  };
  const k = slot.latent ? [K] : [];
  want(slot.mean, [...k, ...ev]);
  if (slot.scale) want(slot.scale, slot.family === 'MvNormal' ? [...k, D, D] : [...k, ...ev]);
}

/** Starting values of the learnable params (info in init.ts); `random`: whether the seed matters. */
function initialValues(
  bound: BoundModel,
  plan: EmPlan,
  N: number,
  seed: number,
  start: Values,
): { values: Values; random: boolean } {
  const values: Values = {};
  let random = false;
  const rand = uniform(seed);
  for (const p of plan.learn) {
    // the init option's value (start.ts), else the declared default
    const v = start[p] ?? bound.values[p]?.data;
    if (v) values[p] = Float64Array.from(v);
  }
  for (const slot of plan.slots) {
    if (slot.kind === 'weights') {
      if (values[slot.param]) continue;
      const n = prod(fullShape(bound, slot.param));
      values[slot.param] = new Float64Array(n).fill(slot.family === 'Bernoulli' ? 0.5 : 1 / n);
      continue;
    }
    const data = rows(bound, slot.node, N);
    const { D } = data;
    const K = slot.latent ? fullShape(bound, slot.mean)[0] : 1;
    // missing entries: start from the complete cases (missing.ts)
    const mask = missingMask(bound, slot.node);
    const { x, n } = mask ? initialRows(data.x, mask, N, D, Math.max(K, D + 1)) : { ...data, n: N };
    if (!values[slot.mean]) {
      if (slot.latent) {
        // scikit-learn's k-means start: greedy k-means++ seeds, then Lloyd's iterations
        values[slot.mean] = kmeansPlusPlus(x, n, D, K, rand);
        lloyd(x, n, D, K, values[slot.mean]);
        random = true;
      } else values[slot.mean] = dataMoments(x, n, D).mean;
    }
    if (slot.scale && !values[slot.scale]) {
      const { cov } = dataMoments(x, n, D);
      const one =
        slot.family === 'MvNormal'
          ? positiveDefinite(cov, D)
          : Float64Array.from({ length: D }, (_, d) => Math.sqrt(cov[d * D + d]) || 1);
      const all = new Float64Array(K * one.length);
      for (let k = 0; k < K; k++) all.set(one, k * one.length);
      values[slot.scale] = all;
    }
  }
  // ── gradient M-step params (gradient.ts): declared or neutral values, jittered
  if (plan.gradient) {
    gradientStart(plan.gradient, values, rand);
    random = true;
  }
  return { values, random };
}

/** One M-step: every slot's closed-form update from the E-step's responsibilities. */
function mStep(
  bound: BoundModel,
  plan: EmPlan,
  e: EStepResult,
  values: Values,
  blocks: ReadonlyMap<string, CaseBlocks>,
  regCovar: number,
): void {
  const N = e.cases;
  for (const slot of plan.slots) {
    if (slot.kind === 'weights') {
      const post = e.posterior[slot.node];
      const K = slot.family === 'Bernoulli' ? 2 : values[slot.param].length;
      // an observed Categorical or Bernoulli: its data, one-hot (missing entries: missing.ts)
      const r = post ? post.probs : observedWeights(bound, slot, N, K, values[slot.param]);
      const w = weightsUpdate(r, N, K);
      values[slot.param] = slot.family === 'Bernoulli' ? Float64Array.of(w[1]) : w;
      continue;
    }
    const { r, K } = components(e, slot, N);
    const mask = missingMask(bound, slot.node);
    let nk: Float64Array;
    if (mask) {
      nk = counts(r, N, K);
      missingGaussianUpdate(bound, slot, mask, r, N, K, nk, values);
    } else {
      const scale = slot.scale
        ? { full: slot.family === 'MvNormal', values: values[slot.scale] }
        : undefined;
      // N_k from the blocked sums the update makes anyway (no second pass over r)
      nk = gaussianUpdate(blocks.get(slot.node) as CaseBlocks, r, K, values[slot.mean], scale);
    }
    if (slot.scale && regCovar > 0) regulariseScale(slot, values[slot.scale], nk, regCovar);
  }
}

/**
 * Σ_k + ε I (sds: √(σ² + ε)) for every component the M-step updated, as scikit-learn's
 * `reg_covar` (default 1e-6 there and here): the likelihood of a mixture is unbounded as a
 * component collapses onto fewer than D + 1 points (Bishop, PRML §9.2.1), and long before that
 * its float32 tables lose the density's scale. Components with N_k ≤ EMPTY_COMPONENT kept
 * their params and are left alone.
 */
function regulariseScale(slot: GaussianSlot, scale: Float64Array, nk: Float64Array, eps: number) {
  const K = nk.length;
  const per = scale.length / K;
  for (let k = 0; k < K; k++) {
    if (!(nk[k] > EMPTY_COMPONENT)) continue;
    if (slot.family === 'MvNormal') {
      const D = Math.round(Math.sqrt(per));
      for (let d = 0; d < D; d++) scale[k * per + d * D + d] += eps;
    } else
      for (let d = 0; d < per; d++) {
        const s = scale[k * per + d];
        scale[k * per + d] = Math.sqrt(s * s + eps);
      }
  }
}

export async function runEm(
  bound: BoundModel,
  plan: EmPlan,
  options: RunOptions<typeof emInfo.options>,
): Promise<Posterior> {
  // ── gradient M-step (gradient.ts): one compiled model for every restart, disposed after
  const gradient =
    plan.gradient &&
    new GradientMStep(
      bound,
      plan.gradient,
      plan.learn,
      plan.plate,
      options.mstepIters,
      options.mstepRate,
    );
  // each complete Gaussian slot's observed values, uploaded once for every M-step of every
  // restart (caseSums.ts); a node with missing entries has its own M-step (missing.ts)
  const blocks = new Map<string, CaseBlocks>();
  try {
    const N = caseCount(bound, plan);
    for (const slot of plan.slots)
      if (slot.kind === 'gaussian' && !blocks.has(slot.node) && !missingMask(bound, slot.node)) {
        const { x, D } = rows(bound, slot.node, N);
        blocks.set(slot.node, new CaseBlocks(x, N, D));
      }
    return await emLoop(bound, plan, options, gradient, blocks);
  } finally {
    gradient?.dispose();
    for (const d of blocks.values()) d.dispose();
  }
}

function caseCount(bound: BoundModel, plan: EmPlan): number {
  const plate = Object.values(bound.graph.plates).find((p) => p.index === plan.plate);
  return bound.sizes[plate?.size ?? ''] as number;
}

async function emLoop(
  bound: BoundModel,
  plan: EmPlan,
  options: RunOptions<typeof emInfo.options>,
  gradient: GradientMStep | undefined,
  blocks: ReadonlyMap<string, CaseBlocks>,
): Promise<Posterior> {
  const start = performance.now();
  const estep = new DiscreteEStep(bound, plan.plate);
  const N = caseCount(bound, plan);
  const given = startValues(bound, plan.learn, options.init, options.initial);
  const b = await bestOfRestarts<Run>(options, async (r, step) => {
    const { values, random } = initialValues(bound, plan, N, options.seed + r, given);
    gradient?.start(values);
    const trace: number[] = [];
    let e = estep.run(values);
    if (r === 0)
      for (const slot of plan.slots)
        if (slot.kind === 'gaussian')
          checkGaussian(bound, slot, components(e, slot, N).K, rows(bound, slot.node, N).D);
    trace.push(e.logZ);
    let converged = false;
    let t = 0;
    while (t < options.iters) {
      // Q separates into the slots' terms and the gradient params' (a slot's param is used
      // once): both M-steps read the same E-step; the gradient one first, as its joint
      // posterior is evaluated at the values that E-step saw
      gradient?.step(values, e);
      mStep(bound, plan, e, values, blocks, options.regCovar);
      t++;
      e = estep.run(values);
      step();
      if (recordStep(trace, e.logZ, t, r, options)) {
        converged = true;
        break;
      }
      await tick();
    }
    // from the declared defaults alone every restart is the same (random = false)
    return { result: { values, trace, last: e, converged, iterations: t }, logLik: e.logZ, random };
  });
  const params: Record<string, ResultArray> = {};
  for (const p of plan.learn) params[p] = float64(b.values[p], fullShape(bound, p));
  const latents: Record<string, LatentPosterior> = {};
  for (const [name, post] of Object.entries(b.last.posterior)) {
    const node = bound.graph.nodes[name];
    if (node.kind === 'stochastic' && node.distribution === 'Bernoulli') {
      const p = new Float64Array(post.probs.length / 2);
      for (let i = 0; i < p.length; i++) p[i] = post.probs[2 * i + 1];
      latents[name] = bernoulliSummary(p, post.shape);
    } else latents[name] = categoricalSummary(post.probs, post.shape, post.card);
  }
  return {
    engine: 'em',
    converged: b.converged,
    iterations: b.iterations,
    seconds: (performance.now() - start) / 1000,
    logEvidence: b.last.logZ,
    elbo: b.trace,
    latents,
    params,
  };
}
