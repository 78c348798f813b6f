// A blocked 2-D transpose as a WebAssembly function on tfjs-wasm's memory (wasmAsm.ts,
// transpose.ts): out[j, i] = x[i, j] for x [rows, cols] of 4-byte entries, in tiles of
// TILE × TILE so that both the reads and the strided writes stay within a few cache lines.
// (tfjs-wasm's own 2-D transpose walks x row by row and writes out with a stride of `rows`
// entries: [128, 784] — autodiff's Xᵀ for a dense layer's weight gradient — took ~4 ns an
// entry, the 512-byte stride landing the writes in the same cache sets.)
import {
  F32_LOAD,
  F32_STORE,
  get,
  I32,
  I32_ADD,
  I32_LT_U,
  I32_MUL,
  i32c,
  inc,
  SELECT,
  set,
  type WasmFunc,
  whileLt,
} from './wasmAsm.js';

/** f(x, out, rows, cols): byte offsets on the heap, sizes in entries. */
export type TransposeWasm = (x: number, out: number, rows: number, cols: number) => void;

/** Tile side, entries: 16 floats = one 64-byte cache line of a row. */
const TILE = 16;

// params 0 x, 1 out, 2 rows, 3 cols; locals 4 i0, 5 j0, 6 i, 7 j, 8 iEnd, 9 jEnd, 10 src,
// 11 dst, 12 the bytes between two entries of a column of out (rows · 4)
const [X, OUT, ROWS, COLS, I0, J0, I, J, I_END, J_END, SRC, DST, STEP] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
];

/** local = min(local0 + TILE, bound) */
const tileEnd = (start: number, bound: number, dst: number) => [
  ...get(start),
  ...i32c(TILE),
  ...I32_ADD,
  ...get(bound),
  ...get(start),
  ...i32c(TILE),
  ...I32_ADD,
  ...get(bound),
  ...I32_LT_U,
  ...SELECT,
  ...set(dst),
];

const code = [
  ...get(ROWS),
  ...i32c(4),
  ...I32_MUL,
  ...set(STEP),
  ...whileLt(I0, ROWS, [
    ...tileEnd(I0, ROWS, I_END),
    ...i32c(0),
    ...set(J0),
    ...whileLt(J0, COLS, [
      ...tileEnd(J0, COLS, J_END),
      ...get(I0),
      ...set(I),
      ...whileLt(I, I_END, [
        // src = x + (i · cols + j0) · 4;  dst = out + (j0 · rows + i) · 4
        ...get(X),
        ...get(I),
        ...get(COLS),
        ...I32_MUL,
        ...get(J0),
        ...I32_ADD,
        ...i32c(4),
        ...I32_MUL,
        ...I32_ADD,
        ...set(SRC),
        ...get(OUT),
        ...get(J0),
        ...get(ROWS),
        ...I32_MUL,
        ...get(I),
        ...I32_ADD,
        ...i32c(4),
        ...I32_MUL,
        ...I32_ADD,
        ...set(DST),
        ...get(J0),
        ...set(J),
        ...whileLt(J, J_END, [
          ...get(DST),
          ...get(SRC),
          ...F32_LOAD,
          ...F32_STORE,
          ...inc(SRC, 4),
          ...get(DST),
          ...get(STEP),
          ...I32_ADD,
          ...set(DST),
          ...inc(J, 1),
        ]),
        ...inc(I, 1),
      ]),
      ...inc(J0, TILE),
    ]),
    ...inc(I0, TILE),
  ]),
];

export const TRANSPOSE_FUNC: WasmFunc = {
  name: 'transpose',
  params: [I32, I32, I32, I32],
  locals: [[9, I32]],
  code,
};
