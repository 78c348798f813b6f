// The exact engine on a linear-Gaussian chain (gaussian.ts's plan): the coefficients of every
// factor evaluated once in the chain's layout, then the Kalman filter and RTS smoother in float64
// on the host, all sequences together (gaussian/stateSpace.ts; gaussian/kalman.ts when the state
// is one latent's own step, the scalar filter of before).
//
// A factor's offset is its mean at latents = 0. Its coefficient on latent j at k steps back is its
// linear part evaluated with x_j set to a pattern over the steps and every other latent at 0: with
// M = (furthest step back read) + 1 and x_j[s] = [s ≡ r (mod M)], the value at an element of step
// t is the coefficient of x_j[t − k] for the one k in 0 … M − 1 with t − k ≡ r — M evaluations
// (on the sample axis, at once) separate the lags, and no coefficient is read as a difference of
// large numbers. A coefficient on a step before the sequence's first is an error, not a 0.
import * as tf from '@tensorflow/tfjs';
import { ExprEvaluator, sum64 } from '../../../compile/evaluator.js';
import { error, PlatoError } from '../../../diagnostics/diagnostics.js';
import type { BoundModel } from '../../../graph/bound.js';
import { type SequenceGrid, sequenceGrid } from '../../../graph/chains.js';
import type { Expr } from '../../../lang/ast.js';
import { kalmanSmoother } from '../../gaussian/kalman.js';
import {
  type StateObservation,
  type StateTransition,
  stateSpaceSmoother,
} from '../../gaussian/stateSpace.js';
import type { GaussianChainPlan, LinearTerm } from './gaussian.js';

/** B d² at most: 3 × 8 bytes each for P, P⁻ and C is 3 GiB. */
const MAX_COVARIANCE_ENTRIES = 2 ** 27;

export interface ChainGaussianPosterior {
  /** per latent of the chain: smoothed E[x_b | all data] and Var[x_b | all data] per element b */
  readonly latents: Readonly<
    Record<string, { readonly mean: Float64Array; readonly variance: Float64Array }>
  >;
  /** log p(every observed node), float64 */
  readonly logEvidence: number;
}

/** The smoothed means, variances and log evidence of the chain (other observed nodes included). */
export function solveKalman(bound: BoundModel, plan: GaussianChainPlan): ChainGaussianPosterior {
  const x0 = plan.latent.name;
  const batch = bound.shapes[x0]!.batch;
  const grid = sequenceGrid(bound, x0, plan.chain.plate.id);
  const B = grid.cellOf.length;
  const step = new Int32Array(B);
  for (let b = 0; b < B; b++) step[b] = Math.floor(grid.cellOf[b]! / grid.nSeq);
  const ev = new ExprEvaluator(bound);
  try {
    const value = (expr: Expr, at: string, env: Record<string, number> = {}): Float64Array => {
      const t = tf.tidy(() => {
        const e = Object.fromEntries(
          Object.entries(env).map(([k, v]) => [k, tf.fill([1, ...batch], v)]),
        );
        return tf.reshape(ev.inLayout(expr, at, e, []), [-1]);
      });
      const out = new Float64Array(t.dataSync());
      t.dispose();
      return out;
    };
    const zeros = Object.fromEntries(plan.latents.map((x) => [x.name, 0]));
    /** coefficient[n] of `term` (per element n of its node) on latent[t − k], per k = 0 … max lag read */
    const coefficients = (term: LinearTerm, latent: string, lags: readonly number[]) => {
      const M = Math.max(...lags) + 1;
      const N = B * term.inner;
      const raw = tf.tidy(() => {
        const pattern = new Float32Array(M * B);
        for (let r = 0; r < M; r++)
          for (let b = 0; b < B; b++) pattern[r * B + b] = step[b]! % M === r ? 1 : 0;
        const env: Record<string, tf.Tensor> = {};
        for (const x of plan.latents) env[x.name] = tf.zeros([1, ...batch]);
        env[latent] = tf.tensor(pattern, [M, ...batch]);
        const v = ev.inLayout(term.linear, term.node, env, []);
        return tf.reshape(tf.broadcastTo(v, [M, ...bound.shapes[term.node]!.batch]), [M, N]);
      });
      const data = raw.dataSync();
      raw.dispose();
      // element b · inner + i of the node is observation i of chain element b
      const out = Array.from({ length: M }, () => new Float64Array(N));
      for (let n = 0; n < N; n++)
        for (let k = 0; k < M; k++) {
          const b = Math.floor(n / term.inner);
          const c = data[((((step[b]! - k) % M) + M) % M) * N + n]!;
          if (c !== 0 && k > step[b]!)
            throw new PlatoError([
              error(
                'unsupported',
                `${term.node} reads ${latent} ${k} steps back at step ${step[b]}, before its sequence's first step (coefficient ${c}); guard the read with the step, e.g. '${plan.chain.plate.index} < ${k} ? … : …'`,
                term.mean.range,
              ),
            ]);
          out[k]![n] = c;
        }
      return out;
    };

    const d = plan.state.length;
    const L = plan.latents.length;
    // the smoother keeps three d × d float64 matrices per element (P, P⁻, C)
    if (B * d * d > MAX_COVARIANCE_ENTRIES)
      throw new PlatoError([
        error(
          'unsupported',
          `${x0}: the chain's state has ${d} numbers per step over ${B} elements; the Kalman smoother would keep ${((3 * 8 * B * d * d) / 2 ** 30).toFixed(1)} GiB of covariances (at most ${(3 * 8 * MAX_COVARIANCE_ENTRIES) / 2 ** 30} GiB: fewer sequences per run, or a smaller state)`,
          plan.latent.args.mu!.range,
        ),
      ]);
    const entryOf = new Map(plan.state.map((s, c) => [`${s.latent}@${s.lag}`, c]));
    const transitions: StateTransition[] = plan.transitions.map((term, i) => {
      const prev = new Float64Array(B * d);
      const same = new Float64Array(B * L);
      for (const r of term.reads) {
        const c = coefficients(term, r.latent, r.lags);
        for (const k of r.lags) {
          const ck = c[k]!;
          if (k === 0) {
            const j = plan.latents.findIndex((x) => x.name === r.latent);
            for (let b = 0; b < B; b++) same[b * L + j] = ck[b]!;
          } else {
            // latent[t − k] is entry (latent, k − 1) of the previous step's state
            const e = entryOf.get(`${r.latent}@${k - 1}`)!;
            for (let b = 0; b < B; b++) prev[b * d + e] = ck[b]!;
          }
        }
      }
      const x = plan.latents[i]!.name;
      return {
        prev,
        same,
        offset: value(term.mean, x, zeros),
        sd: value(term.sd, x, zeros),
      };
    });
    const observations: StateObservation[] = plan.emissions.flatMap((term) => {
      const n = term.inner;
      const coef = term.reads.map((r) => ({ r, c: coefficients(term, r.latent, r.lags) }));
      const offset = value(term.mean, term.node, zeros);
      const sd = value(term.sd, term.node, zeros);
      const y = bound.values[term.node]!.data;
      const obs = bound.observation[term.node];
      const mask = obs?.kind === 'partial' ? obs.mask : undefined;
      // observation i of every chain element: entries b · n + i of the node
      const pick = <T extends Float64Array | Uint8Array>(
        a: ArrayLike<number>,
        i: number,
        out: T,
      ) => {
        for (let b = 0; b < B; b++) out[b] = a[b * n + i]!;
        return out;
      };
      return Array.from({ length: n }, (_, i) => {
        const h = new Float64Array(B * d);
        for (const { r, c } of coef)
          for (const k of r.lags) {
            const e = entryOf.get(`${r.latent}@${k}`)!;
            const ck = c[k]!;
            for (let b = 0; b < B; b++) h[b * d + e] = ck[b * n + i]!;
          }
        return {
          h,
          offset: n === 1 ? offset : pick(offset, i, new Float64Array(B)),
          sd: n === 1 ? sd : pick(sd, i, new Float64Array(B)),
          y: n === 1 ? y : pick(y, i, new Float64Array(B)),
          ...(mask ? { mask: n === 1 ? mask : pick(mask, i, new Uint8Array(B)) } : {}),
        };
      });
    });
    const latents = smooth(plan, grid, d, transitions, observations);
    let rest = 0;
    for (const r of plan.rest) {
      const lp = ev.plan.logProb(r, {});
      rest += sum64(lp);
      lp.dispose();
    }
    return { latents: latents.latents, logEvidence: latents.logEvidence + rest };
  } finally {
    ev.plan.dispose();
  }
}

/** The marginals of every latent's own step: the scalar filter when the state is one number. */
function smooth(
  plan: GaussianChainPlan,
  grid: SequenceGrid,
  d: number,
  transitions: readonly StateTransition[],
  observations: readonly StateObservation[],
): ChainGaussianPosterior {
  const B = grid.cellOf.length;
  if (d === 1) {
    const t = transitions[0]!;
    const post = kalmanSmoother({
      grid,
      a: t.prev,
      offset: t.offset,
      sd: t.sd,
      observations: observations.map((o) => ({
        c: o.h,
        d: o.offset,
        sd: o.sd,
        y: o.y,
        ...(o.mask ? { mask: o.mask } : {}),
      })),
    });
    return {
      latents: { [plan.latent.name]: { mean: post.mean, variance: post.variance } },
      logEvidence: post.logEvidence,
    };
  }
  const entries = Int32Array.from(plan.state, (s) => {
    if (s.lag === 0) return plan.latents.findIndex((x) => x.name === s.latent);
    const from = plan.state.findIndex((e) => e.latent === s.latent && e.lag === s.lag - 1);
    return -1 - from;
  });
  const post = stateSpaceSmoother({ grid, d, entries, transitions, observations });
  const latents: Record<string, { mean: Float64Array; variance: Float64Array }> = {};
  for (const x of plan.latents) {
    const c = plan.state.findIndex((e) => e.latent === x.name && e.lag === 0);
    const mean = new Float64Array(B);
    const variance = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      mean[b] = post.mean[b * d + c]!;
      variance[b] = post.cov[b * d * d + c * d + c]!;
    }
    latents[x.name] = { mean, variance };
  }
  return { latents, logEvidence: post.logEvidence };
}
