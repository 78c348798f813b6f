// Shapes that are known without any size: number literals, vector literals of them, `rep`,
// `zeros`, `ones`, `eye` with literal counts, and elementwise arithmetic on those. Enough for
// the checker's static shape errors; the symbolic analysis lives in src/graph/shapes.ts.

import { broadcastShapes } from '../util/shape.js';
import type { Expr } from './ast.js';

export type Shape = readonly number[];

/** A literal's value if `e` is a (signed) number literal. */
export function numericValue(e: Expr): number | undefined {
  if (e.kind === 'num') return e.value;
  if (e.kind === 'unary') {
    const v = numericValue(e.arg);
    return v === undefined ? undefined : e.op === '-' ? -v : v;
  }
  return undefined;
}

/** A non-negative whole-number literal, as used for counts and dimensions. */
export function wholeNumber(e: Expr): number | undefined {
  return e.kind === 'num' && e.isInt ? e.value : undefined;
}

export function literalShape(e: Expr): Shape | undefined {
  switch (e.kind) {
    case 'num':
      return [];
    case 'unary':
      return literalShape(e.arg);
    case 'vector': {
      const items = e.items.map(literalShape);
      const first = items[0];
      if (first === undefined || items.some((s) => s === undefined || !sameShape(s, first))) {
        return undefined;
      }
      return [items.length, ...first];
    }
    case 'binary': {
      if (e.op === '@') return undefined;
      const a = literalShape(e.left);
      const b = literalShape(e.right);
      return a && b ? broadcastShapes(a, b) : undefined;
    }
    case 'call':
      return callShape(
        e.callee,
        e.args.map((a) => a.value),
      );
    default:
      return undefined;
  }
}

function callShape(callee: string, args: readonly Expr[]): Shape | undefined {
  const counts = args.map(wholeNumber);
  switch (callee) {
    case 'rep': {
      const inner = args[0] && literalShape(args[0]);
      return inner && counts[1] !== undefined && args.length === 2
        ? [counts[1], ...inner]
        : undefined;
    }
    case 'zeros':
    case 'ones':
      return args.length > 0 && args.length <= 2 && counts.every((c) => c !== undefined)
        ? (counts as number[])
        : undefined;
    case 'eye':
      return args.length === 1 && counts[0] !== undefined ? [counts[0], counts[0]] : undefined;
    case 'exp':
    case 'log':
    case 'log1p':
    case 'sqrt':
    case 'abs':
    case 'sigmoid':
    case 'softplus':
    case 'softmax':
      return args.length === 1 ? literalShape(args[0]!) : undefined;
    default:
      return undefined;
  }
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Can a value of shape `from` be broadcast to exactly `to`? */
export function broadcastsTo(from: Shape, to: Shape): boolean {
  if (from.length > to.length) return false;
  for (let i = 1; i <= from.length; i++) {
    const a = from[from.length - i]!;
    if (a !== 1 && a !== to[to.length - i]) return false;
  }
  return true;
}

export function showShape(s: Shape): string {
  return s.length === 0 ? 'a scalar' : `shape [${s.join(', ')}]`;
}
