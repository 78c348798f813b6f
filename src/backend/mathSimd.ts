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
  F32X4_CONVERT_I32X4_S,
  F32X4_DIV,
  F32X4_GE,
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
  I32X4_SHR_U,
  I32X4_SUB,
  I32X4_TRUNC_SAT_F32X4_S,
  i32c,
  i32x4Const,
  set,
  tee,
  V128_AND,
  V128_ANDNOT,
  V128_BITSELECT,
  V128_OR,
  V128_XOR,
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

/**
 * out = log(x) lanewise for normal positive x (no zero, subnormal, ∞ or NaN: the callers' x are
 * uniforms in [2⁻²³, 1]). x = 2^e m with m ∈ [√½, √2), log m = 2 atanh(s) with
 * s = (m − 1)/(m + 1) ∈ [−0.172, 0.172]: 2s (1 + s²/3 + … + s⁸/9), the next term below 1e−9
 * relative. temps: four v128 locals.
 */
export function logF32x4(
  x: number,
  out: number,
  [e, m, s, s2]: readonly [number, number, number, number],
): number[] {
  const code: number[] = [];
  // e = exponent bits − 127; m = mantissa with exponent 0 (∈ [1, 2))
  code.push(...get(x), ...i32c(23), ...I32X4_SHR_U, ...i32x4Const(127), ...I32X4_SUB, ...set(e));
  code.push(...get(x), ...i32x4Const(0x007fffff), ...V128_AND, ...i32x4Const(0x3f800000));
  code.push(...V128_OR, ...set(m));
  // where m ≥ √2: m /= 2, e += 1 (the mask is −1 there, so e − mask)
  code.push(...get(m), ...f32x4Const(Math.SQRT2), ...F32X4_GE, ...set(s));
  code.push(...get(e), ...get(s), ...I32X4_SUB, ...set(e));
  code.push(...get(m), ...f32x4Const(0.5), ...F32X4_MUL, ...get(m), ...get(s), ...V128_BITSELECT);
  code.push(...set(m));
  // s = (m − 1)/(m + 1); out = e ln 2 + 2 s P(s²)
  code.push(...get(m), ...f32x4Const(1), ...F32X4_SUB, ...get(m), ...f32x4Const(1), ...F32X4_ADD);
  code.push(...F32X4_DIV, ...set(s), ...get(s), ...get(s), ...F32X4_MUL, ...set(s2));
  code.push(...horner(s2, [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1]));
  code.push(...get(s), ...F32X4_MUL, ...f32x4Const(2), ...F32X4_MUL);
  code.push(
    ...get(e),
    ...F32X4_CONVERT_I32X4_S,
    ...f32x4Const(Math.LN2),
    ...F32X4_MUL,
    ...F32X4_ADD,
  );
  code.push(...set(out));
  return code;
}

/**
 * sin θ and cos θ lanewise for θ ∈ [−π, π] (Cephes' sinf/cosf): q = nearest(θ / (π/2)),
 * r = θ − q π/2 ∈ [−π/4, π/4] (π/2 in two parts), sin r = r + r³ P(r²), cos r = 1 − r²/2 +
 * r⁴ Q(r²) (float32 error ~1e−7), then by q mod 4: sin θ = (s, c, −s, −c)[q], cos θ = (c, −s,
 * −c, s)[q]. temps: five v128 locals.
 */
export function sinCosF32x4(
  theta: number,
  sinOut: number,
  cosOut: number,
  [q, r, r2, sr, cr]: readonly [number, number, number, number, number],
): number[] {
  const code: number[] = [];
  code.push(...get(theta), ...f32x4Const(2 / Math.PI), ...F32X4_MUL, ...F32X4_NEAREST, ...set(q));
  code.push(...get(theta), ...get(q), ...f32x4Const(1.5707963705062866), ...F32X4_MUL);
  code.push(...F32X4_SUB, ...get(q), ...f32x4Const(-4.371139e-8), ...F32X4_MUL, ...F32X4_SUB);
  code.push(...set(r), ...get(r), ...get(r), ...F32X4_MUL, ...set(r2));
  // sr = r + r³ P(r²)
  code.push(...horner(r2, [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1]));
  code.push(...get(r2), ...F32X4_MUL, ...get(r), ...F32X4_MUL, ...get(r), ...F32X4_ADD, ...set(sr));
  // cr = 1 − r²/2 + r⁴ Q(r²)
  code.push(...horner(r2, [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2]));
  code.push(...get(r2), ...F32X4_MUL, ...get(r2), ...F32X4_MUL);
  code.push(...get(r2), ...f32x4Const(0.5), ...F32X4_MUL, ...F32X4_SUB, ...f32x4Const(1));
  code.push(...F32X4_ADD, ...set(cr));
  // q as int32 lanes; swap (c, s) where q is odd (mask 0 − (q & 1)); signs from bit 1 of q
  // (sin) and of q + 1 (cos), moved to the sign bit
  code.push(...get(q), ...I32X4_TRUNC_SAT_F32X4_S, ...set(q));
  code.push(...i32x4Const(0), ...get(q), ...i32x4Const(1), ...V128_AND, ...I32X4_SUB, ...set(r));
  code.push(...get(cr), ...get(sr), ...get(r), ...V128_BITSELECT);
  code.push(...get(q), ...i32x4Const(2), ...V128_AND, ...i32c(30), ...I32X4_SHL, ...V128_XOR);
  code.push(...set(sinOut));
  code.push(...get(sr), ...get(cr), ...get(r), ...V128_BITSELECT);
  code.push(...get(q), ...i32x4Const(1), ...I32X4_ADD, ...i32x4Const(2), ...V128_AND);
  code.push(...i32c(30), ...I32X4_SHL, ...V128_XOR, ...set(cosOut));
  return code;
}
