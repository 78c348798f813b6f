// Baum–Welch with --restarts: restart r runs from seed + r and the best final log-likelihood is
// kept with its own trace (restarts.ts, as em's mixtures and factor analysis). A chain whose
// quantile start (restart 0) puts every state in the cluster holding 90% of the data ends in a
// local maximum that merges the two small clusters; a later restart's k-means++ start finds all
// three. With init and A given, restart r's start is restart 0's at seed + r (only the seeded
// emission table differs), so the restarts run must return exactly the best of those runs alone.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, infer } from '../../../src/index.js';
import { prng } from '../../support/prng.js';
import { DICE_HMM } from './chains.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const NORMAL = compile(`model hmm {
  size S
  size T
  param init: simplex[S]
  param A: simplex[S, S]
  param mu: real[S]
  param sigma: real(0,)
  plate t in T {
    z[t] ~ Categorical(t == 0 ? init : A[z[t - 1]])
    y[t] ~ Normal(mu[z[t]], sigma)
  }
}`);

const DICE = compile(DICE_HMM);

describe('Baum–Welch restarts', () => {
  // three clusters at 0, 6, 12 with weights 0.9, 0.05, 0.05 (independent steps), sd 0.5
  const r = prng(3);
  const T = 300;
  const centres = [0, 6, 12];
  const y = Array.from({ length: T }, () => {
    const u = r();
    const k = u < 0.9 ? 0 : u < 0.95 ? 1 : 2;
    const n = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return centres[k]! + 0.5 * n;
  });
  const data = { S: 3, T, y };

  it('keeps the best restart: a perturbed start leaves the quantile start’s local maximum', async () => {
    const before = tf.memory().numTensors;
    const one = await infer(NORMAL, { data, engine: 'em', restarts: 1 });
    const four = await infer(NORMAL, { data, engine: 'em', restarts: 4 });
    expect(tf.memory().numTensors).toBe(before);
    // restart 0 merges the clusters at 6 and 12 (one state near 9): ℓ is > 100 nats lower
    const muOne = Array.from(one.params.mu!.data).sort((a, b) => a - b);
    expect(Math.abs(muOne[2]! - 9)).toBeLessThan(1);
    expect(four.logEvidence!).toBeGreaterThan(one.logEvidence! + 100);
    const mu = Array.from(four.params.mu!.data).sort((a, b) => a - b);
    // each centre from ≥ 15 points with sd 0.5: within 0.5 / √15 · 4 ≈ 0.52
    mu.forEach((m, k) => {
      expect(Math.abs(m - centres[k]!)).toBeLessThan(0.52);
    });
    // the reported trace is the best run's own: it ends at logEvidence and starts elsewhere
    const trace = four.elbo!;
    expect(trace[trace.length - 1]).toBe(four.logEvidence);
    expect(trace[0]).not.toBe(one.elbo![0]);
    expect(four.iterations).toBe(trace.length - 1);
    // more restarts never do worse: the best of a prefix of the same restarts
    const two = await infer(NORMAL, { data, engine: 'em', restarts: 2 });
    expect(four.logEvidence!).toBeGreaterThanOrEqual(two.logEvidence!);
    expect(two.logEvidence!).toBeGreaterThanOrEqual(one.logEvidence!);
  });

  it('is deterministic for a seed', async () => {
    const a = await infer(NORMAL, { data, engine: 'em', restarts: 3, seed: 5 });
    const b = await infer(NORMAL, { data, engine: 'em', restarts: 3, seed: 5 });
    expect(b.elbo).toEqual(a.elbo);
    expect(b.params).toEqual(a.params);
    expect(b.iterations).toBe(a.iterations);
    expect(b.converged).toBe(a.converged);
  });

  it('returns exactly the best of its restarts run alone; restart 0 is the restarts = 1 run', async () => {
    const d = y.map((v) => (v < 3 ? 0 : v < 9 ? 1 : 2)).slice(0, 120);
    // init and A given (still learned): restart r's start is the table drawn from seed + r alone
    const init = {
      init: [0.5, 0.5],
      A: [
        [0.7, 0.3],
        [0.4, 0.6],
      ],
    } as unknown as Record<string, number[]>;
    const dice = { S: 2, V: 3, T: d.length, y: d };
    const R = 4;
    const before = tf.memory().numTensors;
    // seeds 10 … 14 alone, then restarts runs from 10 (restarts 0–3 = seeds 10–13) and from 11
    const alone = [];
    for (let s = 0; s <= R; s++)
      alone.push(await infer(DICE, { data: dice, engine: 'em', init, seed: 10 + s, restarts: 1 }));
    const lls = alone.map((p) => p.logEvidence!);
    // not vacuous: the starts end at different log-likelihoods
    expect(new Set(lls).size).toBe(R + 1);
    const winners: number[] = [];
    for (const from of [0, 1]) {
      const all = await infer(DICE, {
        data: dice,
        engine: 'em',
        init,
        seed: 10 + from,
        restarts: R,
      });
      const mine = lls.slice(from, from + R);
      const best = mine.indexOf(Math.max(...mine));
      winners.push(best);
      const run = alone[from + best]!;
      expect(all.logEvidence).toBe(run.logEvidence);
      expect(all.elbo).toEqual(run.elbo);
      expect(all.params).toEqual(run.params);
      expect(all.latents).toEqual(run.latents);
      expect(all.iterations).toBe(run.iterations);
      expect(all.converged).toBe(run.converged);
    }
    // both paths are exercised: the run from seed 10 keeps its restart 0 (bit for bit the
    // restarts = 1 run), the one from seed 11 a later restart
    expect(winners[0]).toBe(0);
    expect(winners[1]).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('makes one run when every learned param starts from a given value', async () => {
    const init = {
      init: [0.5, 0.5],
      A: [
        [0.7, 0.3],
        [0.4, 0.6],
      ],
      mu: [0, 6],
      sigma: 1,
    } as unknown as Record<string, number[]>;
    const seen: number[] = [];
    const post = await infer(NORMAL, {
      data: { S: 2, T, y },
      engine: 'em',
      init,
      restarts: 3,
      iters: 5,
      tol: 0,
      onProgress: (done: number) => {
        seen.push(done);
      },
    });
    const one = await infer(NORMAL, { data: { S: 2, T, y }, engine: 'em', init, iters: 5, tol: 0 });
    expect(post.elbo).toEqual(one.elbo);
    // one run's 5 steps, then done (of 3 × 5)
    expect(seen).toEqual([1, 2, 3, 4, 5, 15]);
  });
});
