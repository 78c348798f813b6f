// The exponential-family views: eta . T(x) - A(eta) + log h(x) equals the family's logProb; the
// expected statistics equal the gradient of the log normaliser (autodiff) and the known moments;
// fromNatural inverts naturalParams.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import {
  expFamilyLogProb,
  expFamilyOf,
  makeDistribution,
  Rng,
} from '../../src/distributions/index.js';
import { digamma64 } from '../../src/distributions/special64.js';
import type { DistName } from '../../src/lang/signatures.js';

beforeAll(async () => {
  await initBackend('wasm');
});

interface EfCase {
  readonly name: string;
  readonly family: DistName;
  readonly args: () => Record<string, tf.Tensor>;
  readonly options?: () => { n?: tf.Tensor; sigma?: tf.Tensor; K?: number };
  /** E[T(x)] per block, flattened */
  readonly moments: number[][];
}

const EF_CASES: EfCase[] = [
  {
    name: 'Bernoulli(p)',
    family: 'Bernoulli',
    args: () => ({ p: tf.tensor1d([0.2, 0.7]) }),
    moments: [[0.2, 0.7]],
  },
  {
    name: 'Bernoulli(logits)',
    family: 'Bernoulli',
    args: () => ({ logits: tf.tensor1d([0, Math.log(3)]) }),
    moments: [[0.5, 0.75]],
  },
  {
    name: 'Categorical',
    family: 'Categorical',
    args: () => ({ p: tf.tensor2d([[0.1, 0.2, 0.3, 0.4]]) }),
    options: () => ({ K: 4 }),
    moments: [[0.1, 0.2, 0.3, 0.4]],
  },
  {
    name: 'Binomial (fixed n)',
    family: 'Binomial',
    args: () => ({ n: tf.tensor1d([10, 40]), p: tf.tensor1d([0.3, 0.9]) }),
    options: () => ({ n: tf.tensor1d([10, 40]) }),
    moments: [[3, 36]],
  },
  {
    name: 'Multinomial (fixed n)',
    family: 'Multinomial',
    args: () => ({ n: tf.scalar(20), p: tf.tensor1d([0.25, 0.25, 0.5]) }),
    options: () => ({ n: tf.scalar(20) }),
    moments: [[5, 5, 10]],
  },
  {
    name: 'Poisson',
    family: 'Poisson',
    args: () => ({ rate: tf.tensor1d([0.5, 30]) }),
    moments: [[0.5, 30]],
  },
  {
    name: 'Exponential',
    family: 'Exponential',
    args: () => ({ rate: tf.tensor1d([2, 0.1]) }),
    moments: [[0.5, 10]],
  },
  {
    name: 'Gamma',
    family: 'Gamma',
    args: () => ({ shape: tf.tensor1d([2, 0.5]), rate: tf.tensor1d([3, 1]) }),
    // E[log x] = digamma(a) - log(rate), E[x] = a / rate
    moments: [
      [digamma64(2) - Math.log(3), digamma64(0.5)],
      [2 / 3, 0.5],
    ],
  },
  {
    name: 'Beta',
    family: 'Beta',
    args: () => ({ a: tf.tensor1d([2]), b: tf.tensor1d([3]) }),
    // digamma(2) - digamma(5), digamma(3) - digamma(5)
    moments: [[digamma64(2) - digamma64(5)], [digamma64(3) - digamma64(5)]],
  },
  {
    name: 'Dirichlet',
    family: 'Dirichlet',
    args: () => ({ alpha: tf.tensor1d([1, 2, 3]) }),
    // digamma(alpha) - digamma(6)
    moments: [
      [digamma64(1) - digamma64(6), digamma64(2) - digamma64(6), digamma64(3) - digamma64(6)],
    ],
  },
  {
    name: 'Normal',
    family: 'Normal',
    args: () => ({ mu: tf.tensor1d([1, -2]), sigma: tf.tensor1d([0.5, 3]) }),
    moments: [
      [1, -2],
      [1.25, 13],
    ],
  },
  {
    name: 'Normal (known sigma)',
    family: 'Normal',
    args: () => ({ mu: tf.tensor1d([1, -2]), sigma: tf.tensor1d([0.5, 3]) }),
    options: () => ({ sigma: tf.tensor1d([0.5, 3]) }),
    moments: [[1, -2]],
  },
];

describe.each(EF_CASES)('$name as an exponential family', (c) => {
  it('eta . T(x) - A(eta) + log h(x) equals logProb, and fromNatural inverts naturalParams', () => {
    const start = tf.memory().numTensors;
    tf.tidy(() => {
      const args = c.args();
      const ef = expFamilyOf(c.family, c.options?.())!;
      expect(ef).toBeDefined();
      const d = makeDistribution(c.family, args);
      const x = d.sample([6], new Rng(4));
      const eta = ef.naturalParams(args);
      const lp = Array.from(d.logProb(x).dataSync());
      const lpEf = Array.from(expFamilyLogProb(ef, eta, x).dataSync());
      lp.forEach((v, i) => {
        expect(Math.abs(lpEf[i]! - v), `${c.name} [${i}]`).toBeLessThanOrEqual(
          1e-4 * Math.max(1, Math.abs(v)),
        );
      });
      const back = ef.fromNatural(eta);
      for (const [k, t] of Object.entries(args)) {
        if (k === 'logits') continue;
        const want =
          k === 'p' && c.family !== 'Bernoulli' && c.family !== 'Binomial'
            ? tf.div(t, tf.sum(t, -1, true))
            : t;
        const got = Array.from(tf.broadcastTo(back[k] ?? back.p!, want.shape).dataSync());
        Array.from(want.dataSync()).forEach((w, i) => {
          expect(got[i]).toBeCloseTo(w, 4);
        });
      }
    });
    expect(tf.memory().numTensors).toBe(start);
  });

  it('expectedStats equals the gradient of the log normaliser and the known moments', () => {
    const start = tf.memory().numTensors;
    tf.tidy(() => {
      const args = c.args();
      const ef = expFamilyOf(c.family, c.options?.())!;
      const eta = ef.naturalParams(args);
      const es = ef.expectedStats(eta);
      const grads = tf.grads((...e: tf.Tensor[]) => tf.sum(ef.logNormalizer(e)))(eta);
      es.forEach((block, j) => {
        const got = Array.from(block.dataSync());
        const g = Array.from(grads[j]!.dataSync());
        got.forEach((v, i) => {
          expect(Math.abs(g[i]! - v), `${c.name} dA/deta[${j}][${i}]`).toBeLessThanOrEqual(
            2e-4 * Math.max(1, Math.abs(v)),
          );
          expect(Math.abs(c.moments[j]![i]! - v), `${c.name} E[T][${j}][${i}]`).toBeLessThanOrEqual(
            1e-5 * Math.max(1, Math.abs(v)),
          );
        });
      });
    });
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('expFamilyOf', () => {
  it('has no exponential-family view of MvNormal, Uniform, LogNormal', () => {
    for (const f of ['MvNormal', 'Uniform', 'LogNormal'] as const)
      expect(expFamilyOf(f)).toBeUndefined();
  });
  it('needs a fixed n for Binomial and Multinomial, and K for Categorical statistics', () => {
    expect(() => expFamilyOf('Binomial')).toThrow(/fixed n/);
    expect(() => expFamilyOf('Multinomial')).toThrow(/fixed n/);
    const ef = expFamilyOf('Categorical')!;
    tf.tidy(() => {
      expect(() => ef.sufficientStats(tf.tensor1d([1], 'int32'))).toThrow(/need K/);
    });
  });
});
