// Elementary functions on four float32 lanes, as instruction sequences for the hand-written
// wasm kernels (wasmAsm.ts): WebAssembly has no exp or log, and tfjs-wasm's Exp and Log are
// scalar libm loops. Each reads and writes locals (v128) and uses the temporaries it is given.
//   exp(x): Cody–Waite reduction x = n ln 2 + r, |r| ≤ ln 2 / 2, with ln 2 split in two
//     (C1 = 0.693359375 exact in few bits, C2 = −2.12194440e−4), and Cephes' expf polynomial
//     e^r ≈ 1 + r + r² P(r) (Moshier 1992, degree 5; float32 error ≤ 2 ulp on the reduced
//     range). 2^n is built in the exponent bits as 2^{⌊n/2⌋} 2^{n − ⌊n/2⌋}, so that every n
//     the clamp x ∈ [−87, 88.8] allows stays a normal number in each factor, and so does the
//     product down to e^{−87}; it is +∞ above ln(FLT_MAX) ≈ 88.72. Below x = −87 the result
//     is 0 (flushed: the true value is below e^{−87} ≈ 1.6e−38, and near or under float32's
//     subnormal range, whose arithmetic costs ~100× on x86: a kernel whose inputs reached it
//     ran 3× slower). A NaN stays NaN.
//   log1p(u) for u ∈ [0, 1]: with s = u / (2 + u) ∈ [0, 1/3] (no cancellation for small u),
//     log(1 + u) = 2 atanh(s) = 2s (1 + s²/3 + s⁴/5 + … + s¹²/13); the next term is below
//     2·3⁻¹⁵/15 ≈ 9e−9 relative.
import {
  F32X4_ADD,
  F32X4_DIV,
  F32X4_LT,
  F32X4_MAX,
  F32X4_MIN,
  F32X4_MUL,
  F32X4_NEAREST,
  F32X4_SUB,
  f32x4Const,
  get,
  I32X4_ADD,
  I32X4_SHL,
  I32X4_SHR_S,
  I32X4_SUB,
  I32X4_TRUNC_SAT_F32X4_S,
  i32c,
  i32x4Const,
  set,
  tee,
  V128_ANDNOT,
} from './wasmAsm.js';

/** exp's inputs below this give 0 (above ln 2⁻¹²⁶ ≈ −87.34: e^x stays normal down to it) */
const EXP_FLOOR = -87;

/** Horner: acc = ((c₀ t + c₁) t + …) + c_last, coefficients highest degree first; leaves acc on the stack. */
function horner(t: number, coefficients: readonly number[]): number[] {
  const code = f32x4Const(coefficients[0]);
  for (const c of coefficients.slice(1))
    code.push(...get(t), ...F32X4_MUL, ...f32x4Const(c), ...F32X4_ADD);
  return code;
}

/** out = e^x lanewise; temps: three v128 locals. */
export function expF32x4(
  x: number,
  out: number,
  [n, r, k]: readonly [number, number, number],
): number[] {
  const code: number[] = [];
  // r = clamp(x); n = nearest(r log₂e); r −= n C1 + n C2
  code.push(
    ...get(x),
    ...f32x4Const(EXP_FLOOR),
    ...F32X4_MAX,
    ...f32x4Const(88.8),
    ...F32X4_MIN,
    ...set(r),
  );
  code.push(...get(r), ...f32x4Const(Math.LOG2E), ...F32X4_MUL, ...F32X4_NEAREST, ...set(n));
  code.push(...get(r), ...get(n), ...f32x4Const(0.693359375), ...F32X4_MUL, ...F32X4_SUB);
  code.push(...get(n), ...f32x4Const(-2.1219444e-4), ...F32X4_MUL, ...F32X4_SUB, ...set(r));
  // out = 1 + r + r² P(r)
  code.push(
    ...horner(
      r,
      [
        1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
        5.0000001201e-1,
      ],
    ),
  );
  code.push(...get(r), ...get(r), ...F32X4_MUL, ...F32X4_MUL, ...get(r), ...F32X4_ADD);
  code.push(...f32x4Const(1), ...F32X4_ADD, ...set(out));
  // k = ⌊n/2⌋ as int32 lanes; out ·= 2^k · 2^{n − k} (each as exponent bits (e + 127) << 23)
  code.push(...get(n), ...I32X4_TRUNC_SAT_F32X4_S, ...set(n));
  code.push(...get(n), ...i32c(1), ...I32X4_SHR_S, ...set(k));
  code.push(
    ...get(out),
    ...get(k),
    ...i32x4Const(127),
    ...I32X4_ADD,
    ...i32c(23),
    ...I32X4_SHL,
    ...F32X4_MUL,
  );
  code.push(
    ...get(n),
    ...get(k),
    ...I32X4_SUB,
    ...i32x4Const(127),
    ...I32X4_ADD,
    ...i32c(23),
    ...I32X4_SHL,
  );
  code.push(...F32X4_MUL);
  // flushed to 0 where x < EXP_FLOOR (a NaN compares false and stays)
  code.push(...get(x), ...f32x4Const(EXP_FLOOR), ...F32X4_LT, ...V128_ANDNOT, ...set(out));
  return code;
}

/** out = log(1 + u) lanewise for u ∈ [0, 1]; temps: two v128 locals. */
export function log1pUnitF32x4(
  u: number,
  out: number,
  [s, s2]: readonly [number, number],
): number[] {
  const code: number[] = [];
  code.push(...get(u), ...get(u), ...f32x4Const(2), ...F32X4_ADD, ...F32X4_DIV, ...set(s));
  // s² from max(s, 1e−15): below that s² would be subnormal (slow, above) and its terms are
  // far below float32's resolution of 1 anyway
  code.push(
    ...get(s),
    ...f32x4Const(1e-15),
    ...F32X4_MAX,
    ...tee(s2),
    ...get(s2),
    ...F32X4_MUL,
    ...set(s2),
  );
  code.push(...horner(s2, [1 / 13, 1 / 11, 1 / 9, 1 / 7, 1 / 5, 1 / 3, 1]));
  code.push(...get(s), ...F32X4_MUL, ...f32x4Const(2), ...F32X4_MUL, ...set(out));
  return code;
}
