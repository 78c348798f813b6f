// Build the immutable ModelGraph (src/graph/ir.ts) from a checked AST: one node per
// declaration, plates with their nesting and raggedness, parents, canonical distribution
// arguments, and a topological order (Kahn's algorithm, declaration order breaking ties).
// The checker has already reported user mistakes; what is re-detected here (a cycle, an
// unknown name) is reported again as a Diagnostic rather than trusted, so that building
// never loops or crashes on an unchecked program.
import { freeze } from 'immer';
import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import { DISTRIBUTIONS, isDistName } from '../distributions/signatures.js';
import type { Arg, Block, Expr, Program, Range, Stmt, TypeExpr } from '../lang/ast.js';
import { isFunctionName } from '../lang/signatures.js';
import { subExprs } from '../lang/walk.js';
import { ConstEvalError, evalConst } from './evaluate.js';
import type { Dim, GraphNode, LagRead, ModelGraph, Plate, ValueType } from './ir.js';

export interface BuildResult {
  readonly graph?: ModelGraph;
  readonly diagnostics: Diagnostic[];
}

/** Turn a checked program into its (deeply frozen) model graph. */
export function buildGraph(program: Program, source: string, filename: string): BuildResult {
  const diagnostics: Diagnostic[] = [];
  const model = new BlockBuilder(program.model, source, filename, diagnostics).build();
  let guide: ModelGraph | undefined;
  if (program.guide) {
    guide = new BlockBuilder(program.guide, source, filename, diagnostics, model).build();
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const graph: ModelGraph = guide ? { ...model, guide } : model;
  return { graph: freeze(graph, true), diagnostics };
}

/** A name mentioned in an expression, with where. */
interface Mention {
  readonly name: string;
  readonly range: Range;
}

/**
 * The names an expression mentions, excluding plate indices in scope. Calls of nets count
 * (the callee is a parent); calls of built-in functions do not.
 */
export function mentions(
  e: Expr | undefined,
  indices: ReadonlySet<string>,
  out: Mention[] = [],
): Mention[] {
  if (!e) return out;
  switch (e.kind) {
    case 'num':
      break;
    case 'name':
      if (!indices.has(e.name)) out.push({ name: e.name, range: e.range });
      break;
    case 'vector':
      for (const x of e.items) mentions(x, indices, out);
      break;
    case 'unary':
      mentions(e.arg, indices, out);
      break;
    case 'cond':
      mentions(e.test, indices, out);
      mentions(e.whenTrue, indices, out);
      mentions(e.whenFalse, indices, out);
      break;
    case 'binary':
      mentions(e.left, indices, out);
      mentions(e.right, indices, out);
      break;
    case 'index':
      mentions(e.target, indices, out);
      for (const i of e.indices) {
        if (i.kind === 'at') mentions(i.expr, indices, out);
        else {
          mentions(i.lo, indices, out);
          mentions(i.hi, indices, out);
        }
      }
      break;
    case 'call':
      if (!isFunctionName(e.callee) && !isDistName(e.callee))
        out.push({ name: e.callee, range: e.calleeRange });
      for (const a of e.args) mentions(a.value, indices, out);
      break;
  }
  return out;
}

/** `x[… t - k …]` with `t` the index of an enclosing plate and k a literal ≥ 1. */
interface LagMention {
  readonly name: string;
  readonly plate: string;
  readonly k: number;
  readonly range: Range;
}

/** Every read of a name at an earlier step of an enclosing plate (`z[t - 1]`) in `e`. */
export function lagReads(e: Expr, stack: readonly Plate[], out: LagMention[] = []): LagMention[] {
  if (e.kind === 'index' && e.target.kind === 'name') {
    for (const a of e.indices) {
      const x = a.kind === 'at' ? a.expr : undefined;
      if (x?.kind !== 'binary' || x.op !== '-' || x.left.kind !== 'name') continue;
      if (x.right.kind !== 'num' || !x.right.isInt || x.right.value < 1) continue;
      const index = x.left.name;
      const plate = [...stack].reverse().find((p) => p.index === index);
      if (plate)
        out.push({ name: e.target.name, plate: plate.id, k: x.right.value, range: e.range });
    }
  }
  for (const s of subExprs(e)) lagReads(s, stack, out);
  return out;
}

function uniqueNames(ms: readonly Mention[]): string[] {
  return [...new Set(ms.map((m) => m.name))];
}

class BlockBuilder {
  private readonly nodes: Record<string, GraphNode> = {};
  private readonly declOrder: string[] = [];
  private readonly plates: Record<string, Plate> = {};
  /** per node: every name it must come after (parents and the sizes of its plates) */
  private readonly deps: Record<string, string[]> = {};
  /** names mentioned, checked against the declarations once the block is read */
  private readonly allMentions: Mention[] = [];
  private readonly stack: Plate[] = [];
  private readonly sizeDefaults: Record<string, number> = {};
  /** per node: its reads at a shifted step of an enclosing plate, resolved in resolveLags */
  private readonly pendingLags = new Map<string, LagMention[]>();
  /** per node: how often it mentions each name */
  private readonly mentionCounts = new Map<string, Map<string, number>>();

  constructor(
    private readonly block: Block,
    private readonly source: string,
    private readonly filename: string,
    private readonly diagnostics: Diagnostic[],
    /** for a guide: the model, whose names the guide may mention */
    private readonly outer?: ModelGraph,
  ) {}

  build(): ModelGraph {
    this.statements(this.block.body);
    this.resolveLags();
    for (const m of this.allMentions) {
      if (!this.nodes[m.name] && !this.outer?.nodes[m.name]) {
        this.diag('unknown-name', `unknown name '${m.name}'`, m.range);
      }
    }
    return {
      name: this.block.name.name,
      filename: this.filename,
      source: this.source,
      nodes: this.nodes,
      order: this.topologicalOrder(),
      plates: this.plates,
    };
  }

  /**
   * Reads of a chain plate's nodes at earlier steps (`z[t - 1]`, found by `lagReads`) are not
   * same-step dependencies: they leave the node's parents (unless it also reads that node at
   * the same step) and are recorded on the plate. A shifted read of anything else (data
   * `X[t - 1]`) stays an ordinary parent. The checker has already judged each lag's coverage.
   */
  private resolveLags(): void {
    const byPlate = new Map<string, LagRead[]>();
    for (const [owner, reads] of this.pendingLags) {
      const node = this.nodes[owner]!;
      const chain = reads.filter((r) => {
        const target = this.nodes[r.name];
        return (
          (target?.kind === 'stochastic' || target?.kind === 'deterministic') &&
          target.plates.includes(r.plate)
        );
      });
      if (chain.length === 0) continue;
      const lagCount = new Map<string, number>();
      for (const r of chain) lagCount.set(r.name, (lagCount.get(r.name) ?? 0) + 1);
      const mentionCount = this.mentionCounts.get(owner)!;
      const onlyLagged = new Set(
        [...lagCount].filter(([n, c]) => (mentionCount.get(n) ?? 0) <= c).map(([n]) => n),
      );
      const parents = node.parents.filter((p) => !onlyLagged.has(p));
      this.nodes[owner] = { ...node, parents } as GraphNode;
      this.deps[owner] = this.deps[owner]!.filter((p) => !onlyLagged.has(p));
      for (const r of chain) {
        const list = byPlate.get(r.plate) ?? [];
        list.push({ node: owner, reads: r.name, k: r.k, range: r.range });
        byPlate.set(r.plate, list);
      }
    }
    for (const [id, lags] of byPlate) this.plates[id] = { ...this.plates[id]!, lags };
  }

  private diag(kind: Diagnostic['kind'], message: string, range?: Range): void {
    this.diagnostics.push({ ...error(kind, message, range), file: this.filename });
  }

  private indexScope(): Set<string> {
    return new Set(this.stack.map((p) => p.index));
  }

  private statements(body: readonly Stmt[]): void {
    for (const s of body) this.statement(s);
  }

  private statement(s: Stmt): void {
    if (s.kind === 'plate') {
      this.plate(s);
      return;
    }
    const ident = s.kind === 'stochastic' || s.kind === 'deterministic' ? s.target.name : s.name;
    const name = ident.name;
    if (this.nodes[name]) {
      this.diag('duplicate', `'${name}' is declared twice`, ident.range);
      return;
    }
    const scope = this.indexScope();
    const common = {
      name,
      line: ident.range.start.line,
      column: ident.range.start.column,
      range: s.range,
      plates: this.stack.map((p) => p.id),
    };
    const ms: Mention[] = [];
    let node: GraphNode;
    switch (s.kind) {
      case 'size': {
        if (s.raggedOver) ms.push({ name: s.raggedOver.name, range: s.raggedOver.range });
        mentions(s.value, scope, ms);
        node = {
          kind: 'size',
          ...common,
          parents: uniqueNames(ms),
          ...(s.raggedOver ? { raggedOver: s.raggedOver.name } : {}),
          ...this.sizeDefault(name, s.value),
        };
        break;
      }
      case 'hyper':
      case 'param': {
        const type = this.valueType(s.type, scope, ms);
        mentions(s.value, scope, ms);
        node = {
          kind: s.kind,
          ...common,
          parents: uniqueNames(ms),
          type,
          ...(s.value ? { default: s.value } : {}),
        };
        break;
      }
      case 'data': {
        const type = this.valueType(s.type, scope, ms);
        node = { kind: 'data', ...common, parents: uniqueNames(ms), type };
        break;
      }
      case 'net': {
        const layers = s.layers.map((e) => this.dim(e, ms));
        const act = s.options.find((o) => o.name === 'act');
        const activation = act?.value.kind === 'name' ? act.value.name : 'relu';
        node = {
          kind: 'net',
          ...common,
          parents: uniqueNames(ms),
          arch: s.arch.name,
          layers,
          activation,
        };
        break;
      }
      case 'stochastic': {
        const declaredType = s.type ? this.valueType(s.type, scope, ms) : undefined;
        const dist = s.dist.name.name;
        for (const a of s.dist.args) mentions(a.value, scope, ms);
        const trunc = s.dist.truncation;
        if (trunc?.lower) mentions(trunc.lower, scope, ms);
        if (trunc?.upper) mentions(trunc.upper, scope, ms);
        if (!isDistName(dist)) {
          this.diag('unknown-name', `unknown distribution '${dist}'`, s.dist.name.range);
          return;
        }
        const args = this.canonicalArgs(dist, s.dist.args, s.dist.range);
        node = {
          kind: 'stochastic',
          ...common,
          parents: uniqueNames(ms),
          distribution: dist,
          args,
          ...(declaredType ? { declaredType } : {}),
          indices: s.target.indices.map((i) => i.name),
          ...(trunc
            ? {
                truncation: {
                  ...(trunc.lower ? { lower: trunc.lower } : {}),
                  ...(trunc.upper ? { upper: trunc.upper } : {}),
                  range: trunc.range,
                },
              }
            : {}),
        };
        break;
      }
      case 'deterministic': {
        mentions(s.value, scope, ms);
        node = {
          kind: 'deterministic',
          ...common,
          parents: uniqueNames(ms),
          value: s.value,
          indices: s.target.indices.map((i) => i.name),
        };
        break;
      }
    }
    this.allMentions.push(...ms);
    if (s.kind === 'stochastic' || s.kind === 'deterministic') {
      const exprs = s.kind === 'stochastic' ? s.dist.args.map((a) => a.value) : [s.value];
      const lags = exprs.flatMap((e) => lagReads(e, this.stack));
      if (lags.length > 0) {
        this.pendingLags.set(name, lags);
        const counts = new Map<string, number>();
        for (const m of ms) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
        this.mentionCounts.set(name, counts);
      }
    }
    this.nodes[name] = node;
    this.declOrder.push(name);
    this.deps[name] = [...node.parents, ...this.stack.map((p) => p.size)];
  }

  private sizeDefault(name: string, value: Expr | undefined): { default?: number } {
    if (!value) return {};
    try {
      const v = evalConst(value, { sizes: this.sizeDefaults, values: {} });
      const n = v.data[0];
      if (v.data.length === 1 && Number.isInteger(n) && n >= 0) {
        this.sizeDefaults[name] = n;
        return { default: n };
      }
      this.diag('type', `size ${name} must be a non-negative integer`, value.range);
    } catch (e) {
      if (!(e instanceof ConstEvalError)) throw e;
      this.diag(
        'type',
        `the default of size ${name} must be a constant integer: ${e.message}`,
        e.expr.range,
      );
    }
    return {};
  }

  private plate(s: Extract<Stmt, { kind: 'plate' }>): void {
    let id = s.index.name;
    for (let k = 2; this.plates[id]; k++) id = `${s.index.name}#${k}`;
    const parent = this.stack[this.stack.length - 1];
    this.allMentions.push({ name: s.size.name, range: s.size.range });
    let raggedBy: string | undefined;
    const sizeNode = this.nodes[s.size.name] ?? this.outer?.nodes[s.size.name];
    const raggedOver = sizeNode?.kind === 'size' ? sizeNode.raggedOver : undefined;
    if (s.sizeIndex) {
      if (!parent || parent.index !== s.sizeIndex.name) {
        this.diag(
          'plate-index',
          `a ragged plate '${s.index.name} in ${s.size.name}[${s.sizeIndex.name}]' must be nested directly in the plate of '${s.sizeIndex.name}'`,
          s.sizeIndex.range,
        );
      } else if (sizeNode && raggedOver !== parent.size) {
        this.diag(
          'plate-index',
          raggedOver
            ? `size ${s.size.name} is ragged over ${raggedOver}, but plate '${parent.index}' runs over ${parent.size}`
            : `size ${s.size.name} is not ragged: write 'plate ${s.index.name} in ${s.size.name}'`,
          s.size.range,
        );
      } else if (parent.raggedBy) {
        this.diag(
          'unsupported',
          'a ragged plate inside another ragged plate is not supported',
          s.range,
        );
      } else raggedBy = parent.id;
    } else if (raggedOver) {
      this.diag(
        'plate-index',
        `size ${s.size.name} is ragged over ${raggedOver}: write 'plate ${s.index.name} in ${s.size.name}[…]' with the index of the plate over ${raggedOver}`,
        s.size.range,
      );
    }
    const plate: Plate = {
      id,
      index: s.index.name,
      size: s.size.name,
      ...(parent ? { parent: parent.id } : {}),
      ...(raggedBy ? { raggedBy } : {}),
      line: s.range.start.line,
      column: s.range.start.column,
    };
    this.plates[id] = plate;
    this.stack.push(plate);
    this.statements(s.body);
    this.stack.pop();
  }

  private dim(e: Expr, ms: Mention[]): Dim {
    if (e.kind === 'name') {
      ms.push({ name: e.name, range: e.range });
      return e.name;
    }
    if (e.kind === 'num' && e.isInt && e.value >= 0) return e.value;
    this.diag('type', 'a dimension must be a size name or a non-negative integer', e.range);
    return 0;
  }

  private valueType(t: TypeExpr, scope: ReadonlySet<string>, ms: Mention[]): ValueType {
    mentions(t.lower, scope, ms);
    mentions(t.upper, scope, ms);
    return {
      base: t.base,
      ...(t.lower ? { lower: t.lower } : {}),
      ...(t.upper ? { upper: t.upper } : {}),
      shape: t.shape.map((e) => this.dim(e, ms)),
    };
  }

  /**
   * Map a call's arguments to the canonical names of the first parameterisation whose names
   * cover the named arguments (`Bernoulli(logits = l)` → {logits}); positional arguments
   * fill that parameterisation's names in order.
   */
  private canonicalArgs(
    dist: keyof typeof DISTRIBUTIONS,
    args: readonly Arg[],
    range: Range,
  ): Record<string, Expr> {
    const sig = DISTRIBUTIONS[dist];
    const named = args.filter((a) => a.name !== undefined);
    const positional = args.filter((a) => a.name === undefined);
    const params = sig.params.find((p) => named.every((a) => p.includes(a.name!)));
    if (!params) {
      const bad = named.find((a) => !sig.params.some((p) => p.includes(a.name!)));
      const all = [...new Set(sig.params.flat())].join(', ');
      const which = bad ? `'${bad.name}'` : named.map((a) => `'${a.name}'`).join(' and ');
      this.diag(
        'unknown-argument',
        bad
          ? `${dist} has no argument ${which} (its arguments: ${all})`
          : `${dist} cannot take ${which} together`,
        (bad ?? named[0]).nameRange ?? range,
      );
      return {};
    }
    const out: Record<string, Expr> = {};
    positional.forEach((a, i) => {
      if (i < params.length) out[params[i]] = a.value;
    });
    for (const a of named) {
      if (out[a.name!]) this.diag('arity', `${dist}: argument '${a.name}' is given twice`, a.range);
      out[a.name!] = a.value;
    }
    const missing = params.filter((p) => !out[p]);
    if (positional.length > params.length || missing.length) {
      this.diag(
        'arity',
        `${dist}(${params.join(', ')}) takes ${params.length} argument${params.length === 1 ? '' : 's'}, got ${args.length}`,
        range,
      );
    }
    return out;
  }

  /** Kahn's algorithm; among ready nodes the earliest declared goes first. */
  private topologicalOrder(): string[] {
    const names = this.declOrder;
    const pos = new Map(names.map((n, i) => [n, i]));
    const indegree = new Map<string, number>(names.map((n) => [n, 0]));
    const children = new Map<string, string[]>(names.map((n) => [n, []]));
    for (const n of names) {
      for (const p of new Set(this.deps[n])) {
        if (!pos.has(p)) continue; // a name of the model (for a guide) or unknown (reported)
        indegree.set(n, indegree.get(n)! + 1);
        children.get(p)!.push(n);
      }
    }
    // Kahn's algorithm taking the ready node declared first: a binary min-heap of declaration
    // positions keeps it O(n log n) (a linear scan made a 100 000-statement file take minutes)
    const ready = new MinHeap();
    for (const n of names) if (indegree.get(n) === 0) ready.push(pos.get(n)!);
    const order: string[] = [];
    while (ready.size > 0) {
      const n = names[ready.pop()];
      order.push(n);
      for (const c of children.get(n)!) {
        indegree.set(c, indegree.get(c)! - 1);
        if (indegree.get(c) === 0) ready.push(pos.get(c)!);
      }
    }
    if (order.length < names.length) this.reportCycle(names.filter((n) => indegree.get(n)! > 0));
    return order;
  }

  private reportCycle(stuck: string[]): void {
    // Follow dependencies among the stuck nodes until one repeats: that is a cycle.
    const inStuck = new Set(stuck);
    const path: string[] = [];
    const seen = new Map<string, number>();
    let n = stuck[0];
    while (!seen.has(n)) {
      seen.set(n, path.length);
      path.push(n);
      n = this.deps[n].find((p) => inStuck.has(p))!;
    }
    const cycle = [...path.slice(seen.get(n)!), n].reverse();
    const node = this.nodes[cycle[0]];
    const how =
      cycle.length === 2
        ? 'depends on itself'
        : `depends on itself through ${cycle.slice(1, -1).join(', ')}`;
    this.diag('cycle', `'${cycle[0]}' ${how} (${cycle.join(' → ')})`, node.range);
  }
}

/** A binary min-heap of integers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(x: number): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
