// Missing entries under em (issue 9, part 3): EM with missing data (Dempster, Laird & Rubin
// 1977 §4.1.2; Little & Rubin, Statistical Analysis with Missing Data, 2002, §11.2–11.4;
// Ghahramani & Jordan 1994 for mixtures). The missing entries are latents integrated out.
//
// E-step: the discrete E-step (discrete/estep.ts) scores each case by the density of its
// observed entries, p(x_o | z = k) = N(x_o; μ_k,o, Σ_k,oo) (compile/model.ts logProb, with
// distributions' logProbObserved), so the responsibilities r_ik and the log-likelihood ℓ =
// Σ_i log Σ_k π_k N(x_i,o; μ_k,o, Σ_k,oo) are those of the observed data. A missing value of a
// discrete node is a latent of that E-step (its posterior), or, in a leaf, sums out.
//
// M-step, from the expected sufficient statistics given x_o and z = k, with the params θ of the
// E-step:
//   E[x_m | x_o, z=k]   = x̂_m = μ_m + B (x_o − μ_o),   B = Σ_mo Σ_oo⁻¹
//   Cov[x_m | x_o, z=k] = C   = Σ_mm − B Σ_om        (the Schur complement)
//   μ_k' = Σ_i r_ik x̂_ik / N_k
//   Σ_k' = Σ_i r_ik [(x̂_ik − μ_k')(x̂_ik − μ_k')ᵀ + C_ik] / N_k   (C_ik padded into the m×m block)
// with x̂_ik = x_i where observed. B and C depend only on the pattern of missing entries and on
// k, so the cases are grouped by pattern and B, C computed once per (pattern, component): a D³
// Cholesky each, whatever the number of cases (at D = 8 up to 2⁸ patterns: 256·K small
// factorisations per iteration). A Normal with a vector event has independent entries given z:
// x̂ = μ_kd and C = σ_kd² for a missing entry. The sums are float64, centred on the new means
// (two passes), as in mstep.ts.
import { userError } from '../../diagnostics/diagnostics.js';
import type { BoundModel } from '../../graph/bound.js';
import { choleskyBlocks, NotPositiveDefiniteError, solveBlocks } from '../../linalg/dense64.js';
import type { GaussianSlot, WeightsSlot } from './analysis.js';
import { EMPTY_COMPONENT, positiveDefinite } from './mstep.js';

/** The cases whose observed entries are the same. */
export interface Pattern {
  /** indices of the observed entries, ascending */
  readonly obs: Int32Array;
  /** indices of the missing entries, ascending */
  readonly mis: Int32Array;
  /** the cases with this pattern */
  readonly rows: Int32Array;
}

const patternCache = new WeakMap<Uint8Array, Pattern[]>();

/** The patterns of missing entries of an [N × D] mask (1: observed), in order of first case. */
export function missingPatterns(mask: Uint8Array, N: number, D: number): Pattern[] {
  const hit = patternCache.get(mask);
  if (hit) return hit;
  const byKey = new Map<string, number[]>();
  for (let i = 0; i < N; i++) {
    let key = '';
    for (let d = 0; d < D; d++) key += mask[i * D + d] ? '1' : '0';
    let rows = byKey.get(key);
    if (!rows) {
      rows = [];
      byKey.set(key, rows);
    }
    rows.push(i);
  }
  const out: Pattern[] = [];
  for (const [key, rows] of byKey) {
    const obs: number[] = [];
    const mis: number[] = [];
    for (let d = 0; d < D; d++) (key[d] === '1' ? obs : mis).push(d);
    out.push({ obs: Int32Array.from(obs), mis: Int32Array.from(mis), rows: Int32Array.from(rows) });
  }
  patternCache.set(mask, out);
  return out;
}

/** The observation mask of a node with missing entries, or undefined when it is fully observed. */
export function missingMask(bound: BoundModel, node: string): Uint8Array | undefined {
  const o = bound.observation[node];
  return o?.kind === 'partial' ? o.mask : undefined;
}

/**
 * Rows to start from (init.ts: k-means++ centres, the data's covariance), never a statistic:
 * the complete cases when there are at least `need` of them; otherwise every row with each
 * missing entry replaced by its column's observed mean (0 for a column with none). Complete
 * cases are actual points; filled ones are pulled to the column means, which would seed
 * k-means++ with centres between the clusters and shrink the starting covariance.
 */
export function initialRows(
  x: ArrayLike<number>,
  mask: Uint8Array,
  N: number,
  D: number,
  need: number,
): { x: Float64Array; n: number } {
  const complete: number[] = [];
  for (let i = 0; i < N; i++) {
    let all = true;
    for (let d = 0; all && d < D; d++) all = mask[i * D + d] === 1;
    if (all) complete.push(i);
  }
  if (complete.length >= need) {
    const out = new Float64Array(complete.length * D);
    complete.forEach((i, j) => {
      for (let d = 0; d < D; d++) out[j * D + d] = x[i * D + d];
    });
    return { x: out, n: complete.length };
  }
  const sum = new Float64Array(D);
  const n = new Float64Array(D);
  for (let i = 0; i < N; i++)
    for (let d = 0; d < D; d++)
      if (mask[i * D + d]) {
        sum[d] += x[i * D + d];
        n[d]++;
      }
  const out = Float64Array.from(x);
  for (let i = 0; i < N; i++)
    for (let d = 0; d < D; d++) if (!mask[i * D + d]) out[i * D + d] = n[d] > 0 ? sum[d] / n[d] : 0;
  return { x: out, n: N };
}

/**
 * The responsibilities of a weights slot's node, [N × K]: its E-step posterior when it is a
 * variable there (latent, or with missing entries and children); otherwise its data one-hot,
 * and for a missing entry of a leaf its predictive given the data, which is the slot's own
 * probability p (a leaf `y[i] ~ Categorical(pi)` reads nothing else).
 */
export function observedWeights(
  bound: BoundModel,
  slot: WeightsSlot,
  N: number,
  K: number,
  p: Float64Array,
): Float64Array {
  const y = bound.values[slot.node].data;
  const probs = slot.family === 'Bernoulli' ? [1 - p[0], p[0]] : Array.from(p);
  const r = new Float64Array(N * K);
  for (let i = 0; i < N; i++) {
    if (Number.isNaN(y[i])) for (let k = 0; k < K; k++) r[i * K + k] = probs[k];
    else r[i * K + y[i]] = 1;
  }
  return r;
}

/** B = Σ_mo Σ_oo⁻¹ [|m| × |o|] and C = Σ_mm − B Σ_om [|m| × |m|] of one pattern, from Σ [D × D] at `at`. */
export function conditional(
  Sigma: Float64Array,
  at: number,
  D: number,
  p: Pattern,
): { B: Float64Array; C: Float64Array } {
  const o = p.obs.length;
  const m = p.mis.length;
  const B = new Float64Array(m * o);
  const C = new Float64Array(m * m);
  for (let a = 0; a < m; a++)
    for (let b = 0; b < m; b++) C[a * m + b] = Sigma[at + p.mis[a] * D + p.mis[b]];
  if (o === 0 || m === 0) return { B, C };
  const Soo = new Float64Array(o * o);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < o; b++) Soo[a * o + b] = Sigma[at + p.obs[a] * D + p.obs[b]];
  const L = choleskyBlocks(Soo, o, 1, 'the covariance of the observed entries');
  // row a of B solves Σ_oo b = Σ_o,m_a (Σ symmetric)
  const rhs = new Float64Array(o);
  for (let a = 0; a < m; a++) {
    for (let t = 0; t < o; t++) rhs[t] = Sigma[at + p.obs[t] * D + p.mis[a]];
    B.set(solveBlocks(L, rhs, o), a * o);
  }
  for (let a = 0; a < m; a++)
    for (let b = 0; b < m; b++) {
      let s = 0;
      for (let t = 0; t < o; t++) s += B[a * o + t] * Sigma[at + p.obs[t] * D + p.mis[b]];
      C[a * m + b] -= s;
    }
  return { B, C };
}

/** x̂ of case i under component k into `out` [D]: observed entries as they are, missing ones μ_m + B (x_o − μ_o). */
function impute(
  x: ArrayLike<number>,
  i: number,
  D: number,
  mu: Float64Array,
  at: number,
  p: Pattern,
  B: Float64Array,
  out: Float64Array,
): void {
  const o = p.obs.length;
  for (let t = 0; t < o; t++) out[p.obs[t]] = x[i * D + p.obs[t]];
  for (let a = 0; a < p.mis.length; a++) {
    let s = mu[at + p.mis[a]];
    for (let t = 0; t < o; t++) s += B[a * o + t] * (x[i * D + p.obs[t]] - mu[at + p.obs[t]]);
    out[p.mis[a]] = s;
  }
}

/**
 * The M-step of `x[i] ~ MvNormal(mu[z[i]], Sigma[z[i]])` (or one component) with missing
 * entries: μ_k and Σ_k in place from r [N × K] and the E-step's params (see the header).
 */
export function mvnMissingUpdate(
  x: ArrayLike<number>,
  patterns: readonly Pattern[],
  r: Float64Array,
  K: number,
  D: number,
  nk: Float64Array,
  mu: Float64Array,
  Sigma: Float64Array,
): void {
  const mu0 = Float64Array.from(mu);
  const xh = new Float64Array(D);
  for (let k = 0; k < K; k++) {
    if (!(nk[k] > EMPTY_COMPONENT)) continue;
    const conds = patterns.map((p) => {
      try {
        return conditional(Sigma, k * D * D, D, p);
      } catch (e) {
        if (e instanceof NotPositiveDefiniteError)
          throw userError(
            `em: the covariance of component ${k} is not positive definite on the observed entries ${p.obs.join(', ')}`,
            'data',
          );
        throw e;
      }
    });
    // pass 1: the new mean
    const s1 = new Float64Array(D);
    patterns.forEach((p, j) => {
      for (const i of p.rows) {
        const w = r[i * K + k];
        if (w === 0) continue;
        impute(x, i, D, mu0, k * D, p, conds[j].B, xh);
        for (let d = 0; d < D; d++) s1[d] += w * xh[d];
      }
    });
    for (let d = 0; d < D; d++) mu[k * D + d] = s1[d] / nk[k];
    // pass 2: second moments about it, plus the conditional covariances
    const S = new Float64Array(D * D);
    patterns.forEach((p, j) => {
      let wP = 0;
      for (const i of p.rows) {
        const w = r[i * K + k];
        if (w === 0) continue;
        wP += w;
        impute(x, i, D, mu0, k * D, p, conds[j].B, xh);
        for (let d = 0; d < D; d++) xh[d] -= mu[k * D + d];
        for (let a = 0; a < D; a++) {
          const wa = w * xh[a];
          for (let b = 0; b <= a; b++) S[a * D + b] += wa * xh[b];
        }
      }
      const { C } = conds[j];
      const m = p.mis.length;
      for (let a = 0; a < m; a++)
        for (let b = 0; b < m; b++) {
          const ia = p.mis[a];
          const ib = p.mis[b];
          if (ib <= ia) S[ia * D + ib] += wP * C[a * m + b];
        }
    });
    for (let a = 0; a < D; a++)
      for (let b = 0; b <= a; b++) {
        const v = S[a * D + b] / nk[k];
        S[a * D + b] = v;
        S[b * D + a] = v;
      }
    Sigma.set(positiveDefinite(S, D), k * D * D);
  }
}

/**
 * The M-step of `x[i]: real[D] ~ Normal(mu[z[i]], sigma[z[i]])` (or one component) with
 * missing entries: independent entries given z, so x̂_ikd = μ_kd and Var = σ_kd² where missing.
 * μ in place; σ too when given (a learnable scale), a zero variance keeping the old σ.
 */
export function normalMissingUpdate(
  x: ArrayLike<number>,
  mask: Uint8Array,
  r: Float64Array,
  N: number,
  K: number,
  D: number,
  nk: Float64Array,
  mu: Float64Array,
  sigma?: Float64Array,
): void {
  const mu0 = Float64Array.from(mu);
  const s1 = new Float64Array(K * D);
  for (let i = 0; i < N; i++)
    for (let k = 0; k < K; k++) {
      const w = r[i * K + k];
      if (w === 0) continue;
      for (let d = 0; d < D; d++)
        s1[k * D + d] += w * (mask[i * D + d] ? x[i * D + d] : mu0[k * D + d]);
    }
  for (let k = 0; k < K; k++)
    if (nk[k] > EMPTY_COMPONENT) for (let d = 0; d < D; d++) mu[k * D + d] = s1[k * D + d] / nk[k];
  if (!sigma) return;
  const v = new Float64Array(K * D);
  for (let i = 0; i < N; i++)
    for (let k = 0; k < K; k++) {
      const w = r[i * K + k];
      if (w === 0) continue;
      for (let d = 0; d < D; d++) {
        const j = k * D + d;
        if (mask[i * D + d]) {
          const c = x[i * D + d] - mu[j];
          v[j] += w * c * c;
        } else {
          const c = mu0[j] - mu[j];
          v[j] += w * (c * c + sigma[j] * sigma[j]);
        }
      }
    }
  for (let k = 0; k < K; k++) {
    if (!(nk[k] > EMPTY_COMPONENT)) continue;
    for (let d = 0; d < D; d++) {
      const s = Math.sqrt(v[k * D + d] / nk[k]);
      if (s > 0) sigma[k * D + d] = s;
    }
  }
}

/** The M-step of a Gaussian slot whose node has missing entries (`values` updated in place). */
export function missingGaussianUpdate(
  bound: BoundModel,
  slot: GaussianSlot,
  mask: Uint8Array,
  r: Float64Array,
  N: number,
  K: number,
  nk: Float64Array,
  values: Record<string, Float64Array>,
): void {
  const x = bound.values[slot.node].data;
  const D = x.length / N;
  const mu = values[slot.mean];
  const scale = slot.scale ? values[slot.scale] : undefined;
  if (slot.family === 'MvNormal') {
    // analysis.ts refuses a fixed covariance with missing entries
    if (!scale)
      throw new Error(`internal: ${slot.node} has missing entries and no learnable Sigma`);
    mvnMissingUpdate(x, missingPatterns(mask, N, D), r, K, D, nk, mu, scale);
  } else normalMissingUpdate(x, mask, r, N, K, D, nk, mu, scale);
}
