// AᵀA and Aᵀb of a float32 [T, D] tensor on the wasm backend, read where it lies on the heap,
// with sums finished in float64. tfjs-wasm has no product of two data operands that avoids
// copies: its only fast matMul is XNNPACK's GEMM on an untransposed product, whose left operand
// must be Aᵀ (a transposed copy) and whose right operand XNNPACK repacks into its own layout
// for every new tensor. Measured on [100,000, 50], one thread, CPU time: GEMM 14 ms, packing
// 10 ms, slices and transposes 2.6 ms. This module drives a 4 × 8 outer-product kernel in wasm
// SIMD (gramSimd.ts, emitted with wasmAsm.ts and instantiated by simd.ts with the backend's other
// hand-written functions) run on the backend's own memory: no copy, no packing, and only the
// tiles on or above the diagonal (AᵀA is symmetric: 52 of 91 tiles for D = 50).
//   G = Σ_t a_t a_tᵀ,  g = Σ_t b_t a_t:  per chunk of CHUNK rows in float32 (an error of
//   ~√CHUNK · 2⁻²⁴ relative), the chunks added in float64.
// And residualF64, the residual sum of squares Σ_t (b_t − a_t · m)² that the closed forms need
// after the solve.
import * as tf from '@tensorflow/tfjs';
import { simdFunctions } from './simd.js';

/** Rows per float32 partial sum: 1024 rows of 50 floats (200 KB) stay in the L2 cache. */
const CHUNK = 1024;

/** The parts of tfjs-backend-wasm's backend read here (BackendWasm: its emscripten module). */
interface WasmBackend {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { _malloc(bytes: number): number; _free(ptr: number): void };
}

/**
 * Float32 A [T, D] and b [T] on the active wasm backend: their heap addresses, the backend and
 * the kernels; undefined when they are not (another backend, other shapes or dtypes, no wasm
 * SIMD, PLATO_WASM_SIMD=0).
 */
function onHeap(A: tf.Tensor, b: tf.Tensor) {
  const [T, D] = A.shape;
  if (A.rank !== 2 || T < 1 || b.size !== T) return undefined;
  if (A.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  // simdFunctions remembers its first answer: ask it only of the wasm backend
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend();
  const fns = simdFunctions(backend);
  if (!fns) return undefined;
  const be = backend as unknown as WasmBackend;
  const pa = be.dataIdMap.get(A.dataId)?.memoryOffset;
  const pb = be.dataIdMap.get(b.dataId)?.memoryOffset;
  if (pa === undefined || pb === undefined) return undefined;
  return { be, memory: fns.memory, k: fns.gram, pa, pb, T, D };
}

/**
 * G = AᵀA (D × D, both triangles) and g = Aᵀb in float64 for float32 A [T, D] (D ≥ 8) and b [T]
 * on the wasm backend; undefined where the kernel does not apply (another backend, D < 8, other
 * dtypes, no wasm SIMD), so that the caller takes its tfjs path.
 */
export function gramF64(
  A: tf.Tensor,
  b: tf.Tensor,
): { G: Float64Array; g: Float64Array } | undefined {
  const on = onHeap(A, b);
  if (!on || on.D < 8) return undefined;
  const { be, memory, k, pa, pb, T, D } = on;
  const G = new Float64Array(D * D);
  const g = new Float64Array(D);
  const scratch = be.wasm._malloc(4 * 8 * 8);
  try {
    // after the malloc: a heap that grew has a new buffer
    const S = new Float64Array(memory.buffer, scratch, 32);
    const stride = 4 * D;
    for (let r0 = 0; r0 < T; r0 += CHUNK) {
      const rows = Math.min(CHUNK, T - r0);
      const row = pa + r0 * stride;
      // tiles of 4 × 8 entries; the last ones shifted left to stay inside the row (they
      // overlap the one before, whose entries they skip)
      for (let a0 = 0; a0 < D; a0 += 4) {
        const sa = Math.min(a0, D - 4);
        for (let b0 = 0; b0 < D; b0 += 8) {
          const bEnd = Math.min(b0 + 8, D);
          if (bEnd - 1 < a0) continue; // wholly below the diagonal
          const sb = Math.min(b0, D - 8);
          k.tile4(row + 4 * sa, stride, row + 4 * sb, stride, rows, scratch);
          for (let i = a0; i < Math.min(a0 + 4, D); i++)
            for (let j = Math.max(b0, i); j < bEnd; j++) G[i * D + j] += S[(i - sa) * 8 + j - sb];
        }
      }
      for (let b0 = 0; b0 < D; b0 += 8) {
        const sb = Math.min(b0, D - 8);
        k.tile1(pb + 4 * r0, 4, row + 4 * sb, stride, rows, scratch);
        for (let j = b0; j < Math.min(b0 + 8, D); j++) g[j] += S[j - sb];
      }
    }
  } finally {
    be.wasm._free(scratch);
  }
  for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) G[i * D + j] = G[j * D + i];
  return { G, g };
}

/**
 * Σ_t (b_t − a_t · m)² for float32 A [T, D] and b [T] on the wasm backend: a_t · m in float32
 * (m rounded to float32, as a tfjs product would), the squares summed in float64. Undefined
 * where the kernel does not apply.
 */
export function residualF64(A: tf.Tensor, b: tf.Tensor, m: ArrayLike<number>): number | undefined {
  const on = onHeap(A, b);
  if (!on || m.length !== on.D) return undefined;
  const { be, memory, k, pa, pb, T, D } = on;
  const pm = be.wasm._malloc(4 * D);
  try {
    new Float32Array(memory.buffer, pm, D).set(Array.from(m));
    return k.rss(pa, 4 * D, pb, T, pm, 16 * Math.floor(D / 4), 4 * D);
  } finally {
    be.wasm._free(pm);
  }
}
