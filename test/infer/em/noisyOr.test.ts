// em's gradient M-step on noisy-OR cases (issue 9): 5,000 patients drawn by the `sample`
// engine from a known network (examples/noisy_or_cases/truth.json: K = 4 diseases, M = 8
// symptoms), learned by EM from the symptoms alone. Checked against float64 references written
// here: every estimate within a multiple of its standard error (from the information of the
// sample, below), the log-likelihood never decreasing, the reported logEvidence equal to a
// brute-force enumeration of the 2^K disease states of every case at the returned params, and
// no tensor left behind.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostics.js';
import { compile, infer, type Posterior, sample } from '../../../src/index.js';
import { inverseSPD64 } from '../../../src/linalg/dense64.js';
import { bruteNoisyOr } from '../../support/noisyOr.js';

const EPS32 = 2 ** -23;
const read = (f: string) =>
  readFileSync(new URL(`../../../examples/noisy_or_cases/${f}`, import.meta.url), 'utf8');
const MODEL = compile(read('noisy_or_cases.plato'));
const TRUTH = JSON.parse(read('truth.json')) as {
  K: number;
  M: number;
  rho: number[];
  W: number[][];
};
const { K, M } = TRUTH;
const LEAK = 0.01;
const N = 5000;

beforeAll(async () => {
  await initBackend('wasm');
});

/**
 * The score of one case, ∇ log p(s | θ) = E_{p(d | s, θ)}[∇ log p(s, d | θ)], in float64 by
 * enumerating the 2^K disease states: θ = (ρ_1 … ρ_K, W_11 … W_KM),
 *   ∂/∂ρ_k log p = d_k/ρ_k − (1 − d_k)/(1 − ρ_k),
 *   ∂/∂W_kj log p = −d_k                    (s_j = 0: log P0, P0 = (1 − leak) e^{−Σ_k W_kj d_k})
 *                 = d_k P0 / (1 − P0)       (s_j = 1: log(1 − P0)).
 */
function score(rho: number[], W: number[][], s: readonly number[]): number[] {
  const S = 2 ** K;
  const lw = new Float64Array(S);
  const grads: number[][] = [];
  for (let st = 0; st < S; st++) {
    const d = Array.from({ length: K }, (_, k) => (st >> k) & 1);
    const g = new Array<number>(K + K * M).fill(0);
    let w = 0;
    for (let k = 0; k < K; k++) {
      w += Math.log(d[k] ? rho[k] : 1 - rho[k]);
      g[k] = d[k] / rho[k] - (1 - d[k]) / (1 - rho[k]);
    }
    for (let j = 0; j < M; j++) {
      let a = 0;
      for (let k = 0; k < K; k++) a += W[k][j] * d[k];
      const logP0 = Math.log1p(-LEAK) - a;
      const P0 = Math.exp(logP0);
      w += s[j] ? Math.log(-Math.expm1(logP0)) : logP0;
      for (let k = 0; k < K; k++) g[K + k * M + j] = d[k] * (s[j] ? P0 / (1 - P0) : -1);
    }
    lw[st] = w;
    grads.push(g);
  }
  const m = Math.max(...lw);
  let z = 0;
  for (let st = 0; st < S; st++) z += Math.exp(lw[st] - m);
  const out = new Array<number>(K + K * M).fill(0);
  for (let st = 0; st < S; st++) {
    const q = Math.exp(lw[st] - m) / z;
    grads[st].forEach((g, p) => {
      out[p] += q * g;
    });
  }
  return out;
}

/**
 * Standard errors of the maximum-likelihood estimates from the information of the sample at
 * the true params: I = Σ_i g_i g_iᵀ (outer products of the scores, which have mean 0 there),
 * SE = sqrt(diag(I⁻¹)). This is the honest scale of each estimate's error: a weight whose
 * symptom is rarely active given its disease has a large one.
 */
function standardErrors(cases: readonly number[][]): number[] {
  const P = K + K * M;
  const I = Array.from({ length: P }, () => new Array<number>(P).fill(0));
  const memo = new Map<string, number[]>();
  for (const s of cases) {
    const key = s.join('');
    let g = memo.get(key);
    if (!g) {
      g = score(TRUTH.rho, TRUTH.W, s);
      memo.set(key, g);
    }
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) I[a][b] += g[a] * g[b];
  }
  return inverseSPD64(I).map((row, p) => Math.sqrt(row[p]));
}

/** The disease of the estimate standing for each true disease (EM's labels are arbitrary). */
function matchDiseases(rho: Float64Array, W: Float64Array): number[] {
  const perms = (xs: number[]): number[][] =>
    xs.length <= 1
      ? [xs]
      : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
  let best: number[] = [];
  let bestCost = Number.POSITIVE_INFINITY;
  for (const p of perms([...Array(K).keys()])) {
    let cost = 0;
    for (let k = 0; k < K; k++) {
      cost += Math.abs(rho[p[k]] - TRUTH.rho[k]);
      for (let j = 0; j < M; j++) cost += Math.abs(W[p[k] * M + j] - TRUTH.W[k][j]);
    }
    if (cost < bestCost) {
      bestCost = cost;
      best = p;
    }
  }
  return best;
}

describe('em on 5,000 noisy-OR cases drawn from a known network', () => {
  let cases: number[][];
  let r: Posterior;
  const warnings: Diagnostic[] = [];
  let leaked = 0;

  beforeAll(async () => {
    const drawn = await sample(MODEL, {
      data: { N, K, M, rho: TRUTH.rho, W: TRUTH.W },
      n: 1,
      seed: 20261205,
    });
    const s = drawn.draws.s.data;
    cases = Array.from({ length: N }, (_, i) => Array.from(s.subarray(i * M, (i + 1) * M)));
    const before = tf.memory().numTensors;
    r = await infer(MODEL, {
      data: { N, K, M, s: cases },
      engine: 'em',
      seed: 1,
      onWarning: (w) => warnings.push(w),
    });
    leaked = tf.memory().numTensors - before;
  }, 120_000);

  it('converges, never decreasing the log-likelihood, and leaves no tensor behind', () => {
    expect(r.converged).toBe(true);
    expect(warnings).toEqual([]);
    const elbo = r.elbo ?? [];
    expect(elbo).toHaveLength(r.iterations + 1);
    for (let t = 1; t < elbo.length; t++)
      expect(elbo[t] - elbo[t - 1]).toBeGreaterThanOrEqual(-1e-6 * Math.abs(elbo[t - 1]));
    expect(leaked).toBe(0);
    expect(r.params.rho.shape).toEqual([K]);
    expect(r.params.W.shape).toEqual([K, M]);
    expect(r.latents.d.family).toBe('Bernoulli');
    expect(r.latents.d.params.p.shape).toEqual([N, K]);
  });

  it('recovers rho and W within 5 standard errors (up to the labels of the diseases)', () => {
    const rho = r.params.rho.data as Float64Array;
    const W = r.params.W.data as Float64Array;
    const se = standardErrors(cases);
    const p = matchDiseases(rho, W);
    // 4 standard errors of sampling; one more for stopping at a relative change of 1e-6 (an
    // ℓ still δ below its maximum leaves at most sqrt(2δ) standard errors in any direction,
    // and δ ≲ 0.5 nats here)
    const z: string[] = [];
    for (let k = 0; k < K; k++) {
      const dr = Math.abs(rho[p[k]] - TRUTH.rho[k]) / se[k];
      if (!(dr <= 5)) z.push(`rho[${k}]: ${rho[p[k]]} vs ${TRUTH.rho[k]} (${dr.toFixed(1)} SE)`);
      for (let j = 0; j < M; j++) {
        const dw = Math.abs(W[p[k] * M + j] - TRUTH.W[k][j]) / se[K + k * M + j];
        if (!(dw <= 5))
          z.push(`W[${k}, ${j}]: ${W[p[k] * M + j]} vs ${TRUTH.W[k][j]} (${dw.toFixed(1)} SE)`);
      }
    }
    expect(z).toEqual([]);
    // and the standard errors are small enough for that to mean something
    expect(Math.max(...se.slice(0, K))).toBeLessThan(0.02);
  });

  it('logEvidence is Σ_i log Σ_d p(d, s_i) at the returned params (float64 enumeration)', () => {
    const rho = Array.from(r.params.rho.data);
    const Wf = Array.from(r.params.W.data);
    const W = Array.from({ length: K }, (_, k) => Wf.slice(k * M, (k + 1) * M));
    let logLik = 0;
    let tol = 0;
    const memo = new Map<string, ReturnType<typeof bruteNoisyOr>>();
    for (const s of cases) {
      const key = s.join('');
      let b = memo.get(key);
      if (!b) {
        b = bruteNoisyOr(rho, LEAK, W, s);
        memo.set(key, b);
      }
      logLik += b.logZ;
      // float32 tables: each case's log terms (of size scale) carry ~EPS32 relative error
      tol += 64 * EPS32 * (1 + b.scale) * (1 + M);
    }
    expect(Math.abs((r.logEvidence as number) - logLik)).toBeLessThan(tol);
    expect(r.elbo?.[r.elbo.length - 1]).toBe(r.logEvidence);
  });
});
