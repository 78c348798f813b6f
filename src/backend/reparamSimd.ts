// The reparameterised draw of a Gaussian q (Kingma & Welling 2014) as one 128-bit SIMD
// WebAssembly function on tfjs-wasm's memory (wasmAsm.ts, mathSimd.ts; reparam.ts calls it):
//   se = e^{ls} ε,   u = m + se
// for S draws ε [S, n] of q's m, ls [n] (the same m and ls for every draw). float32.
// f(m, ls, eps, u, se, bytes, stride, draws): byte addresses on the heap; `stride` = n·4 bytes
// from one draw to the next, `bytes` ≤ stride a multiple of 16 (reparam.ts does the last 0–3
// entries of each draw).
import { expF32x4 } from './mathSimd.js';
import {
  addr,
  addr3,
  F32X4_ADD,
  F32X4_MUL,
  get,
  I32,
  I32_ADD,
  i32c,
  inc,
  set,
  V_LOAD,
  V_STORE,
  V128,
  type WasmFunc,
  whileLt,
} from './wasmAsm.js';

export type ReparamSimd = (
  m: number,
  ls: number,
  eps: number,
  u: number,
  se: number,
  bytes: number,
  stride: number,
  draws: number,
) => void;

// params 0 m, 1 ls, 2 eps, 3 u, 4 se, 5 bytes, 6 stride, 7 draws; i32 locals 8 s, 9 c, 10 the
// draw's offset; v128 locals 11 e^{ls}, 12 ls, 13–15 exp's temporaries, 16 se
const [M, LS, EPS, U, SE, BYTES, STRIDE, DRAWS, S, C, OFF, E, VLS, T1, T2, T3, VSE] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
];

const body: number[] = [
  ...addr(LS, C),
  ...V_LOAD,
  ...set(VLS),
  ...expF32x4(VLS, E, [T1, T2, T3]),
  // se = e^{ls} ε[s]; u = m + se
  ...get(E),
  ...addr3(EPS, OFF, C),
  ...V_LOAD,
  ...F32X4_MUL,
  ...set(VSE),
  ...addr3(SE, OFF, C),
  ...get(VSE),
  ...V_STORE,
  ...addr3(U, OFF, C),
  ...addr(M, C),
  ...V_LOAD,
  ...get(VSE),
  ...F32X4_ADD,
  ...V_STORE,
  ...inc(C, 16),
];

export const REPARAM_FUNC: WasmFunc = {
  name: 'reparam',
  params: new Array<number>(8).fill(I32),
  locals: [
    [3, I32],
    [6, V128],
  ],
  code: whileLt(S, DRAWS, [
    ...i32c(0),
    ...set(C),
    ...whileLt(C, BYTES, body),
    ...get(OFF),
    ...get(STRIDE),
    ...I32_ADD,
    ...set(OFF),
    ...inc(S, 1),
  ]),
};
