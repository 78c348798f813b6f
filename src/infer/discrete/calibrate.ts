// Two-pass (Hugin) calibration of a clique tree in log space, batched over copies
// (Lauritzen & Spiegelhalter 1988; Koller & Friedman 2009, §10.3). The upward pass is variable
// elimination; the downward pass hands every clique its outside message, so one pass in each
// direction gives log Z and the posterior marginal of every variable.
import * as tf from '@tensorflow/tfjs';
import { logSumExp } from '../../distributions/special.js';
import { prod } from '../../util/shape.js';
import type { CliqueTree } from './order.js';
import { addExpanded, disposeTable, type LogTable, marginalTo, safeSub, sumOut } from './table.js';

export interface Calibrated {
  /** [C] log partition function of each copy */
  readonly logZ: tf.Tensor1D;
  /** per variable, [C, card] posterior probabilities */
  readonly marginals: tf.Tensor2D[];
}

/**
 * Calibrate `tree` with the factor `tables` (indexed as the scopes the tree was built from).
 * The tables are read, not disposed. Every returned tensor is new.
 */
export function calibrate(
  tree: CliqueTree,
  tables: readonly LogTable[],
  copies: number,
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
    } finally {
      for (const b of beta) disposeTable(b);
    }
    // reorder the marginals by variable
    const byVar = tree.cliqueOf.map((ci) => marginals[ci]);
    return { logZ, marginals: byVar };
  } finally {
    for (const p of psi) disposeTable(p);
    for (const u of up) disposeTable(u);
  }
}
