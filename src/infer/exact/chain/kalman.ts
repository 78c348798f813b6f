// The exact engine on a linear-Gaussian chain (analysis.ts's `gaussian` plan): the coefficients
// of every element evaluated once in the latent's layout — a transition's slope as its linear part
// at x = 1 (no cancellation against a large offset), its offset at x = 0 — then the Kalman filter
// and RTS smoother in float64 on the host (gaussian/kalman.ts), all sequences together.
import * as tf from '@tensorflow/tfjs';
import { ExprEvaluator, sum64 } from '../../../compile/evaluator.js';
import type { BoundModel } from '../../../graph/bound.js';
import { sequenceGrid } from '../../../graph/chains.js';
import type { Expr } from '../../../lang/ast.js';
import {
  type KalmanObservation,
  type KalmanPosterior,
  kalmanSmoother,
} from '../../gaussian/kalman.js';
import type { ChainPlan } from './analysis.js';

/** The smoothed means, variances and log evidence of the chain (other observed nodes included). */
export function solveKalman(bound: BoundModel, chain: ChainPlan): KalmanPosterior {
  const g = chain.gaussian!;
  const x = chain.latent.name;
  const batch = bound.shapes[x]!.batch;
  const grid = sequenceGrid(bound, x, chain.chain.plate.id);
  const ev = new ExprEvaluator(bound);
  try {
    const value = (expr: Expr, at: string, level?: number): Float64Array => {
      const t = tf.tidy(() => {
        const env = level === undefined ? {} : { [x]: tf.fill([1, ...batch], level) };
        return tf.reshape(ev.inLayout(expr, at, env, []), [-1]);
      });
      const out = new Float64Array(t.dataSync());
      t.dispose();
      return out;
    };
    const steps = grid.cellOf.length;
    const first = value(g.first, x);
    const offset = value(g.later, x, 0);
    // step 0 of each sequence starts from m0
    for (let n = 0; n < grid.nSeq; n++) {
      const b = grid.cell[n]!;
      if (b >= 0) offset[b] = first[b]!;
    }
    const observations: KalmanObservation[] = g.emissions.map((e) => {
      const obs = bound.observation[e.node];
      return {
        c: value(e.linear, e.node, 1),
        d: value(e.mean, e.node, 0),
        sd: value(e.sd, e.node),
        y: bound.values[e.node]!.data,
        ...(obs?.kind === 'partial' ? { mask: obs.mask } : {}),
      };
    });
    const post = kalmanSmoother({
      grid,
      a: steps > 0 ? value(g.laterLinear, x, 1) : new Float64Array(0),
      offset,
      sd: value(chain.latent.args.sigma!, x),
      observations,
    });
    let rest = 0;
    for (const r of chain.rest) {
      const lp = ev.plan.logProb(r, {});
      rest += sum64(lp);
      lp.dispose();
    }
    return { ...post, logEvidence: post.logEvidence + rest };
  } finally {
    ev.plan.dispose();
  }
}
