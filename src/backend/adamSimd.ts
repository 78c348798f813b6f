// The Adam step of adam.ts as a 128-bit SIMD WebAssembly function on tfjs-wasm's own memory
// (wasmAsm.ts): four float32 lanes at a time, where the JS loop does one float64 sqrt and
// division per entry (~4 ns an entry here, ~2.5 ms a step on the MNIST VAE's 650k weights).
// Its arithmetic is float32 throughout, as the other wasm kernels' and torch's CPU Adam's:
//   m' = β1 m + (1 − β1) g,  v' = β2 v + (1 − β2) g g,  x' = x − (s m') / (√v' r + ε)
// with s = lr / (1 − β1^t) and r = 1 / √(1 − β2^t) (adam.ts). `bytes` bytes from each
// pointer, a multiple of 16 (the rest of a tensor is done by adam.ts's JS loop).
import {
  addr,
  F32,
  F32X4_ADD,
  F32X4_DIV,
  F32X4_MUL,
  F32X4_SPLAT,
  F32X4_SQRT,
  F32X4_SUB,
  get,
  I32,
  inc,
  set,
  V_LOAD,
  V_STORE,
  V128,
  type WasmFunc,
  whileLt,
} from './wasmAsm.js';

/** f(x, g, m, v, xo, mo, vo, bytes, β1, 1 − β1, β2, 1 − β2, s, r, ε): byte offsets on the heap. */
export type AdamSimd = (
  x: number,
  g: number,
  m: number,
  v: number,
  xo: number,
  mo: number,
  vo: number,
  bytes: number,
  beta1: number,
  a1: number,
  beta2: number,
  a2: number,
  step: number,
  rc2: number,
  eps: number,
) => void;

// params 0..6 pointers x g m v xo mo vo, 7 bytes, 8..14 β1 a1 β2 a2 s r ε;
// locals 15 i; 16..22 the seven splats; 23 g, 24 m', 25 v'
const P = { x: 0, g: 1, m: 2, v: 3, xo: 4, mo: 5, vo: 6, bytes: 7 };
const I = 15;
const SPLAT = 16;
const [G, M, V] = [23, 24, 25];
const at = (ptr: number) => addr(ptr, I);

function code(): number[] {
  const c: number[] = [];
  for (let k = 0; k < 7; k++) c.push(...get(8 + k), ...F32X4_SPLAT, ...set(SPLAT + k));
  const [b1, a1, b2, a2, s, r, eps] = [0, 1, 2, 3, 4, 5, 6].map((k) => SPLAT + k);
  const body = [
    ...at(P.g),
    ...V_LOAD,
    ...set(G),
    // m' = β1 m + a1 g
    ...at(P.m),
    ...V_LOAD,
    ...get(b1),
    ...F32X4_MUL,
    ...get(G),
    ...get(a1),
    ...F32X4_MUL,
    ...F32X4_ADD,
    ...set(M),
    // v' = β2 v + a2 g g
    ...at(P.v),
    ...V_LOAD,
    ...get(b2),
    ...F32X4_MUL,
    ...get(G),
    ...get(G),
    ...F32X4_MUL,
    ...get(a2),
    ...F32X4_MUL,
    ...F32X4_ADD,
    ...set(V),
    ...at(P.mo),
    ...get(M),
    ...V_STORE,
    ...at(P.vo),
    ...get(V),
    ...V_STORE,
    // x' = x − s m' / (√v' r + ε)
    ...at(P.xo),
    ...at(P.x),
    ...V_LOAD,
    ...get(s),
    ...get(M),
    ...F32X4_MUL,
    ...get(V),
    ...F32X4_SQRT,
    ...get(r),
    ...F32X4_MUL,
    ...get(eps),
    ...F32X4_ADD,
    ...F32X4_DIV,
    ...F32X4_SUB,
    ...V_STORE,
    ...inc(I, 16),
  ];
  c.push(...whileLt(I, P.bytes, body));
  return c;
}

export const ADAM_FUNC: WasmFunc = {
  name: 'adam',
  params: [...Array(8).fill(I32), ...Array(7).fill(F32)],
  locals: [
    [1, I32],
    [10, V128],
  ],
  code: code(),
};
