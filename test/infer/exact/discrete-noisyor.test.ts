// Noisy-OR networks: the 16-disease × 40-symptom data set against its float64 exact answer, a
// plate of 10,000 independent cases against per-case brute force, and Quickscore against
// enumeration and the clique tree.

import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { bind } from '../../../src/graph/bind.js';
import { compile } from '../../../src/index.js';
import {
  discreteApplicability,
  type Method,
  runDiscreteWith,
} from '../../../src/infer/exact/discrete/index.js';
import { posteriorJson } from '../../../src/report/json.js';
import { boundModel, MODELS } from '../../support/models.js';
import { bruteNoisyOr } from '../../support/noisyOr.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const EPS32 = 2 ** -23;
const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe('noisy-OR 16 × 40 data set', () => {
  const model = compile(MODELS.noisy_or, {
    filename: 'noisy_or.plato',
  });
  const data = JSON.parse(read('../../../examples/noisy_or/noisy_or.json'));
  const exact = JSON.parse(read('../../../examples/noisy_or/noisy_or-exact.json'));
  const bound = bind(model.graph, data);

  it('is recognised as noisy-OR and solved by Quickscore by default', async () => {
    expect(discreteApplicability(bound)).toEqual({ ok: true });
    const { methods } = await runDiscreteWith(bound, { seed: 0 });
    expect(methods).toEqual([{ method: 'quickscore', copies: 1, variables: 16 }]);
  });

  for (const method of ['auto', 'quickscore', 'enumerate', 'cliques'] as (Method | 'auto')[]) {
    it(`${method}: marginals and log evidence within 1e-5 of the float64 enumeration`, async () => {
      const before = tf.memory().numTensors;
      const run = await runDiscreteWith(bound, { seed: 0 }, { method });
      const { methods } = run;
      const posterior = posteriorJson(run.posterior);
      expect(tf.memory().numTensors).toBe(before);
      if (method !== 'auto') expect(methods[0].method).toBe(method);
      expect(Math.abs((posterior.logEvidence as number) - exact.log_evidence)).toBeLessThan(1e-5);
      const d = posterior.latents.d;
      expect(d.family).toBe('Bernoulli');
      expect(d.shape).toEqual([16]);
      (d.mean as number[]).forEach((p, k) => {
        expect(Math.abs(p - exact.marginals[k])).toBeLessThan(1e-5);
      });
    });
  }

  it('recognises the form through a deterministic node', async () => {
    const src = `model noisy_or_det {
  size K
  size M
  hyper leak: real(0,1) = 0.01
  param rho: real(0,1)[K] = rep(0.05, K)
  param W: real(0,)[K, M] = 1.0
  plate k in K {
    d[k] ~ Bernoulli(rho[k])
  }
  plate j in M {
    p[j] = 1 - (1 - leak) * exp(-sum(W[:, j] * d))
    s[j] ~ Bernoulli(p[j])
  }
}`;
    const b = boundModel(src, data, 'det.plato');
    const run = await runDiscreteWith(b, { seed: 0 });
    const { methods } = run;
    const posterior = posteriorJson(run.posterior);
    expect(methods[0].method).toBe('quickscore');
    expect(Math.abs((posterior.logEvidence as number) - exact.log_evidence)).toBeLessThan(1e-5);
  });
});

describe('noisy-OR beyond enumeration', () => {
  it('K = 18 causes: Quickscore (float64) and the clique tree match brute force', async () => {
    const K = 18;
    const M = 24;
    const rand = lcg(11);
    const W = Array.from({ length: K }, () =>
      Array.from({ length: M }, () => (rand() < 0.2 ? 2 * rand() : 0)),
    );
    const rho = Array.from({ length: K }, () => 0.02 + 0.1 * rand());
    const s = Array.from({ length: M }, () => (rand() < 0.15 ? 1 : 0));
    const bound = boundModel(
      MODELS.noisy_or,
      {
        K,
        M,
        W,
        rho,
        s,
        leak: 0.02,
      },
      'noisy_or.plato',
    );
    const bf = bruteNoisyOr(rho, 0.02, W, s);
    const qs = await runDiscreteWith(bound, { seed: 0 }, { method: 'quickscore' });
    expect(qs.methods[0].method).toBe('quickscore');
    // inputs pass through float32 (W, rho): relative 2^-24 each
    const tol = 8 * EPS32 * (1 + Math.abs(bf.logZ));
    expect(Math.abs((qs.posterior.logEvidence as number) - bf.logZ)).toBeLessThan(tol);
    Array.from(qs.posterior.latents.d.mean.data).forEach((p, k) => {
      expect(Math.abs(p - bf.p1[k])).toBeLessThan(tol);
    });
    const ct = await runDiscreteWith(bound, { seed: 0 }, { method: 'cliques' });
    expect(ct.methods[0].method).toBe('cliques');
    const tolCt = 8 * EPS32 * (1 + Math.abs(bf.logZ) * M);
    expect(Math.abs((ct.posterior.logEvidence as number) - bf.logZ)).toBeLessThan(tolCt);
    Array.from(ct.posterior.latents.d.mean.data).forEach((p, k) => {
      expect(Math.abs(p - bf.p1[k])).toBeLessThan(tolCt);
    });
  });

  it('refuses when neither Quickscore nor any elimination order fits, saying why', () => {
    const K = 30;
    const M = 40;
    const rand = lcg(3);
    const W = Array.from({ length: K }, () => Array.from({ length: M }, () => 0.5 + rand()));
    const s = Array.from({ length: M }, () => 1);
    const bound = boundModel(MODELS.noisy_or, { K, M, W, s }, 'noisy_or.plato');
    const app = discreteApplicability(bound);
    expect(app.ok).toBe(false);
    if (app.ok) return;
    expect(app.reasons[0].message).toMatch(/2\^30\.0 joint states.*limit is 2\^24/);
    expect(app.reasons[0].node).toBe('d');
    expect(app.reasons[0].line).toBeGreaterThan(0);
  });
});

describe('a plate of 10,000 independent noisy-OR cases', () => {
  const src = `model cases {
  size N
  size K
  size M
  hyper leak: real(0,1) = 0.01
  param rho: real(0,1)[K] = rep(0.1, K)
  param W: real(0,)[K, M] = 1.0
  plate i in N {
    plate k in K {
      d[i, k] ~ Bernoulli(rho[k])
    }
    plate j in M {
      s[i, j] ~ Bernoulli(1 - (1 - leak) * exp(-dot(W[:, j], d[i])))
    }
  }
}`;
  const N = 10_000;
  const K = 4;
  const M = 6;
  const rand = lcg(1);
  const W = Array.from({ length: K }, () =>
    Array.from({ length: M }, () => (rand() < 0.4 ? 0 : 2 * rand())),
  );
  const s = Array.from({ length: N }, () =>
    Array.from({ length: M }, () => (rand() < 0.3 ? 1 : 0)),
  );
  const bound = boundModel(src, { N, K, M, W, s }, 'cases.plato');
  const rho = new Array(K).fill(0.1);
  const per = s.map((si) => bruteNoisyOr(rho, 0.01, W, si));
  const total = per.reduce((a, r) => a + r.logZ, 0);
  // per case: float32 terms of size up to ~|log Z|; over N cases the errors add at worst linearly
  const tolCase = 8 * EPS32 * (1 + Math.max(...per.map((r) => Math.abs(r.logZ))) * M);

  for (const method of ['auto', 'quickscore', 'enumerate', 'cliques'] as (Method | 'auto')[]) {
    it(`${method}: batched over the cases, each case as brute force`, async () => {
      const before = tf.memory().numTensors;
      const run = await runDiscreteWith(bound, { seed: 0 }, { method });
      const { methods } = run;
      const posterior = posteriorJson(run.posterior);
      expect(tf.memory().numTensors).toBe(before);
      // one structure for all cases, solved as one batch
      expect(methods.reduce((a, m) => a + m.copies, 0)).toBe(N);
      if (method !== 'auto') expect(methods[0].method).toBe(method);
      expect(Math.abs((posterior.logEvidence as number) - total)).toBeLessThan(N * tolCase);
      const d = posterior.latents.d;
      expect(d.shape).toEqual([N, K]);
      const mean = d.mean as number[][];
      for (const i of [0, 1, 2, 3, 4, 4999, N - 1]) {
        for (let k = 0; k < K; k++)
          expect(Math.abs(mean[i][k] - per[i].p1[k])).toBeLessThan(tolCase);
      }
      // and all of them, more loosely summarised: the largest error over the plate
      let worst = 0;
      for (let i = 0; i < N; i++)
        for (let k = 0; k < K; k++) worst = Math.max(worst, Math.abs(mean[i][k] - per[i].p1[k]));
      expect(worst).toBeLessThan(tolCase);
    });
  }
});
