// Semantic checks on a parsed program. Every user mistake becomes a Diagnostic pointing at the
// offending tokens; nothing here throws. What needs sizes (full shape inference) is left to
// src/graph/shapes.ts; what is checked here is knowable from the text alone.

import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import type {
  Block,
  Conditional,
  DeterministicStmt,
  Expr,
  HyperStmt,
  ParamStmt,
  PlateStmt,
  Program,
  Range,
  SizeStmt,
  Stmt,
  StochasticStmt,
  TypeExpr,
} from './ast.js';
import { type CallHost, checkCall, checkDistCall, checkNetDecl } from './checkCalls.js';
import { checkRagged, checkTarget, type PlateHost, plateHeader } from './checkPlates.js';
import { checkTruncation } from './checkTruncation.js';
import { type Edge, findCycles } from './cycles.js';
import { type Guard, stepRead, uncoveredStep } from './lags.js';
import {
  broadcastsTo,
  literalShape,
  numericValue,
  type Shape,
  showShape,
  wholeNumber,
} from './literalShape.js';
import { isDistName, isFunctionName } from './signatures.js';
import { didYouMean } from './suggest.js';
import { at, collectSymbols, describeSym, KIND_NOUN, type Sym } from './symbols.js';

/** Where an expression sits, which decides what it may mention. */
interface ExprCtx {
  readonly plates: readonly PlateStmt[];
  /** the node being defined: its references become edges for cycle detection */
  readonly owner?: string;
  /** set for values that must be constant (defaults, bounds): describes the place */
  readonly constant?: string;
  /** the name being checked is read at an earlier step (`x[t - 1]`): the index text */
  readonly lag?: string;
  /** the conditionals around the expression, innermost last */
  readonly guards?: readonly Guard[];
}

export function checkProgram(program: Program): Diagnostic[] {
  return new Checker(program).run();
}

class Checker implements CallHost, PlateHost {
  readonly diags: Diagnostic[] = [];
  private model = new Map<string, Sym>();
  private guide: Map<string, Sym> | undefined;
  private inGuide = false;
  private plates: PlateStmt[] = [];
  private edges = new Map<string, Edge[]>();

  constructor(private readonly program: Program) {}

  run(): Diagnostic[] {
    const model = collectSymbols(this.program.model, 'model', this.diags);
    this.model = model.symbols;
    this.plates = model.plates;
    this.checkBlock(this.program.model, model.symbols);

    if (this.program.guide) {
      const guide = collectSymbols(this.program.guide, 'guide', this.diags, this.model);
      this.guide = guide.symbols;
      this.plates = guide.plates;
      this.inGuide = true;
      this.edges = new Map();
      this.checkBlock(this.program.guide, guide.symbols);
    }
    return this.diags.sort((a, b) => (a.range?.start.offset ?? 0) - (b.range?.start.offset ?? 0));
  }

  private checkBlock(block: Block, symbols: ReadonlyMap<string, Sym>): void {
    this.checkStmts(block.body, []);
    const order = [...symbols.values()].filter((s) => s.kind !== 'size').map((s) => s.name);
    this.diags.push(...findCycles(order, this.edges));
  }

  // ------------------------------------------------------------ names

  /** The symbol a name refers to in the current block (a guide sees the model's names too). */
  lookup(name: string): Sym | undefined {
    return (this.inGuide ? this.guide?.get(name) : undefined) ?? this.model.get(name);
  }

  private visibleNames(plates: readonly PlateStmt[]): string[] {
    const names = [...plates.map((p) => p.index.name), ...this.model.keys()];
    if (this.inGuide) names.push(...(this.guide?.keys() ?? []));
    return names;
  }

  private addEdge(owner: string | undefined, sym: Sym, range: Range, lag?: string): void {
    if (owner === undefined || sym.kind === 'size') return;
    if ((sym.block === 'guide') !== this.inGuide) return;
    const list = this.edges.get(owner) ?? [];
    list.push({ to: sym.name, range, ...(lag ? { lag } : {}) });
    this.edges.set(owner, list);
  }

  /** The node a statement defines, unless it is a rejected duplicate (whose edges would lie). */
  private ownerOf(name: string, stmt: Stmt): string | undefined {
    return this.lookup(name)?.stmt === stmt ? name : undefined;
  }

  /** A size used at `range` must already be declared (sizes are read in order). */
  private checkSizeOrder(sym: Sym, range: Range): boolean {
    if (sym.kind !== 'size' || sym.range.start.offset < range.start.offset) return true;
    this.diags.push(
      error('size-order', `size '${sym.name}' is used before it is known`, range, [
        `'size ${sym.name}' is declared at ${at(sym.range)}; declare sizes before the statements that use them`,
      ]),
    );
    return false;
  }

  /** The plate, anywhere in this block, whose index is `name` (for "outside its plate"). */
  plateOfIndex(name: string): PlateStmt | undefined {
    return this.plates.find((p) => p.index.name === name);
  }

  /** Resolve a name that must be a size (plates, shapes, net layers, `size N[D]`). */
  private expectSize(
    name: string,
    range: Range,
    what: string,
    declaring?: string,
  ): Sym | undefined {
    const sym = this.lookup(name);
    if (!sym) {
      const sizes = [...this.model.values()]
        .filter((s) => s.kind === 'size' && s.name !== declaring)
        .map((s) => s.name);
      this.diags.push(
        error(
          'unknown-name',
          `unknown size '${name}' in ${what}${didYouMean(name, sizes)}`,
          range,
          [`declare it first: 'size ${name}'`],
        ),
      );
      return undefined;
    }
    if (sym.kind !== 'size') {
      this.diags.push(
        error('type', `'${name}' is a ${KIND_NOUN[sym.kind]}, not a size, in ${what}`, range, [
          `${what} needs a size declared with 'size ${name}'`,
        ]),
      );
      return undefined;
    }
    return this.checkSizeOrder(sym, range) ? sym : undefined;
  }

  // ------------------------------------------------------------ statements

  private checkStmts(stmts: readonly Stmt[], plates: readonly PlateStmt[]): void {
    for (const s of stmts) {
      switch (s.kind) {
        case 'size':
          if (this.topLevelOnly(s, plates)) this.checkSize(s);
          break;
        case 'hyper':
        case 'param':
          if (this.topLevelOnly(s, plates)) this.checkConstantDecl(s);
          break;
        case 'data':
          if (this.topLevelOnly(s, plates)) this.checkType(s.type, `the type of '${s.name.name}'`);
          break;
        case 'net':
          if (this.topLevelOnly(s, plates)) checkNetDecl(this, s);
          break;
        case 'plate':
          this.checkPlate(s, plates);
          break;
        case 'stochastic':
          this.checkStochastic(s, plates);
          break;
        case 'deterministic':
          this.checkDeterministic(s, plates);
          break;
      }
    }
  }

  /** Declarations live at the top level of the model (sizes and data: of the model only). */
  private topLevelOnly(s: Stmt, plates: readonly PlateStmt[]): boolean {
    if (this.inGuide && (s.kind === 'size' || s.kind === 'data')) {
      this.diags.push(
        error(
          'syntax',
          `a guide cannot declare ${s.kind === 'size' ? 'sizes' : 'data'}`,
          rangeOfKeyword(s),
          [
            `declare it in the model; the guide sees the model's ${s.kind === 'size' ? 'sizes' : 'data'}`,
          ],
        ),
      );
      return false;
    }
    if (plates.length === 0) return true;
    this.diags.push(
      error('syntax', `a ${s.kind} declaration cannot be inside a plate`, rangeOfKeyword(s), [
        `move it above 'plate ${plates[0]!.index.name} in ${plates[0]!.size.name}'; only nodes (~ and =) and plates go inside plates`,
      ]),
    );
    return false;
  }

  private checkSize(s: SizeStmt): void {
    if (s.raggedOver) {
      const over = s.raggedOver;
      if (over.name === s.name.name) {
        this.diags.push(
          error('type', `size '${s.name.name}' cannot be ragged over itself`, over.range),
        );
      } else {
        const sym = this.expectSize(
          over.name,
          over.range,
          `'size ${s.name.name}[${over.name}]'`,
          s.name.name,
        );
        if (sym && (sym.stmt as SizeStmt).raggedOver) {
          this.diags.push(
            error(
              'unsupported',
              `'${over.name}' is itself ragged; a size can only be ragged over a plain size`,
              over.range,
            ),
          );
        }
      }
    }
    if (s.value) {
      const n = wholeNumber(s.value);
      if (n === undefined) {
        this.diags.push(
          error(
            'type',
            `the default of size '${s.name.name}' must be a whole number`,
            s.value.range,
            [`write it as a literal, like 'size ${s.name.name} = 20'`],
          ),
        );
      }
    }
  }

  private checkConstantDecl(s: HyperStmt | ParamStmt): void {
    const noun = s.kind === 'hyper' ? 'hyper' : 'param';
    this.checkType(s.type, `the type of ${noun} '${s.name.name}'`, this.ownerOf(s.name.name, s));
    if (!s.value) return;
    this.checkExpr(s.value, {
      plates: [],
      owner: this.ownerOf(s.name.name, s),
      constant: `the default of ${noun} '${s.name.name}'`,
    });
    const declared = literalDims(s.type.shape);
    const given = literalShape(s.value);
    if (declared && given && !broadcastsTo(given, declared)) {
      this.diags.push(
        error(
          'shape',
          `the default of ${noun} '${s.name.name}' has ${showShape(given)}, which does not fit the declared shape [${declared.join(', ')}]`,
          s.value.range,
          ['a default is broadcast to the declared shape: give a scalar or a value of that shape'],
        ),
      );
    }
  }

  private checkPlate(p: PlateStmt, plates: readonly PlateStmt[]): void {
    const clash = plates.find((q) => q.index.name === p.index.name);
    const sym = this.lookup(p.index.name);
    if (clash) {
      this.diags.push(
        error(
          'duplicate',
          `plate index '${p.index.name}' is already the index of an enclosing plate`,
          p.index.range,
          [`the plate at ${at(clash.index.range)} uses '${p.index.name}'; pick another letter`],
        ),
      );
    } else if (sym) {
      this.diags.push(
        error(
          'duplicate',
          `plate index '${p.index.name}' has the same name as ${describeSym(sym)}`,
          p.index.range,
          [`${describeSym(sym)} is declared at ${at(sym.range)}; pick another index name`],
        ),
      );
    }
    const size = this.expectSize(
      p.size.name,
      p.size.range,
      `'plate ${p.index.name} in ${p.size.name}'`,
    );
    if (size) checkRagged(this, p, plates, size);
    this.checkStmts(p.body, [...plates, p]);
  }

  private checkStochastic(s: StochasticStmt, plates: readonly PlateStmt[]): void {
    const name = s.target.name.name;
    checkTarget(this, s.target, plates);
    if (this.inGuide) this.checkGuidePairing(s, plates);
    if (s.type) this.checkType(s.type, `the type of '${name}'`, this.ownerOf(name, s), plates);
    const ctx: ExprCtx = { plates, owner: this.ownerOf(name, s) };
    checkDistCall(
      this,
      s.dist,
      (e) => this.checkExpr(e, ctx),
      s.type ? literalDims(s.type.shape) : undefined,
    );
    checkTruncation(this.diags, s.dist, (e) => this.checkExpr(e, ctx));
  }

  private checkGuidePairing(s: StochasticStmt, plates: readonly PlateStmt[]): void {
    const name = s.target.name.name;
    const m = this.model.get(name);
    if (m?.kind !== 'stochastic') {
      const latentish = [...this.model.values()]
        .filter((x) => x.kind === 'stochastic')
        .map((x) => x.name);
      this.diags.push(
        error(
          'unknown-name',
          `the guide's node '${name}' is not a stochastic node of the model${didYouMean(name, latentish)}`,
          s.target.name.range,
          ['a guide gives a distribution to each latent node of the model, under the same name'],
        ),
      );
      return;
    }
    const mine = plates.map((p) => p.size.name);
    const theirs = m.plates.map((p) => p.size.name);
    if (mine.join(',') !== theirs.join(',')) {
      this.diags.push(
        error(
          'plate-index',
          `the guide's '${name}' is in plates over (${mine.join(', ')}) but the model's is in plates over (${theirs.join(', ')})`,
          s.target.range,
          [`the model declares '${name}' at ${at(m.range)}`],
        ),
      );
    }
  }

  private checkDeterministic(s: DeterministicStmt, plates: readonly PlateStmt[]): void {
    checkTarget(this, s.target, plates);
    this.checkExpr(s.value, { plates, owner: this.ownerOf(s.target.name.name, s) });
  }

  // ------------------------------------------------------------ types

  checkType(t: TypeExpr, what: string, owner?: string, plates: readonly PlateStmt[] = []): void {
    const ctx: ExprCtx = { plates, owner, constant: `the bounds in ${what}` };
    if (t.base === 'simplex') {
      if (t.lower || t.upper) {
        this.diags.push(
          error('type', 'a simplex takes no bounds', t.range, [
            'write simplex[K]: K non-negative entries summing to 1',
          ]),
        );
      }
      if (t.shape.length === 0) {
        this.diags.push(error('type', 'a simplex needs its length: simplex[K]', t.range));
      }
    }
    if (t.lower) this.checkExpr(t.lower, ctx);
    if (t.upper) this.checkExpr(t.upper, ctx);
    const lo = t.lower && numericValue(t.lower);
    const hi = t.upper && numericValue(t.upper);
    if (t.base === 'int') {
      for (const b of [t.lower, t.upper]) {
        const v = b && numericValue(b);
        if (b && v !== undefined && !Number.isInteger(v)) {
          this.diags.push(
            error('type', `the bound ${v} of an int type must be a whole number`, b.range),
          );
        }
      }
    }
    if (lo !== undefined && hi !== undefined && !(lo < hi)) {
      this.diags.push(
        error(
          'type',
          `empty range: the lower bound ${lo} is not below the upper bound ${hi}`,
          t.range,
        ),
      );
    }
    for (const d of t.shape) this.checkDim(d, `the shape in ${what}`);
  }

  /** A dimension: a (non-ragged, already declared) size or a whole-number literal. */
  checkDim(d: Expr, what: string): void {
    if (d.kind === 'name') {
      const sym = this.expectSize(d.name, d.range, what);
      if (sym && (sym.stmt as SizeStmt).raggedOver) {
        this.diags.push(
          error(
            'type',
            `size '${d.name}' is ragged (one value per element of ${(sym.stmt as SizeStmt).raggedOver!.name}); it cannot be a fixed dimension`,
            d.range,
          ),
        );
      }
      return;
    }
    if (wholeNumber(d) === undefined) {
      this.diags.push(
        error('type', `a dimension must be a size or a whole number, in ${what}`, d.range, [
          'write sizes or integer literals, like real[K, 3]',
        ]),
      );
    }
  }

  // ------------------------------------------------------------ expressions

  checkExpr(e: Expr, ctx: ExprCtx): void {
    switch (e.kind) {
      case 'num':
        return;
      case 'name':
        this.checkName(e.name, e.range, ctx);
        return;
      case 'vector': {
        for (const item of e.items) this.checkExpr(item, ctx);
        const shapes = e.items.map(literalShape);
        const first = shapes[0];
        const odd = shapes.findIndex((s) => first && s && s.join() !== first.join());
        if (first && odd > 0) {
          this.diags.push(
            error(
              'shape',
              `the entries of this vector literal have different shapes (${dims(first)} and ${dims(shapes[odd]!)})`,
              e.items[odd]!.range,
              ['every row of a matrix literal needs the same length'],
            ),
          );
        }
        return;
      }
      case 'unary':
        this.checkExpr(e.arg, ctx);
        return;
      case 'cond':
        this.checkConditional(e, ctx);
        return;
      case 'binary':
        this.checkExpr(e.left, ctx);
        this.checkExpr(e.right, ctx);
        return;
      case 'index':
        this.checkIndexTarget(e, ctx);
        for (const i of e.indices) {
          if (i.kind === 'at') this.checkExpr(i.expr, ctx);
          else {
            if (i.lo) this.checkExpr(i.lo, ctx);
            if (i.hi) this.checkExpr(i.hi, ctx);
          }
        }
        return;
      case 'call':
        checkCall(
          this,
          e,
          (a) => this.checkExpr(a, ctx),
          (net, range) => this.useNet(net, range, ctx),
        );
        return;
    }
  }

  private checkConditional(e: Conditional, ctx: ExprCtx): void {
    this.checkExpr(e.test, ctx);
    const guards = ctx.guards ?? [];
    this.checkExpr(e.whenTrue, { ...ctx, guards: [...guards, { test: e.test, taken: true }] });
    this.checkExpr(e.whenFalse, { ...ctx, guards: [...guards, { test: e.test, taken: false }] });
  }

  /**
   * The target of `x[…]`. A node of a plate read at an earlier step of that plate (`z[t - 1]`)
   * is a lag, not a cycle, when a conditional covers the first steps; a later step, a
   * non-literal shift or an uncovered first step is an error here (and no cycle edge).
   */
  private checkIndexTarget(e: Extract<Expr, { kind: 'index' }>, ctx: ExprCtx): void {
    const sym = e.target.kind === 'name' ? this.lookup(e.target.name) : undefined;
    const isNode = sym?.kind === 'stochastic' || sym?.kind === 'deterministic';
    const reads = e.indices
      .map((a) => stepRead(a, ctx.plates))
      .filter((r) => r !== undefined && isNode && sym!.plates.includes(r.plate));
    const read = reads[0];
    if (!read || !sym) {
      this.checkExpr(e.target, ctx);
      return;
    }
    const name = sym.name;
    const t = read.plate.index.name;
    const header = plateHeader(read.plate);
    const allowed = `inside '${header}' a node may read its plate's earlier steps, ${name}[… ${t} - k …] with k a whole-number literal ≥ 1, under a conditional that handles the first k steps: ${t} == 0 ? … : … ${name}[${t} - 1] …`;
    let problem: string | undefined;
    const hints = [allowed];
    if (read.kind === 'later') {
      problem = `cycle: '${name}' is read at a later step ('${read.text}'); a sequence may only read earlier steps`;
    } else if (read.kind === 'nonliteral') {
      problem = `'${name}' is read at '${read.text}': the step back must be a whole-number literal`;
    } else {
      const t0 = uncoveredStep(ctx.guards ?? [], t, read.k);
      if (t0 !== undefined) {
        problem = `'${name}' is read at '${read.text}', which is before the first step when ${t} = ${t0}`;
        hints.unshift(
          read.k === 1
            ? `guard the read with a conditional: ${t} == 0 ? (the first step's value) : (an expression reading ${name}[${t} - 1])`
            : `guard the read with a conditional: ${t} < ${read.k} ? (the first steps' value) : (an expression reading ${name}[${read.text}])`,
        );
      }
    }
    if (problem) {
      this.diags.push(
        error(read.kind === 'later' ? 'cycle' : 'plate-index', problem, e.range, hints),
      );
      // the target is still checked, but gives no dependency edge (the error above says it all)
      this.checkExpr(e.target, { ...ctx, owner: undefined });
      return;
    }
    this.checkExpr(e.target, { ...ctx, lag: read.text });
  }

  netNames(): string[] {
    const all = [...this.model.values(), ...(this.inGuide ? (this.guide?.values() ?? []) : [])];
    return all.filter((s) => s.kind === 'net').map((s) => s.name);
  }

  /** A net call is a dependency like any name, and never a constant. */
  private useNet(net: Sym, range: Range, ctx: ExprCtx): void {
    if (ctx.constant) {
      this.diags.push(
        error(
          'type',
          `${ctx.constant} must be a constant, but it calls the net '${net.name}'`,
          range,
        ),
      );
      return;
    }
    this.addEdge(ctx.owner, net, range);
  }

  private checkName(name: string, range: Range, ctx: ExprCtx): void {
    if (ctx.plates.some((p) => p.index.name === name)) {
      if (ctx.constant) {
        this.diags.push(
          error('type', `${ctx.constant} cannot use the plate index '${name}'`, range),
        );
      }
      return;
    }
    const sym = this.lookup(name);
    if (!sym) {
      this.unknownName(name, range, ctx);
      return;
    }
    if (sym.kind === 'net') {
      this.diags.push(
        error('type', `'${name}' is a net; call it on an input, as in ${name}(x)`, range, [
          `the net is declared at ${at(sym.range)}`,
        ]),
      );
      return;
    }
    if (!this.checkSizeOrder(sym, range)) return;
    if (ctx.constant && sym.kind !== 'size' && sym.kind !== 'hyper') {
      this.diags.push(
        error(
          'type',
          `${ctx.constant} must be a constant, but it uses ${describeSym(sym)}`,
          range,
          ['constants are built from numbers, sizes and hypers'],
        ),
      );
      return;
    }
    this.addEdge(ctx.owner, sym, range, ctx.lag);
  }

  private unknownName(name: string, range: Range, ctx: ExprCtx): void {
    const plate = this.plateOfIndex(name);
    if (plate) {
      this.diags.push(
        error('plate-index', `plate index '${name}' is used outside its plate`, range, [
          `'${name}' is the index of '${plateHeader(plate)}' at ${at(plate.index.range)} and exists only inside it`,
        ]),
      );
      return;
    }
    if (isDistName(name)) {
      this.diags.push(
        error('type', `'${name}' is a distribution, not a value`, range, [
          `a distribution only appears after '~', as in 'x ~ ${name}(…)'`,
        ]),
      );
      return;
    }
    if (isFunctionName(name)) {
      this.diags.push(error('type', `'${name}' is a function; call it, as in ${name}(x)`, range));
      return;
    }
    this.diags.push(
      error(
        'unknown-name',
        `unknown name '${name}'${didYouMean(name, this.visibleNames(ctx.plates))}`,
        range,
      ),
    );
  }
}

function rangeOfKeyword(s: Stmt): Range {
  // the statement starts with its keyword: point at it and the name after it
  const end = 'name' in s ? s.name.range.end : s.range.end;
  return { start: s.range.start, end };
}

function dims(s: Shape): string {
  return s.length === 0 ? 'a scalar' : `[${s.join(', ')}]`;
}

/** The declared shape if every entry is a literal, else undefined. */
function literalDims(dims: readonly Expr[]): Shape | undefined {
  const out: number[] = [];
  for (const d of dims) {
    const n = wholeNumber(d);
    if (n === undefined) return undefined;
    out.push(n);
  }
  return out;
}
