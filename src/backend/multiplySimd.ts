// Elementwise float32 products with the broadcasts a gradient needs, as one 128-bit SIMD
// WebAssembly function on tfjs-wasm's memory (wasmAsm.ts; multiply.ts calls it):
//   out[r][c] = a(r, c) · b(r, c)   for r < rows, c < rowBytes / 4,
// where an operand is read at p + r·pRow + c (pRow its row stride in bytes), or, with `splat`
// 1, as the one value at p + r·pRow in every lane (a column vector [rows, 1], or a scalar with
// pRow 0); out's row r at out + r·outRow. `rowBytes` a multiple of 16.
import {
  F32X4_MUL,
  get,
  I32,
  I32_ADD,
  I32_MUL,
  i32c,
  inc,
  loadOrSplat,
  set,
  V_STORE,
  type WasmFunc,
  whileLt,
} from './wasmAsm.js';

export type MultiplySimd = (
  a: number,
  aRow: number,
  aSplat: number,
  b: number,
  bRow: number,
  bSplat: number,
  out: number,
  outRow: number,
  rows: number,
  rowBytes: number,
) => void;

// params
const [A, A_ROW, A_SPLAT, B, B_ROW, B_SPLAT, OUT, OUT_ROW, ROWS, ROW_BYTES] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
];
// i32 locals: the row, the column (bytes), a's, b's and out's row pointers
const [R, C, PA, PB, PO] = [10, 11, 12, 13, 14];

/** the operand at its row pointer (+ the column unless splat) as a vector */
const operand = (p: number, splat: number): number[] => loadOrSplat(get(p), C, splat);

const rowPointer = (p: number, stride: number, to: number): number[] => [
  ...get(p),
  ...get(R),
  ...get(stride),
  ...I32_MUL,
  ...I32_ADD,
  ...set(to),
];

export const MULTIPLY_FUNC: WasmFunc = {
  name: 'multiply',
  params: new Array<number>(10).fill(I32),
  locals: [[5, I32]],
  code: whileLt(R, ROWS, [
    ...rowPointer(A, A_ROW, PA),
    ...rowPointer(B, B_ROW, PB),
    ...rowPointer(OUT, OUT_ROW, PO),
    ...i32c(0),
    ...set(C),
    ...whileLt(C, ROW_BYTES, [
      ...get(PO),
      ...get(C),
      ...I32_ADD,
      ...operand(PA, A_SPLAT),
      ...operand(PB, B_SPLAT),
      ...F32X4_MUL,
      ...V_STORE,
      ...inc(C, 16),
    ]),
    ...inc(R, 1),
  ]),
};
