// The fast paths of the discrete machinery against the generic paths they stand in for, on
// random models: a node whose elements share their distribution given the template's variables
// (src/infer/discrete/shared.ts: one distribution per state, every element scored against it)
// must give the table of the per-element evaluation, and the host pass over one-variable groups
// (enumerate.ts enumerateOne) the log Z and posteriors of the batched enumeration; the E-steps
// with and without them agree. Tables are float32: tolerances are multiples of float32's epsilon
// times the size of the log terms (and, for MvNormal, the condition of the covariance).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compileModel } from '../../../src/compile/model.js';
import type { BoundModel } from '../../../src/graph/bound.js';
import { enumerateJoint, enumerateOne } from '../../../src/infer/discrete/enumerate.js';
import { discreteEStep } from '../../../src/infer/discrete/estep.js';
import { prepare } from '../../../src/infer/discrete/prepare.js';
import { sharedPlan } from '../../../src/infer/discrete/shared.js';
import { nodeTable } from '../../../src/infer/discrete/tables.js';
import { planValues } from '../../../src/infer/discrete/values.js';
import { boundModel } from '../../support/models.js';
import { prng } from '../../support/prng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const EPS32 = 2 ** -23;

/** |a − e| ≤ tol, with a readable failure */
function near(a: number, e: number, tol: number, what: string): void {
  const ok = a === e || Math.abs(a - e) <= tol;
  if (!ok) throw new Error(`${what}: got ${a}, expected ${e} (tol ${tol})`);
}

/** A flat row-major array as nested arrays of `shape` (the data format). */
function nest(flat: readonly number[], shape: readonly number[]): unknown {
  if (shape.length <= 1) return [...flat];
  const n = flat.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) =>
    nest(flat.slice(i * n, (i + 1) * n), shape.slice(1)),
  );
}

/** The table of `node` by the shared path and by the per-element path, and whether it was shared. */
function tables(bound: BoundModel, node: string) {
  const before = tf.memory().numTensors;
  const plan = compileModel(bound);
  try {
    const a = prepare(bound, planValues(bound, plan));
    if (!a.ok) throw new Error(a.reasons.map((r) => r.message).join('; '));
    const { nodes } = a.value;
    const f = nodes.factors.find((x) => x.name === node);
    if (!f) throw new Error(`no factor ${node}`);
    const shared = sharedPlan(bound, f, (n) => nodes.varByName.has(n)) !== undefined;
    const read = (t: tf.Tensor) => {
      const d = Float32Array.from(t.dataSync());
      t.dispose();
      return d;
    };
    const fast = read(nodeTable(bound, plan, nodes, f, true));
    const generic = read(nodeTable(bound, plan, nodes, f, false));
    return { shared, fast, generic };
  } finally {
    plan.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }
}

const FULL = `model full {
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

const DIAG = `model diag {
  size N
  size D
  size K
  param pi: simplex[K]
  param mu: real[K, D]
  param logsd: real[K, D]
  sd = exp(logsd)
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i]: real[D] ~ Normal(mu[z[i]], sd[z[i]])
  }
}`;

// two latents per case (a group of two variables), a Categorical and a Poisson child
const TWO = `model two {
  size N
  size K
  size V
  param p: real(0,1)
  param pi: simplex[K]
  hyper theta: real[K, V]
  param rate: real(0,)[2, K]
  plate i in N {
    b[i] ~ Bernoulli(p)
    z[i] ~ Categorical(pi)
    y[i] ~ Categorical(theta[z[i]])
    n[i] ~ Poisson(rate[b[i], z[i]])
  }
}`;

// what varies with the case other than through z: the per-element path
const VARYING = `model varying {
  size N
  size K
  param pi: simplex[K]
  param mu: real[K]
  data w: real[N]
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i] ~ Normal(mu[z[i]] + w[i], 1)
    y[i] ~ Normal(mu[z[i]] * i, 1)
  }
}`;

interface Full {
  N: number;
  D: number;
  K: number;
  pi: number[];
  mu: number[];
  Sigma: number[];
  /** a bound on the condition number of every covariance */
  cond: number;
  x: number[][];
}

const fullMixture = fc
  .record({
    N: fc.integer({ min: 1, max: 30 }),
    D: fc.integer({ min: 1, max: 3 }),
    K: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer(),
  })
  .map(({ N, D, K, seed }): Full => {
    const rand = prng(seed);
    const w = Array.from({ length: K }, () => 0.05 + rand());
    const pi = w.map((v) => v / w.reduce((a, b) => a + b, 0));
    const mu = Array.from({ length: K * D }, () => 10 * rand() - 5);
    // Σ = A Aᵀ + ½ I: eigenvalues in [½, ½ + tr(A Aᵀ)]
    let cond = 1;
    const Sigma: number[] = [];
    for (let k = 0; k < K; k++) {
      const A = Array.from({ length: D * D }, () => 2 * rand() - 1);
      let tr = 0;
      for (let a = 0; a < D; a++)
        for (let b = 0; b < D; b++) {
          let s = a === b ? 0.5 : 0;
          for (let c = 0; c < D; c++) s += A[a * D + c] * A[b * D + c];
          Sigma.push(s);
          if (a === b) tr += s - 0.5;
        }
      cond = Math.max(cond, (0.5 + tr) / 0.5);
    }
    const x = Array.from({ length: N }, () => Array.from({ length: D }, () => 16 * rand() - 8));
    return { N, D, K, pi, mu, Sigma, cond, x };
  });

describe('shared tables equal the per-element tables', () => {
  it('MvNormal components: z[i] ~ Categorical(pi), x[i] ~ MvNormal(mu[z[i]], Sigma[z[i]])', () => {
    fc.assert(
      fc.property(fullMixture, (m) => {
        const bound = boundModel(FULL, {
          ...m,
          mu: nest(m.mu, [m.K, m.D]),
          Sigma: nest(m.Sigma, [m.K, m.D, m.D]),
        });
        for (const node of ['z', 'x']) {
          const t = tables(bound, node);
          expect(t.shared).toBe(true);
          expect(t.fast.length).toBe(m.K * m.N);
          // whitening in float32: a few ulp of |L⁻¹| |x − μ| per coordinate, squared
          t.generic.forEach((g, j) => {
            near(t.fast[j], g, 64 * m.D * m.cond * EPS32 * (1 + Math.abs(g)), `${node}[${j}]`);
          });
        }
      }),
      { seed: 3, numRuns: 40 },
    );
  });

  it('per-dimension Normal through a deterministic node outside the plates', () => {
    fc.assert(
      fc.property(fullMixture, ({ N, D, K, pi, mu, x }) => {
        const rand = prng(N * 31 + D);
        const logsd = Array.from({ length: K * D }, () => rand() - 0.5);
        const data = { N, D, K, pi, mu: nest(mu, [K, D]), logsd: nest(logsd, [K, D]), x };
        const t = tables(boundModel(DIAG, data), 'x');
        expect(t.shared).toBe(true);
        t.generic.forEach((g, j) => {
          near(t.fast[j], g, 16 * D * EPS32 * (1 + Math.abs(g)), `x[${j}]`);
        });
      }),
      { seed: 4, numRuns: 30 },
    );
  });

  it('two latents per case, Categorical and Poisson children', () => {
    const rand = prng(9);
    const N = 40;
    const K = 3;
    const V = 5;
    const theta = Array.from({ length: K }, () => {
      const w = Array.from({ length: V }, () => 0.1 + rand());
      return w.map((v) => v / w.reduce((a, b) => a + b, 0));
    });
    const data = {
      N,
      K,
      V,
      p: 0.3,
      pi: [0.2, 0.5, 0.3],
      theta,
      rate: [
        [0.5, 2, 7],
        [1, 3, 12],
      ],
      y: Array.from({ length: N }, () => Math.floor(rand() * V)),
      n: Array.from({ length: N }, () => Math.floor(rand() * 10)),
    };
    const bound = boundModel(TWO, data);
    for (const node of ['z', 'y', 'n']) {
      const t = tables(bound, node);
      expect(t.shared).toBe(true);
      t.generic.forEach((g, j) => {
        near(t.fast[j], g, 16 * EPS32 * (1 + Math.abs(g)), `${node}[${j}]`);
      });
    }
    // b's probability is corrected in float64 per entry (precision.ts): not shared
    expect(tables(bound, 'b').shared).toBe(false);
  });

  it('arguments that vary with the case otherwise take the per-element path', () => {
    const bound = boundModel(VARYING, {
      N: 4,
      K: 2,
      pi: [0.5, 0.5],
      mu: [-1, 1],
      w: [0.1, 0.2, 0.3, 0.4],
      x: [0, 1, 2, 3],
      y: [0, 1, 2, 3],
    });
    for (const node of ['x', 'y']) {
      const t = tables(bound, node);
      expect(t.shared).toBe(false);
      expect(Array.from(t.fast)).toEqual(Array.from(t.generic));
    }
  });
});

describe('the host pass over one-variable groups equals the batched enumeration', () => {
  it('log Z and posteriors of random tables (with impossible states)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer(),
        (C, K, F, seed) => {
          const rand = prng(seed);
          // node tables [K × E] (E = C + 3 elements, read in a shuffled order; factor 0 given
          // as one column [K] for every element) and the batched [C, K] tables of the entries
          const sizes = Array.from({ length: F }, (_, f) => (f === 0 ? 1 : C + 3));
          const node = sizes.map((E) =>
            Float32Array.from({ length: K * E }, () =>
              rand() < 0.1 && K > 1 ? Number.NEGATIVE_INFINITY : 40 * rand() - 30,
            ),
          );
          const elems = sizes.map((E) =>
            Int32Array.from({ length: C }, () => Math.floor(rand() * E)),
          );
          const host = enumerateOne(K, node, elems, C);
          const before = tf.memory().numTensors;
          const ts = node.map((t, f) => ({
            vars: [0],
            cards: [K],
            t: tf.tensor2d(
              Float32Array.from(
                { length: C * K },
                (_, j) => t[(j % K) * sizes[f] + elems[f][(j / K) | 0]],
              ),
              [C, K],
            ),
          }));
          const batched = enumerateJoint([K], ts, C);
          for (const t of ts) t.t.dispose();
          expect(tf.memory().numTensors).toBe(before);
          for (let c = 0; c < C; c++) {
            let scale = 1;
            for (let f = 0; f < F; f++)
              for (let k = 0; k < K; k++) {
                const v = node[f][k * sizes[f] + elems[f][c]];
                if (Number.isFinite(v)) scale += Math.abs(v);
              }
            const b = batched.logZ[c];
            if (b === Number.NEGATIVE_INFINITY) {
              expect(host.logZ[c]).toBe(b);
              continue;
            }
            near(host.logZ[c], b, 8 * EPS32 * scale, `log Z[${c}]`);
            for (let k = 0; k < K; k++)
              near(
                host.marginals[0][c * K + k],
                batched.marginals[0][c * K + k],
                8 * EPS32 * scale,
                `p[${c}, ${k}]`,
              );
          }
        },
      ),
      { seed: 5, numRuns: 60 },
    );
  });
});

describe('E-steps with and without the fast paths agree', () => {
  it('Gaussian mixtures (full covariance)', () => {
    fc.assert(
      fc.property(fullMixture, (m) => {
        const bound = boundModel(FULL, { N: m.N, D: m.D, K: m.K, x: m.x });
        const values = { pi: m.pi, mu: m.mu, Sigma: m.Sigma };
        const before = tf.memory().numTensors;
        const fast = discreteEStep(bound, { plate: 'i', values });
        const generic = discreteEStep(bound, { plate: 'i', values, generic: true });
        expect(tf.memory().numTensors).toBe(before);
        for (let i = 0; i < m.N; i++) {
          const tol = 64 * m.D * m.cond * EPS32 * (1 + Math.abs(generic.logLik[i]));
          near(fast.logLik[i], generic.logLik[i], tol, `logLik[${i}]`);
          for (let k = 0; k < m.K; k++)
            near(
              fast.posterior.z.probs[i * m.K + k],
              generic.posterior.z.probs[i * m.K + k],
              tol,
              `r[${i}, ${k}]`,
            );
        }
      }),
      { seed: 6, numRuns: 30 },
    );
  });
});
