// The generic exact methods on batched tables: enumeration or clique-tree calibration, and
// conditioning on a small cutset (Pearl 1986) when a few hub variables join many small parts.
//
// Conditioning: with the hubs X (e.g. one latent shared by 10,000 cases) fixed, the rest falls
// apart into small components, most of them identical. Every state x of X becomes one more
// batch copy: the parts are solved batched over (instance, copy, x), and the results are
// combined in float64,
//   log Z = log Σ_x exp( f_X(x) + Σ_parts log Z_part(x) ),
//   P(x) ∝ exp(…),   P(v) = Σ_x P(x) P(v | x).
// One shared latent over N cases thus costs one batched solve of N·|X| tiny components instead
// of a clique tree of N cliques, and the sum over the cases is float64 arithmetic. The cutset
// and the parts are found here (chooseCutset, partition); solve.ts builds the parts' tables from
// the node tables, batched, and combines the results.
import * as tf from '@tensorflow/tfjs';
import { prod } from '../../util/shape.js';
import { calibrate } from './calibrate.js';
import { enumerateJoint } from './enumerate.js';
import { type CliqueTree, cliqueTree } from './order.js';
import { type LogTable, permute, stateMap } from './table.js';

export interface Solved {
  /** log Z per copy */
  readonly logZ: Float64Array;
  /** per variable: [copies × card] posterior probabilities */
  readonly marginals: Float64Array[];
}

export interface TableProblem {
  readonly cards: readonly number[];
  /** the factors, batched: [copies, states of the scope] */
  readonly tables: readonly LogTable[];
  readonly copies: number;
  readonly method: 'enumerate' | 'cliques';
  readonly tree?: CliqueTree;
}

/** Table entries per batched chunk of copies. */
const CHUNK_ENTRIES = 1 << 23;
/** Conditioning is tried on components with at least this many variables… */
const CONDITION_MIN_VARS = 32;
/** …on variables with at least this many neighbours, up to this many joint cutset states. */
const HUB_DEGREE = 8;
const MAX_CUTSET_STATES = 1 << 10;

/** Solve a batch of identical components given as tables. The tables are read, not disposed. */
export function solveTables(p: TableProblem): Solved {
  const { cards, tables, copies } = p;
  const tree =
    p.method === 'cliques'
      ? (p.tree ??
        cliqueTree(
          cards,
          tables.map((t) => t.vars),
        ))
      : undefined;
  const factorStates = tables.reduce((a, t) => a + t.t.shape[1], 0);
  const work = tree
    ? 4 * tree.cliques.reduce((a, c) => a + prod(c.cards), 0)
    : Math.min(prod(cards), 1 << 16);
  const chunk = Math.max(1, Math.floor(CHUNK_ENTRIES / (factorStates + work)));
  const logZ = new Float64Array(copies);
  const marginals = cards.map((c) => new Float64Array(copies * c));
  for (let c0 = 0; c0 < copies; c0 += chunk) {
    const C = Math.min(chunk, copies - c0);
    const ts =
      C === copies
        ? tables
        : tables.map((t) => ({
            ...t,
            t: tf.slice(t.t, [c0, 0], [C, t.t.shape[1]]) as tf.Tensor2D,
          }));
    try {
      if (tree) {
        const r = calibrate(tree, ts, C);
        logZ.set(r.logZ.dataSync(), c0);
        r.marginals.forEach((m, v) => {
          marginals[v].set(m.dataSync(), c0 * cards[v]);
        });
        r.logZ.dispose();
        for (const m of r.marginals) m.dispose();
      } else {
        const r = enumerateJoint(cards, ts, C);
        logZ.set(r.logZ, c0);
        r.marginals.forEach((m, v) => {
          marginals[v].set(m, c0 * cards[v]);
        });
      }
    } finally {
      if (ts !== tables) for (const t of ts) t.t.dispose();
    }
  }
  return { logZ, marginals };
}

/**
 * Hubs whose removal splits a component into several parts no larger than half of it, for
 * components of at least CONDITION_MIN_VARS variables; undefined when there are none.
 */
export function chooseCutset(
  cards: readonly number[],
  scopes: readonly (readonly number[])[],
): number[] | undefined {
  if (cards.length < CONDITION_MIN_VARS) return undefined;
  const n = cards.length;
  const adj = Array.from({ length: n }, () => new Set<number>());
  for (const s of scopes) for (const a of s) for (const b of s) if (a !== b) adj[a].add(b);
  const byDegree = [...adj.keys()].sort((a, b) => adj[b].size - adj[a].size);
  const cut: number[] = [];
  let states = 1;
  for (const v of byDegree) {
    if (adj[v].size < HUB_DEGREE || states * cards[v] > MAX_CUTSET_STATES) return undefined;
    cut.push(v);
    states *= cards[v];
    const parts = components(n, scopes, new Set(cut));
    if (parts.count >= 4 && parts.largest <= n / 2) return cut;
  }
  return undefined;
}

function components(
  n: number,
  scopes: readonly (readonly number[])[],
  cut: ReadonlySet<number>,
): { comp: Int32Array; count: number; largest: number } {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (const s of scopes) {
    let first = -1;
    for (const v of s) {
      if (cut.has(v)) continue;
      if (first < 0) first = v;
      else parent[find(v)] = find(first);
    }
  }
  const id = new Int32Array(n).fill(-1);
  const size: number[] = [];
  const comp = new Int32Array(n).fill(-1);
  for (let v = 0; v < n; v++) {
    if (cut.has(v)) continue;
    const r = find(v);
    if (id[r] < 0) {
      id[r] = size.length;
      size.push(0);
    }
    comp[v] = id[r];
    size[id[r]]++;
  }
  return { comp, count: size.length, largest: Math.max(0, ...size) };
}

/** One part of a conditioned component: template variables and factors (local to the group). */
export interface Part {
  /** template variables of the part, in order of first appearance (the part's local ids) */
  readonly vars: number[];
  /** template factor indices, in template order */
  readonly factors: number[];
}

/** Parts with the same structure, reading the same cutset variables at the same places. */
export interface PartGroup {
  readonly cards: number[];
  /** per factor position: the part-local scope of the factor's non-cutset variables */
  readonly scopes: number[][];
  readonly parts: Part[];
}

export interface Partition {
  readonly cut: readonly number[];
  readonly cutCards: readonly number[];
  /** template factors that read only cutset variables */
  readonly cutFactors: number[];
  readonly groups: PartGroup[];
}

/**
 * Split a component template at the cutset: `scopes[f]` are the template factors' scopes and
 * `nodeOf[f]`/`slotsOf[f]` what makes two factors' tables alike.
 */
export function partition(
  cards: readonly number[],
  scopes: readonly (readonly number[])[],
  kindOf: (f: number) => string,
  cut: readonly number[],
): Partition {
  const cutSet = new Set(cut);
  const { comp, count } = components(cards.length, scopes, cutSet);
  const cutFactors: number[] = [];
  const parts: Part[] = Array.from({ length: count }, () => ({ vars: [], factors: [] }));
  scopes.forEach((scope, f) => {
    const rest = scope.filter((v) => !cutSet.has(v));
    if (rest.length === 0) cutFactors.push(f);
    else parts[comp[rest[0]]].factors.push(f);
  });
  const groups = new Map<string, PartGroup>();
  for (const part of parts) {
    const local = new Map<number, number>();
    const partScopes: number[][] = [];
    const key: string[] = [];
    for (const f of part.factors) {
      const places = scopes[f].map((v) => {
        if (cutSet.has(v)) return `x${cut.indexOf(v)}`;
        if (!local.has(v)) {
          local.set(v, part.vars.length);
          part.vars.push(v);
        }
        return `${local.get(v)}`;
      });
      partScopes.push(scopes[f].filter((v) => !cutSet.has(v)).map((v) => local.get(v) as number));
      key.push(`${kindOf(f)}:${places.join(',')}`);
    }
    const k = `${part.vars.map((v) => cards[v]).join(',')}#${key.join(';')}`;
    const g = groups.get(k);
    if (g) g.parts.push(part);
    else
      groups.set(k, { cards: part.vars.map((v) => cards[v]), scopes: partScopes, parts: [part] });
  }
  return { cut, cutCards: cut.map((v) => cards[v]), cutFactors, groups: [...groups.values()] };
}

/** A factor with the cutset fixed to each of its joint states: [B·R, states of the rest]. */
export function conditionTable(
  table: LogTable,
  cut: readonly number[],
  cutCards: readonly number[],
  cutSet: ReadonlySet<number>,
): tf.Tensor {
  const B = table.t.shape[0];
  const R = prod(cutCards);
  const fx = cut.filter((v) => table.vars.includes(v));
  const fr = table.vars.filter((v) => !cutSet.has(v));
  const p = permute(table, [...fx, ...fr]);
  const sx = prod(fx.map((v) => cards(table, v)));
  const sr = prod(fr.map((v) => cards(table, v)));
  let t: tf.Tensor = tf.reshape(p.t, [B, sx, sr]);
  t =
    fx.length === 0
      ? tf.tile(t, [1, R, 1])
      : tf.gather(
          t,
          stateMap(
            fx,
            fx.map((v) => cards(table, v)),
            cut,
            cutCards,
          ),
          1,
        );
  p.t.dispose();
  return tf.reshape(t, [B * R, sr]);
}

function cards(table: LogTable, v: number): number {
  return table.cards[table.vars.indexOf(v)];
}
