// The matrix products that gemmSimd.ts's functions compute in place of XNNPACK's (matMul.ts
// decides when): C = act(op(A) B + bias) for float32 operands, op(A) = A or Aᵀ (read in place,
// no transposed copy), act = identity or relu, a bias of n entries added to every row, and
// optionally zeroed where a mask is ≤ 0 (a relu layer's gradient).
import type * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { simdFunctions } from './simd.js';
import { heapAddress, type WasmHeap } from './wasmKernel.js';

type Info = tf.TensorInfo;

export interface GemmArgs {
  /** op(A) [m, k]: A's data is m × k row-major, or k × m with transposeA */
  readonly a: Info;
  /** [k, n] row-major */
  readonly b: Info;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transposeA: boolean;
  /** n entries (any shape of that size whose last axis is n) */
  readonly bias?: Info;
  readonly relu: boolean;
  /** m × n entries: C is zeroed wherever mask ≤ 0 (after bias and relu) */
  readonly mask?: Info;
  /** the output's shape: m × n entries */
  readonly shape: number[];
}

/** Can gemm() add this bias (n float32 entries along the last axis) to every row? */
export function rowBias(bias: Info | undefined, n: number): boolean {
  return (
    bias === undefined ||
    (bias.dtype === 'float32' &&
      bias.shape.length > 0 &&
      bias.shape[bias.shape.length - 1] === n &&
      prod(bias.shape) === n)
  );
}

/**
 * C on `backend`'s heap, or undefined where the functions cannot run (no SIMD module, an
 * operand that is not float32, a bias rowBias refuses): the caller keeps tfjs's kernel then.
 */
export function gemm(backend: unknown, args: GemmArgs): Info | undefined {
  const fns = simdFunctions(backend)?.gemm;
  const { m, k, n, bias } = args;
  if (
    !fns ||
    args.a.dtype !== 'float32' ||
    args.b.dtype !== 'float32' ||
    prod(args.a.shape) !== m * k ||
    prod(args.b.shape) !== k * n ||
    (args.mask !== undefined &&
      (args.mask.dtype !== 'float32' || prod(args.mask.shape) !== m * n)) ||
    !rowBias(bias, n)
  )
    return undefined;
  const heap = backend as WasmHeap;
  // the output first: allocating may grow the heap (the addresses below do not move)
  const out = heap.makeOutput(args.shape, 'float32');
  if (m === 0 || n === 0) return out;
  const at = (t: Info) => heapAddress(backend, t);
  const [pa, pb, pc] = [at(args.a), at(args.b), at(out)];
  const pBias = bias ? at(bias) : 0;
  const pMask = args.mask ? at(args.mask) : 0;
  const relu = args.relu ? 1 : 0;
  // element (i, k) of op(A) at pa + i·aRow + k·aK
  const [aRow, aK] = args.transposeA ? [4, 4 * m] : [4 * k, 4];
  const [bStride, cStride] = [4 * n, 4 * n];
  const m4 = m - (m % 4);
  const n8 = n - (n % 8);
  const n4 = n - (n % 4);
  // the bulk in 4 × 8 tiles, the last m mod 4 rows, the next four columns, the last n mod 4
  // columns, the corners
  const blocks: [GemmTileName, number, number, number, number][] = [
    ['gemm4x8', 0, m4, 0, n8],
    ['gemm1x8', m4, m, 0, n8],
    ['gemm4x4', 0, m4, n8, n4],
    ['gemm1x4', m4, m, n8, n4],
    ['gemm4x1', 0, m4, n4, n],
    ['gemm1x1', m4, m, n4, n],
  ];
  for (const [name, r0, r1, c0, c1] of blocks) {
    if (r1 === r0 || c1 === c0) continue;
    fns[name](
      pa + r0 * aRow,
      aRow,
      aK,
      pb + 4 * c0,
      bStride,
      pc + r0 * cStride + 4 * c0,
      cStride,
      r1 - r0,
      c1 - c0,
      k,
      pBias === 0 ? 0 : pBias + 4 * c0,
      relu,
      pMask === 0 ? 0 : pMask + r0 * cStride + 4 * c0,
    );
  }
  return out;
}

export type GemmTileName = 'gemm4x8' | 'gemm1x8' | 'gemm4x4' | 'gemm1x4' | 'gemm4x1' | 'gemm1x1';
