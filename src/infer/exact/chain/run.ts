// The exact engine on a discrete chain (analysis.ts): the chain's factors from the compiled plan
// — the latent's transition rows with its previous step set to each state j, and every emission's
// log-likelihood with the step's state set to each k — then forward–backward
// (discrete/forwardBackward.ts), vectorised over sequences.
import * as tf from '@tensorflow/tfjs';
import { ExprEvaluator, sum64 } from '../../../compile/evaluator.js';
import { compileModel, type ModelPlan } from '../../../compile/model.js';
import type { BoundModel } from '../../../graph/bound.js';
import { type SequenceGrid, sequenceGrid, stepsOf } from '../../../graph/chains.js';
import type { Expr } from '../../../lang/ast.js';
import { prod } from '../../../util/shape.js';
import {
  type ChainFactors,
  type ChainPosterior,
  forwardBackward,
} from '../../discrete/forwardBackward.js';
import { notApplicable, type RunOptions } from '../../engine.js';
import type { LatentPosterior, Posterior } from '../../result.js';
import { categoricalSummary, normalSummary } from '../summary.js';
import { analyseChain, type DiscreteChainPlan, isFirstStep } from './analysis.js';
import { solveKalman } from './kalman.js';

/**
 * The common case `Categorical(test ? first : X[z[…, t - 1]])` with X a constant table [K, K]
 * and the test true exactly at step 0: the chain is homogeneous, A = X, and the initial rows are
 * `first` — read without evaluating the transition at every element K times.
 */
function tableTransition(
  bound: BoundModel,
  chain: DiscreteChainPlan,
  grid: SequenceGrid,
): { init: tf.Tensor2D; shared: tf.Tensor2D } | undefined {
  const z = chain.latent;
  const logits = z.args.p === undefined;
  const arg = z.args.p ?? z.args.logits;
  if (arg?.kind !== 'cond') return undefined;
  const later = arg.whenFalse;
  if (later.kind !== 'index' || later.target.kind !== 'name' || later.indices.length !== 1)
    return undefined;
  const table = bound.graph.nodes[later.target.name];
  const value = bound.values[later.target.name];
  if (!table || (table.kind !== 'hyper' && table.kind !== 'data' && table.kind !== 'param'))
    return undefined;
  if (value?.shape.length !== 2 || value.shape[0] !== value.shape[1]) return undefined;
  const at = later.indices[0]!;
  if (at.kind !== 'at' || at.expr.kind !== 'index' || at.expr.target.kind !== 'name')
    return undefined;
  if (at.expr.target.name !== z.name) return undefined;
  const K = value.shape[0]!;
  const B = grid.cellOf.length;
  const index = chain.chain.plate.index;
  const asRows = (x: tf.Tensor): tf.Tensor2D => (logits ? tf.softmax(x) : x) as tf.Tensor2D;
  const A = () => asRows(tf.tensor2d(Float32Array.from(value.data), [K, K]));
  // the common `t == 0 ? init : …` with `init` a known vector: no evaluation over the elements
  const start = knownVector(bound, arg.whenTrue, K);
  if (isFirstStep(arg.test, index) && start) {
    return tf.tidy(() => ({
      init: asRows(tf.tile(tf.tensor2d(start, [1, K]), [grid.nSeq, 1])),
      shared: A(),
    }));
  }
  const ev = new ExprEvaluator(bound);
  try {
    // the test must select the first branch exactly at step 0 (as `t == 0` does)
    const test = tf.tidy(() => ev.inLayout(arg.test, z.name, {}, []).dataSync());
    const steps = stepsOf(bound, z.name, chain.chain.plate.id).steps;
    for (let b = 0; b < B; b++) if ((test[b] !== 0) !== (steps[b] === 0)) return undefined;
    return tf.tidy(() => {
      const first = tf.reshape(ev.inLayout(arg.whenTrue, z.name, {}, [K]), [B, K]);
      const cells = Int32Array.from(grid.cell.subarray(0, grid.nSeq), (b) => Math.max(b, 0));
      return { init: asRows(tf.gather(first, tf.tensor1d(cells, 'int32'))), shared: A() };
    });
  } finally {
    ev.plan.dispose();
  }
}

/** The value of `expr` when it names a hyper, data or param vector of length K. */
function knownVector(bound: BoundModel, expr: Expr, K: number): Float32Array | undefined {
  if (expr.kind !== 'name') return undefined;
  const node = bound.graph.nodes[expr.name];
  const value = bound.values[expr.name];
  if (!node || (node.kind !== 'hyper' && node.kind !== 'data' && node.kind !== 'param'))
    return undefined;
  if (value?.shape.length !== 1 || value.shape[0] !== K) return undefined;
  return Float32Array.from(value.data);
}

/** The chain's posterior with the plan's current values (params included), all tensors freed. */
export function solveChain(
  bound: BoundModel,
  plan: ModelPlan,
  chain: DiscreteChainPlan,
  options: { transitions?: boolean } = {},
): ChainPosterior & { K: number } {
  const z = chain.latent.name;
  const batch = bound.shapes[z]!.batch;
  const B = prod(batch);
  const grid = sequenceGrid(bound, z, chain.chain.plate.id);
  const state = (j: number) => tf.fill([1, ...batch], j);
  const rows = (j: number): tf.Tensor2D =>
    tf.tidy(() => {
      const { args } = plan.distArgs(z, { [z]: state(j) });
      const p = args.p ?? tf.softmax(args.logits!);
      return tf.reshape(p, [B, p.shape[p.shape.length - 1]!]);
    });
  let transition: ChainFactors['transition'] | undefined = tableTransition(bound, chain, grid);
  if (!transition) {
    const first = rows(0);
    const K = first.shape[1];
    transition = tf.tidy(() =>
      tf.stack([first, ...Array.from({ length: K - 1 }, (_, j) => rows(j + 1))]),
    ) as tf.Tensor3D;
    first.dispose();
  }
  const K = 'shared' in transition ? transition.shared.shape[0] : transition.shape[2]!;
  // state-major [K, B]: tfjs-wasm stacks along a new inner axis slowly (4 × [200000]: 44 ms on
  // axis 1, 1 ms on axis 0), and forward–backward transposes once anyway
  const logEmission = tf.tidy(() => {
    const perState = Array.from({ length: K }, (_, k) => {
      const env = { [z]: state(k) };
      const lps = chain.emissions.map((e) => tf.reshape(plan.logProb(e, env), [B]));
      return lps.length === 0 ? tf.zeros([B]) : tf.addN(lps);
    });
    return tf.stack(perState);
  }) as tf.Tensor2D;

  try {
    const post = forwardBackward({ logEmission, transition, grid, ...options });
    let rest = 0;
    for (const r of chain.rest) {
      const lp = plan.logProb(r, {});
      rest += sum64(lp);
      lp.dispose();
    }
    return { ...post, logEvidence: post.logEvidence + rest, K };
  } finally {
    if ('shared' in transition) {
      transition.init.dispose();
      transition.shared.dispose();
    } else transition.dispose();
    logEmission.dispose();
  }
}

/**
 * Per-step marginals of the chain's latent (Categorical per element, or Normal for a
 * linear-Gaussian chain) and the log evidence.
 */
export async function runChain(bound: BoundModel, _options: RunOptions): Promise<Posterior> {
  const t0 = performance.now();
  const a = analyseChain(bound);
  if (!a.ok) throw notApplicable(bound, 'exact', a.reasons);
  const shapeOf = (x: string) => {
    const s = bound.shapes[x]!;
    return [...s.batch, ...s.event];
  };
  const solved = (logEvidence: number, latents: Record<string, LatentPosterior>): Posterior => ({
    engine: 'exact',
    converged: true,
    iterations: 1,
    seconds: (performance.now() - t0) / 1000,
    logEvidence,
    latents,
    params: {},
  });
  if (a.plan.kind === 'gaussian') {
    const post = solveKalman(bound, a.plan);
    const latents: Record<string, LatentPosterior> = {};
    for (const x of a.plan.latents) {
      const m = post.latents[x.name]!;
      latents[x.name] = normalSummary(m.mean, m.variance.map(Math.sqrt), shapeOf(x.name));
    }
    return solved(post.logEvidence, latents);
  }
  const z = a.plan.latent.name;
  const plan = compileModel(bound);
  try {
    const post = solveChain(bound, plan, a.plan);
    return solved(post.logEvidence, {
      [z]: categoricalSummary(post.marginals, shapeOf(z), post.K),
    });
  } finally {
    plan.dispose();
  }
}
