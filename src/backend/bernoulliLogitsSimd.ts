// The Bernoulli log density in logits and its gradient factor as one 128-bit SIMD WebAssembly
// function on tfjs-wasm's memory (wasmAsm.ts, mathSimd.ts; bernoulliLogits.ts calls it):
//   v = x l − softplus(l),   g = ∂v/∂l = x − σ(l),
// with e = e^{−|l|} ∈ (0, 1]: softplus(l) = max(l, 0) + log1p(e) (nothing overflows) and
// σ(l) = 1/(1 + e) for l ≥ 0, e/(1 + e) below (no cancellation on either side).
// f(x, l, v, g, bytes): byte addresses on the heap; `bytes` a multiple of 16 (bernoulliLogits.ts
// does the last 0–3 entries).
import { expF32x4, log1pUnitF32x4 } from './mathSimd.js';
import {
  addr,
  F32X4_ABS,
  F32X4_ADD,
  F32X4_DIV,
  F32X4_GE,
  F32X4_MAX,
  F32X4_MUL,
  F32X4_NEG,
  F32X4_SUB,
  f32x4Const,
  get,
  I32,
  inc,
  set,
  V_LOAD,
  V_STORE,
  V128,
  V128_BITSELECT,
  V128_ZERO,
  type WasmFunc,
  whileLt,
} from './wasmAsm.js';

export type BernoulliLogitsSimd = (
  x: number,
  l: number,
  v: number,
  g: number,
  bytes: number,
) => void;

// params 0 x, 1 l, 2 v, 3 g, 4 bytes; locals 5 c (i32); v128: 6 X, 7 L, 8 E, 9 LP, 10 inv, 11–14 temps
const [X_, L_, V_, G_, BYTES, C, X, L, E, LP, INV, T1, T2, T3, T4] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
];

const body: number[] = [
  ...addr(X_, C),
  ...V_LOAD,
  ...set(X),
  ...addr(L_, C),
  ...V_LOAD,
  ...set(L),
  // E = e^{−|l|}; LP = log1p(E)
  ...get(L),
  ...F32X4_ABS,
  ...F32X4_NEG,
  ...set(T4),
  ...expF32x4(T4, E, [T1, T2, T3]),
  ...log1pUnitF32x4(E, LP, [T1, T2]),
  // v = x l − (max(l, 0) + LP)
  ...addr(V_, C),
  ...get(X),
  ...get(L),
  ...F32X4_MUL,
  ...get(L),
  ...V128_ZERO,
  ...F32X4_MAX,
  ...get(LP),
  ...F32X4_ADD,
  ...F32X4_SUB,
  ...V_STORE,
  // inv = 1/(1 + E); g = x − (l ≥ 0 ? inv : E inv)
  ...f32x4Const(1),
  ...f32x4Const(1),
  ...get(E),
  ...F32X4_ADD,
  ...F32X4_DIV,
  ...set(INV),
  ...addr(G_, C),
  ...get(X),
  ...get(INV),
  ...get(E),
  ...get(INV),
  ...F32X4_MUL,
  ...get(L),
  ...V128_ZERO,
  ...F32X4_GE,
  ...V128_BITSELECT,
  ...F32X4_SUB,
  ...V_STORE,
  ...inc(C, 16),
];

export const BERNOULLI_LOGITS_FUNC: WasmFunc = {
  name: 'bernoulliLogits',
  params: [I32, I32, I32, I32, I32],
  locals: [
    [1, I32],
    [9, V128],
  ],
  code: whileLt(C, BYTES, body),
};
