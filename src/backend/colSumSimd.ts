// Column sums as a 128-bit SIMD WebAssembly function on tfjs-wasm's memory (wasmAsm.ts, colSum.ts):
//   out[j] += Σ_r x[r · stride + j]   for the first `rowBytes` / 4 columns,
// four columns at a time, the rows in order (float32 sums, as tfjs's Sum). `out` is zeroed by
// the caller; `rowBytes` is a multiple of 16 (colSum.ts does the last 0–3 columns).
import {
  addr,
  F32X4_ADD,
  get,
  I32,
  I32_ADD,
  I32_MUL,
  i32c,
  inc,
  set,
  V_LOAD,
  V_STORE,
  type WasmFunc,
  whileLt,
} from './wasmAsm.js';

/** f(x, out, rows, rowBytes, stride): byte offsets on the heap; stride in bytes. */
export type ColSumSimd = (
  x: number,
  out: number,
  rows: number,
  rowBytes: number,
  stride: number,
) => void;

// params 0 x, 1 out, 2 rows, 3 rowBytes, 4 stride; locals 5 r, 6 j, 7 the row's pointer
const [X, OUT, ROWS, ROW_BYTES, STRIDE, R, J, ROW] = [0, 1, 2, 3, 4, 5, 6, 7];

const code = whileLt(R, ROWS, [
  // row = x + r · stride; j = 0
  ...get(X),
  ...get(R),
  ...get(STRIDE),
  ...I32_MUL,
  ...I32_ADD,
  ...set(ROW),
  ...i32c(0),
  ...set(J),
  ...whileLt(J, ROW_BYTES, [
    // out[j…j+3] += row[j…j+3]
    ...addr(OUT, J),
    ...addr(OUT, J),
    ...V_LOAD,
    ...addr(ROW, J),
    ...V_LOAD,
    ...F32X4_ADD,
    ...V_STORE,
    ...inc(J, 16),
  ]),
  ...inc(R, 1),
]);

export const COLSUM_FUNC: WasmFunc = {
  name: 'colSum',
  params: [I32, I32, I32, I32, I32],
  locals: [[3, I32]],
  code,
};
