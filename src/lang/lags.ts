// Lagged references in sequences (DESIGN §2 "Sequences"). Inside `plate t in T`, a node of that
// plate may be read at `t - k` for an integer literal k ≥ 1 when a conditional expression around
// the read excludes it at the first k steps (`t == 0 ? init : A[z[t - 1]]`): the plate is then a
// chain over t, not a cycle. This module classifies an index position and decides the coverage;
// the checker words the errors.
import type { Expr, IndexArg, PlateStmt } from './ast.js';

/** How one index position of `x[…]` reads the steps of an enclosing plate. */
export type StepRead =
  /** `t - k`, k a whole-number literal ≥ 1 */
  | { readonly kind: 'lag'; readonly plate: PlateStmt; readonly k: number; readonly text: string }
  /** `t + k` with k > 0 (or `t - k` with k < 0): a later step */
  | { readonly kind: 'later'; readonly plate: PlateStmt; readonly text: string }
  /** `t - n` with n not a whole-number literal */
  | { readonly kind: 'nonliteral'; readonly plate: PlateStmt; readonly text: string };

/** A conditional around an expression: the branch it sits in is taken when `test` is `taken`. */
export interface Guard {
  readonly test: Expr;
  readonly taken: boolean;
}

/** `t - 1`, `t + 1`, `t - n`: a shift of an enclosing plate's index, if the position is one. */
export function stepRead(a: IndexArg, plates: readonly PlateStmt[]): StepRead | undefined {
  if (a.kind !== 'at') return undefined;
  const x = a.expr;
  if (x.kind !== 'binary' || (x.op !== '-' && x.op !== '+') || x.left.kind !== 'name')
    return undefined;
  const index = x.left.name;
  const plate = plates.find((p) => p.index.name === index);
  if (!plate) return undefined;
  const r = x.right;
  const literal = r.kind === 'num' && r.isInt ? r.value : undefined;
  const text = `${index} ${x.op} ${r.kind === 'num' ? r.value : r.kind === 'name' ? r.name : '…'}`;
  if (literal === undefined) return { kind: 'nonliteral', plate, text };
  const k = x.op === '-' ? literal : -literal;
  if (k === 0) return undefined;
  return k > 0 ? { kind: 'lag', plate, k, text } : { kind: 'later', plate, text };
}

/**
 * The first step t0 < k at which no guard excludes the read (the read would be taken at a step
 * before the first), or undefined when every one of the first k steps is covered. A guard's test
 * is evaluated at t = t0 with three-valued logic: anything but integer literals and the index
 * itself is unknown, and an unknown test covers nothing.
 */
export function uncoveredStep(
  guards: readonly Guard[],
  index: string,
  k: number,
): number | undefined {
  for (let t0 = 0; t0 < k; t0++) {
    const excluded = guards.some((g) => {
      const v = valueAt(g.test, index, t0);
      return v !== undefined && (v !== 0) !== g.taken;
    });
    if (!excluded) return t0;
  }
  return undefined;
}

/** The value of an integer-and-logic expression at index = t0; undefined if it is unknown. */
function valueAt(e: Expr, index: string, t0: number): number | undefined {
  switch (e.kind) {
    case 'num':
      return e.value;
    case 'name':
      return e.name === index ? t0 : undefined;
    case 'unary': {
      const a = valueAt(e.arg, index, t0);
      if (a === undefined) return undefined;
      return e.op === '!' ? Number(a === 0) : e.op === '-' ? -a : a;
    }
    case 'cond': {
      const c = valueAt(e.test, index, t0);
      if (c === undefined) return undefined;
      return valueAt(c !== 0 ? e.whenTrue : e.whenFalse, index, t0);
    }
    case 'binary': {
      const a = valueAt(e.left, index, t0);
      const b = valueAt(e.right, index, t0);
      // Kleene logic: false && unknown is false, true || unknown is true
      if (e.op === '&&') {
        if (a === 0 || b === 0) return 0;
        return a === undefined || b === undefined ? undefined : 1;
      }
      if (e.op === '||') {
        if ((a !== undefined && a !== 0) || (b !== undefined && b !== 0)) return 1;
        return a === undefined || b === undefined ? undefined : 0;
      }
      if (a === undefined || b === undefined) return undefined;
      switch (e.op) {
        case '==':
          return Number(a === b);
        case '!=':
          return Number(a !== b);
        case '<':
          return Number(a < b);
        case '<=':
          return Number(a <= b);
        case '>':
          return Number(a > b);
        case '>=':
          return Number(a >= b);
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}
