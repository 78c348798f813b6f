// Exact discrete inference end to end (source → graph → bind → engine) on random Bayesian
// networks, Asia, and partially observed plates, against brute-force float64 enumeration
// written here.

import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { bind } from '../../../src/graph/bind.js';
import type { DataInput } from '../../../src/graph/bound.js';
import { compile } from '../../../src/index.js';
import {
  discreteApplicability,
  type Method,
  runDiscreteWith,
} from '../../../src/infer/exact/discrete/index.js';
import { posteriorJson } from '../../../src/report/json.js';
import { ASIA_NAMES, asiaBrute } from '../../support/asia.js';
import { boundModel } from '../../support/models.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const EPS32 = 2 ** -23;

// ------------------------------------------------------------------ random networks

type Kind = 'bern-expr' | 'bern-table' | 'cat' | 'binom';

interface RandomNode {
  kind: Kind;
  card: number;
  parents: number[];
  /** probability tables: [parent states (row-major)] → distribution over the node's values */
  cpt: number[][];
}

interface RandomNet {
  nodes: RandomNode[];
  evidence: Map<number, number>;
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function binomPmf(n: number, p: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c * p ** k * (1 - p) ** (n - k);
}

const randomNet = fc
  .record({ n: fc.integer({ min: 1, max: 10 }), seed: fc.integer({ min: 1, max: 2 ** 30 }) })
  .map(({ n, seed }): RandomNet => {
    const rand = lcg(seed);
    const nodes: RandomNode[] = [];
    for (let i = 0; i < n; i++) {
      const r = rand();
      const kind: Kind =
        r < 0.35 ? 'bern-expr' : r < 0.55 ? 'bern-table' : r < 0.85 ? 'cat' : 'binom';
      const card = kind === 'cat' ? 2 + Math.floor(rand() * 2) : kind === 'binom' ? 3 : 2;
      const candidates = nodes
        .map((_, j) => j)
        .filter((j) => kind !== 'bern-expr' || nodes[j].card === 2);
      const parents = candidates.filter(() => rand() < 0.35).slice(0, 3);
      const rows = parents.reduce((a, p) => a * nodes[p].card, 1);
      const cpt = Array.from({ length: rows }, () => {
        if (kind === 'cat') {
          const w = Array.from({ length: card }, () => 0.05 + rand());
          const z = w.reduce((a, b) => a + b, 0);
          return w.map((x) => x / z);
        }
        // round Bernoulli/Binomial probabilities so the expressions print exactly
        const p = Math.round((0.05 + 0.9 * rand()) * 1000) / 1000;
        return kind === 'binom' ? [0, 1, 2].map((k) => binomPmf(2, p, k)) : [1 - p, p];
      });
      nodes.push({ kind, card, parents, cpt });
    }
    const evidence = new Map<number, number>();
    nodes.forEach((nd, i) => {
      if (rand() < 0.3) evidence.set(i, Math.floor(rand() * nd.card));
    });
    return { nodes, evidence };
  });

/** `p(x = 1)` of a Bernoulli with binary parents as a multilinear expression of the parents */
function multilinear(node: RandomNode): string {
  const terms: string[] = [];
  node.cpt.forEach((row, r) => {
    const factors = node.parents.map((p, j) => {
      const bit = Math.floor(r / 2 ** (node.parents.length - 1 - j)) % 2;
      return bit ? `x${p}` : `(1 - x${p})`;
    });
    terms.push([String(row[1]), ...factors].join(' * '));
  });
  return terms.join(' + ');
}

function toSource(net: RandomNet): { source: string; data: DataInput } {
  const lines: string[] = ['model bn {'];
  const data: Record<string, unknown> = {};
  net.nodes.forEach((nd, i) => {
    const idx = nd.parents.length ? `[${nd.parents.map((p) => `x${p}`).join(', ')}]` : '';
    const pshape = nd.parents.map((p) => net.nodes[p].card);
    const table = (col: (row: number[]) => number | number[]) => {
      const build = (axis: number, offset: number): unknown => {
        if (axis === pshape.length) return col(nd.cpt[offset]);
        const stride = pshape.slice(axis + 1).reduce((a, b) => a * b, 1);
        return Array.from({ length: pshape[axis] }, (_, k) => build(axis + 1, offset + k * stride));
      };
      return build(0, 0);
    };
    if (nd.kind === 'bern-expr') {
      lines.push(`  x${i} ~ Bernoulli(${multilinear(nd)})`);
    } else if (nd.kind === 'bern-table' || nd.kind === 'binom') {
      lines.push(`  data P${i}: real${pshape.length ? `[${pshape.join(', ')}]` : ''}`);
      const p = (row: number[]) =>
        nd.kind === 'binom' ? Math.round(Math.sqrt(row[2]) * 1e9) / 1e9 : row[1];
      data[`P${i}`] = table(p);
      lines.push(
        nd.kind === 'binom'
          ? `  x${i} ~ Binomial(2, P${i}${idx})`
          : `  x${i} ~ Bernoulli(P${i}${idx})`,
      );
    } else {
      lines.push(`  data T${i}: real[${[...pshape, nd.card].join(', ')}]`);
      data[`T${i}`] = table((row) => row);
      lines.push(`  x${i} ~ Categorical(T${i}${idx})`);
    }
  });
  lines.push('}');
  for (const [i, v] of net.evidence) data[`x${i}`] = v;
  return { source: lines.join('\n'), data };
}

/** float64 brute force; also the largest sum of |log-probability terms| of a state (error budget) */
function bruteForce(net: RandomNet): { logZ: number; marg: number[][]; budget: number } {
  const n = net.nodes.length;
  const cards = net.nodes.map((nd) => nd.card);
  const S = cards.reduce((a, b) => a * b, 1);
  const lw = new Float64Array(S);
  const x = new Array<number>(n);
  let budget = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let s = 0; s < S; s++) {
    let r = s;
    for (let i = n - 1; i >= 0; i--) {
      x[i] = r % cards[i];
      r = Math.floor(r / cards[i]);
    }
    let w = 0;
    let abs = 0;
    for (let i = 0; i < n; i++) {
      const nd = net.nodes[i];
      const ev = net.evidence.get(i);
      if (ev !== undefined && ev !== x[i]) {
        w = Number.NEGATIVE_INFINITY;
        break;
      }
      let row = 0;
      for (const p of nd.parents) row = row * cards[p] + x[p];
      const t = Math.log(nd.cpt[row][x[i]]);
      w += t;
      abs += Math.abs(t);
    }
    lw[s] = w;
    if (w > Number.NEGATIVE_INFINITY) budget = Math.max(budget, abs);
    max = Math.max(max, w);
  }
  let Z = 0;
  const marg = cards.map((c) => new Array<number>(c).fill(0));
  for (let s = 0; s < S; s++) Z += Math.exp(lw[s] - max);
  for (let s = 0; s < S; s++) {
    let r = s;
    const q = Math.exp(lw[s] - max) / Z;
    for (let i = n - 1; i >= 0; i--) {
      marg[i][r % cards[i]] += q;
      r = Math.floor(r / cards[i]);
    }
  }
  return { logZ: max + Math.log(Z), marg, budget };
}

/** posterior P(x_i = k) from a latent summary (Bernoulli: p; Categorical: vector; Binomial: p over counts) */
function posteriorOf(
  latent: { family: string; params: Record<string, unknown> },
  card: number,
): number[] {
  const p = latent.params.p as number | number[];
  if (typeof p === 'number') return [1 - p, p];
  expect(p.length).toBe(card);
  return p;
}

describe('random Bayesian networks vs brute-force enumeration', () => {
  it('gives every marginal and the log evidence within the float32 error budget, by every method', async () => {
    await fc.assert(
      fc.asyncProperty(randomNet, async (net) => {
        const { source, data } = toSource(net);
        const bound = boundModel(source, data, 'bn.plato');
        expect(discreteApplicability(bound)).toEqual({ ok: true });
        const bf = bruteForce(net);
        // each term carries float32 rounding (relative 2^-23, also in the tables' inputs), and
        // the sum-product adds a few roundings of the result's own size
        const tol = 8 * EPS32 * (bf.budget + Math.abs(bf.logZ) + 1);
        for (const method of ['auto', 'enumerate', 'cliques'] as (Method | 'auto')[]) {
          const before = tf.memory().numTensors;
          const posterior = posteriorJson(
            (await runDiscreteWith(bound, { seed: 0 }, { method })).posterior,
          );
          expect(tf.memory().numTensors).toBe(before);
          expect(Math.abs((posterior.logEvidence as number) - bf.logZ)).toBeLessThan(tol);
          net.nodes.forEach((nd, i) => {
            const latent = posterior.latents[`x${i}`];
            if (net.evidence.has(i)) {
              expect(latent).toBeUndefined();
              return;
            }
            const p = posteriorOf(latent, nd.card);
            for (let k = 0; k < nd.card; k++)
              expect(Math.abs(p[k] - bf.marg[i][k])).toBeLessThan(tol);
          });
        }
      }),
      { seed: 42, numRuns: 30 },
    );
  });
});

// ------------------------------------------------------------------ Asia

describe('Asia (Lauritzen & Spiegelhalter 1988)', () => {
  const source = readFileSync(
    new URL('../../../examples/asia/asia.plato', import.meta.url),
    'utf8',
  );
  const model = compile(source, { filename: 'asia.plato' });
  // the same network as tables, for brute force (test/support/asia.ts)
  const names = ASIA_NAMES;
  const brute = asiaBrute;

  for (const evidence of [
    {},
    { xray: 1, dysp: 1 },
    { asia: 1, xray: 0, dysp: 1 },
    { either: 0, xray: 1 },
    { tub: 1, either: 1 },
  ]) {
    it(`matches brute force given ${JSON.stringify(evidence)} (logical OR with probabilities 0 and 1)`, async () => {
      const bound = bind(model.graph, evidence);
      const bf = brute(evidence as Record<string, number>);
      for (const method of ['auto', 'enumerate', 'cliques'] as (Method | 'auto')[]) {
        const before = tf.memory().numTensors;
        const posterior = posteriorJson(
          (await runDiscreteWith(bound, { seed: 0 }, { method })).posterior,
        );
        expect(tf.memory().numTensors).toBe(before);
        expect(Math.abs((posterior.logEvidence as number) - bf.logZ)).toBeLessThan(1e-5);
        for (const n of names) {
          if (n in evidence) continue;
          const l = posterior.latents[n];
          expect(l.family).toBe('Bernoulli');
          expect(Number.isNaN(l.mean)).toBe(false);
          expect(Math.abs((l.mean as number) - bf.m[n])).toBeLessThan(1e-5);
          const p = l.mean as number;
          expect(Math.abs((l.sd as number) - Math.sqrt(p * (1 - p)))).toBeLessThan(1e-12);
        }
      }
    });
  }

  it('refuses impossible evidence with a clear message (either = 0 but tub = 1)', async () => {
    const bound = bind(model.graph, { tub: 1, either: 0 });
    await expect(runDiscreteWith(bound, { seed: 0 })).rejects.toThrow(/probability zero/);
  });
});

// ------------------------------------------------------------------ plates and partial observation

describe('plates', () => {
  const source = `model mix {
  size N
  hyper q: real(0,1) = 0.3
  data T: real[3, 2]
  plate i in N {
    z[i] ~ Categorical([0.2, 0.5, 0.3])
    c[i] ~ Bernoulli(q)
    y[i] ~ Bernoulli(T[z[i], c[i]])
    v[i] ~ Normal(z[i] + 0.5 * c[i], 1)
  }
}`;
  const T = [
    [0.1, 0.7],
    [0.5, 0.2],
    [0.9, 0.4],
  ];
  const zp = [0.2, 0.5, 0.3];
  const normal = (x: number, m: number) => Math.exp(-0.5 * (x - m) ** 2) / Math.sqrt(2 * Math.PI);

  it('batches independent cases with Normal children and partially observed latents', async () => {
    const N = 7;
    const rand = lcg(5);
    const y = Array.from({ length: N }, () => (rand() < 0.5 ? 1 : 0));
    const v = Array.from({ length: N }, () => 2 * rand());
    // z observed for some cases, missing (null) for the others
    const z = Array.from({ length: N }, (_, i) => (i % 3 === 0 ? i % 2 : null));
    const bound = boundModel(source, { N, T, y, v, z }, 'mix.plato');
    expect(discreteApplicability(bound)).toEqual({ ok: true });
    let logZ = 0;
    const pz: number[][] = [];
    const pc: number[] = [];
    for (let i = 0; i < N; i++) {
      let Z = 0;
      const mz = [0, 0, 0];
      let mc = 0;
      for (let a = 0; a < 3; a++) {
        if (z[i] !== null && z[i] !== a) continue;
        for (let b = 0; b < 2; b++) {
          const w =
            zp[a] * (b ? 0.3 : 0.7) * (y[i] ? T[a][b] : 1 - T[a][b]) * normal(v[i], a + 0.5 * b);
          Z += w;
          mz[a] += w;
          if (b) mc += w;
        }
      }
      logZ += Math.log(Z);
      pz.push(mz.map((m) => m / Z));
      pc.push(mc / Z);
    }
    for (const method of ['auto', 'enumerate', 'cliques'] as (Method | 'auto')[]) {
      const before = tf.memory().numTensors;
      const run = await runDiscreteWith(bound, { seed: 0 }, { method });
      const { methods } = run;
      const posterior = posteriorJson(run.posterior);
      expect(tf.memory().numTensors).toBe(before);
      // every case is a separate component; they share one structure
      expect(methods.reduce((a, m) => a + m.copies, 0)).toBe(N);
      expect(methods.length).toBe(1);
      expect(Math.abs((posterior.logEvidence as number) - logZ)).toBeLessThan(1e-5 * N);
      const zl = posterior.latents.z;
      expect(zl.family).toBe('Categorical');
      expect(zl.shape).toEqual([N]);
      const zm = zl.mean as number[][];
      const zs = zl.sd as number[][];
      const cm = posterior.latents.c.mean as number[];
      for (let i = 0; i < N; i++) {
        for (let a = 0; a < 3; a++) {
          expect(Math.abs(zm[i][a] - pz[i][a])).toBeLessThan(1e-5);
          expect(Math.abs(zs[i][a] - Math.sqrt(pz[i][a] * (1 - pz[i][a])))).toBeLessThan(1e-6);
        }
        // an observed entry is reported as itself, with sd 0
        if (z[i] !== null) expect(zs[i].every((s) => s === 0)).toBe(true);
        expect(Math.abs(cm[i] - pc[i])).toBeLessThan(1e-5);
      }
    }
  });
});

describe('shared latents over many cases (conditioning on the hubs)', () => {
  // a latent class g shared by every case, a second shared switch h, and per-case causes
  const source = `model classes {
  size N
  data T: real[3, 2]
  g ~ Categorical([0.3, 0.5, 0.2])
  h ~ Bernoulli(0.4)
  plate i in N {
    z[i] ~ Bernoulli(T[g, h])
    y[i] ~ Bernoulli(0.1 + 0.7 * z[i] + 0.1 * h)
  }
}`;
  const T = [
    [0.2, 0.6],
    [0.5, 0.1],
    [0.8, 0.3],
  ];
  const pg = [0.3, 0.5, 0.2];

  it('matches the closed form for 3,000 cases, log evidence in float64 arithmetic', async () => {
    const N = 3000;
    const rand = lcg(9);
    const y = Array.from({ length: N }, () => (rand() < 0.45 ? 1 : 0));
    const bound = boundModel(source, { N, T, y }, 'classes.plato');
    // p(y | g, h) = prod_i sum_z p(z | g, h) p(y_i | z, h), in float64
    const lw: number[] = [];
    const post: number[][][] = [];
    for (let g = 0; g < 3; g++) {
      for (let h = 0; h < 2; h++) {
        let l = Math.log(pg[g]) + Math.log(h ? 0.4 : 0.6);
        const pz = T[g][h];
        const zPost: number[] = [];
        for (const yi of y) {
          const a = pz * (yi ? 0.8 + 0.1 * h : 0.2 - 0.1 * h);
          const b = (1 - pz) * (yi ? 0.1 + 0.1 * h : 0.9 - 0.1 * h);
          l += Math.log(a + b);
          zPost.push(a / (a + b));
        }
        lw.push(l);
        post.push([zPost]);
      }
    }
    const m = Math.max(...lw);
    const Z = lw.reduce((a, l) => a + Math.exp(l - m), 0);
    const logZ = m + Math.log(Z);
    const w = lw.map((l) => Math.exp(l - logZ));
    const before = tf.memory().numTensors;
    const run = await runDiscreteWith(bound, { seed: 0 });
    const { methods } = run;
    const posterior = posteriorJson(run.posterior);
    expect(tf.memory().numTensors).toBe(before);
    expect(methods).toEqual([{ method: 'conditioned', copies: 1, variables: N + 2 }]);
    // each case's terms carry float32 rounding of their own size (about 1), and they add up
    expect(Math.abs((posterior.logEvidence as number) - logZ)).toBeLessThan(
      8 * EPS32 * (N + Math.abs(logZ)),
    );
    const gm = posterior.latents.g.mean as number[];
    for (let g = 0; g < 3; g++)
      expect(Math.abs(gm[g] - (w[2 * g] + w[2 * g + 1]))).toBeLessThan(1e-4);
    expect(Math.abs((posterior.latents.h.mean as number) - (w[1] + w[3] + w[5]))).toBeLessThan(
      1e-4,
    );
    const zm = posterior.latents.z.mean as number[];
    for (const i of [0, 1, 17, N - 1]) {
      const exact = w.reduce((a, wk, k) => a + wk * post[k][0][i], 0);
      expect(Math.abs(zm[i] - exact)).toBeLessThan(1e-5);
    }
  });
});

describe('random hub networks vs brute force (conditioning with several part structures)', () => {
  interface Item {
    /** card of a, and whether b exists */
    ca: number;
    withB: boolean;
    /** which hubs a reads (subset of 0, 1) */
    hubs: number[];
    /** p(a | hubs) rows; p(b = 1 | a, hub0); p(y = 1 | a, b) */
    pa: number[][];
    pb: number[][];
    py: number[][];
    y: number;
  }
  const hubNet = fc
    .record({ items: fc.integer({ min: 30, max: 45 }), seed: fc.integer({ min: 1, max: 2 ** 30 }) })
    .map(({ items, seed }) => {
      const rand = lcg(seed);
      const prob = () => Math.round((0.05 + 0.9 * rand()) * 1000) / 1000;
      const list: Item[] = Array.from({ length: items }, () => {
        const ca = rand() < 0.5 ? 2 : 3;
        const hubs = [0, 1].filter(() => rand() < 0.6);
        const rows = hubs.reduce((a, h) => a * (h === 0 ? 3 : 2), 1);
        const pa = Array.from({ length: rows }, () => {
          const w = Array.from({ length: ca }, () => 0.1 + rand());
          const z = w.reduce((a, b) => a + b, 0);
          return w.map((x) => x / z);
        });
        const pb = Array.from({ length: ca }, () => [prob(), prob(), prob()]);
        const py = Array.from({ length: ca }, () => [prob(), prob()]);
        return { ca, withB: rand() < 0.5, hubs, pa, pb, py, y: rand() < 0.5 ? 1 : 0 };
      });
      return list;
    });
  const ph0 = [0.2, 0.5, 0.3];
  const ph1 = 0.35;

  function source(items: Item[]): { src: string; data: Record<string, unknown> } {
    const lines = ['model hubs {', '  h0 ~ Categorical([0.2, 0.5, 0.3])', '  h1 ~ Bernoulli(0.35)'];
    const data: Record<string, unknown> = {};
    items.forEach((it, i) => {
      const idx = it.hubs.length ? `[${it.hubs.map((h) => `h${h}`).join(', ')}]` : '';
      const shape = it.hubs.map((h) => (h === 0 ? 3 : 2));
      lines.push(`  data A${i}: real[${[...shape, it.ca].join(', ')}]`);
      // nest the rows of pa to the table's shape
      data[`A${i}`] =
        shape.length === 0
          ? it.pa[0]
          : shape.length === 1
            ? it.pa
            : [0, 1, 2].map((r) => [it.pa[2 * r], it.pa[2 * r + 1]]);
      lines.push(`  a${i} ~ Categorical(A${i}${idx})`);
      lines.push(`  data PY${i}: real[${it.ca}, 2]`);
      data[`PY${i}`] = it.py;
      if (it.withB) {
        lines.push(`  data PB${i}: real[${it.ca}, 3]`);
        data[`PB${i}`] = it.pb;
        lines.push(`  b${i} ~ Bernoulli(PB${i}[a${i}, h0])`);
        lines.push(`  y${i} ~ Bernoulli(PY${i}[a${i}, b${i}])`);
      } else {
        lines.push(`  y${i} ~ Bernoulli(PY${i}[a${i}, 0])`);
      }
      data[`y${i}`] = it.y;
    });
    lines.push('}');
    return { src: lines.join('\n'), data };
  }

  function brute(items: Item[]) {
    const lw: number[] = [];
    const local: { a: number[]; b: number }[][] = [];
    for (let h0 = 0; h0 < 3; h0++) {
      for (let h1 = 0; h1 < 2; h1++) {
        let l = Math.log(ph0[h0]) + Math.log(h1 ? ph1 : 1 - ph1);
        const per = items.map((it) => {
          const row =
            it.hubs.length === 0
              ? 0
              : it.hubs.length === 2
                ? h0 * 2 + h1
                : it.hubs[0] === 0
                  ? h0
                  : h1;
          const a = new Array<number>(it.ca).fill(0);
          let b = 0;
          let z = 0;
          for (let av = 0; av < it.ca; av++) {
            for (let bv = 0; bv < (it.withB ? 2 : 1); bv++) {
              const pb = it.withB ? (bv ? it.pb[av][h0] : 1 - it.pb[av][h0]) : 1;
              const py = it.py[av][it.withB ? bv : 0];
              const w = it.pa[row][av] * pb * (it.y ? py : 1 - py);
              z += w;
              a[av] += w;
              if (bv) b += w;
            }
          }
          l += Math.log(z);
          return { a: a.map((x) => x / z), b: b / z };
        });
        lw.push(l);
        local.push(per);
      }
    }
    const m = Math.max(...lw);
    const logZ = m + Math.log(lw.reduce((acc, l) => acc + Math.exp(l - m), 0));
    const w = lw.map((l) => Math.exp(l - logZ));
    return { logZ, w, local };
  }

  it('gives log Z and every marginal', async () => {
    await fc.assert(
      fc.asyncProperty(hubNet, async (items) => {
        const { src, data } = source(items);
        const bound = boundModel(src, data, 'hubs.plato');
        const bf = brute(items);
        const before = tf.memory().numTensors;
        const run = await runDiscreteWith(bound, { seed: 0 });
        const { methods } = run;
        const posterior = posteriorJson(run.posterior);
        expect(tf.memory().numTensors).toBe(before);
        // items that read no hub are components of their own
        expect(methods[0].method).toBe('conditioned');
        const tol = 8 * EPS32 * (items.length * 4 + Math.abs(bf.logZ));
        expect(Math.abs((posterior.logEvidence as number) - bf.logZ)).toBeLessThan(tol);
        const h0 = posterior.latents.h0.mean as number[];
        for (let g = 0; g < 3; g++)
          expect(Math.abs(h0[g] - (bf.w[2 * g] + bf.w[2 * g + 1]))).toBeLessThan(tol);
        expect(
          Math.abs((posterior.latents.h1.mean as number) - (bf.w[1] + bf.w[3] + bf.w[5])),
        ).toBeLessThan(tol);
        items.forEach((it, i) => {
          const a = posterior.latents[`a${i}`].mean as number[];
          for (let av = 0; av < it.ca; av++) {
            const exact = bf.w.reduce((acc, wk, k) => acc + wk * bf.local[k][i].a[av], 0);
            expect(Math.abs(a[av] - exact)).toBeLessThan(tol);
          }
          if (it.withB) {
            const exact = bf.w.reduce((acc, wk, k) => acc + wk * bf.local[k][i].b, 0);
            expect(Math.abs((posterior.latents[`b${i}`].mean as number) - exact)).toBeLessThan(tol);
          }
        });
      }),
      { seed: 42, numRuns: 12 },
    );
  });
});

// ------------------------------------------------------------------ refusals

describe('refusals name the node, its line and the reason', () => {
  const cases: {
    name: string;
    source: string;
    data: DataInput;
    node: string;
    line: number;
    message: RegExp;
  }[] = [
    {
      name: 'a continuous latent',
      source:
        'model m {\n  size N\n  lambda ~ Gamma(1, 1)\n  plate i in N {\n    y[i] ~ Poisson(lambda)\n  }\n}',
      data: { y: [1, 2, 3] },
      node: 'lambda',
      line: 3,
      message: /^lambda has a Gamma prior: exact discrete inference needs finite support/,
    },
    {
      name: 'a latent with infinite discrete support',
      source: 'model m {\n  k ~ Poisson(3)\n  y ~ Normal(k, 1)\n}',
      data: { y: 2.5 },
      node: 'k',
      line: 2,
      message: /^k has a Poisson prior: .*infinitely many values/,
    },
    {
      name: 'a Multinomial latent',
      source: 'model m {\n  c ~ Multinomial(3, [0.2, 0.3, 0.5])\n  y ~ Normal(c[0], 1)\n}',
      data: { y: 1 },
      node: 'c',
      line: 2,
      message: /Multinomial/,
    },
    {
      name: 'a param without a value',
      source:
        'model m {\n  size K\n  param w: real[K]\n  plate k in K {\n    d[k] ~ Bernoulli(0.5)\n  }\n  y ~ Normal(dot(w, d), 1)\n}',
      data: { K: 3, y: 1 },
      node: 'w',
      line: 3,
      message: /param w has no value/,
    },
    {
      name: 'a factor over too many variables',
      source:
        'model m {\n  size K\n  plate k in K {\n    d[k] ~ Bernoulli(0.5)\n  }\n  y ~ Normal(sum(d), 1)\n}',
      data: { K: 30, y: 3 },
      node: 'y',
      line: 6,
      message: /reads 30 elements of d: 2\^30\.0 joint states/,
    },
    {
      name: 'a Binomial whose number of trials is latent',
      source:
        'model m {\n  k ~ Categorical([0.5, 0.5])\n  x ~ Binomial(k + 1, 0.5)\n  y ~ Normal(x, 1)\n}',
      data: { y: 1 },
      node: 'x',
      line: 3,
      message: /number of trials depends on a latent/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const bound = boundModel(c.source, c.data, 'm.plato');
      const app = discreteApplicability(bound);
      expect(app.ok).toBe(false);
      if (app.ok) return;
      const r = app.reasons.find((x) => x.node === c.node);
      expect(r, JSON.stringify(app.reasons)).toBeDefined();
      expect(r?.line).toBe(c.line);
      expect(r?.message).toMatch(c.message);
    });
  }

  it('runDiscrete refuses with the same reasons', async () => {
    const bound = boundModel(cases[0].source, cases[0].data, 'm.plato');
    await expect(runDiscreteWith(bound, { seed: 0 })).rejects.toThrow(/lambda has a Gamma prior/);
  });
});
