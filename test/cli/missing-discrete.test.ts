// Regression tests through the command line for issue 7, items 7, 15, 18 and 19 (`z: [null]`):
// missing symptoms of a noisy-OR plate keep Quickscore and are answered by their predictive,
// probabilities near 1 keep their complement, an unobserved continuous leaf under a discrete
// latent is answered, and a fully missing row is unobserved. Every number is checked against a
// float64 formula written here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { bind } from '../../src/graph/bind.js';
import { compile } from '../../src/index.js';
import { runDiscreteWith } from '../../src/infer/exact/discrete/index.js';
import { prng } from '../support/prng.js';
import { TRIAGE } from '../support/triage.js';
import { spawnCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'plato-missing-'));
beforeAll(async () => {
  await initBackend('wasm');
});

/** `plato infer MODEL --data DATA --engine exact --json` as a child process */
async function inferCli(name: string, model: string, data: unknown) {
  const m = join(tmp, `${name}.plato`);
  const d = join(tmp, `${name}.json`);
  writeFileSync(m, model);
  writeFileSync(d, JSON.stringify(data));
  const r = await spawnCli(['infer', m, '--data', d, '--engine', 'exact', '--json']);
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as {
    logEvidence: number;
    latents: Record<string, { family: string; mean: unknown; sd: unknown }>;
  };
}

describe('item 7: missing noisy-OR findings', () => {
  const N = 40;
  const K = 6;
  const M = 12;
  const leak = 0.01;
  const r = prng(3);
  const rho = Array.from({ length: K }, () => 0.05 + 0.2 * r());
  const W = Array.from({ length: K }, () =>
    Array.from({ length: M }, () => (r() < 0.4 ? 0.3 + 2 * r() : 0)),
  );
  const complete = Array.from({ length: N }, () =>
    Array.from({ length: M }, () => (r() < 0.25 ? 1 : 0)),
  );
  const s: (number | null)[][] = complete.map((row) => [...row]);
  for (const [i, j] of [
    [0, 0],
    [3, 5],
    [3, 7],
    [17, 11],
    [39, 2],
  ])
    s[i][j] = null;

  /** per patient, float64 enumeration of the 2^K disease states (missing symptoms sum out) */
  function reference() {
    let logZ = 0;
    const d: number[][] = [];
    const sp: number[][] = [];
    for (const row of s) {
      const lw: number[] = [];
      const neg: number[][] = [];
      for (let st = 0; st < 2 ** K; st++) {
        let w = 0;
        for (let k = 0; k < K; k++) w += Math.log((st >> k) & 1 ? rho[k] : 1 - rho[k]);
        const ln = row.map((_, j) => {
          let x = 0;
          for (let k = 0; k < K; k++) if ((st >> k) & 1) x += W[k][j];
          return Math.log1p(-leak) - x;
        });
        row.forEach((v, j) => {
          if (v !== null) w += v === 1 ? Math.log(-Math.expm1(ln[j])) : ln[j];
        });
        lw.push(w);
        neg.push(ln);
      }
      const max = Math.max(...lw);
      const q = lw.map((w) => Math.exp(w - max));
      const Z = q.reduce((a, b) => a + b, 0);
      logZ += max + Math.log(Z);
      d.push(
        Array.from(
          { length: K },
          (_, k) => q.reduce((a, x, st) => a + ((st >> k) & 1 ? x : 0), 0) / Z,
        ),
      );
      sp.push(
        row.map((v, j) =>
          v !== null ? v : q.reduce((a, x, st) => a + x * -Math.expm1(neg[st][j]), 0) / Z,
        ),
      );
    }
    return { logZ, d, s: sp };
  }

  it('answers with the float64 posterior and every missing symptom’s predictive', async () => {
    const ref = reference();
    const out = await inferCli('triage', TRIAGE, { N, K, M, leak, rho, W, s });
    expect(Math.abs(out.logEvidence - ref.logZ)).toBeLessThan(1e-5 * Math.abs(ref.logZ));
    const d = out.latents.d.mean as number[][];
    const sp = out.latents.s.mean as number[][];
    const ssd = out.latents.s.sd as number[][];
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < K; k++) expect(Math.abs(d[i][k] - ref.d[i][k])).toBeLessThan(1e-5);
      for (let j = 0; j < M; j++) {
        expect(Math.abs(sp[i][j] - ref.s[i][j])).toBeLessThan(1e-5);
        // observed entries as themselves, sd 0
        if (s[i][j] !== null) expect(ssd[i][j]).toBe(0);
      }
    }
  });

  it('keeps the method of the complete data: the missing entries sum out', async () => {
    const model = compile(TRIAGE);
    const methods = async (data: unknown) =>
      (await runDiscreteWith(bind(model.graph, data as Record<string, unknown>), { seed: 0 }))
        .methods;
    const full = await methods({ N, K, M, leak, rho, W, s: complete });
    const missing = await methods({ N, K, M, leak, rho, W, s });
    expect(full.map((m) => m.method)).toContain('quickscore');
    expect(missing).toEqual(full);
  });
});

describe('item 15: probabilities near 1 keep their complement', () => {
  it('x ~ Bernoulli(0.999999), x = 0', async () => {
    const out = await inferCli('near1', 'model m {\n  x ~ Bernoulli(0.999999)\n}\n', { x: 0 });
    const want = Math.log1p(-0.999999);
    expect(Math.abs(out.logEvidence - want)).toBeLessThan(1e-6 * Math.abs(want));
  });

  it('a table row near 1 selected by a latent, and a Binomial hyper', async () => {
    const src = `model m {
  hyper T: real(0,1)[2]
  hyper q: real(0,1)
  z ~ Bernoulli(0.5)
  x ~ Bernoulli(T[z])
  c ~ Binomial(3, q)
}
`;
    const T = [0.999999, 0.9999999];
    const out = await inferCli('near1-table', src, { T, x: 0, q: 0.999999, c: 1 });
    const pz = [0.5 * (1 - T[0]), 0.5 * (1 - T[1])];
    const binomial = Math.log(3) + Math.log(0.999999) + 2 * Math.log1p(-0.999999);
    const want = Math.log(pz[0] + pz[1]) + binomial;
    expect(Math.abs(out.logEvidence - want)).toBeLessThan(1e-6 * Math.abs(want));
    const p1 = out.latents.z.mean as number;
    expect(Math.abs(p1 - pz[1] / (pz[0] + pz[1]))).toBeLessThan(1e-6);
  });
});

describe('item 18: an unobserved continuous leaf under a discrete latent', () => {
  it('is answered: z by its prior, y by the mixture predictive', async () => {
    const src = 'model m {\n  z ~ Bernoulli(0.3)\n  y ~ Normal(3 * z, 1)\n}\n';
    const out = await inferCli('leaf', src, {});
    expect(Math.abs(out.logEvidence)).toBeLessThan(1e-6);
    expect(Math.abs((out.latents.z.mean as number) - 0.3)).toBeLessThan(1e-6);
    // E y = 0.3 · 3; Var y = 1 + 9 · 0.3 · 0.7
    expect(Math.abs((out.latents.y.mean as number) - 0.9)).toBeLessThan(1e-6);
    expect(Math.abs((out.latents.y.sd as number) - Math.sqrt(1 + 9 * 0.21))).toBeLessThan(1e-6);
  });
});

describe('item 19: a fully missing row is unobserved', () => {
  it('z: [null, null] over two plates binds and is answered', async () => {
    const src = `model m {
  size N
  size K
  plate i in N {
    plate k in K {
      z[i, k] ~ Bernoulli(0.3)
      y[i, k] ~ Normal(2 * z[i, k], 1)
    }
  }
}
`;
    const y = [
      [0.1, 2.2],
      [1.5, -0.3],
    ];
    const out = await inferCli('nullrow', src, { z: [null, null], y });
    const z = out.latents.z.mean as number[][];
    let logZ = 0;
    y.forEach((row, i) => {
      row.forEach((v, k) => {
        const l0 = 0.7 * Math.exp(-0.5 * v * v);
        const l1 = 0.3 * Math.exp(-0.5 * (v - 2) ** 2);
        logZ += Math.log((l0 + l1) / Math.sqrt(2 * Math.PI));
        expect(Math.abs(z[i][k] - l1 / (l0 + l1))).toBeLessThan(1e-6);
      });
    });
    expect(Math.abs(out.logEvidence - logZ)).toBeLessThan(1e-5);
  });
});
