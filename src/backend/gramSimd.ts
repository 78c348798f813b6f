// The wasm SIMD kernels of gram.ts (AᵀA, Aᵀb and the residual of the exact engine's
// linear-Gaussian closed form), emitted with wasmAsm.ts and instantiated by simd.ts with the
// other hand-written functions, on tfjs-wasm's own memory. Pointers and strides in bytes:
//   tile4(a, aStride, b, bStride, rows, out): out[i·8 + j] = Σ_r a[r][i] b[r][j]  (i < 4, j < 8)
//   tile1(a, aStride, b, bStride, rows, out): out[j] = Σ_r a[r][0] b[r][j]      (j < 8)
// float32 sums stored as float64, rows ≥ 1. The register tile is XNNPACK's f32 GEMM's: 8 f32x4
// accumulators, a row of B in two vectors, A's four entries splatted.
//   rss(a, aStride, b, rows, m, d4, d) = Σ_r (b[r] − a[r] · m)²
// in float64, with a[r] · m in float32 (f32x4 over the first d4 bytes of the row, scalar over the
// rest to d bytes: no read past a row's end).
import {
  addr,
  BR_IF,
  END,
  F32,
  F32_ADD,
  F32_LOAD,
  F32_MUL,
  F32X4_ADD,
  F32X4_MUL,
  F64,
  F64_ADD,
  F64_MUL,
  F64_PROMOTE_F32,
  F64_SUB,
  f32x4Lane,
  f64Store,
  get,
  I32,
  I32_ADD,
  I32_LT_U,
  I32_MUL,
  i32c,
  inc,
  LOOP,
  set,
  tee,
  V_LOAD,
  V128,
  V128_ZERO,
  vLoad,
  vLoad32Splat,
  type WasmFunc,
  whileLt,
} from './wasmAsm.js';

export type GramTile = (
  a: number,
  aStride: number,
  b: number,
  bStride: number,
  rows: number,
  out: number,
) => void;
export type GramRss = (
  a: number,
  aStride: number,
  b: number,
  rows: number,
  m: number,
  d4: number,
  d: number,
) => number;

/** tile4 (rowsA = 4) or tile1 (rowsA = 1). */
function tileFunc(rowsA: number): WasmFunc {
  // params: 0 a, 1 aStride, 2 b, 3 bStride, 4 rows, 5 out; locals: 6 end (i32),
  // 7 vb0, 8 vb1, 9 s, 10… accumulators (v128, zero on entry)
  const [a, as, b, bs, rows, out, end, vb0, vb1, s] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const acc = (i: number, half: number) => 10 + 2 * i + half;
  const code: number[] = [];
  // end = b + rows · bStride
  code.push(...get(b), ...get(rows), ...get(bs), ...I32_MUL, ...I32_ADD, ...set(end));
  code.push(...LOOP); // do { … } while (b < end)
  code.push(...get(b), ...vLoad(0), ...set(vb0), ...get(b), ...vLoad(16), ...set(vb1));
  for (let i = 0; i < rowsA; i++) {
    code.push(...get(a), ...vLoad32Splat(4 * i), ...set(s));
    for (const [half, v] of [
      [0, vb0],
      [1, vb1],
    ]) {
      code.push(...get(acc(i, half)), ...get(s), ...get(v), ...F32X4_MUL, ...F32X4_ADD);
      code.push(...set(acc(i, half)));
    }
  }
  code.push(...get(a), ...get(as), ...I32_ADD, ...set(a));
  code.push(...get(b), ...get(bs), ...I32_ADD, ...tee(b), ...get(end), ...I32_LT_U, ...BR_IF(0));
  code.push(...END);
  for (let i = 0; i < rowsA; i++) {
    for (let j = 0; j < 8; j++) {
      // f64.store (out + 8 (8 i + j)) (f64.promote_f32 (lane j % 4 of acc(i, j / 4)))
      code.push(...get(out), ...get(acc(i, j >> 2)), ...f32x4Lane(j & 3), ...F64_PROMOTE_F32);
      code.push(...f64Store(8 * (8 * i + j)));
    }
  }
  return {
    name: rowsA === 4 ? 'tile4' : 'tile1',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [
      [1, I32],
      [3 + 2 * rowsA, V128],
    ],
    code,
  };
}

function rssFunc(): WasmFunc {
  const [a, as, b, rows, m, d4, d, end, c, acc, fit, e, R] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  // while (c < stop) { sum += a[c] · m[c]; c += step } with the given load, mul and add
  const dot = (
    stop: number,
    sum: number,
    load: number[],
    mul: number[],
    add: number[],
    step: number,
  ) =>
    whileLt(c, stop, [
      ...get(sum),
      ...addr(a, c),
      ...load,
      ...addr(m, c),
      ...load,
      ...mul,
      ...add,
      ...set(sum),
      ...inc(c, step),
    ]);
  const code: number[] = [];
  code.push(...get(b), ...get(rows), ...i32c(4), ...I32_MUL, ...I32_ADD, ...set(end)); // b + 4 rows
  code.push(...LOOP); // over rows: do { … } while (b < end)
  code.push(...V128_ZERO, ...set(acc), ...i32c(0), ...set(c));
  // SIMD part: while (c < d4) acc += a[c..] · m[c..]
  code.push(...dot(d4, acc, V_LOAD, F32X4_MUL, F32X4_ADD, 16));
  // fit = the four lanes' sum
  code.push(...get(acc), ...f32x4Lane(0), ...get(acc), ...f32x4Lane(1), ...F32_ADD);
  code.push(...get(acc), ...f32x4Lane(2), ...F32_ADD, ...get(acc), ...f32x4Lane(3), ...F32_ADD);
  code.push(...set(fit));
  // scalar tail: while (c < d) fit += a[c] m[c]
  code.push(...dot(d, fit, F32_LOAD, F32_MUL, F32_ADD, 4));
  // e = b[r] − fit (float64); R += e²
  code.push(...get(b), ...F32_LOAD, ...F64_PROMOTE_F32, ...get(fit), ...F64_PROMOTE_F32);
  code.push(...F64_SUB, ...set(e));
  code.push(...get(R), ...get(e), ...get(e), ...F64_MUL, ...F64_ADD, ...set(R));
  code.push(...get(a), ...get(as), ...I32_ADD, ...set(a));
  code.push(...get(b), ...i32c(4), ...I32_ADD, ...tee(b), ...get(end), ...I32_LT_U, ...BR_IF(0));
  code.push(...END); // over rows
  code.push(...get(R));
  return {
    name: 'rss',
    params: [I32, I32, I32, I32, I32, I32, I32],
    result: F64,
    locals: [
      [2, I32],
      [1, V128],
      [1, F32],
      [2, F64],
    ],
    code,
  };
}

export const GRAM_FUNCS: readonly WasmFunc[] = [tileFunc(4), tileFunc(1), rssFunc()];
