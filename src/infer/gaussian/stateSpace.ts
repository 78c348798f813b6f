// The Kalman filter and Rauch–Tung–Striebel smoother of a linear-Gaussian state-space model with
// a small vector state s_t ∈ ℝᵈ, in float64 on the host, all sequences of a SequenceGrid
// advanced together step by step (Särkkä, Bayesian Filtering and Smoothing, 2013, Theorems 4.2
// and 8.2; Durbin & Koopman, Time Series Analysis by State Space Methods, 2012, §4.3 and §7.2).
//
// The state at step t holds the chain's L new scalars x_1[t] … x_L[t] and copies of earlier
// steps (x_j[t − k], the standard augmentation of a k-th order chain). Each new scalar is
// affine in the previous state and in the new scalars before it (a lower-triangular step):
//   x_i[t] = g_iᵀ s_{t−1} + Σ_{j<i} e_ij x_j[t] + b_i + N(0, q_i²),
// so the prediction is built on z = (s_{t−1}, x_1[t], …, x_L[t]) one scalar at a time — the
// mean gᵀm + b, the covariances gᵀP with the earlier entries, the variance gᵀPg + q² — and
// s_t = S z selects its entries: m⁻ = S m_z, P⁻ = S P_z Sᵀ, and C = Cov(s_{t−1}, s_t) = P_z[s, ·] Sᵀ.
// No transition matrix is inverted, and a copy has no noise of its own.
// Update with each scalar observation y = hᵀ s_t + d + N(0, r²) in turn (independent noises):
//   v = y − hᵀm − d,  u = P h,  S = hᵀu + r²,  K = u / S,  m ← m + K v,
//   P ← (I − K hᵀ) P (I − K hᵀ)ᵀ + r² K Kᵀ = P − K uᵀ − u Kᵀ + S K Kᵀ   (Joseph form, rank one)
//   log p(y) += −½ (log 2πS + v² / S)          (the prediction-error decomposition)
// Smooth (RTS in its covariance form, valid for any transition): J = C (P⁻)⁺,
//   mˢ_{t−1} = m_{t−1} + J (mˢ_t − m⁻_t),   Pˢ_{t−1} = P_{t−1} + J (Pˢ_t − P⁻_t) Jᵀ.
// (P⁻)⁺ is the inverse on the entries of positive variance (a copy of a step before the first
// has none), by Cholesky; should that fail (a numerically singular P⁻) the eigen pseudo-inverse:
// the conditional mean of a Gaussian with a singular covariance. Every P is symmetrised after
// each step. Padded cells (past a ragged sequence's end) are skipped; a missing observation is
// no update.
import type { SequenceGrid } from '../../graph/chains.js';
import {
  choleskyBlocks,
  NotPositiveDefiniteError,
  solveBlocks,
  symmetricEigen64,
} from '../../linalg/dense64.js';

/** The largest state the smoother is meant for: its work per step is O(d³) on the host. */
export const MAX_STATE = 32;

/** One new scalar of the state per step: its coefficients per element b of the chain. */
export interface StateTransition {
  /** [B × d]: coefficients on the previous step's state (unused at a sequence's step 0) */
  readonly prev: Float64Array;
  /** [B × L]: coefficients on the new scalars of the same step (nonzero only before this one) */
  readonly same: Float64Array;
  readonly offset: Float64Array;
  /** the noise's standard deviation q */
  readonly sd: Float64Array;
}

/** One observed scalar per element b, affine in the state of its step. */
export interface StateObservation {
  /** [B × d] */
  readonly h: Float64Array;
  readonly offset: Float64Array;
  /** the noise's standard deviation r */
  readonly sd: Float64Array;
  readonly y: ArrayLike<number>;
  /** 1 where y is observed (undefined: everywhere) */
  readonly mask?: Uint8Array;
}

export interface StateSpaceModel {
  readonly grid: SequenceGrid;
  /** the state's size d */
  readonly d: number;
  /**
   * per entry of the state: the new scalar it is (0 … L − 1) or, as −1 − c, a copy of entry c
   * of the previous step's state
   */
  readonly entries: Int32Array;
  /** the L new scalars in order (each may read the ones before it) */
  readonly transitions: readonly StateTransition[];
  readonly observations: readonly StateObservation[];
}

export interface StateSpacePosterior {
  /** [B × d] smoothed E[s_b | all data] */
  readonly mean: Float64Array;
  /** [B × d × d] smoothed Cov[s_b | all data] */
  readonly cov: Float64Array;
  /** log p(every observation), float64 */
  readonly logEvidence: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

export function stateSpaceSmoother(model: StateSpaceModel): StateSpacePosterior {
  const { grid, d, entries, transitions, observations } = model;
  const { nSeq, steps, cell } = grid;
  const L = transitions.length;
  const B = grid.cellOf.length;
  const dd = d * d;
  const mean = new Float64Array(B * d); // filtered, then smoothed
  const cov = new Float64Array(B * dd);
  const predMean = new Float64Array(B * d);
  const predCov = new Float64Array(B * dd);
  const cross = new Float64Array(B * dd); // C = Cov(s_{t−1}, s_t | y before t)
  const Z = d + L;
  const mz = new Float64Array(Z);
  const Pz = new Float64Array(Z * Z);
  const g = new Float64Array(Z);
  const sel = new Int32Array(d); // entry of z that each state entry is
  for (let c = 0; c < d; c++) {
    const e = entries[c]!;
    sel[c] = e >= 0 ? d + e : -1 - e;
  }
  const u = new Float64Array(d);
  let logEvidence = 0;

  for (let t = 0; t < steps; t++) {
    for (let n = 0; n < nSeq; n++) {
      const b = cell[t * nSeq + n]!;
      if (b < 0) continue;
      // z = (s_{t−1}, new scalars): the previous filtered state (nothing before step 0)
      mz.fill(0);
      Pz.fill(0);
      const p = t > 0 ? cell[(t - 1) * nSeq + n]! : -1;
      if (p >= 0) {
        for (let i = 0; i < d; i++) {
          mz[i] = mean[p * d + i]!;
          for (let j = 0; j < d; j++) Pz[i * Z + j] = cov[p * dd + i * d + j]!;
        }
      }
      for (let i = 0; i < L; i++) {
        const tr = transitions[i]!;
        const zi = d + i;
        g.fill(0);
        if (p >= 0) for (let j = 0; j < d; j++) g[j] = tr.prev[b * d + j]!;
        for (let j = 0; j < i; j++) g[d + j] = tr.same[b * L + j]!;
        let m = tr.offset[b]!;
        for (let j = 0; j < zi; j++) m += g[j]! * mz[j]!;
        mz[zi] = m;
        // Cov(z_j, x_i) = Σ_a g_a P_aj over the entries before x_i
        let v = tr.sd[b]! * tr.sd[b]!;
        for (let j = 0; j < zi; j++) {
          let s = 0;
          for (let a = 0; a < zi; a++) s += g[a]! * Pz[a * Z + j]!;
          Pz[zi * Z + j] = s;
          Pz[j * Z + zi] = s;
          v += g[j]! * s;
        }
        Pz[zi * Z + zi] = v;
      }
      const om = b * d;
      const oP = b * dd;
      for (let i = 0; i < d; i++) {
        const zi = sel[i]!;
        predMean[om + i] = mz[zi]!;
        for (let j = 0; j < d; j++) {
          predCov[oP + i * d + j] = Pz[zi * Z + sel[j]!]!;
          cross[oP + i * d + j] = p >= 0 ? Pz[i * Z + sel[j]!]! : 0;
        }
      }
      mean.set(predMean.subarray(om, om + d), om);
      cov.set(predCov.subarray(oP, oP + dd), oP);
      for (const o of observations) {
        if (o.mask && o.mask[b] === 0) continue;
        const r2 = o.sd[b]! * o.sd[b]!;
        let hm = o.offset[b]!;
        let hu = 0;
        for (let i = 0; i < d; i++) {
          hm += o.h[om + i]! * mean[om + i]!;
          let s = 0;
          for (let j = 0; j < d; j++) s += cov[oP + i * d + j]! * o.h[om + j]!;
          u[i] = s;
        }
        for (let i = 0; i < d; i++) hu += o.h[om + i]! * u[i]!;
        const S = hu + r2;
        const v = o.y[b]! - hm;
        logEvidence -= 0.5 * (LOG_2PI + Math.log(S) + (v * v) / S);
        // Joseph form with K = u / S: P − K uᵀ − u Kᵀ + S K Kᵀ
        for (let i = 0; i < d; i++) {
          const Ki = u[i]! / S;
          mean[om + i] = mean[om + i]! + Ki * v;
          for (let j = 0; j < d; j++) {
            const Kj = u[j]! / S;
            cov[oP + i * d + j] = cov[oP + i * d + j]! - Ki * u[j]! - u[i]! * Kj + S * Ki * Kj;
          }
        }
        symmetrize(cov, oP, d);
      }
    }
  }

  const J = new Float64Array(dd);
  const dm = new Float64Array(d);
  const dP = new Float64Array(dd);
  const JdP = new Float64Array(dd);
  for (let t = steps - 2; t >= 0; t--) {
    for (let n = 0; n < nSeq; n++) {
      const b = cell[t * nSeq + n]!;
      const next = cell[(t + 1) * nSeq + n]!;
      if (b < 0 || next < 0) continue;
      gain(cross, predCov, next, d, J);
      const om = b * d;
      const oP = b * dd;
      for (let i = 0; i < d; i++) dm[i] = mean[next * d + i]! - predMean[next * d + i]!;
      for (let i = 0; i < dd; i++) dP[i] = cov[next * dd + i]! - predCov[next * dd + i]!;
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += J[i * d + j]! * dm[j]!;
        mean[om + i] = mean[om + i]! + s;
      }
      // P += J dP Jᵀ
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let a = 0; a < d; a++) s += J[i * d + a]! * dP[a * d + j]!;
          JdP[i * d + j] = s;
        }
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let a = 0; a < d; a++) s += JdP[i * d + a]! * J[j * d + a]!;
          cov[oP + i * d + j] = cov[oP + i * d + j]! + s;
        }
      symmetrize(cov, oP, d);
    }
  }
  return { mean, cov, logEvidence };
}

/** (P + Pᵀ) / 2 in place, with the diagonal kept ≥ 0. */
function symmetrize(P: Float64Array, o: number, d: number): void {
  for (let i = 0; i < d; i++) {
    const ii = o + i * d + i;
    if (P[ii]! < 0) P[ii] = 0;
    for (let j = 0; j < i; j++) {
      const s = (P[o + i * d + j]! + P[o + j * d + i]!) / 2;
      P[o + i * d + j] = s;
      P[o + j * d + i] = s;
    }
  }
}

/** J = C (P⁻)⁺ of cell `next` into `out` (d × d, row-major). */
function gain(
  cross: Float64Array,
  predCov: Float64Array,
  next: number,
  d: number,
  out: Float64Array,
): void {
  const dd = d * d;
  const o = next * dd;
  out.fill(0);
  // the entries with variance: a state entry with none (a copy of a step before the first, or a
  // deterministic one) is constant, uncorrelated with everything, and gets no gain
  const active: number[] = [];
  for (let i = 0; i < d; i++) if (predCov[o + i * d + i]! > 0) active.push(i);
  const a = active.length;
  if (a === 0) return;
  const Pa = new Float64Array(a * a);
  for (let i = 0; i < a; i++)
    for (let j = 0; j < a; j++) Pa[i * a + j] = predCov[o + active[i]! * d + active[j]!]!;
  let L: Float64Array | undefined;
  try {
    L = choleskyBlocks(Pa, a, 1, 'a predicted state covariance');
  } catch (e) {
    if (!(e instanceof NotPositiveDefiniteError)) throw e;
  }
  const row = new Float64Array(a);
  if (L) {
    // row i of J on the active entries solves P⁻_a x = C[i, active] (P⁻ is symmetric)
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < a; j++) row[j] = cross[o + i * d + active[j]!]!;
      const x = solveBlocks(L, row, a);
      for (let j = 0; j < a; j++) out[i * d + active[j]!] = x[j]!;
    }
    return;
  }
  // numerically singular: the pseudo-inverse V diag(1/λ) Vᵀ over λ > tol
  const { values, vectors } = symmetricEigen64(Pa, a);
  const tol = Math.max(values[0]!, 0) * a * 1e-13;
  const inv = new Float64Array(a * a);
  for (let k = 0; k < a; k++) {
    if (!(values[k]! > tol)) continue;
    const w = 1 / values[k]!;
    for (let i = 0; i < a; i++)
      for (let j = 0; j < a; j++) inv[i * a + j] += vectors[i * a + k]! * w * vectors[j * a + k]!;
  }
  for (let i = 0; i < d; i++)
    for (let j = 0; j < a; j++) {
      let s = 0;
      for (let k = 0; k < a; k++) s += cross[o + i * d + active[k]!]! * inv[k * a + j]!;
      out[i * d + active[j]!] = s;
    }
}
