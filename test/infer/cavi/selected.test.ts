// The per-component evaluation of mixture-selected children (src/infer/cavi/selected.ts) against
// the row-by-row one it replaces: on random small mixtures, from the same variational state,
// both give the same increments to every parent's natural parameters (summed in float64) and
// the same per-state log-likelihoods ℓ[m, s]. They differ only in the order float32 products are
// summed, so the tolerance is float32's: 1e-5 of the largest magnitude in the block (the
// matmul's blocks sum ≤ 4096 rows in float32, ~M · 2⁻²⁴ ≈ 3e-6 relative here), and ℓ to 1e-6
// of the magnitude of its pieces (the `scale` the engine's own ELBO check uses). The ELBO of both
// engines, at the same start and after the same sweeps, agrees to 1e-6 of |L| + scale (the
// engine's own DECREASE_TOLERANCE: what its float32 pieces know), and the fast engine's group
// part at z's optimum (Σ_m log Σ_s exp logits) equals Σ q · ℓ + H[q] at the same q.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { ExprEvaluator } from '../../../src/compile/evaluator.js';
import type { DataInput } from '../../../src/graph/bound.js';
import { planCavi } from '../../../src/infer/cavi/plan.js';
import { Cavi, localSchedule, segmentSum64 } from '../../../src/infer/cavi/run.js';
import type { ContinuousQ } from '../../../src/infer/cavi/state.js';
import { boundModel } from '../../support/models.js';
import { prng } from '../../support/prng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

interface Case {
  readonly name: string;
  readonly source: string;
  readonly data: (r: () => number, N: number, K: number) => DataInput;
}

const normal = (r: () => number) =>
  Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());

const CASES: Case[] = [
  {
    name: 'Normal means and Gamma precisions per dimension (x[i, j], mu[z[i], j])',
    source: `model m {
      size N
      size D
      size K
      weights ~ Dirichlet(rep(1, K))
      plate k in K { plate j in D {
        mu[k, j] ~ Normal(0, 10)
        tau[k, j] ~ Gamma(2, 2)
      } }
      plate i in N {
        z[i] ~ Categorical(weights)
        plate j in D { x[i, j] ~ Normal(mu[z[i], j], 1 / sqrt(tau[z[i], j])) }
      }
    }`,
    data: (r, N, K) => ({
      N,
      D: 3,
      K,
      x: Array.from({ length: N }, () => [0, 1, 2].map(() => 4 * normal(r) + 2)),
    }),
  },
  {
    name: 'a known sd per dimension and a scaled precision (1 / sqrt(2 * tau[z[i]]))',
    source: `model m {
      size N
      size K
      size D
      data s: real(0,)[D]
      weights ~ Dirichlet(rep(2, K))
      plate k in K { mu[k] ~ Normal(0, 5)
        tau[k] ~ Gamma(1, 1) }
      plate i in N {
        z[i] ~ Categorical(weights)
        y[i] ~ Normal(mu[z[i]], 1 / sqrt(2 * tau[z[i]]))
        plate j in D { x[i, j] ~ Normal(mu[z[i]], s[j]) }
      }
    }`,
    data: (r, N, K) => ({
      N,
      K,
      D: 2,
      s: [0.5, 2],
      y: Array.from({ length: N }, () => 3 * normal(r)),
      x: Array.from({ length: N }, () => [normal(r), 2 * normal(r)]),
    }),
  },
  {
    name: 'a Beta–Bernoulli mixture and a Gamma–Poisson mixture',
    source: `model m {
      size N
      size D
      size K
      weights ~ Dirichlet(rep(1, K))
      plate k in K {
        plate j in D { p[k, j] ~ Beta(1, 1) }
        rate[k] ~ Gamma(2, 1)
      }
      plate i in N {
        z[i] ~ Categorical(weights)
        plate j in D { x[i, j] ~ Bernoulli(p[z[i], j]) }
        c[i] ~ Poisson(rate[z[i]])
      }
    }`,
    data: (r, N, K) => ({
      N,
      D: 4,
      K,
      x: Array.from({ length: N }, () => [0, 1, 2, 3].map(() => (r() < 0.4 ? 1 : 0))),
      c: Array.from({ length: N }, () => Math.floor(8 * r())),
    }),
  },
];

/**
 * From the same random start, both engines' increments, ℓ and ELBO on case `c` with K states and
 * N rows, over 3 sweeps of the row-by-row engine (the fast one evaluated at its state).
 */
async function compareEngines(c: Case, seed: number, K: number, N: number): Promise<void> {
  const bound = boundModel(c.source, c.data(prng(seed), N, K));
  const plan = planCavi(bound);
  if (!plan.ok) throw new Error(JSON.stringify(plan.reasons));
  const before = tf.memory().numTensors;
  const ev = new ExprEvaluator(bound);
  const fast = new Cavi(plan.plan, ev, seed, {}, true);
  const slow = new Cavi(plan.plan, ev, seed, {}, false);
  try {
    // the ELBO: the fast engine's parts (z's group from the weighted statistics; after z's
    // update, at its optimum, Σ_m log Σ_s exp logits) against the row-by-row one's, at the
    // same start and after sweeping both; and its group part recomputed at the same q (Σ q · ℓ
    // + H) equal to the optimum's
    const close = (a: number, b: number, c: Cavi, rel: number) =>
      expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * (Math.abs(b) + c.scale()));
    close(fast.elbo(), slow.elbo(), slow, 1e-6);
    for (let sweep = 0; sweep < 3; sweep++)
      for (const l of plan.plan.latents) {
        fast.update(l.name);
        slow.update(l.name);
      }
    const swept = fast.refresh();
    close(swept, slow.refresh(), slow, 1e-6);
    fast.recomputeParts();
    close(fast.elbo(), swept, fast, 1e-6);
    // the selected children, and the own term z[i] ~ Categorical(weights) per state
    const pairs = fast.terms
      .map((t, i) => [t, slow.terms[i]] as const)
      .filter(([t]) => t.aggregated || t.uniform);
    expect(pairs.filter(([t]) => t.aggregated).length).toBeGreaterThan(0);
    expect(pairs.filter(([t]) => t.uniform).length).toBe(1);
    for (let sweep = 0; sweep < 3; sweep++) {
      // the row-by-row engine moves; both are compared at its state
      for (const l of plan.plan.latents) slow.update(l.name);
      for (const [f, s] of pairs) {
        for (const u of s.uses) {
          const name = u.use.latent;
          const q = slow.qs.get(name) as ContinuousQ;
          const ref = q.eta0.map((e) => new Float64Array(e.length));
          const inc = s.increments(name, slow.qs);
          inc.forEach((b, i) => {
            segmentSum64(b.value, b.at, b.size, ref[i]);
          });
          tf.dispose(inc.map((b) => b.value));
          const got = f.increments64(name, slow.qs) as Float64Array[];
          ref.forEach((b, i) => {
            const big = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            b.forEach((v, j) => {
              expect(Math.abs(got[i][j] - v)).toBeLessThanOrEqual(1e-5 * big);
            });
          });
        }
        const [gl, rl, rs] = tf.tidy(() => {
          const a = f.logLikByElement(slow.qs).l;
          const b = s.logLikByElement(slow.qs);
          const seg = s.selectorSegments as tf.Tensor1D | undefined;
          const M = a.shape[0] as number;
          const per = (x: tf.Tensor) => (seg ? tf.unsortedSegmentSum(x, seg, M) : x);
          return [a, per(b.l), per(b.scale)];
        });
        const [g, w, sc] = [gl.dataSync(), rl.dataSync(), rs.dataSync()];
        tf.dispose([gl, rl, rs]);
        for (let i = 0; i < w.length; i++)
          expect(Math.abs(g[i] - w[i])).toBeLessThanOrEqual(1e-6 * sc[i] + 1e-6);
      }
    }
  } finally {
    fast.dispose();
    slow.dispose();
    ev.dispose();
  }
  expect(tf.memory().numTensors).toBe(before);
}

describe('mixture-selected children per component equal the row-by-row evaluation', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 1 << 30 }),
          fc.integer({ min: 2, max: 4 }),
          fc.integer({ min: 5, max: 60 }),
          (seed, K, N) => compareEngines(c, seed, K, N),
        ),
        { numRuns: 6, seed: 10 },
      );
    });
  }
  it('several blocks of rows (the weighted sums per block of 4096 rows, the last one short)', async () => {
    await compareEngines(CASES[0], 7, 3, 9000);
  });
});

describe("batch cavi's local/global schedule (run.ts localSchedule)", () => {
  it('LDA: θ and z local (θ first), β global; a mixture with Normal globals keeps the plain sweep', () => {
    const lda = boundModel(
      `model lda {
        size K
        size V
        size D
        size N[D]
        hyper alpha: real(0,) = 0.1
        hyper eta: real(0,) = 0.01
        plate k in K { beta[k] ~ Dirichlet(rep(eta, V)) }
        plate d in D {
          theta[d] ~ Dirichlet(rep(alpha, K))
          plate n in N[d] {
            z[d, n] ~ Categorical(theta[d])
            w[d, n] ~ Categorical(beta[z[d, n]])
          }
        }
      }`,
      { K: 2, V: 3, D: 2, N: [2, 1], w: [[0, 1], [2]] },
    );
    const p = planCavi(lda);
    if (!p.ok) throw new Error('cavi does not apply');
    const s = localSchedule(lda, p.plan);
    expect(s?.locals.map((l) => l.name)).toEqual(['theta', 'z']);
    expect(s?.globals).toEqual(['beta']);
    const gmm = boundModel(CASES[0].source, CASES[0].data(prng(1), 5, 2));
    const q = planCavi(gmm);
    if (!q.ok) throw new Error('cavi does not apply');
    expect(localSchedule(gmm, q.plan)).toBeUndefined();
  });
});
