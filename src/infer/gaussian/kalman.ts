// The Kalman filter and Rauch–Tung–Striebel smoother of a scalar linear-Gaussian chain, in float64
// on the host, all sequences of a SequenceGrid advanced together step by step (the state is one
// number per sequence, so a step is a loop over sequences of a few flops; Särkkä, Bayesian
// Filtering and Smoothing, 2013, §4.3 and §8.2):
//   x_0 ~ N(m_0, s_0²),   x_t = a_t x_{t-1} + b_t + N(0, q_t²),   y_{t,j} = c_{t,j} x_t + d_{t,j} + N(0, r_{t,j}²)
// predict:  μ⁻_t = a_t μ_{t-1} + b_t,   P⁻_t = a_t² P_{t-1} + q_t²
// update (each observation j of the step in turn; independent noises):
//   v = y − (c μ⁻ + d),  S = c² P⁻ + r²,  K = P⁻ c / S,  μ = μ⁻ + K v,  P = P⁻ r² / S
//   log p(y) += −½ (log 2πS + v² / S)          (the prediction-error decomposition)
// smooth:  J_t = P_t a_{t+1} / P⁻_{t+1},  μˢ_t = μ_t + J_t (μˢ_{t+1} − μ⁻_{t+1}),
//          Pˢ_t = P_t + J_t² (Pˢ_{t+1} − P⁻_{t+1})
// P = P⁻ r² / S is P⁻ − K c P⁻ written without the cancellation. Padded cells (past a ragged
// sequence's end) are skipped; a missing observation is no update.
import type { SequenceGrid } from '../../graph/chains.js';

/** One observed Normal reading the state at its own step, per element b of the state. */
export interface KalmanObservation {
  readonly c: Float64Array;
  readonly d: Float64Array;
  /** the noise's standard deviation r */
  readonly sd: Float64Array;
  readonly y: ArrayLike<number>;
  /** 1 where y is observed (undefined: everywhere) */
  readonly mask?: Uint8Array;
}

export interface LinearGaussianChain {
  readonly grid: SequenceGrid;
  /** per element b of the state: x_b = a_b x_prev + offset_b + N(0, sd_b²); at step 0 a is unused */
  readonly a: Float64Array;
  readonly offset: Float64Array;
  readonly sd: Float64Array;
  readonly observations: readonly KalmanObservation[];
}

export interface KalmanPosterior {
  /** smoothed E[x_b | all data], per element b */
  readonly mean: Float64Array;
  /** smoothed Var[x_b | all data] */
  readonly variance: Float64Array;
  /** log p(every observation), float64 */
  readonly logEvidence: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

export function kalmanSmoother(chain: LinearGaussianChain): KalmanPosterior {
  const { grid, a, offset, sd, observations } = chain;
  const { nSeq, steps, cell } = grid;
  const B = a.length;
  const mean = new Float64Array(B); // filtered, then smoothed
  const variance = new Float64Array(B);
  const predMean = new Float64Array(B);
  const predVar = new Float64Array(B);
  let logEvidence = 0;
  for (let t = 0; t < steps; t++) {
    for (let n = 0; n < nSeq; n++) {
      const b = cell[t * nSeq + n]!;
      if (b < 0) continue;
      let m: number;
      let P: number;
      const q2 = sd[b]! * sd[b]!;
      if (t === 0) {
        m = offset[b]!;
        P = q2;
      } else {
        const p = cell[(t - 1) * nSeq + n]!;
        m = a[b]! * mean[p]! + offset[b]!;
        P = a[b]! * a[b]! * variance[p]! + q2;
      }
      predMean[b] = m;
      predVar[b] = P;
      for (const o of observations) {
        if (o.mask && o.mask[b] === 0) continue;
        const c = o.c[b]!;
        const r2 = o.sd[b]! * o.sd[b]!;
        const v = o.y[b]! - (c * m + o.d[b]!);
        const S = c * c * P + r2;
        const K = (P * c) / S;
        logEvidence -= 0.5 * (LOG_2PI + Math.log(S) + (v * v) / S);
        m += K * v;
        P = (P * r2) / S;
      }
      mean[b] = m;
      variance[b] = P;
    }
  }
  for (let t = steps - 2; t >= 0; t--) {
    for (let n = 0; n < nSeq; n++) {
      const b = cell[t * nSeq + n]!;
      const next = cell[(t + 1) * nSeq + n]!;
      if (b < 0 || next < 0) continue;
      // a deterministic step (P⁻ = 0) carries no information back: J = 0
      const J = predVar[next]! > 0 ? (variance[b]! * a[next]!) / predVar[next]! : 0;
      mean[b] = mean[b]! + J * (mean[next]! - predMean[next]!);
      variance[b] = variance[b]! + J * J * (variance[next]! - predVar[next]!);
    }
  }
  return { mean, variance, logEvidence };
}
