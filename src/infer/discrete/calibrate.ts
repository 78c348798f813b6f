// Two-pass (Hugin) calibration of a clique tree in log space, batched over copies
// (Lauritzen & Spiegelhalter 1988; Koller & Friedman 2009, §10.3). The upward pass is variable
// elimination; the downward pass hands every clique its outside message, so one pass in each
// direction gives log Z and the posterior marginal of every variable. The calibrated belief of a
// clique is P(its scope, evidence), so the posterior over the scope of any factor it contains
// is one marginalisation away: that is how a missing leaf's predictive,
// P(x | evidence) = Σ_s P(S = s | evidence) p(x | s), is read off in the same pass (leaves.ts).

import * as tf from '@tensorflow/tfjs';
import { logSumExp } from '../../distributions/special.js';
import { prod, strides } from '../../util/shape.js';
import type { CliqueTree } from './order.js';
import { addExpanded, disposeTable, type LogTable, marginalTo, safeSub, sumOut } from './table.js';

/** The smallest clique whose scope contains every variable of `vars` (-1 if none does). */
export function smallestClique(tree: CliqueTree, vars: readonly number[]): number {
  let ci = -1;
  let best = Number.POSITIVE_INFINITY;
  tree.cliques.forEach((c, k) => {
    const size = prod(c.cards);
    if (size < best && vars.every((v) => c.scope.includes(v))) {
      best = size;
      ci = k;
    }
  });
  return ci;
}

/**
 * For every state of a clique's scope (row-major), the state of the sub-scope `vars` (row-major
 * in the order given) it falls in: marginalising onto `vars` is then one pass over the states.
 */
export function subStateMap(
  scope: readonly number[],
  cards: readonly number[],
  vars: readonly number[],
): Int32Array {
  const S = prod(cards);
  const from = strides(cards);
  const sub = vars.map((v) => cards[scope.indexOf(v)]);
  const to = strides(sub);
  const map = new Int32Array(S);
  for (let s = 0; s < S; s++) {
    let x = 0;
    vars.forEach((v, i) => {
      const a = scope.indexOf(v);
      x += (Math.floor(s / from[a]) % cards[a]) * to[i];
    });
    map[s] = x;
  }
  return map;
}

export interface Calibrated {
  /** [C] log partition function of each copy */
  readonly logZ: tf.Tensor1D;
  /** per variable, [C, card] posterior probabilities */
  readonly marginals: tf.Tensor2D[];
  /** per clique asked for (`cliqueBeliefs`, same order): [C, states of its scope] posterior probabilities */
  readonly beliefs: tf.Tensor2D[];
}

/**
 * Calibrate `tree` with the factor `tables` (indexed as the scopes the tree was built from).
 * `cliqueBeliefs` names cliques whose posterior over their scope is wanted (after the downward
 * pass every clique's belief is calibrated, not only the ones factors are assigned to).
 * The tables are read, not disposed. Every returned tensor is new.
 */
export function calibrate(
  tree: CliqueTree,
  tables: readonly LogTable[],
  copies: number,
  cliqueBeliefs: readonly number[] = [],
): Calibrated {
  const { cliques } = tree;
  const n = cliques.length;
  const psi: LogTable[] = new Array(n);
  const up: (LogTable | undefined)[] = new Array(n);
  const incoming: number[][] = Array.from({ length: n }, () => []);
  cliques.forEach((c, i) => {
    if (c.parent >= 0) incoming[c.parent].push(i);
  });
  try {
    // upward: psi_i = assigned factors + messages of the children; message = sum out v_i
    for (let i = 0; i < n; i++) {
      const c = cliques[i];
      const t = tf.tidy(() => {
        let acc: LogTable = { vars: c.scope, cards: c.cards, t: tf.zeros([copies, prod(c.cards)]) };
        const parts = [
          ...c.factors.map((f) => tables[f]),
          ...incoming[i].map((k) => up[k] as LogTable),
        ];
        for (const p of parts) acc = { ...acc, t: addExpanded(acc, p) };
        return acc.t;
      });
      psi[i] = { vars: c.scope, cards: c.cards, t };
      if (c.parent >= 0) up[i] = sumOut(psi[i], c.v);
    }
    // log Z: the roots' totals (one root per connected component of the template)
    const logZ = tf.tidy(() => {
      let z: tf.Tensor = tf.zeros([copies]);
      cliques.forEach((c, i) => {
        if (c.parent < 0) z = tf.add(z, logSumExp(psi[i].t, 1));
      });
      return z as tf.Tensor1D;
    });
    // downward: beta_i = psi_i + (beta_parent marginalised onto the separator) - message_i
    const beta: LogTable[] = new Array(n);
    const marginals: tf.Tensor2D[] = new Array(n);
    const wanted: tf.Tensor2D[] = new Array(cliqueBeliefs.length);
    try {
      for (let i = n - 1; i >= 0; i--) {
        const c = cliques[i];
        if (c.parent < 0) {
          beta[i] = { vars: c.scope, cards: c.cards, t: tf.clone(psi[i].t) };
        } else {
          const m = up[i] as LogTable;
          const outer = marginalTo(beta[c.parent], m.vars);
          const delta: LogTable = {
            vars: m.vars,
            cards: m.cards,
            t: safeSub(outer.t, m.t) as tf.Tensor2D,
          };
          disposeTable(outer);
          const t = addExpanded(psi[i], delta);
          disposeTable(delta);
          beta[i] = { vars: c.scope, cards: c.cards, t };
        }
        const mv = marginalTo(beta[i], [c.v]);
        marginals[i] = tf.tidy(
          () => tf.exp(tf.sub(mv.t, tf.expandDims(logSumExp(mv.t, 1), 1))) as tf.Tensor2D,
        );
        disposeTable(mv);
      }
      // the calibrated beliefs asked for, normalised per copy: P(scope of clique | evidence)
      cliqueBeliefs.forEach((ci, j) => {
        const t = beta[ci].t;
        wanted[j] = tf.tidy(
          () => tf.exp(tf.sub(t, tf.expandDims(logSumExp(t, 1), 1))) as tf.Tensor2D,
        );
      });
    } finally {
      for (const b of beta) disposeTable(b);
    }
    // reorder the marginals by variable
    const byVar = tree.cliqueOf.map((ci) => marginals[ci]);
    return { logZ, marginals: byVar, beliefs: wanted };
  } finally {
    for (const p of psi) disposeTable(p);
    for (const u of up) disposeTable(u);
  }
}
