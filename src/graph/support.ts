// Checking bound values: declared types (int, bounds, simplex) of hypers, data and params, and
// the support of each observed stochastic node's family. Loops over entries run once at
// binding, not in an engine's hot path; the nested index is computed only for messages.

import { SIMPLEX_TOLERANCE } from '../distributions/domains.js';
import { DISTRIBUTIONS } from '../distributions/signatures.js';
import type { Expr } from '../lang/ast.js';
import { prod } from '../util/shape.js';
import type { NDArray } from './bound.js';
import { broadcastTo, type ConstEnv, ConstEvalError, evalConst } from './evaluate.js';
import type { Dim, StochasticNode, ValueType } from './ir.js';
import { baseTypeToString, exprToString, indexedName, truncationText } from './print.js';
import type { Problems } from './problems.js';

export interface Entries {
  readonly name: string;
  /** 'hyper ', 'param ', 'data ' or '' (a stochastic node) */
  readonly prefix: string;
  readonly array: NDArray;
  /** 0 where missing (skipped) */
  readonly mask?: Uint8Array;
  /** the nested index of flat entry i, for messages */
  readonly indexOf: (i: number) => number[];
  readonly problems: Problems;
}

function at(e: Entries, i: number): string {
  return `${e.prefix}${indexedName(e.name, e.indexOf(i))}`;
}

function rowAt(e: Entries, i: number): string {
  return `${e.prefix}${indexedName(e.name, e.indexOf(i).slice(0, -1))}`;
}

function present(e: Entries, i: number): boolean {
  return !e.mask || e.mask[i] === 1;
}

/** A bound, evaluated and broadcast to the array's shape; undefined if absent or unusable. */
function boundArray(x: Expr | undefined, e: Entries, env: ConstEnv): Float64Array | undefined {
  if (!x) return undefined;
  try {
    const v = broadcastTo(evalConst(x, env), e.array.shape);
    if (v) return v.data;
    e.problems.error(
      `${e.prefix}${e.name}: the bound ${exprToString(x)} does not fit its shape`,
      e.name,
    );
  } catch (err) {
    if (!(err instanceof ConstEvalError)) throw err;
    e.problems.error(
      `${e.prefix}${e.name}: cannot evaluate the bound ${exprToString(x)}: ${err.message}`,
      e.name,
    );
  }
  return undefined;
}

/** Integrality, bounds (inclusive, as in Stan) and the simplex constraint of a declared type. */
export function checkType(type: ValueType, e: Entries, env: ConstEnv): void {
  const lo = boundArray(type.lower, e, env);
  const hi = boundArray(type.upper, e, env);
  // an unbounded real admits every (finite) value read: nothing to check entry by entry
  if (type.base === 'real' && !lo && !hi) return;
  const { data } = e.array;
  const text = baseTypeToString(type);
  for (let i = 0; i < data.length; i++) {
    if (!present(e, i)) continue;
    const v = data[i];
    if (type.base === 'int' && !Number.isInteger(v)) {
      e.problems.error(`${at(e, i)} = ${v} is not an integer (${e.name} is ${text})`, e.name);
    } else if ((lo && v < lo[i]) || (hi && v > hi[i])) {
      e.problems.error(`${at(e, i)} = ${v} is outside ${text}`, e.name);
    }
  }
  if (type.base === 'simplex') checkSimplexRows(e, 'a simplex');
}

function checkSimplexRows(e: Entries, what: string): void {
  const { data, shape } = e.array;
  const k = shape.length ? shape[shape.length - 1] : 1;
  for (let r = 0; r + k <= data.length && k > 0; r += k) {
    let sum = 0;
    let negative = -1;
    let complete = true;
    for (let t = r; t < r + k; t++) {
      if (!present(e, t)) complete = false;
      else if (data[t] < 0 && negative < 0) negative = t;
      sum += data[t];
    }
    if (negative >= 0) {
      e.problems.error(
        `${at(e, negative)} = ${data[negative]} is negative, so ${rowAt(e, r)} is not ${what}`,
        e.name,
      );
    } else if (complete && Math.abs(sum - 1) > SIMPLEX_TOLERANCE) {
      e.problems.error(
        `${rowAt(e, r)} is not ${what}: its entries sum to ${sum} (expected 1 within ${SIMPLEX_TOLERANCE})`,
        e.name,
      );
    }
  }
}

/** A distribution argument that is a scalar constant (a literal, hyper or size), if it is one. */
function constArg(node: StochasticNode, arg: string, env: ConstEnv): number | undefined {
  const x = node.args[arg];
  if (!x) return undefined;
  try {
    const v = evalConst(x, env);
    return v.data.length === 1 ? v.data[0] : undefined;
  } catch (err) {
    if (err instanceof ConstEvalError) return undefined;
    throw err;
  }
}

/**
 * Check an observed node's values against its family's support and integrality.
 * `states` is the number of categories of a Categorical (`statesDim` names it).
 */
export function checkSupport(
  node: StochasticNode,
  e: Entries,
  env: ConstEnv,
  states: number | undefined,
  statesDim: Dim | undefined,
): void {
  const family = node.distribution;
  const sig = DISTRIBUTIONS[family];
  const { data } = e.array;
  const outside = (i: number, support: string) =>
    e.problems.error(
      `${at(e, i)} = ${data[i]} is outside the support of ${family} (${support})`,
      e.name,
    );

  if (sig.support === 'categorical') {
    const over =
      states === undefined
        ? ''
        : ` over ${typeof statesDim === 'string' ? `${statesDim} = ` : ''}${states} states (0…${states - 1})`;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!present(e, i)) continue;
      if (!Number.isInteger(v) || v < 0 || (states !== undefined && v >= states)) {
        e.problems.error(`${at(e, i)} = ${v} is not a category of ${family}${over}`, e.name);
      }
    }
    return;
  }
  if (sig.support === 'simplex') {
    checkSimplexRows(e, `a point of the simplex (${family})`);
    return;
  }
  let test: ((v: number) => boolean) | undefined;
  let text = '';
  switch (sig.support) {
    case 'real':
      return;
    case 'positive':
      // closed at 0: Exponential and Gamma(shape >= 1) have finite density there
      test = (v) => v >= 0;
      text = '[0, ∞)';
      break;
    case 'unit-interval':
      test = (v) => v >= 0 && v <= 1;
      text = '[0, 1]';
      break;
    case 'binary':
      test = (v) => v === 0 || v === 1;
      text = '{0, 1}';
      break;
    case 'count':
      test = (v) => Number.isInteger(v) && v >= 0;
      text = '{0, 1, 2, …}';
      break;
    case 'bounded-count':
    case 'count-vector': {
      const n = constArg(node, 'n', env);
      test = (v) =>
        Number.isInteger(v) &&
        v >= 0 &&
        (n === undefined || sig.support !== 'bounded-count' || v <= n);
      const nText = n ?? (node.args.n ? exprToString(node.args.n) : 'n');
      text = sig.support === 'bounded-count' ? `{0, …, ${nText}}` : `counts summing to ${nText}`;
      if (sig.support === 'count-vector' && n !== undefined) checkRowSums(e, n, family);
      break;
    }
    case 'interval': {
      const lo = constArg(node, 'lo', env);
      const hi = constArg(node, 'hi', env);
      if (lo === undefined && hi === undefined) return;
      test = (v) => (lo === undefined || v >= lo) && (hi === undefined || v <= hi);
      text = `[${lo ?? exprToString(node.args.lo)}, ${hi ?? exprToString(node.args.hi)}]`;
      break;
    }
  }
  for (let i = 0; i < data.length; i++) {
    if (present(e, i) && !test(data[i])) outside(i, text);
  }
}

/**
 * A bound of a truncated node per entry of its array: a constant (literals, hypers, sizes,
 * whole known arrays of the node's shape) broadcast to it, or else, for a node on regular
 * plates, evaluated at each plate element with the plate indices bound (`T[lo[i], ]` with data
 * lo). Undefined when it reads a latent node (or anything else not known at binding).
 */
function boundPerEntry(
  x: Expr | undefined,
  node: StochasticNode,
  e: Entries,
  env: ConstEnv,
  plateSizes: readonly number[] | undefined,
): Float64Array | undefined {
  if (!x) return undefined;
  try {
    return broadcastTo(evalConst(x, env), e.array.shape)?.data;
  } catch (err) {
    if (!(err instanceof ConstEvalError)) throw err;
  }
  if (!plateSizes || plateSizes.length !== node.indices.length) return undefined;
  const shape = e.array.shape;
  const event = shape.slice(plateSizes.length);
  const m = prod(event);
  const elements = prod(plateSizes);
  const out = new Float64Array(elements * m);
  const idx = new Array<number>(plateSizes.length).fill(0);
  try {
    for (let el = 0; el < elements; el++) {
      let r = el;
      for (let k = plateSizes.length - 1; k >= 0; k--) {
        idx[k] = r % plateSizes[k];
        r = Math.floor(r / plateSizes[k]);
      }
      const indices = Object.fromEntries(node.indices.map((n, k) => [n, idx[k]]));
      const v = broadcastTo(evalConst(x, { ...env, indices }), event);
      if (!v) return undefined;
      out.set(v.data, el * m);
    }
  } catch (err) {
    if (err instanceof ConstEvalError) return undefined;
    throw err;
  }
  return out;
}

/**
 * An observed truncated node's values must lie in [lo, hi] (closed, as a density's support):
 * each bound that is constant, or read from data per plate element (`T[lo[i], ]`), is checked
 * entry by entry. A bound that reads latent nodes is left to the log density, which is
 * -Infinity outside it (the engines that report a log evidence refuse a -Infinity one).
 * `plateSizes`: the node's plate sizes when its plates are regular (not ragged).
 */
export function checkTruncation(
  node: StochasticNode,
  e: Entries,
  env: ConstEnv,
  plateSizes?: readonly number[],
): void {
  const t = node.truncation;
  if (!t) return;
  const lo = boundPerEntry(t.lower, node, e, env, plateSizes);
  const hi = boundPerEntry(t.upper, node, e, env, plateSizes);
  if (!lo && !hi) return;
  const text = truncationText(node);
  const { data } = e.array;
  for (let i = 0; i < data.length; i++) {
    if (!present(e, i)) continue;
    const v = data[i];
    if ((lo && !(v >= lo[i])) || (hi && !(v <= hi[i]))) {
      const range = `${lo ? `[${lo[i]}` : '(-∞'}, ${hi ? `${hi[i]}]` : '∞)'}`;
      e.problems.error(
        `${at(e, i)} = ${v} is outside the truncation ${text} of ${e.name} (${range})`,
        e.name,
      );
    }
  }
}

/** The value of a constant bound, or undefined when it reads anything not known at binding. */
function constBound(x: Expr | undefined, env: ConstEnv): Float64Array | undefined {
  if (!x) return undefined;
  try {
    return evalConst(x, env).data;
  } catch (err) {
    if (err instanceof ConstEvalError) return undefined;
    throw err;
  }
}

/**
 * A truncated node's constant bounds must be ordered, lower < upper, entry by entry (a scalar
 * bound against each entry of the other): an empty interval has no density to normalise.
 */
export function checkTruncationOrder(
  node: StochasticNode,
  env: ConstEnv,
  problems: Problems,
): void {
  const t = node.truncation;
  const lo = constBound(t?.lower, env);
  const hi = constBound(t?.upper, env);
  if (!t || !lo || !hi) return;
  const n = Math.max(lo.length, hi.length);
  if ((lo.length !== 1 && lo.length !== n) || (hi.length !== 1 && hi.length !== n)) return;
  for (let i = 0; i < n; i++) {
    const a = lo[lo.length === 1 ? 0 : i];
    const b = hi[hi.length === 1 ? 0 : i];
    if (!(a < b)) {
      const which = n > 1 ? ` (entry ${i})` : '';
      problems.error(
        `${node.name}: the truncation T[${exprToString(t.lower!)}, ${exprToString(t.upper!)}] is empty${which}: lower ${a} is not below upper ${b}`,
        node.name,
      );
      return;
    }
  }
}

function checkRowSums(e: Entries, n: number, family: string): void {
  const { data, shape } = e.array;
  const k = shape.length ? shape[shape.length - 1] : 1;
  for (let r = 0; r + k <= data.length && k > 0; r += k) {
    let sum = 0;
    let complete = true;
    for (let t = r; t < r + k; t++) {
      if (!present(e, t)) complete = false;
      sum += data[t];
    }
    if (complete && sum !== n) {
      e.problems.error(`${rowAt(e, r)} sums to ${sum}, but ${family} draws ${n} counts`, e.name);
    }
  }
}
