// The deepest expression in a program, measured without recursion. The parser reads sign runs,
// `^` chains and `a + b + …` as loops, but their ASTs are as deep as they are long; everything
// downstream (checker, printer, graph, compiler) recurses over expressions, so the frontend
// refuses expressions deeper than a fixed bound instead of letting a later stage overflow.
import type { Expr, Program, Stmt, TypeExpr } from './ast.js';

function* childExprs(e: Expr): Generator<Expr> {
  switch (e.kind) {
    case 'unary':
      yield e.arg;
      break;
    case 'cond':
      yield e.test;
      yield e.whenTrue;
      yield e.whenFalse;
      break;
    case 'binary':
      yield e.left;
      yield e.right;
      break;
    case 'vector':
      yield* e.items;
      break;
    case 'call':
      for (const a of e.args) yield a.value;
      break;
    case 'index':
      yield e.target;
      for (const i of e.indices) {
        if (i.kind === 'at') yield i.expr;
        else {
          if (i.lo) yield i.lo;
          if (i.hi) yield i.hi;
        }
      }
      break;
  }
}

function* typeExprs(t: TypeExpr | undefined): Generator<Expr> {
  if (!t) return;
  if (t.lower) yield t.lower;
  if (t.upper) yield t.upper;
  yield* t.shape;
}

/** The top-level expressions of every statement, plates included. */
export function* statementExprs(stmts: readonly Stmt[]): Generator<Expr> {
  const stack: Stmt[] = [...stmts].reverse();
  while (stack.length > 0) {
    const s = stack.pop()!;
    switch (s.kind) {
      case 'size':
        if (s.value) yield s.value;
        break;
      case 'hyper':
      case 'param':
        yield* typeExprs(s.type);
        if (s.value) yield s.value;
        break;
      case 'data':
        yield* typeExprs(s.type);
        break;
      case 'net':
        yield* s.layers;
        for (const o of s.options) yield o.value;
        break;
      case 'stochastic':
        yield* typeExprs(s.type);
        for (const a of s.dist.args) yield a.value;
        if (s.dist.truncation?.lower) yield s.dist.truncation.lower;
        if (s.dist.truncation?.upper) yield s.dist.truncation.upper;
        break;
      case 'deterministic':
        yield s.value;
        break;
      case 'plate':
        for (let i = s.body.length - 1; i >= 0; i--) stack.push(s.body[i]!);
        break;
    }
  }
}

/** The first expression nested deeper than `limit`, if any. */
export function tooDeep(program: Program, limit: number): Expr | undefined {
  const roots = [
    ...statementExprs(program.model.body),
    ...statementExprs(program.guide?.body ?? []),
  ];
  for (const root of roots) {
    const stack: [Expr, number][] = [[root, 1]];
    while (stack.length > 0) {
      const [e, d] = stack.pop()!;
      if (d > limit) return root;
      for (const c of childExprs(e)) stack.push([c, d + 1]);
    }
  }
  return undefined;
}
