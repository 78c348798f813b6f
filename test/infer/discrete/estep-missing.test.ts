// Events observed in part (issue 9, missing data): the density of the observed entries alone,
// with the missing ones integrated out, in the shared machinery every engine reads —
// mvNormalLogProbObserved = log N(x_o; μ_o, Σ_oo), compile/model.ts logProb on a partially
// observed node, and the discrete E-step over a plate whose Normal/MvNormal leaf has rows
// observed in part (the em engine's responsibilities and log-likelihood). Checked against the
// float64 references of test/support/observed.ts. Also: the exact engine refuses (with a
// reason at the node, no crash) a vector leaf with missing entries, whose predictive it does
// not report.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { PlatoError } from '../../../src/diagnostics/diagnostics.js';
import { mvNormalLogProbObserved } from '../../../src/distributions/mvNormal.js';
import { compile, infer } from '../../../src/index.js';
import { discreteEStep, type EStepResult } from '../../../src/infer/discrete/estep.js';
import { discreteApplicability } from '../../../src/infer/exact/discrete/index.js';
import { boundModel } from '../../support/models.js';
import {
  asData,
  diagonal,
  dropAtRandom,
  logMvnObserved,
  observedMixture,
} from '../../support/observed.js';
import { prng } from '../../support/prng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const EPS32 = 2 ** -23;

/** A random SPD matrix A Aᵀ + I (entries of A in [-1, 1]): condition number ≤ 1 + D. */
function spd(u: () => number, D: number): number[] {
  const A = Array.from({ length: D * D }, () => 2 * u() - 1);
  const S: number[] = [];
  for (let i = 0; i < D; i++)
    for (let j = 0; j < D; j++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < D; k++) s += A[i * D + k] * A[j * D + k];
      S.push(s);
    }
  return S;
}

describe('mvNormalLogProbObserved', () => {
  it('property: is log N(x_o; μ_o, Σ_oo) for every mask, 0 with nothing observed (float64 reference)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 2 ** 30 }),
        (D, B, seed) => {
          const u = prng(seed);
          const Sigma = Array.from({ length: B }, () => spd(u, D)).flat();
          const mu = Array.from({ length: B * D }, () => 4 * u() - 2);
          const x = Array.from({ length: B * D }, () => 6 * u() - 3);
          const obs = Array.from({ length: B * D }, () => (u() < 0.6 ? 1 : 0));
          const before = tf.memory().numTensors;
          const lp = tf.tidy(() => {
            const args = { mu: tf.tensor2d(mu, [B, D]), Sigma: tf.tensor3d(Sigma, [B, D, D]) };
            const x2 = tf.tensor2d(x, [B, D]);
            return mvNormalLogProbObserved(args, x2, tf.tensor2d(obs, [B, D], 'bool'));
          });
          const got = lp.dataSync();
          lp.dispose();
          expect(tf.memory().numTensors).toBe(before);
          for (let b = 0; b < B; b++) {
            const xb = x.map((v, j) => (obs[j] ? v : Number.NaN));
            const ref = logMvnObserved(xb, b * D, mu, b * D, Sigma, b * D * D, D);
            // float32 Cholesky and solve of a matrix of condition ≤ 1 + D: relative error
            // ≲ D²·(1 + D)·ε on the Mahalanobis term, which is ≤ |ref| + D·log 2π
            const tol = 8 * D * D * (1 + D) * EPS32 * (1 + Math.abs(ref) + D * 2);
            if (!(Math.abs(got[b] - ref) <= tol))
              throw new Error(`row ${b}: got ${got[b]}, expected ${ref} (tol ${tol})`);
            if (obs.slice(b * D, (b + 1) * D).every((o) => o === 0)) expect(got[b]).toBe(0);
          }
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });
});

const FULL = `model gmm_full {
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
}`;

const DIAG = `model gmm_diag {
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
}`;

const MVN = `model mvn {
  size N
  size D
  param mu: real[D]
  param Sigma: real[D, D]
  plate i in N {
    x[i] ~ MvNormal(mu, Sigma)
  }
}`;

/** Rows with 25% of entries missing at random, and one row wholly missing and one complete. */
function rows(N: number, D: number, u: () => number): number[][] {
  const x = Array.from({ length: N }, () => Array.from({ length: D }, () => 8 * u() - 4));
  const out = dropAtRandom(x, 0.25, u);
  out[0] = out[0].map(() => Number.NaN);
  out[1] = x[1];
  return out;
}

/** An E-step that leaves no tensor behind. */
function estep(source: string, data: Record<string, unknown>): EStepResult {
  const before = tf.memory().numTensors;
  const e = discreteEStep(boundModel(source, data), { plate: 'i' });
  expect(tf.memory().numTensors).toBe(before);
  return e;
}

/** per case: |logLik − ref| within float32 error of the log terms; responsibilities too */
function compare(e: EStepResult, ref: ReturnType<typeof observedMixture>, N: number, K: number) {
  for (let i = 0; i < N; i++) {
    const tol = 64 * EPS32 * (1 + ref.magnitude / N + Math.abs(ref.perCase[i]));
    if (!(Math.abs(e.logLik[i] - ref.perCase[i]) <= tol))
      throw new Error(`case ${i}: logLik ${e.logLik[i]}, expected ${ref.perCase[i]}`);
  }
  const probs = e.posterior.z?.probs;
  if (K > 0 && probs)
    for (let j = 0; j < N * K; j++) expect(Math.abs(probs[j] - ref.r[j])).toBeLessThan(1e-4);
  expect(Math.abs(e.logZ - ref.logLik)).toBeLessThan(64 * EPS32 * (N + ref.magnitude));
}

describe('the discrete E-step over rows observed in part', () => {
  it('MvNormal mixture: each case scores N(x_o; μ_k,o, Σ_k,oo) (correlated components)', () => {
    for (const seed of [1, 2, 3]) {
      const u = prng(seed);
      const N = 40;
      const D = 3;
      const K = 2;
      const x = rows(N, D, u);
      const pi = [0.3, 0.7];
      const mu = Array.from({ length: K * D }, () => 4 * u() - 2);
      const Sigma = [...spd(u, D), ...spd(u, D)];
      const e = estep(FULL, {
        N,
        D,
        K,
        x: asData(x),
        pi,
        mu: matrix(mu, K, D),
        Sigma: tensor3(Sigma, K, D, D),
      });
      compare(e, observedMixture(x.flat(), N, D, pi, mu, Sigma), N, K);
    }
  });

  it('Normal mixture with a vector event: each observed entry scores, each missing one integrates out', () => {
    const u = prng(4);
    const N = 40;
    const D = 3;
    const K = 3;
    const x = rows(N, D, u);
    const pi = [0.2, 0.3, 0.5];
    const mu = Array.from({ length: K * D }, () => 4 * u() - 2);
    const sigma = Array.from({ length: K * D }, () => 0.5 + u());
    const e = estep(DIAG, {
      N,
      D,
      K,
      x: asData(x),
      pi,
      mu: matrix(mu, K, D),
      sigma: matrix(sigma, K, D),
    });
    compare(e, observedMixture(x.flat(), N, D, pi, mu, diagonal(sigma, K, D)), N, K);
  });

  it('no discrete latent at all: every case is a constant, log N(x_o; μ_o, Σ_oo)', () => {
    const u = prng(5);
    const N = 30;
    const D = 4;
    const x = rows(N, D, u);
    const mu = Array.from({ length: D }, () => 2 * u() - 1);
    const Sigma = spd(u, D);
    const e = estep(MVN, { N, D, x: asData(x), mu, Sigma: matrix(Sigma, D, D) });
    expect(Object.keys(e.posterior)).toEqual([]);
    compare(e, observedMixture(x.flat(), N, D, [1], mu, Sigma), N, 0);
  });
});

describe('the exact engine on a vector observed in part', () => {
  it('a known-parent Normal vector scores the observed entries of a row observed in part (they were dropped)', async () => {
    const src = `model m {
  size N
  size D
  theta ~ Normal(0, 1)
  plate i in N {
    y[i] ~ Normal(theta, 1)
    x[i]: real[D] ~ Normal(0, 1)
  }
}`;
    const y = [0.5, -0.2];
    const data = {
      N: 2,
      D: 2,
      y,
      x: [
        [1.0, null],
        [0.5, 2.0],
      ],
    };
    const r = await infer(compile(src), { data, engine: 'exact' });
    // y ~ N(0, I + 1 1ᵀ): covariance [[2, 1], [1, 2]], det 3, inverse [[2, −1], [−1, 2]] / 3
    const q = (2 * y[0] * y[0] - 2 * y[0] * y[1] + 2 * y[1] * y[1]) / 3;
    const ly = -0.5 * q - 0.5 * Math.log(3) - Math.log(2 * Math.PI);
    const ln = (v: number) => -0.5 * Math.log(2 * Math.PI) - 0.5 * v * v;
    const ref = ly + ln(1) + ln(0.5) + ln(2);
    expect(Math.abs((r.logEvidence as number) - ref)).toBeLessThan(64 * EPS32 * 10);
  });
});

describe('what the shared code refuses', () => {
  it('exact: a vector leaf with missing entries gets a reason at the node (its predictive is scalar-only), the E-step takes it', async () => {
    const u = prng(6);
    const x = asData(rows(6, 2, u));
    const data = {
      N: 6,
      D: 2,
      K: 2,
      x,
      pi: [0.5, 0.5],
      mu: [
        [0, 0],
        [1, 1],
      ],
      sigma: [
        [1, 1],
        [1, 1],
      ],
    };
    const bound = boundModel(DIAG, data);
    const d = discreteApplicability(bound);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.reasons[0].node).toBe('x');
    expect(d.reasons[0].message).toMatch(/x has missing entries in its \[2\] values/);
    // before: a tfjs shape error from the leaf's predictive; now a PlatoError
    await expect(infer(compile(DIAG), { data, engine: 'exact' })).rejects.toThrow(PlatoError);
    expect(discreteEStep(bound, { plate: 'i' }).logLik.length).toBe(6);
  });
});

/** Flat row-major values as a [a × b] nested array. */
function matrix(v: readonly number[], a: number, b: number): number[][] {
  return Array.from({ length: a }, (_, i) => v.slice(i * b, (i + 1) * b));
}

/** Flat row-major values as a [a × b × c] nested array. */
function tensor3(v: readonly number[], a: number, b: number, c: number): number[][][] {
  return Array.from({ length: a }, (_, i) => matrix(v.slice(i * b * c, (i + 1) * b * c), b, c));
}
