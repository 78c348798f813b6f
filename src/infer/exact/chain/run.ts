// The exact engine on a discrete chain (analysis.ts): the chain's factors from the compiled plan
// — the latent's transition rows with its previous step set to each state j, and every emission's
// log-likelihood with the step's state set to each k — then forward–backward
// (discrete/forwardBackward.ts), vectorised over sequences.
import * as tf from '@tensorflow/tfjs';
import { sum64 } from '../../../compile/evaluator.js';
import { compileModel, type ModelPlan } from '../../../compile/model.js';
import type { BoundModel } from '../../../graph/bound.js';
import { sequenceGrid } from '../../../graph/chains.js';
import { type ChainPosterior, forwardBackward } from '../../discrete/forwardBackward.js';
import { notApplicable, type RunOptions } from '../../engine.js';
import type { Posterior } from '../../result.js';
import { categoricalSummary } from '../summary.js';
import { analyseChain, type ChainPlan } from './analysis.js';

/** The chain's posterior with the plan's current values (params included), all tensors freed. */
export function solveChain(
  bound: BoundModel,
  plan: ModelPlan,
  chain: ChainPlan,
): ChainPosterior & { K: number } {
  const z = chain.latent.name;
  const batch = bound.shapes[z]!.batch;
  const B = batch.reduce((a, b) => a * b, 1);
  const state = (j: number) => tf.fill([1, ...batch], j);
  const rows = (j: number): tf.Tensor2D =>
    tf.tidy(() => {
      const { args } = plan.distArgs(z, { [z]: state(j) });
      const p = args.p ?? tf.softmax(args.logits!);
      return tf.reshape(p, [B, p.shape[p.shape.length - 1]!]);
    });
  const first = rows(0);
  const K = first.shape[1];
  const transition = tf.tidy(() =>
    tf.stack([first, ...Array.from({ length: K - 1 }, (_, j) => rows(j + 1))]),
  ) as tf.Tensor3D;
  first.dispose();
  const logEmission = tf.tidy(() => {
    const perState = Array.from({ length: K }, (_, k) => {
      const env = { [z]: state(k) };
      const lps = chain.emissions.map((e) => tf.reshape(plan.logProb(e, env), [B]));
      return lps.length === 0 ? tf.zeros([B]) : tf.addN(lps);
    });
    return tf.stack(perState, 1);
  }) as tf.Tensor2D;
  try {
    const grid = sequenceGrid(bound, z, chain.chain.plate.id);
    const post = forwardBackward({ logEmission, transition, grid });
    let rest = 0;
    for (const r of chain.rest) {
      const lp = plan.logProb(r, {});
      rest += sum64(lp);
      lp.dispose();
    }
    return { ...post, logEvidence: post.logEvidence + rest, K };
  } finally {
    transition.dispose();
    logEmission.dispose();
  }
}

/** Per-step marginals of the chain's latent (Categorical per element) and the log evidence. */
export async function runChain(bound: BoundModel, _options: RunOptions): Promise<Posterior> {
  const t0 = performance.now();
  const a = analyseChain(bound);
  if (!a.ok) throw notApplicable(bound, 'exact', a.reasons);
  const plan = compileModel(bound);
  try {
    const post = solveChain(bound, plan, a.plan);
    const z = a.plan.latent.name;
    const s = bound.shapes[z]!;
    return {
      engine: 'exact',
      converged: true,
      iterations: 1,
      seconds: (performance.now() - t0) / 1000,
      logEvidence: post.logEvidence,
      latents: { [z]: categoricalSummary(post.marginals, [...s.batch, ...s.event], post.K) },
      params: {},
    };
  } finally {
    plan.dispose();
  }
}
