// Printing IR fragments for messages: expressions as source-like text, value types as
// written (`real(0,)[K, M]`), shapes with their size names and, once bound, their numbers.
import type { Expr, IndexArg } from '../lang/ast.js';
import type { Dim, StochasticNode, ValueType } from './ir.js';

// comparisons and logic bind looser than arithmetic (0 is the conditional)
const PREC: Record<string, number> = {
  '||': 0.25,
  '&&': 0.5,
  '==': 0.75,
  '!=': 0.75,
  '<': 0.75,
  '<=': 0.75,
  '>': 0.75,
  '>=': 0.75,
  '+': 1,
  '-': 1,
  '*': 2,
  '/': 2,
  '@': 2,
  '^': 4,
};

/** An expression as the user would write it (minimal parentheses). */
export function exprToString(e: Expr): string {
  return show(e, 0);
}

function show(e: Expr, outer: number): string {
  switch (e.kind) {
    case 'num':
      return String(e.value);
    case 'name':
      return e.name;
    case 'vector':
      return `[${e.items.map((x) => show(x, 0)).join(', ')}]`;
    case 'unary': {
      const s = `${e.op}${show(e.arg, 3)}`;
      return outer > 3 ? `(${s})` : s;
    }
    case 'binary': {
      const p = PREC[e.op];
      // `^` is right-associative; the others are left-associative
      const l = show(e.left, e.op === '^' ? p + 1 : p);
      const r = show(e.right, e.op === '^' ? p : p + 1);
      const s = e.op === '^' ? `${l}^${r}` : `${l} ${e.op} ${r}`;
      return p < outer ? `(${s})` : s;
    }
    case 'cond': {
      const s = `${show(e.test, 0.25)} ? ${show(e.whenTrue, 0)} : ${show(e.whenFalse, 0)}`;
      return outer > 0 ? `(${s})` : s;
    }
    case 'index':
      return `${show(e.target, 5)}[${e.indices.map(showIndex).join(', ')}]`;
    case 'call':
      return `${e.callee}(${e.args.map((a) => (a.name ? `${a.name} = ` : '') + show(a.value, 0)).join(', ')})`;
  }
}

function showIndex(i: IndexArg): string {
  if (i.kind === 'at') return show(i.expr, 0);
  return `${i.lo ? show(i.lo, 0) : ''}:${i.hi ? show(i.hi, 0) : ''}`;
}

/** `real(0,)`, `int(0, 10)`, `simplex`: the base type and bounds, without the shape. */
export function baseTypeToString(t: ValueType): string {
  if (t.lower === undefined && t.upper === undefined) return t.base;
  const lo = t.lower ? exprToString(t.lower) : '';
  const hi = t.upper ? exprToString(t.upper) : '';
  return `${t.base}(${lo},${hi && lo ? ' ' : ''}${hi})`;
}

/** `real(0,)[K, M]` */
export function typeToString(t: ValueType): string {
  return baseTypeToString(t) + (t.shape.length ? shapeToString(t.shape) : '');
}

/** `[K, M]` */
export function shapeToString(shape: readonly Dim[]): string {
  return `[${shape.map(dimToString).join(', ')}]`;
}

/** Unknown dims (a slice with computed bounds) print as `?`. */
export function dimToString(d: Dim): string {
  return typeof d === 'string' && d.startsWith('?') ? '?' : String(d);
}

/** `[K, M] = [16, 40]` when sizes are known and some dim is a name; else just `[16, 40]`. */
export function shapeWithSizes(
  shape: readonly Dim[],
  concrete: readonly number[] | undefined,
): string {
  const sym = shapeToString(shape);
  if (!concrete) return sym;
  const num = `[${concrete.join(', ')}]`;
  return sym === num ? sym : `${sym} = ${num}`;
}

/** `y[3, 1]`, or `y` for a scalar. */
export function indexedName(name: string, index: readonly number[]): string {
  return index.length ? `${name}[${index.join(', ')}]` : name;
}

/** A truncated node's bounds as written: `T[0, ]`, `T[lo, mu + 3]`; '' when not truncated. */
export function truncationText(n: StochasticNode): string {
  const t = n.truncation;
  if (!t) return '';
  return `T[${t.lower ? exprToString(t.lower) : ''}, ${t.upper ? exprToString(t.upper) : ''}]`;
}
