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
// and the parts are found in cutset.ts (tensor-free: applicability reads them); solve.ts builds the parts' tables from
// the node tables, batched, and combines the results.
import * as tf from '@tensorflow/tfjs';
import { prod } from '../../util/shape.js';
import { calibrate, smallestClique, subStateMap } from './calibrate.js';
import { enumerateJoint } from './enumerate.js';
import { type CliqueTree, cliqueTree } from './order.js';
import { type LogTable, permute, stateMap } from './table.js';

export { chooseCutset, type Part, type PartGroup, type Partition, partition } from './cutset.js';

export interface Solved {
  /** log Z per copy */
  readonly logZ: Float64Array;
  /** per variable: [copies × card] posterior probabilities */
  readonly marginals: Float64Array[];
  /**
   * per factor of `TableProblem.beliefs` (same order): the posterior of its scope, as the
   * calibrated belief of a clique containing it; undefined when the method gives none
   * (enumeration)
   */
  readonly beliefs?: FactorBelief[];
}

/**
 * P(S | evidence) of a factor's scope S for every copy, given as the normalised belief of a
 * clique containing S: copy j's probability of factor state x is the sum of
 * `clique[j · states + s]` over the clique states s with `map[s] = x`.
 */
export interface FactorBelief {
  /** [copies × states] (shared by the factors read off the same clique) */
  readonly clique: Float32Array;
  readonly states: number;
  /** clique state → state of the factor's table (row-major over its variables) */
  readonly map: Int32Array;
  readonly factorStates: number;
}

export interface TableProblem {
  readonly cards: readonly number[];
  /** the factors, batched: [copies, states of the scope] */
  readonly tables: readonly LogTable[];
  readonly copies: number;
  readonly method: 'enumerate' | 'cliques';
  readonly tree?: CliqueTree;
  /** factors (with distinct variables) whose posterior over their scope is wanted (cliques only) */
  readonly beliefs?: readonly number[];
}

/** Table entries per batched chunk of copies. */
const CHUNK_ENTRIES = 1 << 23;

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
  // the cliques the asked-for factor beliefs are read from: the smallest containing each scope
  const wanted = tree ? (p.beliefs ?? []) : [];
  const cliqueOf = wanted.map((f) => (tree ? smallestClique(tree, tables[f].vars) : -1));
  if (cliqueOf.some((ci) => ci < 0)) throw new Error('internal: a factor in no clique');
  const cliques = [...new Set(cliqueOf)];
  const cliqueData = cliques.map(
    (ci) => new Float32Array(copies * prod((tree as CliqueTree).cliques[ci].cards)),
  );
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
        const r = calibrate(tree, ts, C, cliques);
        logZ.set(r.logZ.dataSync(), c0);
        r.marginals.forEach((m, v) => {
          marginals[v].set(m.dataSync(), c0 * cards[v]);
        });
        r.beliefs.forEach((b, j) => {
          cliqueData[j].set(b.dataSync(), c0 * b.shape[1]);
        });
        r.logZ.dispose();
        for (const m of r.marginals) m.dispose();
        for (const b of r.beliefs) b.dispose();
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
  if (!tree) return { logZ, marginals };
  const beliefs = wanted.map((f, q): FactorBelief => {
    const c = tree.cliques[cliqueOf[q]];
    return {
      clique: cliqueData[cliques.indexOf(cliqueOf[q])],
      states: prod(c.cards),
      map: subStateMap(c.scope, c.cards, tables[f].vars),
      factorStates: tables[f].t.shape[1],
    };
  });
  return { logZ, marginals, beliefs };
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
