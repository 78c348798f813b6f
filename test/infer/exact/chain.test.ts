// Sequences (DESIGN §2): the exact engine's forward–backward against brute-force enumeration on
// short chains (a property over random transitions, emissions and observations), against a
// float64 forward algorithm written here on T = 1,000, on ragged sequences; the sampler's scan
// against the transition matrix; refusals with located reasons; no leaks.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, engines, infer, sample } from '../../../src/index.js';
import { MODELS } from '../../support/models.js';

beforeAll(async () => {
  await initBackend('wasm');
});

// the DESIGN §2 reference HMM (examples/hmm)
const HMM = compile(MODELS.hmm);

const RAGGED = compile(`model many {
  size S
  size M
  size T[M]
  hyper init: simplex[S]
  hyper A: simplex[S, S]
  hyper mu: real[S]
  plate m in M {
    plate t in T[m] {
      z[m, t] ~ Categorical(t == 0 ? init : A[z[m, t - 1]])
      y[m, t] ~ Normal(mu[z[m, t]], 0.7)
    }
  }
}`);

const normalLog = (y: number, mu: number, sigma: number) =>
  -0.5 * ((y - mu) / sigma) ** 2 - Math.log(sigma * Math.sqrt(2 * Math.PI));

/** log p(y) and P(z_t = k | y) by summing over every path (float64). */
function enumerate(init: number[], A: number[][], mu: number[], sigma: number, y: number[]) {
  const K = init.length;
  const T = y.length;
  const marg = y.map(() => new Array<number>(K).fill(0));
  let total = 0;
  const path = new Array<number>(T).fill(0);
  for (let code = 0; code < K ** T; code++) {
    let c = code;
    for (let t = 0; t < T; t++) {
      path[t] = c % K;
      c = Math.floor(c / K);
    }
    let lp = Math.log(init[path[0]!]!);
    for (let t = 1; t < T; t++) lp += Math.log(A[path[t - 1]!]![path[t]!]!);
    for (let t = 0; t < T; t++) lp += normalLog(y[t]!, mu[path[t]!]!, sigma);
    const p = Math.exp(lp);
    total += p;
    for (let t = 0; t < T; t++) marg[t]![path[t]!]! += p;
  }
  return { logZ: Math.log(total), marg: marg.map((r) => r.map((v) => v / total)) };
}

/** The float64 forward algorithm with scaling (log p(y) only). */
function forward64(init: number[], A: number[][], mu: number[], sigma: number, y: number[]) {
  const K = init.length;
  let alpha = init.map((p, k) => p * Math.exp(normalLog(y[0]!, mu[k]!, sigma)));
  let logZ = 0;
  for (let t = 0; t < y.length; t++) {
    if (t > 0) {
      const prev = alpha;
      alpha = mu.map((m, k) => {
        let s = 0;
        for (let j = 0; j < K; j++) s += prev[j]! * A[j]![k]!;
        return s * Math.exp(normalLog(y[t]!, m, sigma));
      });
    }
    const c = alpha.reduce((a, b) => a + b, 0);
    logZ += Math.log(c);
    alpha = alpha.map((a) => a / c);
  }
  return logZ;
}

const simplex = (k: number) =>
  fc
    .array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: k, maxLength: k })
    .map((w) => {
      const s = w.reduce((a, b) => a + b, 0);
      return w.map((x) => x / s);
    });

describe('forward–backward equals enumeration', () => {
  it('marginals and log evidence on random short chains (property)', async () => {
    const start = tf.memory().numTensors;
    const arb = fc.integer({ min: 2, max: 3 }).chain((K) =>
      fc.record({
        init: simplex(K),
        A: fc.array(simplex(K), { minLength: K, maxLength: K }),
        mu: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: K, maxLength: K }),
        y: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 6 }),
        sigma: fc.double({ min: 0.5, max: 2, noNaN: true }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ({ init, A, mu, y, sigma }) => {
        const S = init.length;
        const post = await infer(HMM, {
          data: { S, T: y.length, init, A, mu, sigma, y },
          engine: 'exact',
        });
        const ref = enumerate(init, A, mu, sigma, y);
        // float32 emissions and recursions: a few ulp per step of the per-step normalisers
        expect(Math.abs(post.logEvidence! - ref.logZ)).toBeLessThan(
          1e-4 * (1 + Math.abs(ref.logZ)),
        );
        const p = post.latents.z!.params.p!.data;
        ref.marg.forEach((row, t) => {
          row.forEach((v, k) => {
            expect(Math.abs(p[t * S + k]! - v)).toBeLessThan(2e-5);
          });
        });
      }),
      { numRuns: 25, seed: 13 },
    );
    expect(tf.memory().numTensors).toBe(start);
  });

  it('log evidence on T = 1,000 equals a float64 forward algorithm', async () => {
    const init = [0.5, 0.3, 0.2];
    const A = [
      [0.8, 0.15, 0.05],
      [0.1, 0.8, 0.1],
      [0.05, 0.15, 0.8],
    ];
    const mu = [-2, 0, 2];
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const y = Array.from({ length: 1000 }, () => 6 * rand() - 3);
    const post = await infer(HMM, {
      data: { S: 3, T: 1000, init, A, mu, sigma: 1, y },
      engine: 'exact',
    });
    const ref = forward64(init, A, mu, 1, y);
    // each of the 1,000 float32 normalisers is off by ~1e-7 relative: |Δ log Z| ≲ 1e-4
    expect(Math.abs(post.logEvidence! - ref)).toBeLessThan(1e-3);
  });

  it('ragged sequences: each sequence on its own, evidences adding up', async () => {
    const init = [0.6, 0.4];
    const A = [
      [0.7, 0.3],
      [0.25, 0.75],
    ];
    const mu = [-1, 1.5];
    const ys = [[0.3, -1.2, 2.0], [1.1], [-0.4, 0.9, 1.7, -2.2, 0.1]];
    const post = await infer(RAGGED, {
      data: { S: 2, M: 3, T: ys.map((y) => y.length), init, A, mu, y: ys },
      engine: 'exact',
    });
    let logZ = 0;
    let offset = 0;
    const p = post.latents.z!.params.p!.data;
    for (const y of ys) {
      const ref = enumerate(init, A, mu, 0.7, y);
      logZ += ref.logZ;
      ref.marg.forEach((row, t) => {
        row.forEach((v, k) => {
          expect(Math.abs(p[(offset + t) * 2 + k]! - v)).toBeLessThan(2e-5);
        });
      });
      offset += y.length;
    }
    expect(Math.abs(post.logEvidence! - logZ)).toBeLessThan(1e-4 * Math.abs(logZ));
  });
});

describe('sampling a chain', () => {
  it('the scan over t draws transitions with the frequencies of A', async () => {
    const A = [
      [0.9, 0.1],
      [0.3, 0.7],
    ];
    const T = 150;
    const n = 40;
    const draws = await sample(HMM, {
      data: { S: 2, T, init: [0.5, 0.5], A, mu: [0, 0] },
      n,
      seed: 3,
    });
    const z = draws.draws.z!.data;
    const counts = [
      [0, 0],
      [0, 0],
    ];
    for (let s = 0; s < n; s++)
      for (let t = 1; t < T; t++) counts[z[s * T + t - 1]!]![z[s * T + t]!]! += 1;
    for (let j = 0; j < 2; j++) {
      const nj = counts[j]![0]! + counts[j]![1]!;
      const p = A[j]![1]!;
      // 5 standard errors of a binomial proportion over nj transitions
      expect(Math.abs(counts[j]![1]! / nj - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / nj));
    }
  });
});

describe('refusals', () => {
  it('a non-linear Normal chain is refused by exact with a reason at its node; em and cavi refuse chains', () => {
    const m = compile(`model rw {
  size T
  plate t in T {
    x[t] ~ Normal(t == 0 ? 0 : exp(x[t - 1]), 1)
    y[t] ~ Normal(x[t], 0.5)
  }
}`);
    const r = engines(m, { data: { T: 5, y: [0, 1, 2, 1, 0] } });
    const exact = r.engines.find((e) => e.name === 'exact')!;
    expect(exact.applies).toBe(false);
    expect(exact.reasons[0]!.line).toBe(4);
    expect(exact.reasons[0]!.message).toMatch(/not linear.*Kalman/);
    for (const name of ['em', 'cavi']) {
      const e = r.engines.find((x) => x.name === name)!;
      expect(e.applies).toBe(false);
      expect(e.reasons[0]!.message).toMatch(/chain/);
    }
  });
});
