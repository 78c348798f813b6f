// Differential test of exact discrete inference (issue 7, Tests): random discrete networks —
// Bernoulli, Categorical and Binomial nodes with conditional probability tables, some rows
// near-deterministic (1e-6 from 0 or 1), global nodes and a plate of cases, each node observed,
// latent or observed with nulls, and sometimes a Normal leaf under the discrete nodes — through
// the public infer() against a brute-force float64 enumeration of every joint state written here.
// Tolerances (issue 7): 1e-4 on marginals, max(1e-4 |log Z|, 1e-3) on the log evidence.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, infer } from '../../../src/index.js';
import { posteriorJson } from '../../../src/report/json.js';
import { prng } from '../../support/prng.js';

type Family = 'Bernoulli' | 'Categorical' | 'Binomial' | 'Normal';

interface NodeSpec {
  name: string;
  family: Family;
  /** number of states (Binomial: n + 1); Normal: 0 */
  card: number;
  plated: boolean;
  parents: number[];
  /** CPT: one row of state probabilities (float64) per joint parent state, row-major; Normal: means */
  table: number[][];
  /** per entry (N of them if plated, else 1): observed value, or null */
  values: (number | null)[] | undefined;
}

const BINOMIAL_N = 2;

function randomNetwork(seed: number): { nodes: NodeSpec[]; N: number } {
  const r = prng(seed);
  const N = 1 + Math.floor(r() * 3);
  const count = 2 + Math.floor(r() * 3);
  const nodes: NodeSpec[] = [];
  const prob = (): number => {
    const u = r();
    // near-deterministic rows are common in real networks
    if (u < 0.15) return 1e-6;
    if (u < 0.3) return 1 - 1e-6;
    return 0.05 + 0.9 * r();
  };
  for (let v = 0; v < count; v++) {
    const u = r();
    const family: Family = u < 0.5 ? 'Bernoulli' : u < 0.75 ? 'Categorical' : 'Binomial';
    const card = family === 'Bernoulli' ? 2 : family === 'Categorical' ? 3 : BINOMIAL_N + 1;
    // a global node may only have global parents; a plated node reads either
    const plated = v > 0 && r() < 0.7;
    const candidates = nodes.map((_, i) => i).filter((i) => plated || !nodes[i].plated);
    const parents = candidates.filter(() => r() < 0.5).slice(0, 2);
    nodes.push({ name: `v${v}`, family, card, plated, parents, table: [], values: undefined });
  }
  // a Normal leaf under the discrete nodes, sometimes
  if (r() < 0.5) {
    const parents = nodes
      .map((_, i) => i)
      .filter(() => r() < 0.5)
      .slice(0, 2);
    nodes.push({
      name: 'y',
      family: 'Normal',
      card: 0,
      plated: true,
      parents,
      table: [],
      values: undefined,
    });
  }
  for (const n of nodes) {
    const rows = n.parents.reduce((a, p) => a * nodes[p].card, 1);
    n.table = Array.from({ length: rows }, () => {
      if (n.family === 'Normal') return [4 * r() - 2];
      if (n.family === 'Bernoulli' || n.family === 'Binomial') return [prob()];
      const w = [prob(), prob(), prob()];
      const s = w.reduce((a, b) => a + b, 0);
      return w.map((x) => x / s);
    });
  }
  // observations: drawn from the model (every row is at least 1e-6 from 0 and 1, so any value
  // has positive probability)
  const draws = Array.from({ length: N }, () => new Array<number>(nodes.length).fill(0));
  const globals = new Array<number>(nodes.length).fill(0);
  for (let i = 0; i < N; i++) {
    nodes.forEach((n, v) => {
      if (!n.plated && i > 0) {
        draws[i][v] = globals[v];
        return;
      }
      const row = n.table[rowOf(nodes, n, (p) => draws[i][p])];
      let x: number;
      if (n.family === 'Normal') x = Math.round((row[0] + 2 * r() - 1) * 1000) / 1000;
      else if (n.family === 'Categorical') {
        const u = r();
        x = u < row[0] ? 0 : u < row[0] + row[1] ? 1 : 2;
      } else {
        x = 0;
        const trials = n.family === 'Binomial' ? BINOMIAL_N : 1;
        for (let t = 0; t < trials; t++) if (r() < row[0]) x++;
      }
      // sometimes an unlikely value: near-deterministic rows then meet their rare side
      if (n.family !== 'Normal' && r() < 0.2) x = Math.floor(r() * n.card);
      draws[i][v] = x;
      if (!n.plated) globals[v] = x;
    });
  }
  for (const [v, n] of nodes.entries()) {
    const u = r();
    if (u < 0.35) continue; // latent
    const len = n.plated ? N : 1;
    n.values = Array.from({ length: len }, (_, i) => (u < 0.65 && r() < 0.5 ? null : draws[i][v]));
  }
  return { nodes, N };
}

/** the CPT row of node n given its parents' values */
function rowOf(nodes: NodeSpec[], n: NodeSpec, value: (p: number) => number): number {
  return n.parents.reduce((a, p) => a * nodes[p].card + value(p), 0);
}

function source(nodes: NodeSpec[]): string {
  const lines = ['model network {', '  size N'];
  for (const n of nodes) {
    const dims = [
      ...n.parents.map((p) => nodes[p].card),
      ...(n.family === 'Categorical' ? [3] : []),
    ];
    lines.push(`  hyper T${n.name}: real${dims.length ? `[${dims.join(', ')}]` : ''}`);
  }
  const expr = (n: NodeSpec): string => {
    const idx = n.parents.map((p) => (nodes[p].plated ? `${nodes[p].name}[i]` : nodes[p].name));
    const arg = idx.length ? `T${n.name}[${idx.join(', ')}]` : `T${n.name}`;
    if (n.family === 'Binomial') return `Binomial(${BINOMIAL_N}, ${arg})`;
    if (n.family === 'Normal') return `Normal(${arg}, 1)`;
    return `${n.family}(${arg})`;
  };
  for (const n of nodes) if (!n.plated) lines.push(`  ${n.name} ~ ${expr(n)}`);
  lines.push('  plate i in N {');
  for (const n of nodes) if (n.plated) lines.push(`    ${n.name}[i] ~ ${expr(n)}`);
  lines.push('  }', '}');
  return lines.join('\n');
}

/** nested hyper value of a CPT: parents' axes, then the state axis of a Categorical */
function nestTable(nodes: NodeSpec[], n: NodeSpec): unknown {
  const dims = n.parents.map((p) => nodes[p].card);
  const leaf = (row: number[]) => (n.family === 'Categorical' ? row : row[0]);
  const build = (depth: number, offset: number): unknown => {
    if (depth === dims.length) return leaf(n.table[offset]);
    return Array.from({ length: dims[depth] }, (_, k) =>
      build(depth + 1, offset * dims[depth] + k),
    );
  };
  return build(0, 0);
}

function logBinomial(n: number, x: number): number {
  let c = 1;
  for (let k = 0; k < x; k++) c = (c * (n - k)) / (k + 1);
  return Math.log(c);
}

interface Reference {
  logZ: number;
  /** per node, per entry: P(state) (discrete) or [mean, sd] (Normal) */
  marginals: Map<string, number[][]>;
}

/** float64 brute force over every joint state of the unobserved entries */
function bruteForce(nodes: NodeSpec[], N: number): Reference {
  const entries: { v: number; i: number }[] = [];
  nodes.forEach((n, v) => {
    if (n.family === 'Normal') return; // a missing Normal entry integrates to 1
    const len = n.plated ? N : 1;
    for (let i = 0; i < len; i++) if (!n.values || n.values[i] === null) entries.push({ v, i });
  });
  const cards = entries.map((e) => nodes[e.v].card);
  const total = cards.reduce((a, c) => a * c, 1);
  const value = nodes.map((n) => new Array<number>(n.plated ? N : 1).fill(0));
  nodes.forEach((n, v) => {
    n.values?.forEach((x, i) => {
      if (x !== null) value[v][i] = x;
    });
  });
  const at = (v: number, i: number) => value[v][nodes[v].plated ? i : 0];
  const logw = new Float64Array(total);
  let max = Number.NEGATIVE_INFINITY;
  for (let s = 0; s < total; s++) {
    let rest = s;
    for (let k = entries.length - 1; k >= 0; k--) {
      value[entries[k].v][entries[k].i] = rest % cards[k];
      rest = Math.floor(rest / cards[k]);
    }
    let lw = 0;
    nodes.forEach((n, v) => {
      const len = n.plated ? N : 1;
      for (let i = 0; i < len; i++) {
        if (n.family === 'Normal' && (!n.values || n.values[i] === null)) continue;
        const row = n.table[rowOf(nodes, n, (p) => at(p, i))];
        const x = at(v, i);
        if (n.family === 'Normal') lw += -0.5 * Math.log(2 * Math.PI) - 0.5 * (x - row[0]) ** 2;
        else if (n.family === 'Categorical') lw += Math.log(row[x]);
        else {
          const trials = n.family === 'Binomial' ? BINOMIAL_N : 1;
          lw += logBinomial(trials, x) + x * Math.log(row[0]) + (trials - x) * Math.log1p(-row[0]);
        }
      }
    });
    logw[s] = lw;
    max = Math.max(max, lw);
  }
  let Z = 0;
  const marginals = new Map<string, number[][]>();
  nodes.forEach((n) => {
    const len = n.plated ? N : 1;
    marginals.set(
      n.name,
      Array.from({ length: len }, () =>
        new Array<number>(n.family === 'Normal' ? 3 : n.card).fill(0),
      ),
    );
  });
  for (let s = 0; s < total; s++) {
    const w = Math.exp(logw[s] - max);
    Z += w;
    let rest = s;
    for (let k = entries.length - 1; k >= 0; k--) {
      value[entries[k].v][entries[k].i] = rest % cards[k];
      rest = Math.floor(rest / cards[k]);
    }
    nodes.forEach((n, v) => {
      const m = marginals.get(n.name) as number[][];
      for (let i = 0; i < m.length; i++) {
        if (n.family !== 'Normal') {
          m[i][at(v, i)] += w;
          continue;
        }
        // a Normal entry: E[y] and E[y²] under this state (1 + mean² when missing)
        const mu = n.table[rowOf(nodes, n, (p) => at(p, i))][0];
        m[i][0] += w * mu;
        m[i][1] += w * (1 + mu * mu);
      }
    });
  }
  for (const [name, m] of marginals) {
    const n = nodes.find((x) => x.name === name) as NodeSpec;
    m.forEach((row, i) => {
      if (n.family !== 'Normal') {
        for (let k = 0; k < row.length; k++) row[k] /= Z;
        return;
      }
      const mean = row[0] / Z;
      const sd = Math.sqrt(Math.max(0, row[1] / Z - mean * mean));
      const obs = n.values?.[i];
      m[i] = obs === null || obs === undefined ? [mean, sd] : [obs, 0];
    });
  }
  return { logZ: max + Math.log(Z), marginals };
}

/** entry i of a reported value: a plated node's is indexed, a global node's is the value */
const entry = (x: unknown, plated: boolean, i: number): unknown =>
  plated ? (x as unknown[])[i] : x;

describe('exact discrete inference against float64 brute force', () => {
  it('random networks: log evidence and every marginal and predictive', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const { nodes, N } = randomNetwork(seed);
        // networks the discrete half answers: some unobserved discrete entry has an unobserved
        // parent (else every latent has known arguments, the closed-form half's case)
        const open = (n: NodeSpec) => n.family !== 'Normal' && !n.values?.every((x) => x !== null);
        fc.pre(nodes.some((n) => open(n) && n.parents.some((p) => open(nodes[p]))));
        const src = source(nodes);
        const data: Record<string, unknown> = { N };
        for (const n of nodes) {
          data[`T${n.name}`] = nestTable(nodes, n);
          if (n.values) data[n.name] = n.plated ? n.values : n.values[0];
        }
        const ref = bruteForce(nodes, N);
        const before = tf.memory().numTensors;
        const post = posteriorJson(
          await infer(compile(src, { filename: 'net.plato' }), { data, engine: 'exact' }),
        );
        expect(tf.memory().numTensors, `${src}\n${JSON.stringify(data)}`).toBe(before);
        const logZ = post.logEvidence as number;
        const tolZ = Math.max(1e-4 * Math.abs(ref.logZ), 1e-3);
        expect(Math.abs(logZ - ref.logZ), `${src}\n${JSON.stringify(data)}`).toBeLessThan(tolZ);
        for (const n of nodes) {
          const len = n.plated ? N : 1;
          const want = ref.marginals.get(n.name) as number[][];
          const fullyObserved = n.values?.every((x) => x !== null) ?? false;
          const got = post.latents[n.name];
          if (fullyObserved) {
            expect(got).toBeUndefined();
            continue;
          }
          expect(
            got,
            `${n.name} is reported in\n${src}\n${JSON.stringify(data)}\n${JSON.stringify(post.latents)}`,
          ).toBeDefined();
          for (let i = 0; i < len; i++) {
            const at = `${n.name}[${i}] in\n${src}\n${JSON.stringify(data)}`;
            if (n.family === 'Normal') {
              const mean = entry(got.mean, n.plated, i) as number;
              const sd = entry(got.sd, n.plated, i) as number;
              expect(Math.abs(mean - want[i][0]), at).toBeLessThan(
                1e-4 * (1 + Math.abs(want[i][0])),
              );
              expect(Math.abs(sd - want[i][1]), at).toBeLessThan(1e-4 * (1 + want[i][1]));
            } else if (n.family === 'Bernoulli') {
              const p = entry(got.mean, n.plated, i) as number;
              expect(Math.abs(p - want[i][1]), at).toBeLessThan(1e-4);
            } else {
              const p = entry(got.params.p, n.plated, i) as number[];
              p.forEach((x, k) => {
                expect(Math.abs(x - want[i][k]), at).toBeLessThan(1e-4);
              });
            }
          }
        }
      }),
      { seed: 7, numRuns: 100 },
    );
  }, 300_000);
});
