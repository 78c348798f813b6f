// The CST visitor: turns chevrotain's concrete syntax tree into the AST of ast.ts with exact
// source ranges. Only ever called on a CST that parsed without errors. `validateVisitor()`
// keeps the visitor's methods in step with the grammar's rules.
import type { CstNode, IToken } from 'chevrotain';
import type {
  Arg,
  BinaryOp,
  Block,
  DistCall,
  Expr,
  Ident,
  IndexArg,
  LValue,
  Program,
  Range,
  Stmt,
  Truncation,
  TypeExpr,
} from './ast.js';
import type {
  ArgCstChildren,
  ArgListCstChildren,
  BodyCstChildren,
  ComparisonCstChildren,
  ConjunctionCstChildren,
  DataStmtCstChildren,
  DisjunctionCstChildren,
  DistCallCstChildren,
  ExponentCstChildren,
  ExpressionCstChildren,
  GuideBlockCstChildren,
  HyperStmtCstChildren,
  IndexCstChildren,
  IndexSuffixCstChildren,
  LvalueCstChildren,
  ModelBlockCstChildren,
  NamedArgCstChildren,
  NameOrCallCstChildren,
  NetStmtCstChildren,
  NodeStmtCstChildren,
  ParamStmtCstChildren,
  ParenExprCstChildren,
  PlateStmtCstChildren,
  PostfixCstChildren,
  PowerCstChildren,
  PrimaryCstChildren,
  ProgramCstChildren,
  SizeStmtCstChildren,
  StatementCstChildren,
  SumCstChildren,
  TermCstChildren,
  TruncationCstChildren,
  TypeExprCstChildren,
  UnaryCstChildren,
  VectorLitCstChildren,
} from './cst.js';
import { tokenRange } from './lexer.js';
import { platoParser } from './parser.js';

function nodeRange(n: CstNode): Range {
  const l = n.location!;
  return {
    start: { offset: l.startOffset, line: l.startLine ?? 1, column: l.startColumn ?? 1 },
    end: {
      offset: (l.endOffset ?? l.startOffset) + 1,
      line: l.endLine ?? l.startLine ?? 1,
      column: (l.endColumn ?? l.startColumn ?? 1) + 1,
    },
  };
}

const span = (a: Range, b: Range): Range => ({ start: a.start, end: b.end });
const ident = (t: IToken): Ident => ({ name: t.image, range: tokenRange(t) });

const BaseVisitor = platoParser().getBaseCstVisitorConstructor();

class AstBuilder extends BaseVisitor {
  constructor() {
    super();
    this.validateVisitor();
  }

  // typed entry points (chevrotain's `visit` is untyped)
  private expr(n: CstNode): Expr {
    return this.visit(n) as Expr;
  }
  private stmts(n: CstNode): Stmt[] {
    return this.visit(n) as Stmt[];
  }
  private block(n: CstNode): Block {
    return this.visit(n) as Block;
  }
  private type(n: CstNode): TypeExpr {
    return this.visit(n) as TypeExpr;
  }
  private args(n: CstNode[] | undefined): Arg[] {
    return n ? (this.visit(n[0]!) as Arg[]) : [];
  }

  program(ctx: ProgramCstChildren): Program {
    const model = this.block(ctx.modelBlock[0]!);
    return ctx.guideBlock ? { model, guide: this.block(ctx.guideBlock[0]!) } : { model };
  }

  modelBlock(ctx: ModelBlockCstChildren): Block {
    return this.blockOf(ctx.Model[0]!, ctx.Identifier[0]!, ctx.body[0]!);
  }

  guideBlock(ctx: GuideBlockCstChildren): Block {
    return this.blockOf(ctx.Guide[0]!, ctx.Identifier[0]!, ctx.body[0]!);
  }

  private blockOf(keyword: IToken, name: IToken, body: CstNode): Block {
    return {
      name: ident(name),
      body: this.stmts(body),
      range: span(tokenRange(keyword), nodeRange(body)),
    };
  }

  body(ctx: BodyCstChildren): Stmt[] {
    return (ctx.statement ?? []).map((s) => this.visit(s) as Stmt);
  }

  statement(ctx: StatementCstChildren): Stmt {
    const child =
      ctx.sizeStmt ??
      ctx.hyperStmt ??
      ctx.dataStmt ??
      ctx.paramStmt ??
      ctx.netStmt ??
      ctx.plateStmt ??
      ctx.nodeStmt;
    return this.visit(child![0]!) as Stmt;
  }

  sizeStmt(ctx: SizeStmtCstChildren): Stmt {
    return {
      kind: 'size',
      name: ident(ctx.name[0]!),
      ...(ctx.over ? { raggedOver: ident(ctx.over[0]!) } : {}),
      ...(ctx.expression ? { value: this.expr(ctx.expression[0]!) } : {}),
      range: this.rangeOf(ctx),
    };
  }

  hyperStmt(ctx: HyperStmtCstChildren): Stmt {
    return {
      kind: 'hyper',
      name: ident(ctx.Identifier[0]!),
      type: this.type(ctx.typeExpr[0]!),
      ...(ctx.expression ? { value: this.expr(ctx.expression[0]!) } : {}),
      range: this.rangeOf(ctx),
    };
  }

  dataStmt(ctx: DataStmtCstChildren): Stmt {
    return {
      kind: 'data',
      name: ident(ctx.Identifier[0]!),
      type: this.type(ctx.typeExpr[0]!),
      range: this.rangeOf(ctx),
    };
  }

  paramStmt(ctx: ParamStmtCstChildren): Stmt {
    return {
      kind: 'param',
      name: ident(ctx.Identifier[0]!),
      type: this.type(ctx.typeExpr[0]!),
      ...(ctx.expression ? { value: this.expr(ctx.expression[0]!) } : {}),
      range: this.rangeOf(ctx),
    };
  }

  netStmt(ctx: NetStmtCstChildren): Stmt {
    return {
      kind: 'net',
      name: ident(ctx.name[0]!),
      arch: ident(ctx.arch[0]!),
      layers: ctx.layer.map((l) => this.expr(l)),
      options: (ctx.namedArg ?? []).map((a) => this.visit(a) as Arg),
      range: this.rangeOf(ctx),
    };
  }

  namedArg(ctx: NamedArgCstChildren): Arg {
    const name = ctx.Identifier[0]!;
    const value = this.expr(ctx.expression[0]!);
    return {
      name: name.image,
      nameRange: tokenRange(name),
      value,
      range: span(tokenRange(name), value.range),
    };
  }

  plateStmt(ctx: PlateStmtCstChildren): Stmt {
    return {
      kind: 'plate',
      index: ident(ctx.index[0]!),
      size: ident(ctx.size[0]!),
      ...(ctx.sizeIndex ? { sizeIndex: ident(ctx.sizeIndex[0]!) } : {}),
      body: this.stmts(ctx.body[0]!),
      range: this.rangeOf(ctx),
    };
  }

  nodeStmt(ctx: NodeStmtCstChildren): Stmt {
    const target = this.visit(ctx.lvalue[0]!) as LValue;
    const range = this.rangeOf(ctx);
    if (ctx.distCall) {
      const dist = this.visit(ctx.distCall[0]!) as DistCall;
      return {
        kind: 'stochastic',
        target,
        ...(ctx.typeExpr ? { type: this.type(ctx.typeExpr[0]!) } : {}),
        dist,
        range,
      };
    }
    return { kind: 'deterministic', target, value: this.expr(ctx.expression![0]!), range };
  }

  lvalue(ctx: LvalueCstChildren): LValue {
    const name = ident(ctx.name[0]!);
    return {
      name,
      indices: (ctx.index ?? []).map(ident),
      range: ctx.RBracket ? span(name.range, tokenRange(ctx.RBracket[0]!)) : name.range,
    };
  }

  distCall(ctx: DistCallCstChildren): DistCall {
    return {
      name: ident(ctx.Identifier[0]!),
      args: this.args(ctx.argList),
      range: span(tokenRange(ctx.Identifier[0]!), tokenRange(ctx.RParen[0]!)),
      ...(ctx.truncation ? { truncation: this.visit(ctx.truncation[0]!) as Truncation } : {}),
    };
  }

  truncation(ctx: TruncationCstChildren): Truncation {
    const marker = ident(ctx.marker[0]!);
    return {
      marker,
      ...(ctx.lower ? { lower: this.expr(ctx.lower[0]!) } : {}),
      ...(ctx.upper ? { upper: this.expr(ctx.upper[0]!) } : {}),
      range: span(marker.range, tokenRange(ctx.RBracket[0]!)),
    };
  }

  typeExpr(ctx: TypeExprCstChildren): TypeExpr {
    const base = ctx.Real ? 'real' : ctx.Int ? 'int' : 'simplex';
    const first = (ctx.Real ?? ctx.Int ?? ctx.Simplex)![0]!;
    const last = ctx.RBracket?.[0] ?? ctx.RParen?.[0] ?? first;
    return {
      base,
      ...(ctx.lower ? { lower: this.expr(ctx.lower[0]!) } : {}),
      ...(ctx.upper ? { upper: this.expr(ctx.upper[0]!) } : {}),
      shape: (ctx.dim ?? []).map((d) => this.expr(d)),
      range: span(tokenRange(first), tokenRange(last)),
    };
  }

  // ------------------------------------------------------------ expressions

  expression(ctx: ExpressionCstChildren): Expr {
    const test = this.expr(ctx.test[0]!);
    if (!ctx.then || !ctx.otherwise) return test;
    const whenFalse = this.expr(ctx.otherwise[0]!);
    return {
      kind: 'cond',
      test,
      whenTrue: this.expr(ctx.then[0]!),
      whenFalse,
      range: span(test.range, whenFalse.range),
    };
  }

  disjunction(ctx: DisjunctionCstChildren): Expr {
    return this.leftFold(ctx.operand, ctx.operator);
  }

  conjunction(ctx: ConjunctionCstChildren): Expr {
    return this.leftFold(ctx.operand, ctx.operator);
  }

  comparison(ctx: ComparisonCstChildren): Expr {
    return this.leftFold(ctx.operand, ctx.operator);
  }

  sum(ctx: SumCstChildren): Expr {
    return this.leftFold(ctx.operand, ctx.operator);
  }

  term(ctx: TermCstChildren): Expr {
    return this.leftFold(ctx.operand, ctx.operator);
  }

  private leftFold(operands: CstNode[], operators: IToken[] | undefined): Expr {
    let left = this.expr(operands[0]!);
    (operators ?? []).forEach((op, i) => {
      const right = this.expr(operands[i + 1]!);
      left = {
        kind: 'binary',
        op: op.image as BinaryOp,
        left,
        right,
        range: span(left.range, right.range),
      };
    });
    return left;
  }

  unary(ctx: UnaryCstChildren): Expr {
    return applySigns(ctx.sign, this.expr(ctx.power[0]!));
  }

  power(ctx: PowerCstChildren): Expr {
    const base = this.expr(ctx.base[0]!);
    const exps = (ctx.exponent ?? []).map((e) => e.children as ExponentCstChildren);
    if (exps.length === 0) return base;
    // right-associative: a ^ -b ^ c = a ^ (-(b ^ c)); each exponent's signs bind looser than
    // the ^ chain to its right, as in Python's a ** -b ** c
    let acc: Expr | undefined;
    for (let i = exps.length - 1; i >= 0; i--) {
      const e = exps[i]!;
      const operand = this.expr(e.postfix[0]!);
      const raised: Expr = acc
        ? {
            kind: 'binary',
            op: '^',
            left: operand,
            right: acc,
            range: span(operand.range, acc.range),
          }
        : operand;
      acc = applySigns(e.sign, raised);
    }
    return {
      kind: 'binary',
      op: '^',
      left: base,
      right: acc!,
      range: span(base.range, acc!.range),
    };
  }

  exponent(ctx: ExponentCstChildren): Expr {
    // not reached: power() reads exponents directly; kept for validateVisitor
    return applySigns(ctx.sign, this.expr(ctx.postfix[0]!));
  }

  postfix(ctx: PostfixCstChildren): Expr {
    let target = this.expr(ctx.primary[0]!);
    for (const suffix of ctx.indexSuffix ?? []) {
      const s = suffix.children as IndexSuffixCstChildren;
      target = {
        kind: 'index',
        target,
        indices: s.index.map((i) => this.visit(i) as IndexArg),
        range: span(target.range, tokenRange(s.RBracket[0]!)),
      };
    }
    return target;
  }

  indexSuffix(ctx: IndexSuffixCstChildren): IndexArg[] {
    // not reached: postfix() reads suffixes directly; kept for validateVisitor
    return ctx.index.map((i) => this.visit(i) as IndexArg);
  }

  index(ctx: IndexCstChildren): IndexArg {
    const lo = ctx.lo ? this.expr(ctx.lo[0]!) : undefined;
    const hi = ctx.hi ? this.expr(ctx.hi[0]!) : undefined;
    if (!ctx.Colon) return { kind: 'at', expr: lo!, range: lo!.range };
    const colon = tokenRange(ctx.Colon[0]!);
    const range = span(lo?.range ?? colon, hi?.range ?? colon);
    return { kind: 'slice', ...(lo ? { lo } : {}), ...(hi ? { hi } : {}), range };
  }

  primary(ctx: PrimaryCstChildren): Expr {
    if (ctx.NumberLiteral) {
      const t = ctx.NumberLiteral[0]!;
      return {
        kind: 'num',
        value: Number(t.image),
        isInt: !/[.eE]/.test(t.image),
        range: tokenRange(t),
      };
    }
    const child = ctx.nameOrCall ?? ctx.parenExpr ?? ctx.vectorLit;
    return this.expr(child![0]!);
  }

  nameOrCall(ctx: NameOrCallCstChildren): Expr {
    const name = ctx.Identifier[0]!;
    if (!ctx.LParen) return { kind: 'name', name: name.image, range: tokenRange(name) };
    return {
      kind: 'call',
      callee: name.image,
      calleeRange: tokenRange(name),
      args: this.args(ctx.argList),
      range: span(tokenRange(name), tokenRange(ctx.RParen![0]!)),
    };
  }

  parenExpr(ctx: ParenExprCstChildren): Expr {
    return this.expr(ctx.expression[0]!);
  }

  vectorLit(ctx: VectorLitCstChildren): Expr {
    return {
      kind: 'vector',
      items: ctx.item.map((i) => this.expr(i)),
      range: span(tokenRange(ctx.LBracket[0]!), tokenRange(ctx.RBracket[0]!)),
    };
  }

  argList(ctx: ArgListCstChildren): Arg[] {
    return ctx.arg.map((a) => this.visit(a) as Arg);
  }

  arg(ctx: ArgCstChildren): Arg {
    const value = this.expr(ctx.expression[0]!);
    if (!ctx.name) return { value, range: value.range };
    const name = ctx.name[0]!;
    return {
      name: name.image,
      nameRange: tokenRange(name),
      value,
      range: span(tokenRange(name), value.range),
    };
  }

  /** the range covered by a rule's children: first token to last token */
  private rangeOf(ctx: object): Range {
    let first: Range | undefined;
    let last: Range | undefined;
    for (const items of Object.values(ctx) as (IToken | CstNode)[][]) {
      for (const item of items) {
        const r = 'image' in item ? tokenRange(item) : nodeRange(item);
        if (!first || r.start.offset < first.start.offset) first = r;
        if (!last || r.end.offset > last.end.offset) last = r;
      }
    }
    return span(first!, last!);
  }
}

function applySigns(signs: IToken[] | undefined, operand: Expr): Expr {
  let acc = operand;
  for (let i = (signs ?? []).length - 1; i >= 0; i--) {
    const t = signs![i]!;
    acc = {
      kind: 'unary',
      op: t.image as '-' | '+' | '!',
      arg: acc,
      range: span(tokenRange(t), acc.range),
    };
  }
  return acc;
}

let builder: AstBuilder | undefined;

/** Build the AST of a CST that parsed without errors. */
export function toAst(cst: CstNode): Program {
  builder ??= new AstBuilder();
  return builder.visit(cst) as Program;
}
