// Walking expressions: the direct sub-expressions of a node, and every name an expression
// mentions. Engines' planners (em, cavi) and the graph's conjugacy facts read expressions this
// way; one walker keeps them agreeing on what an expression contains.
import type { Expr } from './ast.js';

/** The direct sub-expressions of e (an index's positions and slice bounds included). */
export function subExprs(e: Expr): Expr[] {
  switch (e.kind) {
    case 'binary':
      return [e.left, e.right];
    case 'unary':
      return [e.arg];
    case 'cond':
      return [e.test, e.whenTrue, e.whenFalse];
    case 'call':
      return e.args.map((a) => a.value);
    case 'index':
      return [
        e.target,
        ...e.indices.flatMap((a) =>
          a.kind === 'at' ? [a.expr] : [a.lo, a.hi].filter((x): x is Expr => !!x),
        ),
      ];
    case 'vector':
      return [...e.items];
    default:
      return [];
  }
}

/** Every name e mentions (a call's callee excluded), with repetitions, in reading order. */
export function namesIn(e: Expr, out: string[] = []): string[] {
  if (e.kind === 'name') out.push(e.name);
  else for (const s of subExprs(e)) namesIn(s, out);
  return out;
}
