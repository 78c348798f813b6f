// The EM loop (Dempster, Laird & Rubin 1977): E-step (the exact discrete posterior of every
// case's latents, DiscreteEStep — the exact engine's machinery), then the closed-form M-step of
// each slot (mstep.ts), until the relative change of the log-likelihood
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
import { DiscreteEStep, type EStepResult } from '../discrete/estep.js';
import type { RunOptions } from '../engine.js';
import { bernoulliSummary, categoricalSummary } from '../exact/summary.js';
import { float64, type LatentPosterior, type Posterior, type ResultArray } from '../result.js';
import type { EmPlan, GaussianSlot } from './analysis.js';
import { CaseBlocks } from './caseSums.js';
import type { emInfo } from './info.js';
import { dataMoments, kmeansPlusPlus, lloyd, uniform } from './init.js';
import { gaussianUpdate, positiveDefinite, weightsUpdate } from './mstep.js';

/** A decrease of ℓ beyond this (relative) is a warning. */
export const DECREASE_TOLERANCE = 1e-6;

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

/** Check the shapes of a Gaussian slot's params: [K, ...event of x], Sigma [K, D, D]. */
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
  want(slot.mean, [K, ...ev]);
  if (slot.scale) want(slot.scale, slot.family === 'MvNormal' ? [K, D, D] : [K, ...ev]);
}

/** Starting values of the learnable params (info in init.ts); `random`: whether the seed matters. */
function initialValues(
  bound: BoundModel,
  plan: EmPlan,
  N: number,
  seed: number,
): { values: Values; random: boolean } {
  const values: Values = {};
  let random = false;
  const rand = uniform(seed);
  for (const p of plan.learn) {
    const v = bound.values[p];
    if (v) values[p] = Float64Array.from(v.data);
  }
  for (const slot of plan.slots) {
    if (slot.kind === 'weights') {
      if (values[slot.param]) continue;
      const n = prod(fullShape(bound, slot.param));
      values[slot.param] = new Float64Array(n).fill(slot.family === 'Bernoulli' ? 0.5 : 1 / n);
      continue;
    }
    const { x, D } = rows(bound, slot.node, N);
    const K = fullShape(bound, slot.mean)[0];
    if (!values[slot.mean]) {
      values[slot.mean] = kmeansPlusPlus(x, N, D, K, rand);
      lloyd(x, N, D, K, values[slot.mean]);
      random = true;
    }
    if (slot.scale && !values[slot.scale]) {
      const { cov } = dataMoments(x, N, D);
      const one =
        slot.family === 'MvNormal'
          ? positiveDefinite(cov, D)
          : Float64Array.from({ length: D }, (_, d) => Math.sqrt(cov[d * D + d]) || 1);
      const all = new Float64Array(K * one.length);
      for (let k = 0; k < K; k++) all.set(one, k * one.length);
      values[slot.scale] = all;
    }
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
): void {
  const N = e.cases;
  for (const slot of plan.slots) {
    if (slot.kind === 'weights') {
      const post = e.posterior[slot.node];
      const K = slot.family === 'Bernoulli' ? 2 : values[slot.param].length;
      let r: Float64Array;
      if (post) r = post.probs;
      else {
        // an observed Categorical or Bernoulli: its data, one-hot
        const y = bound.values[slot.node].data;
        r = new Float64Array(N * K);
        for (let i = 0; i < N; i++) r[i * K + y[i]] = 1;
      }
      const w = weightsUpdate(r, N, K);
      values[slot.param] = slot.family === 'Bernoulli' ? Float64Array.of(w[1]) : w;
      continue;
    }
    const post = e.posterior[slot.latent];
    const data = blocks.get(slot.node) as CaseBlocks;
    const scale = slot.scale
      ? { full: slot.family === 'MvNormal', values: values[slot.scale] }
      : undefined;
    gaussianUpdate(data, post.probs, post.card, values[slot.mean], scale);
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The restarts from seeds seed, seed + 1, …: the best final ℓ. */
async function bestRun(
  bound: BoundModel,
  plan: EmPlan,
  options: RunOptions<typeof emInfo.options>,
  estep: DiscreteEStep,
  N: number,
  blocks: ReadonlyMap<string, CaseBlocks>,
): Promise<Run> {
  const total = options.iters * options.restarts;
  let done = 0;
  let best: Run | undefined;
  for (let r = 0; r < options.restarts; r++) {
    const { values, random } = initialValues(bound, plan, N, options.seed + r);
    const trace: number[] = [];
    let e = estep.run(values);
    if (r === 0)
      for (const slot of plan.slots)
        if (slot.kind === 'gaussian')
          checkGaussian(bound, slot, e.posterior[slot.latent].card, rows(bound, slot.node, N).D);
    trace.push(e.logZ);
    let converged = false;
    let t = 0;
    while (t < options.iters) {
      mStep(bound, plan, e, values, blocks);
      t++;
      e = estep.run(values);
      const prev = trace[trace.length - 1];
      trace.push(e.logZ);
      options.onProgress?.(++done, total);
      if (e.logZ - prev < -DECREASE_TOLERANCE * Math.abs(prev))
        options.onWarning?.({
          kind: 'data',
          severity: 'warning',
          message: `em: the log-likelihood decreased at iteration ${t} (from ${prev} to ${e.logZ}${options.restarts > 1 ? `, restart ${r + 1}` : ''}); EM never decreases it, so this is a numerical problem`,
        });
      if (Math.abs(e.logZ - prev) < options.tol * Math.abs(e.logZ)) {
        converged = true;
        break;
      }
      await tick();
    }
    done = (r + 1) * options.iters;
    const run: Run = { values, trace, last: e, converged, iterations: t };
    if (!best || e.logZ > best.last.logZ) best = run;
    // from the declared defaults alone every restart is the same
    if (!random) break;
  }
  return best as Run;
}

export async function runEm(
  bound: BoundModel,
  plan: EmPlan,
  options: RunOptions<typeof emInfo.options>,
): Promise<Posterior> {
  const start = performance.now();
  const estep = new DiscreteEStep(bound, plan.plate);
  const plate = Object.values(bound.graph.plates).find((p) => p.index === plan.plate);
  const N = bound.sizes[plate?.size ?? ''] as number;
  // each Gaussian slot's observed values, uploaded once for every M-step of every restart
  const blocks = new Map<string, CaseBlocks>();
  let b: Run;
  try {
    for (const slot of plan.slots)
      if (slot.kind === 'gaussian' && !blocks.has(slot.node)) {
        const { x, D } = rows(bound, slot.node, N);
        blocks.set(slot.node, new CaseBlocks(x, N, D));
      }
    b = await bestRun(bound, plan, options, estep, N, blocks);
  } finally {
    for (const d of blocks.values()) d.dispose();
  }
  const total = options.iters * options.restarts;
  options.onProgress?.(total, total);
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
