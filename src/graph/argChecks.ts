// Checks of values known before running, at binding (float64, no tensors):
//  - every hyper, data or param value read as an index (`mu[g[i]]`) lies in the range of the
//    axis it indexes, whether or not its declaration has bounds: an index past the end would
//    be gathered as nothing, and a row of data silently dropped from the posterior;
//  - a distribution argument that reads a known value (`Normal(0, s)`, `Categorical(T[z])`) is
//    inside its domain at every entry it can read, including every row a discrete latent can
//    select, and a probability vector `p` is a simplex (src/distributions/domains.ts): engines
//    that enumerate a latent would otherwise use a negative or unnormalised row.
// Arguments computed by expressions are checked by the compiled plan (src/compile/argDomains.ts).
import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import {
  ARG_DOMAINS,
  type Domain,
  inDomain,
  SIMPLEX_ARGS,
  SIMPLEX_TOLERANCE,
} from '../distributions/domains.js';
import type { Expr, IndexArg } from '../lang/ast.js';
import { prod } from '../util/shape.js';
import type { NDArray, NodeShape, PlateAxis, RaggedSegments } from './bound.js';
import { type ConstEnv, ConstEvalError, evalConst } from './evaluate.js';
import type { GraphNode, ModelGraph, StochasticNode } from './ir.js';
import { nestedIndex } from './layout.js';
import { exprToString, indexedName } from './print.js';
import type { Problems } from './problems.js';
import { concreteShape, type ShapeAnalysis, type SizeValues } from './shapes.js';

export interface KnownValues {
  readonly graph: ModelGraph;
  readonly sizes: SizeValues;
  readonly analysis: ShapeAnalysis;
  readonly shapes: Readonly<Record<string, NodeShape>>;
  readonly axes: Readonly<Record<string, readonly PlateAxis[]>>;
  readonly ragged: Readonly<Record<string, RaggedSegments>>;
  readonly values: Readonly<Record<string, NDArray>>;
  /** names given in the data (their problems are the data's, not the model's) */
  readonly given: ReadonlySet<string>;
  readonly problems: Problems;
}

/** Run both checks on every node of the model block. */
export function checkKnownValues(k: KnownValues): void {
  for (const name of k.graph.order) {
    const node = k.graph.nodes[name];
    const plateIndices = new Set(node.plates.map((id) => k.graph.plates[id].index));
    for (const e of definingExprs(node)) walkIndices(e, (x) => checkIndexUse(k, x, plateIndices));
    if (node.kind === 'stochastic') {
      for (const [arg, e] of Object.entries(node.args)) checkArg(k, node, arg, e, plateIndices);
    }
  }
}

function definingExprs(node: GraphNode): Expr[] {
  if (node.kind === 'stochastic') return Object.values(node.args);
  if (node.kind === 'deterministic') return [node.value];
  return [];
}

function walkIndices(e: Expr, f: (x: Extract<Expr, { kind: 'index' }>) => void): void {
  switch (e.kind) {
    case 'vector':
      for (const x of e.items) walkIndices(x, f);
      return;
    case 'unary':
      walkIndices(e.arg, f);
      return;
    case 'cond':
      for (const x of [e.test, e.whenTrue, e.whenFalse]) walkIndices(x, f);
      return;
    case 'binary':
      walkIndices(e.left, f);
      walkIndices(e.right, f);
      return;
    case 'index':
      f(e);
      walkIndices(e.target, f);
      for (const i of e.indices) {
        if (i.kind === 'at') walkIndices(i.expr, f);
        else for (const b of [i.lo, i.hi]) if (b) walkIndices(b, f);
      }
      return;
    case 'call':
      for (const a of e.args) walkIndices(a.value, f);
      return;
    default:
      return;
  }
}

/** `x` or `x[…]` with `x` a node name. */
function reference(e: Expr): { name: string; indices: readonly IndexArg[] } | undefined {
  if (e.kind === 'name') return { name: e.name, indices: [] };
  if (e.kind === 'index' && e.target.kind === 'name') {
    return { name: e.target.name, indices: e.indices };
  }
  return undefined;
}

function full(k: KnownValues, name: string): number[] | undefined {
  const s = k.shapes[name];
  return s ? [...s.batch, ...s.event] : undefined;
}

/** A ragged pair shares one flattened axis, so indices no longer map one to one onto axes. */
function flattened(k: KnownValues, name: string): boolean {
  return (k.axes[name] ?? []).some((a) => a.plates.length > 1);
}

function known(k: KnownValues, name: string): NDArray | undefined {
  const node = k.graph.nodes[name];
  if (node?.kind !== 'hyper' && node?.kind !== 'data' && node?.kind !== 'param') return undefined;
  return k.values[name];
}

/** `data g[3]`: the entry at a flat position (`row`: the row of the last axis holding it). */
function entryName(k: KnownValues, name: string, flat: number, row = false): string {
  const node = k.graph.nodes[name];
  const at = nestedIndex(flat, k.axes[name] ?? [], k.shapes[name].event, k.ragged);
  return `${node.kind} ${indexedName(name, row ? at.slice(0, -1) : at)}`;
}

/** `G = 2` for an axis of a size named G, else just its length. */
function axisText(k: KnownValues, name: string, axis: number, length: number): string {
  const node = k.graph.nodes[name];
  const batch = k.axes[name] ?? [];
  const dim =
    axis < batch.length
      ? k.graph.plates[batch[axis].plates[0]]?.size
      : k.analysis.nodes[name]?.event[axis - batch.length];
  return typeof dim === 'string' && node ? `${dim} = ${length}` : String(length);
}

/**
 * For each axis of `name`'s full array, the positions `indices` can select (undefined: all),
 * or undefined if some index is not understood (then nothing is checked, rather than too much).
 */
function selection(
  k: KnownValues,
  name: string,
  indices: readonly IndexArg[],
  plateIndices: ReadonlySet<string>,
): (Uint8Array | undefined)[] | undefined {
  const shape = full(k, name);
  if (!shape || (indices.length > 0 && flattened(k, name))) return undefined;
  const out: (Uint8Array | undefined)[] = shape.map(() => undefined);
  for (let a = 0; a < indices.length && a < shape.length; a++) {
    const ix = indices[a];
    if (ix.kind === 'slice') {
      if (ix.lo || ix.hi) return undefined;
      continue;
    }
    const choices = indexChoices(k, ix.expr, shape[a], plateIndices);
    if (choices === undefined) return undefined;
    if (choices !== 'all') out[a] = choices;
  }
  return out;
}

/** The positions an index expression can take along an axis of `length`. */
function indexChoices(
  k: KnownValues,
  x: Expr,
  length: number,
  plateIndices: ReadonlySet<string>,
): Uint8Array | 'all' | undefined {
  if (x.kind === 'name' && plateIndices.has(x.name)) return 'all';
  const mask = new Uint8Array(length);
  if (x.kind === 'num') {
    if (x.isInt && x.value >= 0 && x.value < length) mask[x.value] = 1;
    return mask;
  }
  const r = reference(x);
  if (!r) return undefined;
  const node = k.graph.nodes[r.name];
  if (node?.kind === 'stochastic') {
    // a discrete node selects one of its states (the shape analysis matched them to the axis)
    const states = k.analysis.nodes[r.name]?.states;
    const n = states === undefined ? undefined : concreteShape([states], k.sizes)?.[0];
    if (n === undefined) return 'all';
    mask.fill(1, 0, Math.min(n, length));
    return mask;
  }
  const value = known(k, r.name);
  if (!value) return undefined;
  const sel = selection(k, r.name, r.indices, plateIndices);
  if (!sel) return 'all';
  forEachSelected(value.shape, sel, (i) => {
    const v = value.data[i];
    if (Number.isInteger(v) && v >= 0 && v < length) mask[v] = 1;
    return false;
  });
  return mask;
}

/**
 * Visit the flat positions of an array of `shape` whose position along each axis is selected,
 * until `f` returns true.
 */
function forEachSelected(
  shape: readonly number[],
  sel: readonly (Uint8Array | undefined)[],
  f: (flat: number) => boolean | undefined,
): void {
  const total = prod(shape);
  const pos = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < total; i++) {
    if (sel.every((m, a) => !m || m[pos[a]] === 1) && f(i) === true) return;
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++pos[a] < shape[a]) break;
      pos[a] = 0;
    }
  }
}

/** `mu[g[i]]`: every entry of g that can be read here must be a position along mu's axis. */
function checkIndexUse(
  k: KnownValues,
  e: Extract<Expr, { kind: 'index' }>,
  plateIndices: ReadonlySet<string>,
): void {
  if (e.target.kind !== 'name') return;
  const target = e.target.name;
  const shape = full(k, target);
  if (!shape || flattened(k, target)) return;
  e.indices.forEach((ix, a) => {
    if (ix.kind !== 'at' || a >= shape.length) return;
    const r = reference(ix.expr);
    if (!r || plateIndices.has(r.name)) return;
    const value = known(k, r.name);
    const sel = value && selection(k, r.name, r.indices, plateIndices);
    if (!value || !sel) return;
    const length = shape[a];
    forEachSelected(value.shape, sel, (i) => {
      const v = value.data[i];
      if (Number.isInteger(v) && v >= 0 && v < length) return;
      const message =
        `${entryName(k, r.name, i)} = ${v} is used as an index of ${target} ` +
        `(${exprToString(e)}) but axis ${a} of ${target} has length ${axisText(k, target, a, length)}: ` +
        `an index of it must be an integer in ${length > 0 ? `0…${length - 1}` : 'an empty range'}`;
      report(k, r.name, message, ix.range);
      return true; // one entry per use is enough to act on
    });
  });
}

/** A problem with a value: the data's when given there, else the model's (a default). */
function report(k: KnownValues, name: string, message: string, range: Expr['range']): void {
  if (k.given.has(name)) k.problems.error(message, name);
  else k.problems.add({ ...error('data', message, range), file: k.graph.filename });
}

/** An argument reading a known value: its domain at every readable entry, and the simplex. */
function checkArg(
  k: KnownValues,
  node: StochasticNode,
  arg: string,
  e: Expr,
  plateIndices: ReadonlySet<string>,
): void {
  const domain: Domain | undefined = ARG_DOMAINS[node.distribution]?.[arg];
  const simplex = SIMPLEX_ARGS[node.distribution] === arg;
  if (!domain && !simplex) return;
  const r = reference(e);
  const value = r && known(k, r.name);
  const sel = r && value && selection(k, r.name, r.indices, plateIndices);
  if (!r || !value || !sel) return;
  const head = `${node.name} ~ ${node.distribution}: the argument ${arg}`;
  const fail = (message: string) =>
    k.problems.add({ ...error('data', message, e.range), file: k.graph.filename });
  const reads = (i: number) => `${exprToString(e)} reads ${entryName(k, r.name, i)}`;
  const scalar = value.data.length === 1 && r.indices.length === 0;
  if (domain) {
    let bad = -1;
    forEachSelected(value.shape, sel, (i) => {
      if (inDomain(domain, value.data[i])) return;
      bad = i;
      return true;
    });
    if (bad >= 0) {
      const v = value.data[bad];
      fail(
        scalar
          ? `${head} = ${v} is outside its domain: expected ${arg} ${domain.text}`
          : `${head} = ${reads(bad)} = ${v}, which is outside its domain: expected ${arg} ${domain.text}`,
      );
      return;
    }
  }
  // the probability vector is the last axis, when the indices leave it whole
  const rank = value.shape.length;
  const last = r.indices[r.indices.length - 1];
  const vectorKept = rank > 0 && (r.indices.length < rank || last?.kind === 'slice');
  if (!simplex || !vectorKept) return;
  const len = value.shape[rank - 1];
  const rows = sel.slice(0, rank - 1);
  forEachSelected(value.shape.slice(0, -1), rows, (row) => {
    let sum = 0;
    for (let j = 0; j < len; j++) sum += value.data[row * len + j];
    if (Math.abs(sum - 1) <= SIMPLEX_TOLERANCE) return;
    const rowName = entryName(k, r.name, row * len, true);
    fail(
      `${head} = ${exprToString(e)} reads ${rowName}, which is not a simplex: its entries sum to ${sum} ` +
        `(a probability vector must sum to 1 within ${SIMPLEX_TOLERANCE}; nothing renormalises it)`,
    );
    return true;
  });
}

/**
 * Arguments that are constants of the model alone (`Normal(0, -10)`, `Categorical([0.2, 0.9])`):
 * outside their domain, the model is wrong before any data is given, so `check` says so.
 */
export function checkConstantArgs(graph: ModelGraph): Diagnostic[] {
  const out: Diagnostic[] = [];
  const env: ConstEnv = { sizes: {}, values: {} };
  for (const name of graph.order) {
    const node = graph.nodes[name];
    if (node.kind !== 'stochastic') continue;
    const head = `${node.name} ~ ${node.distribution}:`;
    const values: Record<string, NDArray> = {};
    for (const [arg, e] of Object.entries(node.args)) {
      let v: NDArray;
      try {
        v = evalConst(e, env);
      } catch (err) {
        if (err instanceof ConstEvalError) continue;
        throw err;
      }
      values[arg] = v;
      const fail = (message: string) =>
        out.push({ ...error('data', `${head} ${message}`, e.range), file: graph.filename });
      const domain = ARG_DOMAINS[node.distribution]?.[arg];
      const nan = v.data.findIndex((x) => Number.isNaN(x));
      const bad = domain ? v.data.findIndex((x) => !inDomain(domain, x)) : -1;
      if (nan >= 0) fail(`the argument ${arg} is NaN (not a number)`);
      else if (domain && bad >= 0)
        fail(
          `the argument ${arg} = ${v.data[bad]} is outside its domain: expected ${arg} ${domain.text}`,
        );
      else if (SIMPLEX_ARGS[node.distribution] === arg && v.shape.length > 0) {
        const len = v.shape[v.shape.length - 1];
        for (let row = 0; row * len < v.data.length; row++) {
          let sum = 0;
          for (let j = 0; j < len; j++) sum += v.data[row * len + j];
          if (Math.abs(sum - 1) > SIMPLEX_TOLERANCE) {
            fail(
              `the argument ${arg} is not a simplex: its entries sum to ${sum} (a probability vector must sum to 1 within ${SIMPLEX_TOLERANCE}; nothing renormalises it)`,
            );
            break;
          }
        }
      }
    }
    const { lo, hi } = values;
    if (node.distribution === 'Uniform' && lo?.data.length === 1 && hi?.data.length === 1) {
      if (!(lo.data[0] < hi.data[0]))
        out.push({
          ...error(
            'data',
            `${head} lo = ${lo.data[0]} is not below hi = ${hi.data[0]}: expected lo < hi`,
            node.args.hi.range,
          ),
          file: graph.filename,
        });
    }
  }
  return out;
}
