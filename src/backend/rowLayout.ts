// How the fused elementwise SIMD kernels (multiply.ts, normalKl.ts) read operands broadcast
// against their output, the output seen as rows × cols of its last axis: an operand is read at
// p + r·row + c, or, with `splat`, as the one value at p + r·row in every lane of its row. Four
// broadcasts qualify (others keep the tfjs ops or kernel):
//   one     a single value             row 0,        splat
//   full    the output's own shape      row 4·cols,   vector
//   last    a vector along the last axis, repeated on every row   row 0, vector
//   column  one value per row ([..., 1])                            row 4, splat
import { prod, sameShape } from '../util/shape.js';

export type OperandKind = 'one' | 'full' | 'last' | 'column';

/** How one operand is read: its row stride in bytes, and whether one value fills a row. */
export interface RowRead {
  readonly row: number;
  readonly splat: 0 | 1;
}

export interface RowPlan {
  readonly rows: number;
  readonly cols: number;
  /** the entries of a row the SIMD pass covers (a multiple of 4); the rest, only when rows = 1, are the caller's */
  readonly simdCols: number;
  readonly reads: readonly RowRead[];
}

/** The broadcast of an operand of shape `s` against `out`, or undefined for any other. */
export function operandKind(s: readonly number[], out: readonly number[]): OperandKind | undefined {
  if (s.length > out.length) return undefined;
  const p = [...new Array<number>(out.length - s.length).fill(1), ...s];
  if (p.every((d) => d === 1)) return 'one';
  if (sameShape(p, out)) return 'full';
  const r = out.length - 1;
  if (p[r] === out[r] && p.slice(0, r).every((d) => d === 1)) return 'last';
  if (p[r] === 1 && sameShape(p.slice(0, r), out.slice(0, r))) return 'column';
  return undefined;
}

/**
 * `out` as rows × cols for a SIMD pass over operands of the shapes given, or undefined where an
 * operand is of a kind not in `accept`, or a per-row or per-column operand meets a last axis
 * that is not a multiple of 4 long. With only single values and full operands the output is
 * one row of every entry (the SIMD pass covers all but the last n mod 4); otherwise rows of
 * its last axis.
 */
export function rowPlan(
  out: readonly number[],
  shapes: readonly (readonly number[])[],
  accept: readonly OperandKind[],
): RowPlan | undefined {
  const n = prod(out);
  const kinds = shapes.map((s) => operandKind(s, out));
  if (kinds.some((k) => k === undefined || !accept.includes(k))) return undefined;
  if (kinds.every((k) => k === 'one' || k === 'full'))
    return {
      rows: 1,
      cols: n,
      simdCols: n - (n % 4),
      reads: kinds.map((k) => ({ row: 0, splat: k === 'one' ? 1 : 0 })),
    };
  const cols = out[out.length - 1];
  if (cols % 4 !== 0) return undefined;
  const read = (k: OperandKind | undefined): RowRead =>
    k === 'one'
      ? { row: 0, splat: 1 }
      : k === 'full'
        ? { row: 4 * cols, splat: 0 }
        : k === 'last'
          ? { row: 0, splat: 0 }
          : { row: 4, splat: 1 };
  return { rows: n / cols, cols, simdCols: cols, reads: kinds.map(read) };
}
