// A float32 matrix product as 128-bit SIMD WebAssembly functions on tfjs-wasm's memory
// (wasmAsm.ts; gemm.ts calls them for BatchMatMul and _FusedMatMul):
//   C[i][j] = act(bias[j] + Σ_k A(i, k) B[k][j])
// where A(i, k) lies at a + i·aRow + k·aK (bytes): aRow = row stride, aK = 4 for A as stored;
// aRow = 4, aK = row stride for Aᵀ (the product Aᵀ B of a gradient dW = hᵀ g, read in place).
// B [k][n] and C [m][n] are row-major with byte strides; act is the identity or relu
// (f32x4.max, which keeps a NaN); then, given a mask M in C's layout, C[i][j] = 0 wherever
// M[i][j] ≤ 0 (the gradient into a relu layer, (g Wᵀ) ∘ [h > 0] with h its output, in the same
// pass). Why not XNNPACK's kernel, which tfjs-wasm calls: it packs B
// into its own layout on every call whose B is a tensor it has not seen, and a net's weights
// and its gradients are new tensors every step. On the small products of a VAE on 8×8 digits
// (128 × 64 × 128) that packing cost as much as a third of the product (measured: 47 µs with
// B packed before, 64–78 µs with a fresh B); these functions read B where it lies.
// The register tile is XNNPACK's 4×8 "splat" one (f32 GEMM microkernel): eight f32x4
// accumulators, a row of B in two vectors, A's four entries splatted; the sum over k runs in
// order (float32, as XNNPACK's). One function per tile shape:
//   gemm4x8 rows 4 at a time, columns 8 at a time (the bulk),
//   gemm1x8 one row at a time (the last m mod 4 rows),
//   gemm4x4 / gemm1x4 four columns (one vector; the next n mod 8 ≥ 4 columns),
//   gemm4x1 / gemm1x1 one column at a time, scalar (the last n mod 4 columns).
// Each covers `rows` × `cols` (multiples of its tile) from the pointers it is given.
import {
  ELSE,
  END,
  F32,
  F32_ADD,
  F32_CONST_ZERO,
  F32_GT,
  F32_LOAD,
  F32_MAX,
  F32_MUL,
  F32X4_ADD,
  F32X4_GT,
  F32X4_MAX,
  F32X4_MUL,
  f32Load,
  f32Store,
  get,
  I32,
  I32_ADD,
  I32_EQZ,
  I32_MUL,
  IF,
  i32c,
  inc,
  SELECT,
  set,
  V128,
  V128_AND,
  V128_ZERO,
  vLoad,
  vLoad32Splat,
  vStore,
  type WasmFunc,
  whileLt,
} from './wasmAsm.js';

/**
 * f(a, aRow, aK, b, bStride, c, cStride, rows, cols, k, bias, relu, mask): byte addresses and
 * strides on the heap; `rows`, `cols` multiples of the tile; bias and mask 0 for none (the mask
 * at the same offsets as C); relu 0 or 1.
 */
export type GemmTile = (
  a: number,
  aRow: number,
  aK: number,
  b: number,
  bStride: number,
  c: number,
  cStride: number,
  rows: number,
  cols: number,
  k: number,
  bias: number,
  relu: number,
  mask: number,
) => void;

// params
const [A, A_ROW, A_K, B, B_STRIDE, C, C_STRIDE, ROWS, COLS, K, BIAS, RELU, MASK] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
];
// i32 locals: the row block, the column (bytes), k's counter, B's pointer, the rows' A pointers
const [RI, CJ, KK, PB, COL_BYTES] = [13, 14, 15, 16, 17];
const PA = (i: number) => 18 + i;

/** The tile function for `rowsT` (4 or 1) rows by `colsT` (8 or 4: SIMD, 1: scalar) columns. */
function tileFunc(rowsT: 4 | 1, colsT: 8 | 4 | 1): WasmFunc {
  const simd = colsT !== 1;
  const halves = colsT === 8 ? 2 : 1;
  const firstV = PA(rowsT); // first non-i32 local
  // SIMD: vb0, vb1, s, then acc(i, h); scalar: vb, then acc(i)
  const VB = (h: number) => firstV + h;
  const S = firstV + halves;
  const acc = (i: number, h: number) => firstV + halves + (simd ? 1 : 0) + halves * i + h;
  const code: number[] = [];
  // colBytes = cols · 4
  code.push(...get(COLS), ...i32c(4), ...I32_MUL, ...set(COL_BYTES));
  const tile: number[] = [];
  // accumulators from the bias (or zero)
  for (let i = 0; i < rowsT; i++)
    for (let h = 0; h < halves; h++) {
      tile.push(...get(BIAS), ...I32_EQZ, ...IF(simd ? V128 : F32));
      tile.push(...(simd ? V128_ZERO : F32_CONST_ZERO), ...ELSE);
      tile.push(...get(BIAS), ...get(CJ), ...I32_ADD, ...(simd ? vLoad(16 * h) : f32Load(0)));
      tile.push(...END, ...set(acc(i, h)));
    }
  // A's row pointers: a + ri·aRow + i·aRow; B's: b + cj
  for (let i = 0; i < rowsT; i++) {
    tile.push(...get(A), ...get(RI), ...i32c(i), ...I32_ADD, ...get(A_ROW), ...I32_MUL);
    tile.push(...I32_ADD, ...set(PA(i)));
  }
  tile.push(...get(B), ...get(CJ), ...I32_ADD, ...set(PB), ...i32c(0), ...set(KK));
  // Σ_k: acc(i, ·) += A(i, k) · B[k][cj …]
  const inner: number[] = [];
  for (let h = 0; h < halves; h++)
    inner.push(...get(PB), ...(simd ? vLoad(16 * h) : f32Load(0)), ...set(VB(h)));
  for (let i = 0; i < rowsT; i++) {
    if (simd) inner.push(...get(PA(i)), ...vLoad32Splat(0), ...set(S));
    for (let h = 0; h < halves; h++) {
      inner.push(...get(acc(i, h)));
      if (simd) inner.push(...get(S), ...get(VB(h)), ...F32X4_MUL, ...F32X4_ADD);
      else inner.push(...get(PA(i)), ...F32_LOAD, ...get(VB(h)), ...F32_MUL, ...F32_ADD);
      inner.push(...set(acc(i, h)));
    }
    inner.push(...get(PA(i)), ...get(A_K), ...I32_ADD, ...set(PA(i)));
  }
  inner.push(...get(PB), ...get(B_STRIDE), ...I32_ADD, ...set(PB), ...inc(KK, 1));
  tile.push(...whileLt(KK, K, inner));
  // act, then C[ri + i][cj …] = acc(i, ·)
  for (let i = 0; i < rowsT; i++)
    for (let h = 0; h < halves; h++) {
      tile.push(...get(RELU), ...IF(simd ? V128 : F32), ...get(acc(i, h)));
      tile.push(...(simd ? V128_ZERO : F32_CONST_ZERO), ...(simd ? F32X4_MAX : F32_MAX));
      tile.push(...ELSE, ...get(acc(i, h)), ...END, ...set(acc(i, h)));
      // the entry's byte offset in C (and in the mask): (ri + i)·cStride + cj
      const at = [
        ...get(RI),
        ...i32c(i),
        ...I32_ADD,
        ...get(C_STRIDE),
        ...I32_MUL,
        ...get(CJ),
        ...I32_ADD,
      ];
      // acc where mask > 0, else 0 (the mask is a relu layer's output h: relu'(z) = [h > 0])
      tile.push(...get(MASK), ...IF(simd ? V128 : F32), ...get(acc(i, h)));
      if (simd) tile.push(...get(MASK), ...at, ...I32_ADD, ...vLoad(16 * h));
      else tile.push(...F32_CONST_ZERO, ...get(MASK), ...at, ...I32_ADD, ...f32Load(0));
      if (simd) tile.push(...V128_ZERO, ...F32X4_GT, ...V128_AND);
      else tile.push(...F32_CONST_ZERO, ...F32_GT, ...SELECT);
      tile.push(...ELSE, ...get(acc(i, h)), ...END, ...set(acc(i, h)));
      tile.push(...get(C), ...at, ...I32_ADD, ...get(acc(i, h)));
      tile.push(...(simd ? vStore(16 * h) : f32Store(0)));
    }
  tile.push(...inc(CJ, 4 * colsT));
  code.push(
    ...whileLt(RI, ROWS, [
      ...i32c(0),
      ...set(CJ),
      ...whileLt(CJ, COL_BYTES, tile),
      ...inc(RI, rowsT),
    ]),
  );
  return {
    name: `gemm${rowsT}x${colsT}`,
    params: new Array<number>(13).fill(I32),
    locals: [
      [5 + rowsT, I32],
      simd ? [halves + 1 + halves * rowsT, V128] : [halves + halves * rowsT, F32],
    ],
    code,
  };
}

export const GEMM_FUNCS: readonly WasmFunc[] = [
  tileFunc(4, 8),
  tileFunc(1, 8),
  tileFunc(4, 4),
  tileFunc(1, 4),
  tileFunc(4, 1),
  tileFunc(1, 1),
];
