// Truncated nodes through the whole pipeline: binding rejects observed values outside constant
// bounds (naming the entry), the compiled log joint carries the normaliser (against a float64
// formula), the sample engine draws inside bounds that read other nodes, the graph states no
// conjugate relation, and exact, em and cavi refuse the node at its line.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { logJoint } from '../../src/compile/index.js';
import { PlatoError } from '../../src/diagnostics/diagnostics.js';
import { makeDistribution, Rng, truncate } from '../../src/distributions/index.js';
import { relations } from '../../src/graph/conjugacy.js';
import { planCavi } from '../../src/infer/cavi/plan.js';
import { planEm } from '../../src/infer/em/analysis.js';
import { exactEngine } from '../../src/infer/exact/index.js';
import { forwardSample } from '../../src/infer/sample/index.js';
import { boundModel } from '../support/models.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const HALF = `model half {
  size N
  hyper s: real(0,) = 2
  mu ~ Normal(0, 1) T[0, ]
  plate i in N {
    y[i] ~ Normal(mu, s) T[mu - 1, ]
  }
}`;

/** upper tail of the standard normal in float64: Simpson on [z, z + 12] */
function q64(z: number): number {
  const m = 4000;
  const h = 12 / (2 * m);
  const f = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  let s = f(z) + f(z + 12);
  for (let i = 1; i < 2 * m; i++) s += (i % 2 ? 4 : 2) * f(z + i * h);
  return (s * h) / 3;
}

const normalLog = (x: number, m: number, s: number) =>
  -0.5 * ((x - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);

describe('truncated nodes', () => {
  it('binding names an observed entry outside constant bounds', () => {
    const src = `model m {\n  size N\n  plate i in N {\n    y[i] ~ Normal(0, 1) T[0, 3]\n  }\n}`;
    let err: unknown;
    try {
      boundModel(src, { y: [1, -0.5, 4] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlatoError);
    const text = (err as PlatoError).diagnostics.map((d) => d.message).join('\n');
    expect(text).toContain('y[1] = -0.5 is outside the truncation T[0, 3] of y');
    expect(text).toContain('y[2] = 4 is outside the truncation T[0, 3] of y');
  });

  it('binding refuses constant bounds that leave an empty interval', () => {
    const src = `model m {\n  hyper a: real = 2\n  hyper b: real = 1\n  x ~ Normal(0, 1) T[a, b]\n}`;
    expect(() => boundModel(src, {})).toThrow(
      'x: the truncation T[a, b] is empty: lower 2 is not below upper 1',
    );
  });

  it('an interval of no mass under the family draws NaN, not a clipped bound', () => {
    const start = tf.memory().numTensors;
    const x = tf.tidy(() => {
      const d = truncate(
        makeDistribution('HalfNormal', { sigma: tf.scalar(1) }),
        tf.scalar(-2),
        tf.scalar(-1),
      );
      return d.sample([3], new Rng(1));
    });
    const v = Array.from(x.dataSync());
    x.dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(v.every(Number.isNaN)).toBe(true);
  });

  it('the log joint includes each normaliser (float64 reference)', () => {
    const ys = [0.3, 2.5, -0.2];
    const model = boundModel(HALF, { y: ys });
    const start = tf.memory().numTensors;
    const mu = 0.7;
    const muT = tf.tensor1d([mu]);
    const lj = logJoint(model, { mu: muT });
    const got = lj.dataSync()[0]!;
    tf.dispose([lj, muT]);
    expect(tf.memory().numTensors).toBe(start);
    // mu ~ N(0, 1) on [0, ∞): Z = 1/2; y ~ N(mu, 2) on [mu - 1, ∞): Z = Q(-1/2)
    let want = normalLog(mu, 0, 1) - Math.log(0.5);
    for (const y of ys) want += normalLog(y, mu, 2) - Math.log(q64(-0.5));
    expect(Math.abs(got - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
  });

  it('the sample engine draws inside bounds that read another node', () => {
    const model = boundModel(HALF, { N: 4 });
    const start = tf.memory().numTensors;
    const draws = forwardSample(model, { n: 4000, seed: 3 });
    const mu = Array.from(draws.mu!.dataSync());
    const y = Array.from(draws.y!.dataSync());
    tf.dispose(Object.values(draws));
    expect(tf.memory().numTensors).toBe(start);
    expect(mu.every((v) => v >= 0)).toBe(true);
    y.forEach((v, k) => {
      expect(v).toBeGreaterThanOrEqual(Math.fround(mu[Math.floor(k / 4)]! - 1));
    });
    // E[mu] for the half-normal: sqrt(2 / pi), Var = 1 - 2 / pi; 5 standard errors
    const m = mu.reduce((a, b) => a + b, 0) / mu.length;
    expect(Math.abs(m - Math.sqrt(2 / Math.PI))).toBeLessThan(
      5 * Math.sqrt((1 - 2 / Math.PI) / mu.length),
    );
  });

  it('has no conjugate relation, and exact, em and cavi refuse it at its line', () => {
    const model = boundModel(HALF, { y: [0.3, 2.5, -0.2] });
    const r = relations(model);
    expect(r.length).toBeGreaterThan(0);
    expect(r.every((x) => x.kind === 'non-conjugate')).toBe(true);
    const exact = exactEngine.applicability(model);
    const em = planEm(model);
    const cavi = planCavi(model);
    for (const a of [exact, em, cavi]) {
      expect(a.ok).toBe(false);
      if (a.ok) continue;
      const at = a.reasons.map((x) => `${x.node}:${x.line}`);
      expect(at).toContain('mu:4');
      expect(at).toContain('y:6');
      expect(a.reasons[0]!.message).toMatch(/mu is a truncated Normal \(T\[0, \]\)/);
    }
  });
});

/** the message of the PlatoError `f` throws */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PlatoError);
    return (e as PlatoError).diagnostics.map((d) => d.message).join('\n');
  }
  throw new Error('expected a PlatoError');
}

describe('truncation bounds read per plate element, and host-truncated families', () => {
  it('binding names an observed entry outside bounds read from plate-indexed data', () => {
    const src = `model m {
  size N
  data lo: real[N]
  plate i in N {
    y[i] ~ Normal(0, 1) T[lo[i], lo[i] + 2]
  }
}`;
    const text = thrown(() => boundModel(src, { lo: [0, 1, -3], y: [1, 0.5, -0.5] }));
    expect(text).toContain(
      'y[1] = 0.5 is outside the truncation T[lo[i], lo[i] + 2] of y ([1, 3])',
    );
    expect(text).toContain(
      'y[2] = -0.5 is outside the truncation T[lo[i], lo[i] + 2] of y ([-3, -1])',
    );
    expect(text).not.toContain('y[0]');
    // inside every bound: binds
    expect(() => boundModel(src, { lo: [0, 1, -3], y: [1, 2.5, -1] })).not.toThrow();
  });

  it('refuses a truncated Gamma, Beta or StudentT whose arguments or bounds read a latent, at its line', () => {
    const src = `model m {
  a ~ Gamma(2, 1)
  y ~ Gamma(a, 1) T[0.5, 4]
  z ~ StudentT(4, 0, 1) T[, a]
}`;
    const text = thrown(() => boundModel(src, { y: 1 }));
    expect(text).toMatch(
      /y ~ Gamma\(…\) T\[0\.5, 4\]: a truncated Gamma needs its arguments and bounds fixed.*read a/,
    );
    expect(text).toMatch(/z ~ StudentT\(…\) T\[, a\]: a truncated StudentT needs/);
  });

  it('a truncated Gamma with fixed arguments: the log joint carries its float64 normaliser; draws stay inside', () => {
    const src = `model m {
  size N
  hyper k: real(0,) = 2.5
  data hi: real[N]
  mu ~ Normal(0, 1)
  plate i in N {
    g[i] ~ Gamma(k, 0.7) T[1, hi[i]]
    y[i] ~ Normal(mu + g[i], 1)
  }
}`;
    const hi = [3, 6, 20];
    const g = [1.5, 5, 10];
    // Z = P(k, 0.7 hi) - P(k, 0.7) by Simpson on the Gamma density in float64
    const lgamma25 = Math.log(1.329340388179137); // Gamma(2.5)
    const logGamma = (x: number) => 2.5 * Math.log(0.7) + 1.5 * Math.log(x) - 0.7 * x - lgamma25;
    const mass = (b: number) => {
      const m = 4000;
      const h = (b - 1) / (2 * m);
      let s = Math.exp(logGamma(1)) + Math.exp(logGamma(b));
      for (let j = 1; j < 2 * m; j++) s += (j % 2 ? 4 : 2) * Math.exp(logGamma(1 + j * h));
      return (s * h) / 3;
    };
    const model = boundModel(src, { N: 3, hi, g, y: [0, 0, 0] });
    const start = tf.memory().numTensors;
    const muT = tf.tensor1d([0.2]);
    const lj = logJoint(model, { mu: muT });
    const got = lj.dataSync()[0]!;
    tf.dispose([lj, muT]);
    let want = normalLog(0.2, 0, 1);
    g.forEach((v, i) => {
      want += logGamma(v) - Math.log(mass(hi[i]!)) + normalLog(0, 0.2 + v, 1);
    });
    expect(Math.abs(got - want), `${got} vs ${want}`).toBeLessThan(1e-4 * (1 + Math.abs(want)));
    const prior = boundModel(src, { N: 3, hi });
    const draws = forwardSample(prior, { n: 2000, seed: 5 });
    const x = Array.from(draws.g!.dataSync());
    tf.dispose(Object.values(draws));
    expect(tf.memory().numTensors).toBe(start);
    x.forEach((v, k) => {
      expect(v).toBeGreaterThanOrEqual(1);
      expect(v).toBeLessThanOrEqual(Math.fround(hi[k % 3]!));
    });
  });
});
