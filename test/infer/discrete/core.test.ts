// The engine-independent core of exact discrete inference (src/infer/discrete): batched log
// tables, min-fill clique trees with two-pass calibration, chunked enumeration and Quickscore,
// each against brute-force float64 enumeration written here.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { calibrate } from '../../../src/infer/discrete/calibrate.js';
import { enumerateJoint } from '../../../src/infer/discrete/enumerate.js';
import { cliqueTree } from '../../../src/infer/discrete/order.js';
import { type Finding, quickscore } from '../../../src/infer/discrete/quickscore.js';
import type { LogTable } from '../../../src/infer/discrete/table.js';

beforeAll(async () => {
  await initBackend('wasm');
});

interface RandomFactors {
  cards: number[];
  scopes: number[][];
  /** per factor, per copy, row-major log values */
  values: number[][][];
  copies: number;
}

/** fast-check arbitrary: a connected-ish random factor graph with a few copies */
const factorGraph = fc
  .record({
    cards: fc.array(fc.integer({ min: 2, max: 3 }), { minLength: 1, maxLength: 7 }),
    nf: fc.integer({ min: 1, max: 8 }),
    copies: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    zeros: fc.boolean(),
  })
  .map(({ cards, nf, copies, seed, zeros }): RandomFactors => {
    let s = seed;
    const rand = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    const n = cards.length;
    const scopes: number[][] = [];
    // a unary factor on every variable, plus random factors of up to 3 variables
    for (let v = 0; v < n; v++) scopes.push([v]);
    for (let f = 0; f < nf; f++) {
      const size = 1 + Math.floor(rand() * Math.min(3, n));
      const scope: number[] = [];
      while (scope.length < size) {
        const v = Math.floor(rand() * n);
        if (!scope.includes(v)) scope.push(v);
      }
      scopes.push(scope);
    }
    const values = scopes.map((sc) => {
      const S = sc.reduce((a, v) => a * cards[v], 1);
      return Array.from({ length: copies }, () =>
        Array.from({ length: S }, () =>
          zeros && rand() < 0.15 ? Number.NEGATIVE_INFINITY : -3 * rand(),
        ),
      );
    });
    return { cards, scopes, values, copies };
  });

function bruteForce(g: RandomFactors, copy: number): { logZ: number; marg: number[][] } {
  const n = g.cards.length;
  const S = g.cards.reduce((a, c) => a * c, 1);
  const weights: number[] = [];
  const states: number[][] = [];
  for (let s = 0; s < S; s++) {
    const x: number[] = new Array(n);
    let r = s;
    for (let i = n - 1; i >= 0; i--) {
      x[i] = r % g.cards[i];
      r = Math.floor(r / g.cards[i]);
    }
    let lw = 0;
    g.scopes.forEach((sc, f) => {
      let idx = 0;
      for (const v of sc) idx = idx * g.cards[v] + x[v];
      lw += g.values[f][copy][idx];
    });
    weights.push(lw);
    states.push(x);
  }
  const m = Math.max(...weights);
  if (m === Number.NEGATIVE_INFINITY) return { logZ: m, marg: [] };
  const Z = weights.reduce((a, w) => a + Math.exp(w - m), 0);
  const marg = g.cards.map((c) => new Array(c).fill(0));
  states.forEach((x, s) => {
    x.forEach((k, i) => {
      marg[i][k] += Math.exp(weights[s] - m) / Z;
    });
  });
  return { logZ: m + Math.log(Z), marg };
}

function tables(g: RandomFactors): LogTable[] {
  return g.scopes.map((sc, f) => ({
    vars: sc,
    cards: sc.map((v) => g.cards[v]),
    t: tf.tensor2d(g.values[f].flat(), [g.copies, g.values[f][0].length]),
  }));
}

describe('clique tree calibration', () => {
  it('matches brute force on random factor graphs (log Z and every marginal)', () => {
    fc.assert(
      fc.property(factorGraph, (g) => {
        const before = tf.memory().numTensors;
        const ts = tables(g);
        const tree = cliqueTree(g.cards, g.scopes);
        const res = calibrate(tree, ts, g.copies);
        const logZ = res.logZ.arraySync();
        const margs = res.marginals.map((m) => m.arraySync());
        for (let c = 0; c < g.copies; c++) {
          const bf = bruteForce(g, c);
          if (bf.logZ === Number.NEGATIVE_INFINITY) {
            expect(logZ[c]).toBe(Number.NEGATIVE_INFINITY);
            continue;
          }
          expect(Math.abs(logZ[c] - bf.logZ)).toBeLessThan(2e-5);
          g.cards.forEach((card, v) => {
            for (let k = 0; k < card; k++)
              expect(Math.abs(margs[v][c][k] - bf.marg[v][k])).toBeLessThan(2e-5);
          });
        }
        res.logZ.dispose();
        for (const m of res.marginals) m.dispose();
        for (const t of ts) t.t.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('gives a clique per variable with children before parents', () => {
    const tree = cliqueTree([2, 2, 2, 2], [[0, 1], [1, 2], [2, 3], [0]]);
    tree.cliques.forEach((c, i) => {
      expect(c.parent === -1 || c.parent > i).toBe(true);
    });
    expect(tree.maxLog2States).toBe(2);
  });
});

describe('chunked enumeration', () => {
  it('matches brute force, also with chunks much smaller than the state space', () => {
    fc.assert(
      fc.property(factorGraph, fc.integer({ min: 1, max: 64 }), (g, chunk) => {
        const before = tf.memory().numTensors;
        const ts = tables(g);
        const res = enumerateJoint(g.cards, ts, g.copies, chunk * g.copies);
        for (let c = 0; c < g.copies; c++) {
          const bf = bruteForce(g, c);
          if (bf.logZ === Number.NEGATIVE_INFINITY) {
            expect(res.logZ[c]).toBe(Number.NEGATIVE_INFINITY);
            continue;
          }
          expect(Math.abs(res.logZ[c] - bf.logZ)).toBeLessThan(2e-6);
          g.cards.forEach((card, v) => {
            for (let k = 0; k < card; k++)
              expect(Math.abs(res.marginals[v][c * card + k] - bf.marg[v][k])).toBeLessThan(2e-6);
          });
        }
        for (const t of ts) t.t.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }),
      { seed: 7, numRuns: 60 },
    );
  });
});

describe('Quickscore', () => {
  /** brute-force noisy-OR in float64 */
  function noisyOrBrute(
    K: number,
    rho: number[],
    findings: { logA: number; w: number[]; value: number }[],
  ): { logZ: number; p1: number[] } {
    let Z = 0;
    const p1 = new Array(K).fill(0);
    for (let s = 0; s < 2 ** K; s++) {
      let lw = 0;
      for (let k = 0; k < K; k++) lw += Math.log((s >> k) & 1 ? rho[k] : 1 - rho[k]);
      for (const f of findings) {
        let x = 0;
        for (let k = 0; k < K; k++) if ((s >> k) & 1) x += f.w[k];
        const logNeg = f.logA - x;
        lw += f.value ? Math.log(-Math.expm1(logNeg)) : logNeg;
      }
      const w = Math.exp(lw);
      Z += w;
      for (let k = 0; k < K; k++) if ((s >> k) & 1) p1[k] += w;
    }
    return { logZ: Math.log(Z), p1: p1.map((x) => x / Z) };
  }

  it('matches brute-force enumeration on random noisy-OR networks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (K, M, seed) => {
          let s = seed;
          const rand = () => {
            s = (s * 1103515245 + 12345) % 2147483648;
            return s / 2147483648;
          };
          const rho = Array.from({ length: K }, () => 0.01 + 0.5 * rand());
          const findings = Array.from({ length: M }, () => ({
            logA: Math.log(1 - 0.1 * rand()),
            w: Array.from({ length: K }, () => (rand() < 0.5 ? 0 : 3 * rand())),
            value: rand() < 0.4 ? 1 : 0,
          }));
          const toFinding = (f: (typeof findings)[number]): Finding => {
            const vars = f.w.map((w, k) => (w > 0 ? k : -1)).filter((k) => k >= 0);
            return {
              logA: f.logA,
              vars: Int32Array.from(vars),
              w: Float64Array.from(vars.map((k) => f.w[k])),
            };
          };
          const sol = quickscore({
            K,
            logPi0: Float64Array.from(rho.map((r) => Math.log(1 - r))),
            logPi1: Float64Array.from(rho.map((r) => Math.log(r))),
            negatives: findings.filter((f) => !f.value).map(toFinding),
            positives: findings.filter((f) => f.value).map(toFinding),
          });
          const bf = noisyOrBrute(K, rho, findings);
          expect(Math.abs(sol.logZ - bf.logZ)).toBeLessThan(1e-9 * Math.max(1, sol.condition));
          for (let k = 0; k < K; k++)
            expect(Math.abs(sol.p1[k] - bf.p1[k])).toBeLessThan(1e-9 * Math.max(1, sol.condition));
        },
      ),
      { seed: 42, numRuns: 100 },
    );
  });
});
