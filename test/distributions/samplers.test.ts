// The exact samplers in each of their regimes (Knuth/PTRS Poisson, waiting-time/BTRS binomial,
// log-space gamma, inverse-CDF and multinomial categorical, grouped table draws), checked against
// exact probabilities with tolerances of 5 standard errors; the small-concentration edge cases;
// and the factory's broadcasting and errors.

import stdDigamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import stdTrigamma from '@stdlib/math-base-special-trigamma';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import {
  makeDistribution,
  Rng,
  sampleCategoricalRows,
  sampleLogGamma,
} from '../../src/distributions/index.js';
import { TINY } from '../../src/distributions/sampling.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** run f, check that it leaves no tensors behind, return its (non-tensor) result */
function noLeak<T>(f: () => T): T {
  const start = tf.memory().numTensors;
  const out = f();
  expect(tf.memory().numTensors, 'tensors leaked').toBe(start);
  return out;
}

/** draws of one family with one set of parameters (scalars), as a JS array */
function draws(
  family: Parameters<typeof makeDistribution>[0],
  params: Record<string, number | number[]>,
  n: number,
  seed = 1,
): number[] {
  return noLeak(() => {
    const args = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, tf.tensor(v)]));
    const d = makeDistribution(family, args);
    const x = d.sample([n], new Rng(seed));
    const out = Array.from(x.dataSync());
    tf.dispose([x, ...Object.values(args)]);
    d.dispose!();
    return out;
  });
}

/** every outcome with probability > 1e-4 has a frequency within 5 standard errors */
function expectPmf(xs: number[], logPmf: (k: number) => number, kMax: number, what: string): void {
  const n = xs.length;
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let covered = 0;
  for (let k = 0; k <= kMax; k++) {
    const p = Math.exp(logPmf(k));
    covered += p;
    if (p < 1e-4) continue;
    const f = (counts.get(k) ?? 0) / n;
    expect(Math.abs(f - p), `${what}: P(${k}) = ${p}, frequency ${f}`).toBeLessThanOrEqual(
      5 * Math.sqrt((p * (1 - p)) / n) + 1e-9,
    );
  }
  expect(covered).toBeGreaterThan(0.999);
}

const poissonLog = (r: number) => (k: number) => k * Math.log(r) - r - gammaln(k + 1);
const binomLog = (n: number, p: number) => (k: number) =>
  k > n
    ? Number.NEGATIVE_INFINITY
    : gammaln(n + 1) -
      gammaln(k + 1) -
      gammaln(n - k + 1) +
      k * Math.log(p) +
      (n - k) * Math.log1p(-p);

describe('Poisson sampler', () => {
  for (const rate of [0.3, 9.5, 10.5, 300]) {
    it(`matches the pmf at rate ${rate} (${rate < 10 ? 'Knuth' : 'PTRS'})`, () => {
      const xs = draws('Poisson', { rate }, 20000);
      expectPmf(
        xs,
        poissonLog(rate),
        Math.ceil(rate + 12 * Math.sqrt(rate) + 10),
        `Poisson(${rate})`,
      );
    });
  }

  it('mixes both algorithms in one batch and gives 0 for rate 0', () => {
    const rates = [0, 2, 50, 4000];
    const xs = noLeak(() =>
      tf.tidy(() => {
        const d = makeDistribution('Poisson', { rate: tf.tensor1d(rates) });
        return d.sample([5000], new Rng(4)).arraySync() as number[][];
      }),
    );
    rates.forEach((r, b) => {
      const col = xs.map((row) => row[b]!);
      const mean = col.reduce((u, v) => u + v, 0) / col.length;
      if (r === 0) expect(col.every((v) => v === 0)).toBe(true);
      else expect(Math.abs(mean - r)).toBeLessThanOrEqual(5 * Math.sqrt(r / col.length));
      expect(col.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
    });
  });
});

describe('Binomial sampler', () => {
  for (const [n, p] of [
    [20, 0.1],
    [50, 0.7],
    [1000, 0.3],
    [200, 0.96],
  ] as const) {
    it(`matches the pmf for n = ${n}, p = ${p}`, () => {
      const xs = draws('Binomial', { n, p }, 20000);
      expectPmf(xs, binomLog(n, p), n, `Binomial(${n}, ${p})`);
    });
  }

  it('is exact at p = 0, p = 1 and n = 0', () => {
    expect(draws('Binomial', { n: 7, p: 1 }, 100).every((v) => v === 7)).toBe(true);
    expect(draws('Binomial', { n: 7, p: 0 }, 100).every((v) => v === 0)).toBe(true);
    expect(draws('Binomial', { n: 0, p: 0.4 }, 100).every((v) => v === 0)).toBe(true);
  });
});

describe('Multinomial sampler', () => {
  for (const [n, label] of [
    [30, 'counting categorical draws'],
    [1_000_000, 'conditional binomials'],
  ] as const) {
    it(`has the right marginals (${label})`, () => {
      const p = [0.5, 0.2, 0, 0.3];
      const B = 6;
      const xs = noLeak(() =>
        tf.tidy(() => {
          const d = makeDistribution('Multinomial', {
            n: tf.fill([B], n),
            p: tf.tile(tf.tensor2d([p]), [B, 1]),
          });
          return d.sample([n > 1000 ? 1 : 2000], new Rng(8)).arraySync() as number[][][];
        }),
      );
      const rows = xs.flat();
      for (const r of rows) expect(r.reduce((u, v) => u + v, 0)).toBe(n);
      p.forEach((pk, k) => {
        const vals = rows.map((r) => r[k]!);
        const mean = vals.reduce((u, v) => u + v, 0) / vals.length;
        if (pk === 0) expect(vals.every((v) => v === 0)).toBe(true);
        expect(Math.abs(mean - n * pk)).toBeLessThanOrEqual(
          5 * Math.sqrt((n * pk * (1 - pk)) / vals.length) + 1e-9,
        );
      });
    });
  }
});

describe('log-space gamma sampler', () => {
  for (const [label, alpha] of [
    ['a constant alpha', [0.01, 0.01, 0.01]],
    ['a varying alpha', [0.01, 0.3, 7]],
  ] as const) {
    it(`log G has mean digamma(a) and variance trigamma(a) for ${label}`, () => {
      const n = 20000;
      const xs = noLeak(() => {
        const a = tf.tensor1d(alpha as unknown as number[]);
        const lg = sampleLogGamma(a, [n, alpha.length], new Rng(2));
        const out = lg.arraySync() as number[][];
        tf.dispose([a, lg]);
        return out;
      });
      alpha.forEach((a, k) => {
        const col = xs.map((r) => r[k]!);
        expect(col.every(Number.isFinite)).toBe(true);
        const m = col.reduce((u, v) => u + v, 0) / n;
        const v = col.reduce((u, x) => u + (x - m) ** 2, 0) / (n - 1);
        expect(Math.abs(m - stdDigamma(a)), `mean of log G(${a})`).toBeLessThanOrEqual(
          5 * Math.sqrt(stdTrigamma(a) / n),
        );
        // the variance of the sample variance of log G, from its fourth central moment
        const m4 = col.reduce((u, x) => u + (x - m) ** 4, 0) / n;
        expect(Math.abs(v - stdTrigamma(a)), `variance of log G(${a})`).toBeLessThanOrEqual(
          5 * Math.sqrt((m4 - v * v) / n),
        );
      });
    });
  }

  it('Gamma(0.01) and Beta(0.01, 0.01) draws are never 0 (or 1), nor NaN', () => {
    const g = draws('Gamma', { shape: 0.01, rate: 1 }, 20000);
    expect(g.every((v) => v >= TINY && Number.isFinite(v))).toBe(true);
    const b = draws('Beta', { a: 0.01, b: 0.01 }, 20000);
    expect(b.every((v) => v > 0 && v < 1)).toBe(true);
    // Beta(0.01, 0.01) puts almost all mass near 0 and 1, about half each
    const low = b.filter((v) => v < 0.5).length / b.length;
    expect(Math.abs(low - 0.5)).toBeLessThanOrEqual(5 * Math.sqrt(0.25 / b.length));
  });

  it('Dirichlet(0.01 * ones(5000)) rows are finite, positive and sum to 1', () => {
    const K = 20;
    const V = 5000;
    const res = noLeak(() =>
      tf.tidy(() => {
        const d = makeDistribution('Dirichlet', { alpha: tf.fill([K, V], 0.01) });
        const x = d.sample([], new Rng(5));
        return {
          min: tf.min(x).dataSync()[0]!,
          anyNaN: tf.any(tf.isNaN(x)).dataSync()[0]!,
          sums: Array.from(tf.sum(x, -1).dataSync()),
          lp: Array.from(d.logProb(x).dataSync()),
        };
      }),
    );
    expect(res.anyNaN).toBe(0);
    expect(res.min).toBeGreaterThan(0);
    for (const s of res.sums) expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    for (const l of res.lp) expect(Number.isFinite(l)).toBe(true);
  });
});

describe('Categorical sampler', () => {
  for (const S of [1, 50]) {
    it(`never draws a category of probability 0 and matches p (${S === 1 ? 'multinomial' : 'inverse CDF'} path)`, () => {
      const p = [0, 0.25, 0, 0.5, 0.25, 0];
      const B = 4000;
      const xs = noLeak(() =>
        tf.tidy(() => {
          const d = makeDistribution('Categorical', { p: tf.tile(tf.tensor2d([p]), [B, 1]) });
          return Array.from(d.sample([S], new Rng(6)).dataSync());
        }),
      );
      const n = xs.length;
      p.forEach((pk, k) => {
        const f = xs.filter((v) => v === k).length / n;
        if (pk === 0) expect(f).toBe(0);
        else expect(Math.abs(f - pk)).toBeLessThanOrEqual(5 * Math.sqrt((pk * (1 - pk)) / n));
      });
    });
  }

  it('returns int32 indices', () => {
    noLeak(() =>
      tf.tidy(() => {
        const d = makeDistribution('Categorical', { logits: tf.zeros([3, 4]) });
        expect(d.sample([2], new Rng(1)).dtype).toBe('int32');
      }),
    );
  });

  for (const [label, skew] of [
    ['balanced rows', false],
    ['unbalanced rows', true],
  ] as const) {
    it(`sampleCategoricalRows draws each row from its own table row (${label})`, () => {
      const R = 6;
      const K = 7;
      const rng = new Rng(9);
      const table = Array.from({ length: R }, (_, r) =>
        Array.from({ length: K }, (_, k) => ((r + k) % 3 === 0 ? 0 : 1 + ((r * 7 + k * 3) % 5))),
      );
      const N = 60000;
      const rows = Array.from({ length: N }, (_, i) =>
        skew ? (i % 10 === 0 ? (i / 10) % R : 0) : i % R,
      );
      const xs = noLeak(() => {
        const t = tf.tensor2d(table);
        const rt = tf.tensor1d(rows, 'int32');
        const x = sampleCategoricalRows(t, rt, rng);
        const out = Array.from(x.dataSync());
        tf.dispose([t, rt, x]);
        return out;
      });
      for (let r = 0; r < R; r++) {
        const mine = xs.filter((_, i) => rows[i] === r);
        const tot = table[r]!.reduce((u, v) => u + v, 0);
        table[r]!.forEach((w, k) => {
          const pk = w / tot;
          const f = mine.filter((v) => v === k).length / mine.length;
          if (pk === 0) expect(f).toBe(0);
          else
            expect(Math.abs(f - pk), `row ${r} category ${k}`).toBeLessThanOrEqual(
              5 * Math.sqrt((pk * (1 - pk)) / mine.length),
            );
        });
      }
    });
  }

  it('is fast for large batches: 200,000 draws from K = 20, and from 20 rows of V = 5000', () => {
    const rng = new Rng(1);
    const [t1, t2] = noLeak(() => {
      const logits = tf.randomNormal([200000, 20], 0, 1, 'float32', 1);
      const d = makeDistribution('Categorical', { logits });
      let t0 = performance.now();
      const z = d.sample([], rng);
      z.dataSync();
      const t1 = performance.now() - t0;
      const beta = tf.randomGamma([20, 5000], 0.1, 1, 'float32', 2);
      const rows = tf.randomUniform([200000], 0, 20, 'int32', 3);
      t0 = performance.now();
      const w = sampleCategoricalRows(beta, rows, rng);
      w.dataSync();
      const t2 = performance.now() - t0;
      tf.dispose([logits, z, beta, rows, w]);
      d.dispose!();
      return [t1, t2];
    });
    console.log(
      `categorical: 200k x K=20 ${t1.toFixed(0)} ms; 200k from 20 rows of 5000 ${t2.toFixed(0)} ms`,
    );
    // generous bounds (a loaded CI machine); typical figures are ~50-150 ms each
    expect(t1).toBeLessThan(5000);
    expect(t2).toBeLessThan(5000);
  });
});

describe('Bernoulli at p = 0 and p = 1', () => {
  it('gives logProb 0 for the certain outcome and -Infinity for the impossible one', () => {
    const lp = noLeak(() =>
      tf.tidy(() => {
        const d = makeDistribution('Bernoulli', { p: tf.tensor1d([1, 0]) });
        const lp = d
          .logProb(
            tf.tensor2d([
              [1, 0],
              [0, 1],
            ]),
          )
          .arraySync() as number[][];
        return lp.map((r) => r.map((v) => v + 0)); // -0 -> 0
      }),
    );
    expect(lp).toEqual([
      [0, 0],
      [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
    ]);
    expect(draws('Bernoulli', { p: 1 }, 100).every((v) => v === 1)).toBe(true);
    expect(draws('Bernoulli', { p: 0 }, 100).every((v) => v === 0)).toBe(true);
  });
});

describe('makeDistribution', () => {
  it('broadcasts the arguments into the batch shape', () => {
    noLeak(() =>
      tf.tidy(() => {
        const d = makeDistribution('Normal', { mu: tf.zeros([2, 1]), sigma: tf.ones([3]) });
        expect(d.batchShape).toEqual([2, 3]);
        expect(d.params.mu!.shape).toEqual([2, 3]);
        const m = makeDistribution('Multinomial', { n: tf.scalar(5), p: tf.ones([4, 3]) });
        expect(m.batchShape).toEqual([4]);
        expect(m.eventShape).toEqual([3]);
        const mv = makeDistribution('MvNormal', { mu: tf.zeros([5, 2]), Sigma: tf.eye(2) });
        expect(mv.batchShape).toEqual([5]);
        const c = makeDistribution('Categorical', { logits: tf.zeros([4]) });
        expect(c.batchShape).toEqual([]);
        expect(c.sample([3], new Rng(1)).shape).toEqual([3]);
      }),
    );
  });

  it('throws clear errors for shapes that do not fit', () => {
    tf.tidy(() => {
      expect(() => makeDistribution('Normal', { mu: tf.zeros([2]), sigma: tf.ones([3]) })).toThrow(
        /Normal: cannot broadcast .*\[3\].*\[2\]/,
      );
      expect(() => makeDistribution('MvNormal', { mu: tf.zeros([3]), Sigma: tf.eye(2) })).toThrow(
        /MvNormal: mu of shape \[3\] has 3 components but Sigma of shape \[2, 2\]/,
      );
      expect(() => makeDistribution('Dirichlet', { alpha: tf.scalar(1) })).toThrow(
        /Dirichlet: argument alpha needs/,
      );
      expect(() => makeDistribution('Bernoulli', { q: tf.scalar(0.5) })).toThrow(
        /Bernoulli takes arguments \(p\) or \(logits\)/,
      );
      expect(() => makeDistribution('Beta', { a: tf.scalar(1) })).toThrow(/Beta takes arguments/);
    });
  });
});

describe('MvNormal', () => {
  it('samples with covariance Sigma across a batch of covariances', () => {
    const Sigmas = [
      [
        [2, 0.6, 0],
        [0.6, 1, -0.3],
        [0, -0.3, 0.5],
      ],
      [
        [1, 0, 0],
        [0, 4, 1.9],
        [0, 1.9, 1],
      ],
    ];
    const n = 20000;
    const xs = noLeak(() =>
      tf.tidy(() => {
        const d = makeDistribution('MvNormal', {
          mu: tf.tensor1d([1, -2, 0.5]),
          Sigma: tf.tensor3d(Sigmas),
        });
        return d.sample([n], new Rng(3)).arraySync() as number[][][];
      }),
    );
    Sigmas.forEach((S, b) => {
      const rows = xs.map((r) => r[b]!);
      const mean = [0, 1, 2].map((i) => rows.reduce((u, r) => u + r[i]!, 0) / n);
      [1, -2, 0.5].forEach((m, i) => {
        expect(Math.abs(mean[i]! - m)).toBeLessThanOrEqual(5 * Math.sqrt(S[i]![i]! / n));
      });
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const c = rows.reduce((u, r) => u + (r[i]! - mean[i]!) * (r[j]! - mean[j]!), 0) / (n - 1);
          // Var of a sample covariance of Gaussians: (S_ii S_jj + S_ij^2) / n
          const se = Math.sqrt((S[i]![i]! * S[j]![j]! + S[i]![j]! ** 2) / n);
          expect(Math.abs(c - S[i]![j]!), `Sigma[${b}][${i}][${j}]`).toBeLessThanOrEqual(5 * se);
        }
      }
    });
  });

  it('evaluates logProb of x broadcast against a batch, and -Infinity for non-finite x', () => {
    const lp = noLeak(() =>
      tf.tidy(() => {
        const d = makeDistribution('MvNormal', {
          mu: tf.zeros([2, 2]),
          Sigma: tf.tensor3d([
            [
              [1, 0],
              [0, 1],
            ],
            [
              [4, 0],
              [0, 1],
            ],
          ]),
        });
        return d
          .logProb(
            tf.tensor2d([
              [1, 0],
              [Number.POSITIVE_INFINITY, 0],
            ]),
          )
          .arraySync() as number[];
      }),
    );
    expect(lp[0]).toBeCloseTo(-0.5 - Math.log(2 * Math.PI), 5);
    expect(lp[1]).toBe(Number.NEGATIVE_INFINITY);
  });
});
