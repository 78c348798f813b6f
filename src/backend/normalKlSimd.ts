// The closed-form KL of q = N(m, s²) to a Normal prior N(μ, σ²), per coordinate, with the two
// factors of its gradient, as one 128-bit SIMD WebAssembly function on tfjs-wasm's memory
// (wasmAsm.ts, mathSimd.ts; normalKl.ts calls it). With log s = ls:
//   r = e^{2 (ls − log σ)} = s²/σ²,   d = (m − μ)/σ,
//   k = log σ − ls + (r + d² − 1)/2,   a = d/σ = ∂k/∂m,   b = r − 1 = ∂k/∂ls.
// float32 arithmetic. Over `rows` rows of `rowBytes` bytes (a multiple of 16) of m, ls and the
// outputs; μ, σ and log σ are each read at p + row·pRow + column (pRow = rowBytes for an operand
// in the same layout, 0 for one repeated on every row), or, with `splat` 1, as one value at
// p + row·pRow in every lane. log σ shares σ's layout.
import { expF32x4 } from './mathSimd.js';
import {
  addr3,
  F32X4_ADD,
  F32X4_DIV,
  F32X4_MUL,
  F32X4_SUB,
  f32x4Const,
  get,
  I32,
  I32_ADD,
  I32_MUL,
  i32c,
  inc,
  loadOrSplat,
  set,
  V_LOAD,
  V_STORE,
  V128,
  type WasmFunc,
  whileLt,
} from './wasmAsm.js';

export type NormalKlSimd = (
  m: number,
  ls: number,
  mu: number,
  muRow: number,
  muSplat: number,
  sigma: number,
  logSigma: number,
  sigmaRow: number,
  sigmaSplat: number,
  k: number,
  a: number,
  b: number,
  rows: number,
  rowBytes: number,
) => void;

// params
const [M, LS, MU, MU_ROW, MU_SPLAT, SG, LSG, SG_ROW, SG_SPLAT, K, A, B, ROWS, ROW_BYTES] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
];
// i32 locals: the row, the column (bytes), the row's offset, μ's and σ's row offsets
const [ROW, COL, OFF, MU_OFF, SG_OFF] = [14, 15, 16, 17, 18];
// v128 locals
const [VS, VLS, LSD, R, D, T1, T2, T3] = [19, 20, 21, 22, 23, 24, 25, 26];

/** the operand at p + rowOff (+ column unless splat) as a vector */
const operand = (p: number, rowOff: number, splat: number): number[] =>
  loadOrSplat([...get(p), ...get(rowOff), ...I32_ADD], COL, splat);

const body: number[] = [
  // lsd = ls − log σ; r = e^{2 lsd}
  ...addr3(LS, OFF, COL),
  ...V_LOAD,
  ...operand(LSG, SG_OFF, SG_SPLAT),
  ...F32X4_SUB,
  ...set(LSD),
  ...get(LSD),
  ...f32x4Const(2),
  ...F32X4_MUL,
  ...set(T3),
  ...expF32x4(T3, R, [T1, T2, VLS]),
  // d = (m − μ)/σ
  ...operand(SG, SG_OFF, SG_SPLAT),
  ...set(VS),
  ...addr3(M, OFF, COL),
  ...V_LOAD,
  ...operand(MU, MU_OFF, MU_SPLAT),
  ...F32X4_SUB,
  ...get(VS),
  ...F32X4_DIV,
  ...set(D),
  // k = (r + d² − 1)/2 − lsd
  ...addr3(K, OFF, COL),
  ...get(R),
  ...get(D),
  ...get(D),
  ...F32X4_MUL,
  ...F32X4_ADD,
  ...f32x4Const(1),
  ...F32X4_SUB,
  ...f32x4Const(0.5),
  ...F32X4_MUL,
  ...get(LSD),
  ...F32X4_SUB,
  ...V_STORE,
  // a = d/σ; b = r − 1
  ...addr3(A, OFF, COL),
  ...get(D),
  ...get(VS),
  ...F32X4_DIV,
  ...V_STORE,
  ...addr3(B, OFF, COL),
  ...get(R),
  ...f32x4Const(1),
  ...F32X4_SUB,
  ...V_STORE,
  ...inc(COL, 16),
];

const code = whileLt(ROW, ROWS, [
  // off = row · rowBytes; μ's and σ's row offsets
  ...get(ROW),
  ...get(ROW_BYTES),
  ...I32_MUL,
  ...set(OFF),
  ...get(ROW),
  ...get(MU_ROW),
  ...I32_MUL,
  ...set(MU_OFF),
  ...get(ROW),
  ...get(SG_ROW),
  ...I32_MUL,
  ...set(SG_OFF),
  ...i32c(0),
  ...set(COL),
  ...whileLt(COL, ROW_BYTES, body),
  ...inc(ROW, 1),
]);

export const NORMAL_KL_FUNC: WasmFunc = {
  name: 'normalKl',
  params: new Array<number>(14).fill(I32),
  locals: [
    [5, I32],
    [8, V128],
  ],
  code,
};
