// Test helpers for the compiler: a tiny expression parser (so unit tests do not depend on
// src/lang) and a builder of hand-made BoundModel objects (so they do not depend on bind).
import type {
  BoundModel,
  NDArray,
  Observation,
  PlateAxis,
  RaggedSegments,
} from '../../src/graph/bound.js';
import type { GraphNode, ModelGraph, Plate } from '../../src/graph/ir.js';
import type { Arg, BinaryOp, Expr, IndexArg, Range } from '../../src/lang/ast.js';
import type { DistName } from '../../src/lang/signatures.js';

const R: Range = {
  start: { offset: 0, line: 1, column: 1 },
  end: { offset: 0, line: 1, column: 1 },
};

/** Parse an expression: numbers, names, calls with named args, indexing, slices, [a, b], + - * / ^ @. */
export function parseExpr(src: string): Expr {
  const toks =
    src.match(/\d+\.\d*(?:e-?\d+)?|\d+(?:e-?\d+)?|\.\d+|[A-Za-z_]\w*|[-+*/^@()[\],:=]/g) ?? [];
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`expected ${t} in ${src}`);
  };
  const binary = (op: BinaryOp, left: Expr, right: Expr): Expr => ({
    kind: 'binary',
    op,
    left,
    right,
    range: R,
  });
  function sum(): Expr {
    let e = prodE();
    while (peek() === '+' || peek() === '-') {
      const op = next() as '+' | '-';
      e = binary(op, e, prodE());
    }
    return e;
  }
  function prodE(): Expr {
    let e = unary();
    while (peek() === '*' || peek() === '/' || peek() === '@') {
      const op = next() as '*' | '/' | '@';
      e = binary(op, e, unary());
    }
    return e;
  }
  function unary(): Expr {
    if (peek() === '-' || peek() === '+') {
      const op = next() as '-' | '+';
      return { kind: 'unary', op, arg: unary(), range: R };
    }
    return power();
  }
  function power(): Expr {
    const b = postfix();
    if (peek() === '^') {
      next();
      return binary('^', b, unary());
    }
    return b;
  }
  function postfix(): Expr {
    let e = atom();
    while (peek() === '[') {
      next();
      const indices: IndexArg[] = [];
      while (peek() !== ']') {
        indices.push(indexArg());
        if (peek() === ',') next();
      }
      expect(']');
      e = { kind: 'index', target: e, indices, range: R };
    }
    return e;
  }
  function indexArg(): IndexArg {
    let lo: Expr | undefined;
    if (peek() !== ':') lo = sum();
    if (peek() === ':') {
      next();
      const hi = peek() === ',' || peek() === ']' ? undefined : sum();
      return { kind: 'slice', lo, hi, range: R };
    }
    if (!lo) throw new Error('bad index');
    return { kind: 'at', expr: lo, range: R };
  }
  function atom(): Expr {
    const t = next();
    if (t === undefined) throw new Error(`unexpected end of ${src}`);
    if (t === '(') {
      const e = sum();
      expect(')');
      return e;
    }
    if (t === '[') {
      const items: Expr[] = [];
      while (peek() !== ']') {
        items.push(sum());
        if (peek() === ',') next();
      }
      expect(']');
      return { kind: 'vector', items, range: R };
    }
    if (/^[\d.]/.test(t))
      return { kind: 'num', value: Number(t), isInt: /^\d+$/.test(t), range: R };
    if (peek() === '(') {
      next();
      const args: Arg[] = [];
      while (peek() !== ')') {
        if (/^[A-Za-z_]/.test(peek() ?? '') && toks[i + 1] === '=') {
          const name = next() as string;
          next();
          args.push({ name, value: sum(), range: R });
        } else args.push({ value: sum(), range: R });
        if (peek() === ',') next();
      }
      expect(')');
      return { kind: 'call', callee: t, calleeRange: R, args, range: R };
    }
    return { kind: 'name', name: t, range: R };
  }
  const e = sum();
  if (i !== toks.length) throw new Error(`trailing tokens in ${src}`);
  return e;
}

/** A nested array of numbers (null: missing). */
export type Nested = number | null | Nested[];

export interface PlateSpec {
  readonly id: string;
  readonly size: string;
  /** for a ragged plate: the outer plate id */
  readonly raggedBy?: string;
  readonly parent?: string;
}

interface ConstSpec {
  readonly kind: 'hyper' | 'data' | 'param';
  readonly name: string;
  readonly shape: number[];
  readonly value?: Nested;
}

function isConstSpec(n: NodeSpec): n is ConstSpec {
  return n.kind === 'hyper' || n.kind === 'data' || n.kind === 'param';
}

export type NodeSpec =
  | ConstSpec
  | {
      readonly kind: 'stochastic';
      readonly name: string;
      readonly plates?: string[];
      readonly dist: DistName;
      readonly args: Record<string, string>;
      readonly event?: number[];
      /** observed values in the nested (JSON) form; null entries make it partial */
      readonly value?: Nested;
    }
  | {
      readonly kind: 'deterministic';
      readonly name: string;
      readonly plates?: string[];
      readonly expr: string;
      readonly event?: number[];
    }
  | {
      readonly kind: 'net';
      readonly name: string;
      readonly layers: number[];
      readonly activation: string;
    };

function flattenNested(v: Nested): (number | null)[] {
  if (Array.isArray(v)) return v.flatMap(flattenNested);
  return [v];
}

function namesIn(e: Expr, out: Set<string>): void {
  switch (e.kind) {
    case 'name':
      out.add(e.name);
      return;
    case 'vector':
      for (const x of e.items) namesIn(x, out);
      return;
    case 'unary':
      namesIn(e.arg, out);
      return;
    case 'binary':
      namesIn(e.left, out);
      namesIn(e.right, out);
      return;
    case 'index':
      namesIn(e.target, out);
      for (const a of e.indices) {
        if (a.kind === 'at') namesIn(a.expr, out);
        else {
          if (a.lo) namesIn(a.lo, out);
          if (a.hi) namesIn(a.hi, out);
        }
      }
      return;
    case 'call':
      out.add(e.callee);
      for (const a of e.args) namesIn(a.value, out);
      return;
    default:
      return;
  }
}

/**
 * A BoundModel from a compact spec: plates are identified by their index name; nodes are in
 * topological order; ragged sizes are arrays. Observed values of ragged nodes are nested.
 */
export function miniModel(spec: {
  sizes: Record<string, number | number[]>;
  plates?: PlateSpec[];
  nodes: NodeSpec[];
  fixedParams?: string[];
}): BoundModel {
  const plates: Record<string, Plate> = {};
  for (const p of spec.plates ?? []) {
    plates[p.id] = {
      id: p.id,
      index: p.id,
      size: p.size,
      parent: p.parent ?? p.raggedBy,
      raggedBy: p.raggedBy,
      line: 1,
      column: 1,
    };
  }
  const ragged: Record<string, RaggedSegments> = {};
  for (const p of Object.values(plates)) {
    if (!p.raggedBy) continue;
    const counts = spec.sizes[p.size] as number[];
    const offsets = new Int32Array(counts.length + 1);
    counts.forEach((c, d) => {
      offsets[d + 1] = offsets[d] + c;
    });
    const outerIndex = new Int32Array(offsets[counts.length]);
    for (let d = 0; d < counts.length; d++) outerIndex.fill(d, offsets[d], offsets[d + 1]);
    ragged[p.id] = { plate: p.id, outer: p.raggedBy, counts, outerIndex, offsets };
  }
  const axesOf = (ids: readonly string[]): PlateAxis[] => {
    const axes: PlateAxis[] = [];
    for (const id of ids) {
      const p = plates[id];
      const s = spec.sizes[p.size];
      if (p.raggedBy) {
        const prev = axes.pop() as PlateAxis;
        axes.push({
          plates: [...prev.plates, id],
          length: (s as number[]).reduce((a, b) => a + b, 0),
        });
      } else axes.push({ plates: [id], length: s as number });
    }
    return axes;
  };
  const nodes: Record<string, GraphNode> = {};
  const shapes: Record<string, { batch: number[]; event: number[] }> = {};
  const axes: Record<string, PlateAxis[]> = {};
  const values: Record<string, NDArray> = {};
  const observation: Record<string, Observation> = {};
  const common = { line: 1, column: 1, range: R };
  for (const name of Object.keys(spec.sizes)) {
    nodes[name] = { ...common, kind: 'size', name, plates: [], parents: [] };
  }
  for (const n of spec.nodes) {
    if (n.kind === 'net') {
      nodes[n.name] = {
        ...common,
        kind: 'net',
        name: n.name,
        plates: [],
        parents: [],
        arch: 'mlp',
        layers: n.layers,
        activation: n.activation,
      };
      continue;
    }
    if (isConstSpec(n)) {
      const type = { base: 'real' as const, shape: n.shape };
      nodes[n.name] = {
        ...common,
        kind: n.kind,
        name: n.name,
        plates: [],
        parents: [],
        type,
      } as GraphNode;
      shapes[n.name] = { batch: [], event: n.shape };
      axes[n.name] = [];
      if (n.value !== undefined) {
        const flat = flattenNested(n.value).map((x) => x ?? Number.NaN);
        const size = n.shape.reduce((a, b) => a * b, 1);
        values[n.name] = {
          shape: n.shape,
          data: Float64Array.from(
            flat.length === 1 && size > 1 ? new Array(size).fill(flat[0]) : flat,
          ),
        };
      }
      continue;
    }
    const platesOf = n.plates ?? [];
    const ax = axesOf(platesOf);
    const event = n.event ?? [];
    shapes[n.name] = { batch: ax.map((a) => a.length), event };
    axes[n.name] = ax;
    const parents = new Set<string>();
    const indices = platesOf.map((id) => plates[id].index);
    if (n.kind === 'stochastic') {
      const args: Record<string, Expr> = {};
      for (const [k, v] of Object.entries(n.args)) {
        args[k] = parseExpr(v);
        namesIn(args[k], parents);
      }
      nodes[n.name] = {
        ...common,
        kind: 'stochastic',
        name: n.name,
        plates: platesOf,
        parents: [...parents].filter((p) => p in nodes),
        distribution: n.dist,
        args,
        indices,
      };
      if (n.value !== undefined) {
        const flat = flattenNested(n.value);
        const missing = flat.some((x) => x === null);
        values[n.name] = {
          shape: [...ax.map((a) => a.length), ...event],
          data: Float64Array.from(flat.map((x) => x ?? Number.NaN)),
        };
        observation[n.name] = missing
          ? { kind: 'partial', mask: Uint8Array.from(flat.map((x) => (x === null ? 0 : 1))) }
          : { kind: 'observed' };
      } else observation[n.name] = { kind: 'latent' };
    } else {
      const value = parseExpr(n.expr);
      namesIn(value, parents);
      nodes[n.name] = {
        ...common,
        kind: 'deterministic',
        name: n.name,
        plates: platesOf,
        parents: [...parents].filter((p) => p in nodes),
        value,
        indices,
      };
    }
  }
  const graph: ModelGraph = {
    name: 'test',
    filename: 'test.plato',
    source: '',
    nodes,
    order: Object.keys(nodes),
    plates,
  };
  const sizes: Record<string, number | number[]> = { ...spec.sizes };
  return {
    graph,
    sizes,
    shapes,
    axes,
    ragged,
    values,
    observation,
    fixedParams: spec.fixedParams ?? [],
    warnings: [],
  };
}

/** Row-major float64 data of a nested array. */
export function flat(v: Nested): number[] {
  return flattenNested(v).map((x) => x ?? Number.NaN);
}
