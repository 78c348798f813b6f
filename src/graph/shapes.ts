// Shape inference over symbolic dimensions (a Dim is a size name or a number).
//
// Every node has a batch shape (the sizes of its plates, outermost first) and an event shape
// (one element: from a declared type, a shape annotation, or its distribution's arguments
// with NumPy broadcasting and the family's event rank). Every expression gets its value
// shape in the plate context of the node that uses it: a name indexed by a plate index or a
// discrete node drops that axis; a name written without indices is its whole array.
//
// Only provable mismatches are errors: two different size names may turn out equal at
// binding, so statically they are "maybe". `bind` runs the same analysis with the resolved
// sizes, where every comparison is concrete.

import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import { DISTRIBUTIONS } from '../distributions/signatures.js';
import type { Expr, Range } from '../lang/ast.js';
import { FUNCTIONS, type FunctionName, isFunctionName } from '../lang/signatures.js';
import type { Dim, GraphNode, ModelGraph, Plate, StochasticNode } from './ir.js';
import { dimToString, exprToString, shapeToString } from './print.js';

export type Shape = readonly Dim[];

/** Resolved sizes: a number, or one number per outer element for a ragged size. */
export type SizeValues = Readonly<Record<string, number | readonly number[]>>;

export interface NodeShapeInfo {
  /** the sizes of the node's plates, outermost first (a ragged plate contributes its size name) */
  readonly batch: Shape;
  /** the shape of one element */
  readonly event: Shape;
  /** for Categorical (the length of the last axis of p) and Bernoulli (2): the number of states */
  readonly states?: Dim;
}

export interface ShapeAnalysis {
  /** every hyper, data, param, stochastic and deterministic node */
  readonly nodes: Readonly<Record<string, NodeShapeInfo>>;
  /** the value shape of every expression of the graph, in the plate context where it occurs */
  readonly exprs: ReadonlyMap<Expr, Shape>;
  readonly diagnostics: readonly Diagnostic[];
  /** the same for the guide block, if any (its names fall back to the model's) */
  readonly guide?: ShapeAnalysis;
}

/** The full array shape of a node: batch then event. */
export function fullShape(info: NodeShapeInfo): Shape {
  return [...info.batch, ...info.event];
}

/** A dimension that nothing can be proved about (a slice with computed bounds). */
export function isUnknownDim(d: Dim): boolean {
  return typeof d === 'string' && d.startsWith('?');
}

/** Substitute resolved sizes; undefined if any dim stays symbolic (or is ragged). */
export function concreteShape(shape: Shape, sizes: SizeValues): number[] | undefined {
  const out: number[] = [];
  for (const d of shape) {
    const v = typeof d === 'number' ? d : sizes[d];
    if (typeof v !== 'number') return undefined;
    out.push(v);
  }
  return out;
}

/**
 * Infer the shapes of every node and expression of `graph`. Without `sizes` the analysis is
 * symbolic; with them (at binding) every size name is replaced by its number for comparisons.
 */
export function inferShapes(graph: ModelGraph, sizes?: SizeValues): ShapeAnalysis {
  const model = new ShapeInferer(graph, sizes).run();
  if (!graph.guide) return model;
  const guide = new ShapeInferer(graph.guide, sizes, { graph, analysis: model }).run();
  return { ...model, guide };
}

type Tri = 'eq' | 'ne' | 'maybe';

interface Ctx {
  /** plate index name → plate, for the plates of the node being analysed */
  readonly indices: ReadonlyMap<string, Plate>;
}

class ShapeInferer {
  private readonly nodes: Record<string, NodeShapeInfo> = {};
  private readonly exprs = new Map<Expr, Shape>();
  private readonly diagnostics: Diagnostic[] = [];
  private unknowns = 0;

  constructor(
    private readonly graph: ModelGraph,
    private readonly sizes: SizeValues | undefined,
    private readonly outer?: { readonly graph: ModelGraph; readonly analysis: ShapeAnalysis },
  ) {}

  run(): ShapeAnalysis {
    for (const name of this.graph.order) {
      const node = this.graph.nodes[name];
      const info = this.node(node);
      if (info) this.nodes[name] = info;
    }
    return { nodes: this.nodes, exprs: this.exprs, diagnostics: this.diagnostics };
  }

  // ------------------------------------------------------------ dims

  private resolve(d: Dim): number | undefined {
    if (typeof d === 'number') return d;
    const v = this.sizes?.[d];
    return typeof v === 'number' ? v : undefined;
  }

  private cmp(a: Dim, b: Dim): Tri {
    if (a === b) return 'eq';
    const x = this.resolve(a);
    const y = this.resolve(b);
    if (x !== undefined && y !== undefined) return x === y ? 'eq' : 'ne';
    return 'maybe';
  }

  /** Size names shown in the message being built; `report` lists their values when bound. */
  private mentioned = new Set<string>();

  private showDim(d: Dim): string {
    if (typeof d === 'string' && !isUnknownDim(d)) this.mentioned.add(d);
    return dimToString(d);
  }

  private showShape(s: Shape): string {
    for (const d of s) this.showDim(d);
    return shapeToString(s);
  }

  private unknown(): Dim {
    return `?${this.unknowns++}`;
  }

  /** Report a mismatch; once sizes are bound, the message ends with their values `(K = 3, M = 4)`. */
  private report(message: string, range: Range): void {
    const values = [...this.mentioned]
      .map((d) => [d, this.resolve(d)] as const)
      .filter(([, v]) => v !== undefined)
      .map(([d, v]) => `${d} = ${v}`);
    this.mentioned.clear();
    const text = values.length ? `${message} (${values.join(', ')})` : message;
    this.diagnostics.push({ ...error('shape', text, range), file: this.graph.filename });
  }

  /** NumPy broadcasting; a provable mismatch is reported with `what` naming the operation. */
  private broadcast(a: Shape, b: Shape, range: Range, what: string): Shape {
    const n = Math.max(a.length, b.length);
    const out: Dim[] = [];
    let bad = false;
    for (let i = 0; i < n; i++) {
      const x = a[a.length - n + i] ?? 1;
      const y = b[b.length - n + i] ?? 1;
      if (this.resolve(x) === 1) out.push(y);
      else if (this.resolve(y) === 1) out.push(x);
      else {
        const c = this.cmp(x, y);
        if (c === 'ne') bad = true;
        // keep a name over a number, for messages
        out.push(typeof x === 'number' && typeof y === 'string' ? y : x);
      }
    }
    if (bad)
      this.report(
        `${what}: shapes ${this.showShape(a)} and ${this.showShape(b)} do not broadcast`,
        range,
      );
    return out;
  }

  // ------------------------------------------------------------ names

  private lookup(name: string): { node: GraphNode; info?: NodeShapeInfo } | undefined {
    const node = this.graph.nodes[name];
    if (node) return { node, info: this.nodes[name] };
    const o = this.outer?.graph.nodes[name];
    if (o) return { node: o, info: this.outer!.analysis.nodes[name] };
    return undefined;
  }

  private plateOf(id: string): Plate | undefined {
    return this.graph.plates[id] ?? this.outer?.graph.plates[id];
  }

  private ctxOf(node: GraphNode): Ctx {
    const indices = new Map<string, Plate>();
    for (const id of node.plates) {
      const p = this.plateOf(id);
      if (p) indices.set(p.index, p);
    }
    return { indices };
  }

  private batchOf(node: GraphNode): Shape {
    return node.plates.map((id) => this.plateOf(id)?.size ?? this.unknown());
  }

  // ------------------------------------------------------------ nodes

  private node(node: GraphNode): NodeShapeInfo | undefined {
    const ctx = this.ctxOf(node);
    const batch = this.batchOf(node);
    switch (node.kind) {
      case 'size':
      case 'net':
        return undefined;
      case 'data':
        this.bounds(node.type.lower, node.type.upper, ctx);
        return { batch, event: node.type.shape };
      case 'hyper':
      case 'param': {
        this.bounds(node.type.lower, node.type.upper, ctx);
        if (node.default) {
          const s = this.shape(node.default, ctx);
          this.fits(
            s,
            node.type.shape,
            node.default.range,
            () => `${node.kind} ${node.name}: the default`,
          );
        }
        return { batch, event: node.type.shape };
      }
      case 'deterministic':
        return { batch, event: this.shape(node.value, ctx) };
      case 'stochastic':
        return this.stochastic(node, ctx, batch);
    }
  }

  private bounds(lower: Expr | undefined, upper: Expr | undefined, ctx: Ctx): void {
    if (lower) this.shape(lower, ctx);
    if (upper) this.shape(upper, ctx);
  }

  /** Does a value of shape `s` broadcast to exactly `target`? Report if provably not. */
  private fits(s: Shape, target: Shape, range: Range, what: () => string): void {
    let ok = s.length <= target.length;
    for (let i = 0; ok && i < s.length; i++) {
      const d = s[s.length - 1 - i];
      const t = target[target.length - 1 - i];
      if (this.resolve(d) !== 1 && this.cmp(d, t) === 'ne') ok = false;
    }
    if (!ok)
      this.report(
        `${what()} has shape ${this.showShape(s)} but must fit ${this.showShape(target)}`,
        range,
      );
  }

  private stochastic(node: StochasticNode, ctx: Ctx, batch: Shape): NodeShapeInfo {
    const d = node.distribution;
    const sig = DISTRIBUTIONS[d];
    const args: Record<string, Shape> = {};
    for (const [k, e] of Object.entries(node.args)) args[k] = this.shape(e, ctx);
    if (node.declaredType) this.bounds(node.declaredType.lower, node.declaredType.upper, ctx);
    const range = (k: string) => node.args[k]?.range ?? node.range;
    let event: Shape;
    let states: Dim | undefined;
    const vectorArg = (k: string): Shape => {
      const s = args[k] ?? [];
      if (s.length === 0) {
        this.report(`${d}: ${k} must be a vector, got a scalar`, range(k));
        return [this.unknown()];
      }
      return s;
    };
    switch (d) {
      case 'Categorical': {
        const k = args.p ? 'p' : 'logits';
        const p = vectorArg(k);
        states = p[p.length - 1];
        event = p.slice(0, -1);
        break;
      }
      case 'Dirichlet':
        event = vectorArg('alpha');
        break;
      case 'MvNormal': {
        const mu = vectorArg('mu');
        let sigma = args.Sigma ?? [];
        if (sigma.length < 2) {
          this.report(
            `MvNormal: Sigma must be a matrix, got shape ${this.showShape(sigma)}`,
            range('Sigma'),
          );
          sigma = [mu[mu.length - 1], mu[mu.length - 1]];
        }
        const D = mu[mu.length - 1];
        const [r, c] = sigma.slice(-2);
        if (this.cmp(r, c) === 'ne') {
          this.report(
            `MvNormal: Sigma must be square, got ${this.showShape(sigma)}`,
            range('Sigma'),
          );
        } else if (this.cmp(D, c) === 'ne') {
          this.report(
            `MvNormal: mu has length ${this.showDim(D)} but Sigma is ${this.showDim(r)}×${this.showDim(c)}`,
            node.range,
          );
        }
        event = [...this.broadcast(mu.slice(0, -1), sigma.slice(0, -2), node.range, 'MvNormal'), D];
        break;
      }
      case 'Multinomial': {
        const p = vectorArg('p');
        event = [
          ...this.broadcast(args.n ?? [], p.slice(0, -1), node.range, 'Multinomial'),
          p[p.length - 1],
        ];
        break;
      }
      default: {
        // scalar families: the arguments broadcast against each other
        let s: Shape = [];
        let first: string | undefined;
        for (const k of Object.keys(args)) {
          if (first === undefined) {
            s = args[k];
            first = k;
            continue;
          }
          s = this.broadcast(s, args[k], node.range, `${d}: ${first} and ${k}`);
        }
        event = s;
        if (d === 'Bernoulli') states = 2;
      }
    }
    if (sig.eventRank === 1 && event.length === 0) event = [this.unknown()];
    if (node.declaredType) {
      const declared = node.declaredType.shape;
      this.fits(event, declared, node.range, () => `${node.name}: the arguments of ${d}`);
      event = declared;
    }
    return { batch, event, ...(states !== undefined ? { states } : {}) };
  }

  // ------------------------------------------------------------ expressions

  /** The value shape of `e` in context; records it in `exprs`. */
  shape(e: Expr, ctx: Ctx): Shape {
    const s = this.compute(e, ctx);
    this.exprs.set(e, s);
    return s;
  }

  private compute(e: Expr, ctx: Ctx): Shape {
    switch (e.kind) {
      case 'num':
        return [];
      case 'name': {
        if (ctx.indices.has(e.name)) return [];
        const found = this.lookup(e.name);
        if (!found || found.node.kind === 'size') return [];
        if (found.node.kind === 'net') {
          this.report(`net ${e.name} is a function: call it as ${e.name}(…)`, e.range);
          return [];
        }
        return found.info ? fullShape(found.info) : [];
      }
      case 'vector': {
        let s: Shape = [];
        for (const x of e.items) s = this.broadcast(s, this.shape(x, ctx), x.range, 'vector items');
        return [e.items.length, ...s];
      }
      case 'unary':
        return this.shape(e.arg, ctx);
      case 'cond': {
        const c = this.shape(e.test, ctx);
        const a = this.shape(e.whenTrue, ctx);
        const b = this.shape(e.whenFalse, ctx);
        const ab = this.broadcast(a, b, e.range, 'the branches of ?:');
        return this.broadcast(c, ab, e.range, 'the test of ?:');
      }
      case 'binary': {
        const a = this.shape(e.left, ctx);
        const b = this.shape(e.right, ctx);
        if (e.op === '@') return this.matmul(a, b, e.range);
        return this.broadcast(a, b, e.range, `'${e.op}'`);
      }
      case 'index':
        return this.index(e, ctx);
      case 'call':
        return this.call(e, ctx);
    }
  }

  private matmul(a: Shape, b: Shape, range: Range): Shape {
    if (a.length === 0 || b.length === 0) {
      this.report(
        `'@' needs vectors or matrices, got shapes ${this.showShape(a)} and ${this.showShape(b)}`,
        range,
      );
      return this.broadcast(a, b, range, "'@'");
    }
    const ka = a[a.length - 1];
    const kb = b.length === 1 ? b[0] : b[b.length - 2];
    if (this.cmp(ka, kb) === 'ne') {
      this.report(
        `matrix product of shapes ${this.showShape(a)} and ${this.showShape(b)}: inner dimensions ${this.showDim(ka)} and ${this.showDim(kb)} differ`,
        range,
      );
    }
    const batch = this.broadcast(a.slice(0, -2), b.slice(0, -2), range, "'@' batch");
    return [
      ...batch,
      ...(a.length >= 2 ? [a[a.length - 2]] : []),
      ...(b.length >= 2 ? [b[b.length - 1]] : []),
    ];
  }

  /** The number of states of a discrete index expression (`z[d, n]` of a Categorical), if known. */
  private statesOf(e: Expr): Dim | undefined {
    const base = e.kind === 'index' ? e.target : e;
    if (base.kind !== 'name') return undefined;
    const found = this.lookup(base.name);
    return found?.node.kind === 'stochastic' ? found.info?.states : undefined;
  }

  private index(e: Extract<Expr, { kind: 'index' }>, ctx: Ctx): Shape {
    const t = this.laggedShape(e, ctx) ?? this.shape(e.target, ctx);
    const target = exprToString(e.target);
    const kept: Dim[] = [];
    if (e.indices.length > t.length) {
      this.report(
        `${target} has ${t.length} ax${t.length === 1 ? 'is' : 'es'} ${this.showShape(t)} but is indexed with ${e.indices.length} indices`,
        e.range,
      );
    }
    e.indices.forEach((ix, i) => {
      const axis: Dim = t[i] ?? this.unknown();
      if (ix.kind === 'slice') {
        if (ix.lo) this.shape(ix.lo, ctx);
        if (ix.hi) this.shape(ix.hi, ctx);
        const lo = ix.lo ? this.dimOf(ix.lo, false) : 0;
        const hi = ix.hi ? this.dimOf(ix.hi, false) : axis;
        if (lo === 0) kept.push(hi);
        else if (typeof lo === 'number' && typeof hi === 'number') kept.push(Math.max(0, hi - lo));
        else kept.push(this.unknown());
        return;
      }
      const s = this.shape(ix.expr, ctx);
      if (s.length) {
        this.report(
          `an index must be a single number, but ${exprToString(ix.expr)} has shape ${this.showShape(s)}`,
          ix.range,
        );
        return;
      }
      if (i >= t.length) return;
      const x = ix.expr;
      const plate = x.kind === 'name' ? ctx.indices.get(x.name) : undefined;
      const states = plate ? undefined : this.statesOf(x);
      const where = () => `axis ${i} of ${target} has length ${this.showDim(axis)}`;
      if (plate && !plate.raggedBy && this.cmp(plate.size, axis) === 'ne') {
        this.report(
          `index ${plate.index} runs over ${this.showDim(plate.size)} but ${where()}`,
          ix.range,
        );
      } else if (states !== undefined && this.cmp(states, axis) === 'ne') {
        this.report(
          `${exprToString(x)} has ${this.showDim(states)} states but ${where()}`,
          ix.range,
        );
      } else if (x.kind === 'num') {
        const n = this.resolve(axis);
        if (!x.isInt || x.value < 0 || (n !== undefined && x.value >= n)) {
          this.report(`index ${x.value} is out of range: ${where()}`, ix.range);
        }
      } else if (x.kind === 'unary' && x.op === '-' && x.arg.kind === 'num' && x.arg.value > 0) {
        // indices are 0-based and never count from the end (v[-1] read past the array)
        this.report(
          `index -${x.arg.value} is out of range: ${where()} (indices start at 0; negative indices are not supported)`,
          ix.range,
        );
      }
    });
    return [...kept, ...t.slice(e.indices.length)];
  }

  /**
   * `z[t - 1]` read before z's own shape is known (a chain node reading itself, or a later node
   * of its chain): z's batch axes and its family's event rank with dimensions unknown, which
   * broadcast with anything; the node's own arguments then decide its shape.
   */
  private laggedShape(e: Extract<Expr, { kind: 'index' }>, ctx: Ctx): Shape | undefined {
    if (e.target.kind !== 'name') return undefined;
    const found = this.lookup(e.target.name);
    if (!found || found.info) return undefined;
    const node = found.node;
    if (node.kind !== 'stochastic' && node.kind !== 'deterministic') return undefined;
    const lagged = e.indices.some(
      (a) =>
        a.kind === 'at' &&
        a.expr.kind === 'binary' &&
        a.expr.op === '-' &&
        a.expr.left.kind === 'name' &&
        ctx.indices.has(a.expr.left.name),
    );
    if (!lagged) return undefined;
    const rank =
      node.kind === 'stochastic'
        ? (node.declaredType?.shape.length ?? DISTRIBUTIONS[node.distribution].eventRank)
        : 0;
    this.shape(e.target, ctx);
    return [...this.batchOf(node), ...Array.from({ length: rank }, () => this.unknown())];
  }

  /** A dimension written as an expression: a size name or a non-negative integer literal. */
  private dimOf(e: Expr, report = true): Dim {
    if (e.kind === 'num' && e.isInt && e.value >= 0) return e.value;
    if (e.kind === 'name' && this.lookup(e.name)?.node.kind === 'size') return e.name;
    if (report)
      this.report(`a length must be a size name or an integer, got ${exprToString(e)}`, e.range);
    return this.unknown();
  }

  private call(e: Extract<Expr, { kind: 'call' }>, ctx: Ctx): Shape {
    const shapes = e.args.map((a) => this.shape(a.value, ctx));
    const args = e.args.map((a) => a.value);
    const f = e.callee;
    if (!isFunctionName(f)) return this.netCall(e, shapes);
    const fn: FunctionName = f;
    if (FUNCTIONS[fn].elementwise) {
      return shapes
        .slice(1)
        .reduce((s, t) => this.broadcast(s, t, e.range, `${fn}`), shapes[0] ?? []);
    }
    switch (fn) {
      case 'softmax':
        return shapes[0] ?? [];
      case 'sum':
        return [];
      case 'dot': {
        const [a, b] = shapes;
        if (!a || !b) return [];
        if (a.length !== 1 || b.length !== 1) {
          this.report(
            `dot needs two vectors, got shapes ${this.showShape(a)} and ${this.showShape(b)}`,
            e.range,
          );
        } else if (this.cmp(a[0], b[0]) === 'ne') {
          this.report(
            `dot of vectors of lengths ${this.showDim(a[0])} and ${this.showDim(b[0])}`,
            e.range,
          );
        }
        return [];
      }
      case 'rep':
        return args.length < 2 ? [] : [this.dimOf(args[1]), ...shapes[0]];
      case 'zeros':
      case 'ones':
        return args.map((a) => this.dimOf(a));
      case 'eye': {
        if (!args.length) return [];
        const d = this.dimOf(args[0]);
        return [d, d];
      }
      default:
        return shapes[0] ?? [];
    }
  }

  /** `f(x)` for a net: the last axis of x must be the input width; the result has the output width. */
  private netCall(e: Extract<Expr, { kind: 'call' }>, shapes: Shape[]): Shape {
    const net = this.lookup(e.callee)?.node;
    if (net?.kind !== 'net' || net.layers.length === 0) return [];
    const x = shapes[0] ?? [];
    const input = net.layers[0];
    const output = net.layers[net.layers.length - 1];
    const last: Dim = x.length ? x[x.length - 1] : 1;
    if (shapes.length !== 1) {
      this.report(`net ${net.name} takes one argument, got ${shapes.length}`, e.range);
    } else if (this.cmp(last, input) === 'ne') {
      this.report(
        `net ${net.name} takes inputs of width ${this.showDim(input)}, got shape ${this.showShape(x)}`,
        e.args[0].value.range,
      );
    }
    return [...x.slice(0, -1), output];
  }
}
