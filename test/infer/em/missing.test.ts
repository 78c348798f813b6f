// em with missing data (issue 9, part 3): null entries of observed arrays integrated out in the
// E-step. Checked against float64 references written in the tests (test/support/observed.ts):
//  - logEvidence is the observed-data log-likelihood Σ_i log Σ_k π_k N(x_i,o; μ_k,o, Σ_k,oo) at
//    the returned params, and the trace never decreases;
//  - the returned params maximise it: every small step away lowers it, and it exceeds its value
//    at the complete-case estimates (incomplete rows dropped); on the held-out complete data
//    the em estimates are better than the complete-case ones too;
//  - with 20% of entries missing at random the estimates are close to the complete-data ones,
//    within 4 sd of their difference: Var(θ̂_obs − θ̂_com) ≈ V_obs − V_com (the complete-data
//    estimate is efficient), at most V_com·(1/(1−f)² − 1) when an entry pair is observed
//    together with probability (1−f)²; V_com from the true params and N (N_k per component);
//  - closed forms: independent Normal columns (the observed entries' mean and sd), a
//    Categorical or Bernoulli leaf with nulls (the observed frequencies);
//  - a discrete latent with some values observed (labels for some cases);
//  - no tensor left behind; what em still refuses.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, engines, infer, type Posterior } from '../../../src/index.js';
import { asData, diagonal, dropAtRandom, observedMixture } from '../../support/observed.js';
import { prng } from '../../support/prng.js';
import { drawMixture } from './reference.js';

const EPS32 = 2 ** -23;
/** the fraction of entries missing at random */
const F = 0.2;
/** Var(θ̂_obs − θ̂_com) / V_com, at most (see the header) */
const G = 1 / (1 - F) ** 2 - 1;

beforeAll(async () => {
  await initBackend('wasm');
});

const MVN = compile(`model mvn {
  size N
  size D
  param mu: real[D]
  param Sigma: real[D, D]
  plate i in N {
    x[i] ~ MvNormal(mu, Sigma)
  }
}`);

const FULL = compile(`model gmm_full {
  size N
  size D
  size K
  param pi: simplex[K]
  param mu: real[K, D]
  param Sigma: real[K, D, D]
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i] ~ MvNormal(mu[z[i]], Sigma[z[i]])
  }
}`);

const DIAG = compile(`model gmm_diag {
  size N
  size D
  size K
  param pi: simplex[K]
  param mu: real[K, D]
  param sigma: real(0,)[K, D]
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i]: real[D] ~ Normal(mu[z[i]], sigma[z[i]])
  }
}`);

const flat = (a: ArrayLike<number>) => Float64Array.from(a);

/**
 * How far from the maximiser em may stop: ℓ is summed in float64 from float32 tables, so once
 * ℓ(θ*) − ℓ(θ) ≈ ½ I (θ − θ*)² (I: the observed information) falls below its rounding, δℓ ≈
 * 8 ε32 Σ_i |ℓ_i|, consecutive values can agree and em reports convergence:
 * |θ − θ*| ≲ sqrt(2 δℓ / I).
 */
const stopError = (info: number, magnitude: number) =>
  Math.sqrt((2 * 8 * EPS32 * magnitude) / info);

/** Is the trace non-decreasing up to 1e-6 relative (the engine's warning threshold)? */
function nonDecreasing(trace: readonly number[]): boolean {
  return trace.every((v, t) => t === 0 || v - trace[t - 1] >= -1e-6 * Math.abs(trace[t - 1]));
}

/** logEvidence against the float64 observed-data log-likelihood at the returned params. */
function expectEvidence(r: Posterior, ref: { logLik: number; magnitude: number }, N: number) {
  // float32 tables: each case's log terms to a few ulps, summed in float64
  const tol = 64 * EPS32 * (N + ref.magnitude);
  expect(Math.abs((r.logEvidence as number) - ref.logLik)).toBeLessThan(tol);
  expect(r.elbo?.[r.elbo.length - 1]).toBe(r.logEvidence);
  expect(nonDecreasing(r.elbo ?? [])).toBe(true);
}

/** The rows without a missing entry. */
const completeRows = (x: number[][]) => x.filter((row) => row.every((v) => !Number.isNaN(v)));

/** Float64 mean and covariance (divided by n) of rows. */
function moments(x: readonly number[][], D: number): { mu: Float64Array; Sigma: Float64Array } {
  const n = x.length;
  const mu = new Float64Array(D);
  for (const row of x) for (let d = 0; d < D; d++) mu[d] += row[d] / n;
  const Sigma = new Float64Array(D * D);
  for (const row of x)
    for (let a = 0; a < D; a++)
      for (let b = 0; b < D; b++) Sigma[a * D + b] += ((row[a] - mu[a]) * (row[b] - mu[b])) / n;
  return { mu, Sigma };
}

describe('one Gaussian with missing entries: x[i] ~ MvNormal(mu, Sigma), no latent', () => {
  const D = 3;
  const N = 400;
  const truth = { mu: [1, -2, 0.5], Sigma: [2, 1.2, 0.6, 1.2, 1.5, 0.3, 0.6, 0.3, 1] };
  const full = drawMixture({ pi: [1], ...truth }, N, D, 11).x;
  const x = dropAtRandom(full, F, prng(12));
  const observed = (mu: ArrayLike<number>, Sigma: ArrayLike<number>) =>
    observedMixture(x.flat(), N, D, [1], mu, Sigma).logLik;
  const completeData = (mu: ArrayLike<number>, Sigma: ArrayLike<number>) =>
    observedMixture(full.flat(), N, D, [1], mu, Sigma).logLik;

  it('maximises the observed-data log-likelihood; beats the complete-case estimates; near the complete-data ones', async () => {
    const r = await infer(MVN, {
      data: { N, D, x: asData(x) },
      engine: 'em',
      tol: 1e-12,
      iters: 2000,
    });
    expect(r.converged).toBe(true);
    const mu = flat(r.params.mu.data);
    const Sigma = flat(r.params.Sigma.data);
    const ref = observedMixture(x.flat(), N, D, [1], mu, Sigma);
    expectEvidence(r, ref, N);

    // a maximum: every step of δ = 3e-2 along a random direction v (μ, and Σ kept symmetric)
    // lowers ℓ: the drop ½ δ² vᵀIv outweighs the gradient term δ vᵀI(θ − θ*) while the
    // stopping error (stopError: ≈ 5e-3 here, I ≈ N/Σ) is below δ/2
    const u = prng(13);
    for (let t = 0; t < 20; t++) {
      const dm = Array.from({ length: D }, () => 2 * u() - 1);
      const dS = new Float64Array(D * D);
      for (let a = 0; a < D; a++)
        for (let b = 0; b <= a; b++) dS[a * D + b] = dS[b * D + a] = 2 * u() - 1;
      for (const s of [-3e-2, 3e-2]) {
        const mu2 = mu.map((v, d) => v + s * dm[d]);
        const S2 = Sigma.map((v, j) => v + s * dS[j]);
        expect(observed(mu2, S2)).toBeLessThan(ref.logLik);
      }
    }

    // dropping the incomplete rows (about 1 − 0.8³ ≈ 49% of them) does worse, on the
    // observed data and on the complete data held back
    const cc = moments(completeRows(x), D);
    expect(ref.logLik).toBeGreaterThan(observed(cc.mu, cc.Sigma));
    expect(completeData(mu, Sigma)).toBeGreaterThan(completeData(cc.mu, cc.Sigma));

    // close to the complete-data MLE
    const com = moments(full, D);
    const S = truth.Sigma;
    for (let d = 0; d < D; d++)
      expect(Math.abs(mu[d] - com.mu[d])).toBeLessThan(4 * Math.sqrt((S[d * D + d] * G) / N));
    for (let a = 0; a < D; a++)
      for (let b = 0; b < D; b++) {
        const v = S[a * D + a] * S[b * D + b] + S[a * D + b] ** 2;
        expect(Math.abs(Sigma[a * D + b] - com.Sigma[a * D + b])).toBeLessThan(
          4 * Math.sqrt((v * G) / N),
        );
      }
  });

  it('independent Normal columns: μ_d, σ_d are the observed entries’ mean and sd (closed form)', async () => {
    const M = compile(`model cols {
  size N
  size D
  param mu: real[D]
  param sigma: real(0,)[D]
  plate i in N {
    x[i]: real[D] ~ Normal(mu, sigma)
  }
}`);
    const r = await infer(M, {
      data: { N, D, x: asData(x) },
      engine: 'em',
      tol: 1e-14,
      iters: 2000,
    });
    const sigma = flat(r.params.sigma.data);
    const ref = observedMixture(x.flat(), N, D, [1], flat(r.params.mu.data), diagonal(sigma, 1, D));
    expectEvidence(r, ref, N);
    for (let d = 0; d < D; d++) {
      const col = x.map((row) => row[d]).filter((v) => !Number.isNaN(v));
      const m = col.reduce((s, v) => s + v, 0) / col.length;
      const sd = Math.sqrt(col.reduce((s, v) => s + (v - m) ** 2, 0) / col.length);
      // information n/σ² for μ_d, 2n/σ² for σ_d
      const n = col.length;
      expect(Math.abs((r.params.mu.data[d] as number) - m)).toBeLessThan(
        stopError(n / sd ** 2, ref.magnitude),
      );
      expect(Math.abs((r.params.sigma.data[d] as number) - sd)).toBeLessThan(
        stopError((2 * n) / sd ** 2, ref.magnitude),
      );
    }
  });
});

/** Component k of `got` matched to each true mean by the nearest mean. */
function matchComponents(mu: ArrayLike<number>, truth: readonly number[], K: number, D: number) {
  return Array.from({ length: K }, (_, k) => {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = 0; j < K; j++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += (mu[j * D + d] - truth[k * D + d]) ** 2;
      if (s < bestD) {
        bestD = s;
        best = j;
      }
    }
    return best;
  });
}

describe('Gaussian mixtures with missing entries', () => {
  const D = 3;
  const K = 2;
  const N = 600;
  const truth = {
    pi: [0.4, 0.6],
    mu: [0, 0, 0, 6, -5, 4],
    Sigma: [1, 0.5, 0.2, 0.5, 1.5, 0.4, 0.2, 0.4, 1, 2, -0.6, 0, -0.6, 1, 0.3, 0, 0.3, 0.8],
  };
  const full = drawMixture(truth, N, D, 21).x;
  const x = dropAtRandom(full, F, prng(22));
  const options = { engine: 'em', tol: 1e-9, iters: 1000, seed: 0 } as const;

  it('full covariances: logEvidence is the observed-data ℓ; beats dropping incomplete rows; near the complete-data estimates', async () => {
    const before = tf.memory().numTensors;
    const r = await infer(FULL, { data: { N, D, K, x: asData(x) }, ...options });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.converged).toBe(true);
    const pi = flat(r.params.pi.data);
    const mu = flat(r.params.mu.data);
    const Sigma = flat(r.params.Sigma.data);
    const ref = observedMixture(x.flat(), N, D, pi, mu, Sigma);
    expectEvidence(r, ref, N);

    // complete-case estimates: em on the complete rows alone
    const cc = completeRows(x);
    const c = await infer(FULL, { data: { N: cc.length, D, K, x: cc }, ...options });
    const [piC, muC, SC] = [c.params.pi.data, c.params.mu.data, c.params.Sigma.data].map(flat);
    expect(ref.logLik).toBeGreaterThan(observedMixture(x.flat(), N, D, piC, muC, SC).logLik);
    const held = (p: Float64Array, m: Float64Array, S: Float64Array) =>
      observedMixture(full.flat(), N, D, p, m, S).logLik;
    expect(held(pi, mu, Sigma)).toBeGreaterThan(held(piC, muC, SC));

    // the complete-data estimates, component by component
    const w = await infer(FULL, { data: { N, D, K, x: full }, ...options });
    const [piW, muW, SW] = [w.params.pi.data, w.params.mu.data, w.params.Sigma.data].map(flat);
    const m = matchComponents(mu, truth.mu, K, D);
    const mW = matchComponents(muW, truth.mu, K, D);
    for (let k = 0; k < K; k++) {
      const [j, jW] = [m[k], mW[k]];
      const Nk = N * truth.pi[k];
      const S = truth.Sigma.slice(k * D * D, (k + 1) * D * D);
      const p = truth.pi[k];
      expect(Math.abs(pi[j] - piW[jW])).toBeLessThan(4 * Math.sqrt((p * (1 - p) * G) / N));
      for (let d = 0; d < D; d++)
        expect(Math.abs(mu[j * D + d] - muW[jW * D + d])).toBeLessThan(
          4 * Math.sqrt((S[d * D + d] * G) / Nk),
        );
      for (let a = 0; a < D; a++)
        for (let b = 0; b < D; b++) {
          const v = S[a * D + a] * S[b * D + b] + S[a * D + b] ** 2;
          expect(Math.abs(Sigma[j * D * D + a * D + b] - SW[jW * D * D + a * D + b])).toBeLessThan(
            4 * Math.sqrt((v * G) / Nk),
          );
        }
    }
  });

  it('per-dimension sds: logEvidence is the observed-data ℓ, the trace never decreases', async () => {
    const r = await infer(DIAG, { data: { N, D, K, x: asData(x) }, ...options, restarts: 2 });
    const sigma = flat(r.params.sigma.data);
    const ref = observedMixture(
      x.flat(),
      N,
      D,
      flat(r.params.pi.data),
      flat(r.params.mu.data),
      diagonal(sigma, K, D),
    );
    expectEvidence(r, ref, N);
  });

  it('a fixed sd, the means learned: logEvidence is the observed-data ℓ, the trace never decreases', async () => {
    const FIXED = compile(`model fixed_sd {
  size N
  size D
  size K
  param pi: simplex[K]
  param mu: real[K, D]
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i]: real[D] ~ Normal(mu[z[i]], 1.5)
  }
}`);
    const r = await infer(FIXED, { data: { N, D, K, x: asData(x) }, ...options });
    const sigma = new Float64Array(K * D).fill(1.5);
    const ref = observedMixture(
      x.flat(),
      N,
      D,
      flat(r.params.pi.data),
      flat(r.params.mu.data),
      diagonal(sigma, K, D),
    );
    expectEvidence(r, ref, N);
  });

  it('labels known for some cases (z observed in part): those rows keep their label, ℓ counts it', async () => {
    const z = drawMixture(truth, N, D, 21).z;
    const u = prng(23);
    const labels = z.map((k) => (u() < 0.3 ? k : Number.NaN));
    const r = await infer(FULL, {
      data: { N, D, K, x: asData(x), z: labels.map((k) => (Number.isNaN(k) ? null : k)) },
      ...options,
    });
    const pi = flat(r.params.pi.data);
    const mu = flat(r.params.mu.data);
    const Sigma = flat(r.params.Sigma.data);
    const ref = observedMixture(x.flat(), N, D, pi, mu, Sigma, labels);
    expectEvidence(r, ref, N);
    // labelled rows are one-hot at their label; the others are the float64 responsibilities
    const p = r.latents.z.params.p;
    const rows = p.data as ArrayLike<number>;
    for (let i = 0; i < N; i++)
      for (let k = 0; k < K; k++) {
        const want = ref.r[i * K + k];
        if (!Number.isNaN(labels[i])) expect(rows[i * K + k]).toBe(labels[i] === k ? 1 : 0);
        else expect(Math.abs(rows[i * K + k] - want)).toBeLessThan(1e-4);
      }
    // the labels fix which component is which: no permutation
    expect(Math.abs(mu[3] - truth.mu[3])).toBeLessThan(4 * Math.sqrt(2 / (N * 0.6 * (1 - F))));
  });

  it('leaves no tensor behind over restarts', async () => {
    const before = tf.memory().numTensors;
    await infer(FULL, { data: { N, D, K, x: asData(x) }, engine: 'em', iters: 3, restarts: 2 });
    await infer(MVN, { data: { N, D, x: asData(x) }, engine: 'em', iters: 3 });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a discrete node with missing values', () => {
  const CAT = compile(`model cat {
  size N
  size K
  param pi: simplex[K]
  plate i in N {
    y[i] ~ Categorical(pi)
  }
}`);
  const BER = compile(`model ber {
  size N
  param p: real(0,1)
  plate i in N {
    y[i] ~ Bernoulli(p)
  }
}`);

  it('a Categorical leaf with nulls: pi is the observed frequencies, ℓ = Σ over observed log π_y', async () => {
    const y = [0, 2, null, 2, 1, 2, null, 0, 2, 2, null, 1];
    const seen = y.filter((v): v is number => v !== null);
    const freq = [0, 1, 2].map((k) => seen.filter((v) => v === k).length / seen.length);
    const r = await infer(CAT, { data: { N: y.length, K: 3, y }, engine: 'em', tol: 1e-14 });
    const ref = seen.reduce((s, k) => s + Math.log(freq[k]), 0);
    // information of π_k: n_obs / (π_k (1 − π_k)); the tables hold log π of every case
    const magnitude = y.length * Math.max(...freq.map((f) => -Math.log(f)));
    flat(r.params.pi.data).forEach((v, k) => {
      const info = seen.length / (freq[k] * (1 - freq[k]));
      expect(Math.abs(v - freq[k])).toBeLessThan(stopError(info, magnitude));
    });
    expect(Math.abs((r.logEvidence as number) - ref)).toBeLessThan(
      64 * EPS32 * (y.length + Math.abs(ref)),
    );
    expect(nonDecreasing(r.elbo ?? [])).toBe(true);
  });

  it('a Bernoulli leaf with nulls: p is the observed mean', async () => {
    const y = [1, 0, null, 1, 1, null, 0, 1];
    const r = await infer(BER, { data: { N: y.length, y }, engine: 'em', tol: 1e-14 });
    const info = 6 / ((4 / 6) * (2 / 6));
    const magnitude = y.length * -Math.log(2 / 6);
    expect(Math.abs((r.params.p.data[0] as number) - 4 / 6)).toBeLessThan(
      stopError(info, magnitude),
    );
    const ref = 4 * Math.log(4 / 6) + 2 * Math.log(2 / 6);
    expect(Math.abs((r.logEvidence as number) - ref)).toBeLessThan(64 * EPS32 * 8);
  });
});

describe('what em still refuses with missing entries', () => {
  it('missing MvNormal entries under a fixed covariance, at the node', () => {
    const FIXED = compile(`model fixed {
  size N
  size D
  size K
  param pi: simplex[K]
  param mu: real[K, D]
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i] ~ MvNormal(mu[z[i]], eye(D))
  }
}`);
    const report = engines(FIXED, {
      data: {
        N: 2,
        D: 2,
        K: 2,
        x: [
          [0, null],
          [1, 2],
        ],
      },
    });
    const em = report.engines.find((e) => e.name === 'em');
    expect(em?.applies).toBe(false);
    expect(em?.reasons[0].node).toBe('x');
    expect(em?.reasons[0].message).toMatch(/missing entries and a fixed covariance/);
  });

  it('missing entries of a family em does not read (Poisson), at the node', () => {
    const P = compile(`model pois {
  size N
  param rate: real(0,)
  plate i in N {
    y[i] ~ Poisson(rate)
  }
}`);
    const report = engines(P, { data: { N: 2, y: [1, null] } });
    const em = report.engines.find((e) => e.name === 'em');
    expect(em?.applies).toBe(false);
    expect(em?.reasons[0].node).toBe('y');
    expect(em?.reasons[0].message).toMatch(/missing entries .*Poisson is not supported yet/);
  });
});
