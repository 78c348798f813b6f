// Standard normal draws as one 128-bit SIMD WebAssembly function on tfjs-wasm's memory
// (wasmAsm.ts, mathSimd.ts; normal.ts calls it): four xorshift128 streams (Marsaglia 2003), one
// per lane, whose 16 state words the caller writes in the output's first 64 bytes (normal.ts
// hashes them from the seed: xorshift is linear over GF(2), so lanes started from related
// states would stay related), and the Box–Muller transform (Box & Muller 1958): with
// u₁ ∈ (0, 1] and u₂ ∈ [0, 1) from the top 23 bits of two successive outputs,
//   r = √(−2 log u₁),   θ = 2π u₂ − π,   z₀ = r cos θ,   z₁ = r sin θ.
// Eight draws per round: z₀ of the four lanes, then their z₁. u₁ ≥ 2⁻²³ bounds |z| by 5.64
// (a tail of probability 2e−8 is cut). f(out, blocks): `blocks` ≥ 2 rounds of eight draws from
// byte address `out`, the state read from there first (words x, y, z, w, four lanes each).
import { logF32x4, sinCosF32x4 } from './mathSimd.js';
import {
  F32X4_MUL,
  F32X4_SQRT,
  F32X4_SUB,
  f32x4Const,
  get,
  I32,
  I32_ADD,
  I32_MUL,
  I32X4_SHL,
  I32X4_SHR_U,
  i32c,
  i32x4Const,
  inc,
  set,
  V_STORE,
  V128,
  V128_OR,
  V128_XOR,
  vLoad,
  vStore,
  type WasmFunc,
  whileLt,
} from './wasmAsm.js';

export type NormalSimd = (out: number, blocks: number) => void;

// params 0 out, 1 blocks; i32 locals 2 end (bytes), 3 c (bytes)
const [OUT, BLOCKS, END, C] = [0, 1, 2, 3];
// v128 locals: the state, t, u1, theta, r, sin, cos, temporaries
const [X, Y, Z, W, T, U1, TH, R, SIN, COS, T1, T2, T3, T4, T5] = [
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
];

/** xorshift128: t = x ^ (x << 11); x, y, z = y, z, w; w ^= (w >>> 19) ^ t ^ (t >>> 8) */
const step: number[] = [
  ...get(X),
  ...get(X),
  ...i32c(11),
  ...I32X4_SHL,
  ...V128_XOR,
  ...set(T),
  ...get(Y),
  ...set(X),
  ...get(Z),
  ...set(Y),
  ...get(W),
  ...set(Z),
  ...get(W),
  ...get(W),
  ...i32c(19),
  ...I32X4_SHR_U,
  ...V128_XOR,
  ...get(T),
  ...V128_XOR,
  ...get(T),
  ...i32c(8),
  ...I32X4_SHR_U,
  ...V128_XOR,
  ...set(W),
];

/** the next output's top 23 bits as a float in [1, 2) */
const unitPlusOne: number[] = [
  ...step,
  ...get(W),
  ...i32c(9),
  ...I32X4_SHR_U,
  ...i32x4Const(0x3f800000),
  ...V128_OR,
];

const code: number[] = [];
// the state from the first 64 bytes (overwritten by the first rounds' draws)
for (let k = 0; k < 4; k++) code.push(...get(OUT), ...vLoad(16 * k), ...set(X + k));
// end = blocks · 32 bytes
code.push(...get(BLOCKS), ...i32c(32), ...I32_MUL, ...set(END), ...i32c(0), ...set(C));
code.push(
  ...whileLt(C, END, [
    // u1 = 2 − f ∈ (0, 1]; θ = 2π f' − 3π ∈ [−π, π)
    ...f32x4Const(2),
    ...unitPlusOne,
    ...F32X4_SUB,
    ...set(U1),
    ...unitPlusOne,
    ...f32x4Const(2 * Math.PI),
    ...F32X4_MUL,
    ...f32x4Const(3 * Math.PI),
    ...F32X4_SUB,
    ...set(TH),
    // r = √(−2 log u1)
    ...logF32x4(U1, R, [T1, T2, T3, T4]),
    ...get(R),
    ...f32x4Const(-2),
    ...F32X4_MUL,
    ...F32X4_SQRT,
    ...set(R),
    ...sinCosF32x4(TH, SIN, COS, [T1, T2, T3, T4, T5]),
    ...get(OUT),
    ...get(C),
    ...I32_ADD,
    ...get(R),
    ...get(COS),
    ...F32X4_MUL,
    ...V_STORE,
    ...get(OUT),
    ...get(C),
    ...I32_ADD,
    ...get(R),
    ...get(SIN),
    ...F32X4_MUL,
    ...vStore(16),
    ...inc(C, 32),
  ]),
);

export const NORMAL_FUNC: WasmFunc = {
  name: 'normal',
  params: [I32, I32],
  locals: [
    [2, I32],
    [15, V128],
  ],
  code,
};
