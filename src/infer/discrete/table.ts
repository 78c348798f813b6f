// Batched log-space factor tables: one table per copy of an isomorphic component, stacked on a
// leading copy axis C. A table over variables (v1 … vn) with cardinalities (k1 … kn) is a float32
// tensor [C, k1·…·kn] in row-major order (v1 slowest). Keeping every table rank 2 makes products
// one `tf.gather` per factor (no high-rank broadcasting or transposes) and marginalisation one
// reshape plus a log-sum-exp.
import * as tf from '@tensorflow/tfjs';
import { logSumExp } from '../../distributions/special.js';
import { prod, strides } from '../../util/shape.js';

export interface LogTable {
  /** local variable ids, in the table's axis order (first = slowest) */
  readonly vars: readonly number[];
  readonly cards: readonly number[];
  /** [C, prod(cards)] log-potentials */
  readonly t: tf.Tensor2D;
}

/**
 * For every state of the scope `to` (row-major), the index of the matching state of the scope
 * `from` (whose variables must all be in `to`). Computed with int32 tfjs ops: no JS loop over states.
 */
export function stateMap(
  from: readonly number[],
  fromCards: readonly number[],
  to: readonly number[],
  toCards: readonly number[],
): tf.Tensor1D {
  return tf.tidy(() => {
    const S = prod(toCards);
    const toStr = strides(toCards);
    const fromStr = strides(fromCards);
    const range = tf.range(0, S, 1, 'int32');
    let idx: tf.Tensor = tf.zeros([S], 'int32');
    from.forEach((v, i) => {
      const j = to.indexOf(v);
      if (j < 0) throw new Error(`internal: variable ${v} is not in the target scope`);
      let digit: tf.Tensor =
        toStr[j] === 1 ? range : tf.floorDiv(range, tf.scalar(toStr[j], 'int32'));
      if (j > 0) digit = tf.mod(digit, tf.scalar(toCards[j], 'int32'));
      idx = tf.add(idx, fromStr[i] === 1 ? digit : tf.mul(digit, tf.scalar(fromStr[i], 'int32')));
    });
    return idx as tf.Tensor1D;
  });
}

function sameScope(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The table with its variables reordered (a gather over its own states: cheap for small tables). */
export function permute(table: LogTable, order: readonly number[]): LogTable {
  const cards = order.map((v) => table.cards[table.vars.indexOf(v)]);
  if (sameScope(order, table.vars)) return { vars: [...order], cards, t: tf.clone(table.t) };
  const t = tf.tidy(
    () => tf.gather(table.t, stateMap(table.vars, table.cards, order, cards), 1) as tf.Tensor2D,
  );
  return { vars: [...order], cards, t };
}

/**
 * A scope cut in two halves of about sqrt(states) each. Expanding a factor onto the scope is
 * then two gathers with about sqrt(states) indices plus broadcasting, instead of one gather with
 * an index per state (tfjs-wasm's gather validates every index in JavaScript).
 */
export interface Split {
  readonly h1: readonly number[];
  readonly c1: readonly number[];
  readonly h2: readonly number[];
  readonly c2: readonly number[];
  readonly s1: number;
  readonly s2: number;
}

export function splitScope(vars: readonly number[], cards: readonly number[]): Split {
  const total = prod(cards);
  let h = 0;
  let s1 = 1;
  while (h < vars.length && s1 * s1 < total) s1 *= cards[h++];
  return {
    h1: vars.slice(0, h),
    c1: cards.slice(0, h),
    h2: vars.slice(h),
    c2: cards.slice(h),
    s1,
    s2: total / s1,
  };
}

/**
 * The table as a [C, s1 or 1, s2 or 1] tensor that broadcasts onto [C, s1, s2], the split
 * scope's states (every variable of the table must be in the scope).
 */
export function aligned(table: LogTable, split: Split): tf.Tensor3D {
  return tf.tidy(() => {
    const f1 = split.h1.filter((v) => table.vars.includes(v));
    const f2 = split.h2.filter((v) => table.vars.includes(v));
    if (f1.length + f2.length !== table.vars.length)
      throw new Error('internal: a table variable is not in the scope');
    const card = (v: number) => table.cards[table.vars.indexOf(v)];
    const order = [...f1, ...f2];
    const k1 = f1.map(card);
    const k2 = f2.map(card);
    const perm = sameScope(order, table.vars)
      ? table.t
      : tf.gather(table.t, stateMap(table.vars, table.cards, order, [...k1, ...k2]), 1);
    let t = tf.reshape(perm, [table.t.shape[0], prod(k1), prod(k2)]);
    if (f1.length > 0 && !sameScope(f1, split.h1))
      t = tf.gather(t, stateMap(f1, k1, split.h1, split.c1), 1);
    if (f2.length > 0 && !sameScope(f2, split.h2))
      t = tf.gather(t, stateMap(f2, k2, split.h2, split.c2), 2);
    return t as tf.Tensor3D;
  });
}

/** acc + table expanded onto acc's scope (a new tensor). */
export function addExpanded(acc: LogTable, table: LogTable): tf.Tensor2D {
  return tf.tidy(() => {
    const split = splitScope(acc.vars, acc.cards);
    const C = acc.t.shape[0];
    const sum = tf.add(tf.reshape(acc.t, [C, split.s1, split.s2]), aligned(table, split));
    return tf.reshape(sum, [C, split.s1 * split.s2]) as tf.Tensor2D;
  });
}

/** Sum out one variable. */
export function sumOut(table: LogTable, v: number): LogTable {
  const i = table.vars.indexOf(v);
  if (i < 0) throw new Error(`internal: variable ${v} is not in the table`);
  const C = table.t.shape[0];
  const outer = prod(table.cards.slice(0, i));
  const inner = prod(table.cards.slice(i + 1));
  const t = tf.tidy(
    () =>
      tf.reshape(logSumExp(tf.reshape(table.t, [C, outer, table.cards[i], inner]), 2), [
        C,
        outer * inner,
      ]) as tf.Tensor2D,
  );
  return {
    vars: table.vars.filter((_, j) => j !== i),
    cards: table.cards.filter((_, j) => j !== i),
    t,
  };
}

/** Marginalise onto `keep` (a subset of the table's variables, in the order given). */
export function marginalTo(table: LogTable, keep: readonly number[]): LogTable {
  for (const v of keep)
    if (!table.vars.includes(v)) throw new Error(`internal: variable ${v} is not in the table`);
  let cur: LogTable = table;
  // sum the other variables out one at a time (reshape and log-sum-exp, no gather), then
  // reorder what is left
  for (const v of table.vars) {
    if (keep.includes(v)) continue;
    const next = sumOut(cur, v);
    if (cur !== table) cur.t.dispose();
    cur = next;
  }
  const out = permute(cur, keep);
  if (cur !== table) cur.t.dispose();
  return out;
}

/** a - b with (-∞) - (-∞) = -∞ (Hugin division in log space: 0/0 = 0). */
export function safeSub(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const d = tf.sub(a, b);
    return tf.where(tf.isFinite(b), d, tf.fill(d.shape, Number.NEGATIVE_INFINITY));
  });
}

export function disposeTable(t: LogTable | undefined): void {
  if (t && !t.t.isDisposed) t.t.dispose();
}
