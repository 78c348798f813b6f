// Predictives of missing barren-leaf entries (leaves.ts): read off the calibrated clique beliefs
// in the solve pass (method 'cliques') and by probe solves (method 'enumerate') must both equal
// a float64 brute force, and each must be the path actually taken. Random networks: a plate of
// cases with K binary causes, noisy-OR findings (random zero weights, so 0, 1 or several
// parents), a Categorical leaf and a Normal leaf reading two causes, each with random nulls.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { bind } from '../../../src/graph/bind.js';
import { compile } from '../../../src/index.js';
import { runDiscreteWith } from '../../../src/infer/exact/discrete/index.js';
import { posteriorJson } from '../../../src/report/json.js';
import { prng } from '../../support/prng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const SOURCE = `model leaves {
  size N
  size K
  size M
  hyper leak: real(0,1)
  hyper rho: real(0,1)[K]
  hyper W: real(0,)[K, M]
  hyper T: real[2, 2, 3]
  hyper U: real[2, 2]
  plate i in N {
    plate k in K {
      d[i, k] ~ Bernoulli(rho[k])
    }
    plate j in M {
      s[i, j] ~ Bernoulli(1 - (1 - leak) * exp(-dot(W[:, j], d[i])))
    }
    c[i] ~ Categorical(T[d[i, 0], d[i, 1]])
    y[i] ~ Normal(U[d[i, 0], d[i, 1]], 1)
  }
}`;

interface Net {
  N: number;
  K: number;
  M: number;
  leak: number;
  rho: number[];
  W: number[][];
  T: number[][][];
  U: number[][];
  s: (number | null)[][];
  c: (number | null)[];
  y: (number | null)[];
}

function randomNet(seed: number): Net {
  const r = prng(seed);
  const N = 1 + Math.floor(r() * 4);
  const K = 2 + Math.floor(r() * 3);
  const M = 2 + Math.floor(r() * 4);
  const leak = 0.02 + 0.1 * r();
  const rho = Array.from({ length: K }, () => 0.1 + 0.5 * r());
  const W = Array.from({ length: K }, () =>
    Array.from({ length: M }, () => (r() < 0.4 ? 0 : 0.2 + 2 * r())),
  );
  const simplex = () => {
    const x = [0.1 + r(), 0.1 + r(), 0.1 + r()];
    const z = x[0] + x[1] + x[2];
    return x.map((v) => v / z);
  };
  const T = [0, 1].map(() => [0, 1].map(() => simplex()));
  const U = [0, 1].map(() => [0, 1].map(() => 4 * r() - 2));
  const s: (number | null)[][] = [];
  const c: (number | null)[] = [];
  const y: (number | null)[] = [];
  for (let i = 0; i < N; i++) {
    const d = rho.map((p) => (r() < p ? 1 : 0));
    s.push(
      Array.from({ length: M }, (_, j) => {
        let x = 0;
        for (let k = 0; k < K; k++) x += W[k][j] * d[k];
        const v = r() < 1 - (1 - leak) * Math.exp(-x) ? 1 : 0;
        // the first finding stays observed, so no case loses all its evidence
        return j > 0 && r() < 0.4 ? null : v;
      }),
    );
    const row = T[d[0]][d[1]];
    const u = r();
    const cv = u < row[0] ? 0 : u < row[0] + row[1] ? 1 : 2;
    // Box–Muller for the Normal draw
    const yv = U[d[0]][d[1]] + Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    // entry 0 of c and y stays observed (a node with no data at all is not a partial leaf)
    c.push(i > 0 && r() < 0.5 ? null : cv);
    y.push(i > 0 && r() < 0.5 ? null : yv);
  }
  return { N, K, M, leak, rho, W, T, U, s, c, y };
}

interface Predictive {
  /** P(s[i, j] = 1 | data) (the observed value where observed) */
  s: number[][];
  /** P(c[i] = x | data) */
  c: number[][];
  /** [mean, sd] of y[i] given the data */
  y: number[][];
}

/** float64 brute force per case over the 2^K cause states (missing entries sum out) */
function bruteForce(net: Net): Predictive {
  const { K, M, leak, rho, W, T, U } = net;
  const out: Predictive = { s: [], c: [], y: [] };
  for (let i = 0; i < net.N; i++) {
    const S = 2 ** K;
    const lw = new Float64Array(S);
    const bit = (st: number, k: number) => (st >> k) & 1;
    const neg = (st: number, j: number) => {
      let x = 0;
      for (let k = 0; k < K; k++) x += W[k][j] * bit(st, k);
      return (1 - leak) * Math.exp(-x);
    };
    for (let st = 0; st < S; st++) {
      let w = 0;
      for (let k = 0; k < K; k++) w += Math.log(bit(st, k) ? rho[k] : 1 - rho[k]);
      for (let j = 0; j < M; j++) {
        const v = net.s[i][j];
        if (v !== null) w += Math.log(v === 1 ? 1 - neg(st, j) : neg(st, j));
      }
      const row = T[bit(st, 0)][bit(st, 1)];
      const cv = net.c[i];
      if (cv !== null) w += Math.log(row[cv]);
      const yv = net.y[i];
      const mu = U[bit(st, 0)][bit(st, 1)];
      if (yv !== null) w += -0.5 * (yv - mu) ** 2;
      lw[st] = w;
    }
    const max = Math.max(...lw);
    let Z = 0;
    const ps = new Array<number>(M).fill(0);
    const pc = [0, 0, 0];
    let m1 = 0;
    let m2 = 0;
    for (let st = 0; st < S; st++) {
      const q = Math.exp(lw[st] - max);
      Z += q;
      for (let j = 0; j < M; j++) ps[j] += q * (1 - neg(st, j));
      T[bit(st, 0)][bit(st, 1)].forEach((p, x) => {
        pc[x] += q * p;
      });
      const mu = U[bit(st, 0)][bit(st, 1)];
      m1 += q * mu;
      m2 += q * (1 + mu * mu);
    }
    out.s.push(ps.map((x, j) => net.s[i][j] ?? x / Z));
    const cv = net.c[i];
    out.c.push(cv === null ? pc.map((x) => x / Z) : [0, 1, 2].map((x) => (x === cv ? 1 : 0)));
    const yv = net.y[i];
    const mean = m1 / Z;
    out.y.push(yv === null ? [mean, Math.sqrt(m2 / Z - mean * mean)] : [yv, 0]);
  }
  return out;
}

/** missing entries whose factor reads two or more causes (the ones not answered by a marginal) */
function multiParentMissing(net: Net): number {
  let n = 0;
  for (let i = 0; i < net.N; i++) {
    for (let j = 0; j < net.M; j++) {
      const parents = net.W.filter((w) => w[j] !== 0).length;
      if (net.s[i][j] === null && parents >= 2) n++;
    }
    if (net.c[i] === null) n++;
    if (net.y[i] === null) n++;
  }
  return n;
}

/**
 * Float32 factor tables: each log weight carries a rounding of about 2^-24 relative per term,
 * summed over the K + M + 2 factors of a case, on log weights of magnitude up to ~20, and the
 * normalisation adds a few more; 1e-5 is ~100 float32 epsilons at these sizes.
 */
const TOL = 1e-5;

describe('predictives of missing leaf entries', () => {
  it('one pass from the clique beliefs equals the probes and float64 brute force', async () => {
    const model = compile(SOURCE, { filename: 'leaves.plato' });
    let multi = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const net = randomNet(seed);
        const want = bruteForce(net);
        const bound = bind(model.graph, { ...net });
        const ctx = `seed ${seed}: ${JSON.stringify(net)}`;
        const expected = multiParentMissing(net);
        multi += expected;
        const got: Predictive[] = [];
        for (const method of ['cliques', 'enumerate'] as const) {
          const before = tf.memory().numTensors;
          const run = await runDiscreteWith(bound, { seed: 0 }, { method });
          expect(tf.memory().numTensors, ctx).toBe(before);
          expect(
            run.methods.map((m) => m.method),
            ctx,
          ).toEqual(run.methods.map(() => method));
          // the path taken: beliefs in one pass on the clique tree, probe solves under enumeration
          const { beliefs, probes } = run.predictives;
          if (method === 'cliques')
            expect({ beliefs, probes }, ctx).toEqual({ beliefs: expected, probes: 0 });
          else expect({ beliefs, probes }, ctx).toEqual({ beliefs: 0, probes: expected });
          const post = posteriorJson(run.posterior);
          const s = post.latents.s;
          const c = post.latents.c;
          const y = post.latents.y;
          const p: Predictive = {
            s: net.s.some((row) => row.includes(null))
              ? (s.mean as number[][])
              : net.s.map((row) => row as number[]),
            c: net.c.includes(null)
              ? (c.params.p as number[][])
              : net.c.map((v) => [0, 1, 2].map((x) => (x === v ? 1 : 0))),
            y: net.y.includes(null)
              ? (y.mean as number[]).map((m, i) => [m, (y.sd as number[])[i]])
              : net.y.map((v) => [v as number, 0]),
          };
          got.push(p);
          for (let i = 0; i < net.N; i++) {
            for (let j = 0; j < net.M; j++)
              expect(
                Math.abs(p.s[i][j] - want.s[i][j]),
                `${method} s[${i},${j}] ${ctx}`,
              ).toBeLessThan(TOL);
            for (let x = 0; x < 3; x++)
              expect(Math.abs(p.c[i][x] - want.c[i][x]), `${method} c[${i}] ${ctx}`).toBeLessThan(
                TOL,
              );
            for (let m = 0; m < 2; m++)
              expect(Math.abs(p.y[i][m] - want.y[i][m]), `${method} y[${i}] ${ctx}`).toBeLessThan(
                TOL * (1 + Math.abs(want.y[i][m])),
              );
          }
        }
        // one pass and probes agree with each other as closely as with the reference
        const [a, b] = got;
        for (let i = 0; i < net.N; i++) {
          for (let j = 0; j < net.M; j++) expect(Math.abs(a.s[i][j] - b.s[i][j])).toBeLessThan(TOL);
          for (let x = 0; x < 3; x++) expect(Math.abs(a.c[i][x] - b.c[i][x])).toBeLessThan(TOL);
        }
      }),
      { seed: 11, numRuns: 30 },
    );
    // the property exercised the one-pass path at all
    expect(multi).toBeGreaterThan(30);
  }, 120_000);
});
