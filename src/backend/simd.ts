// The hand-written wasm functions (adamSimd.ts, colSumSimd.ts, transposeSimd.ts), instantiated once on the wasm
// backend's memory. Null where that cannot be done (another backend, no SIMD, a memory that
// emscripten's module does not expose) or with PLATO_WASM_SIMD=0: the callers then run their
// JS loops or the original kernels.
import { ADAM_FUNC, type AdamSimd } from './adamSimd.js';
import { COLSUM_FUNC, type ColSumSimd } from './colSumSimd.js';
import { TRANSPOSE_FUNC, type TransposeWasm } from './transposeSimd.js';
import { backendMemory, instantiate } from './wasmAsm.js';

export interface SimdFunctions {
  readonly adam: AdamSimd;
  readonly colSum: ColSumSimd;
  readonly transpose: TransposeWasm;
}

let made: SimdFunctions | null | undefined;

export function simdFunctions(backend: unknown): SimdFunctions | null {
  if (made !== undefined) return made;
  const memory = process.env.PLATO_WASM_SIMD === '0' ? undefined : backendMemory(backend);
  const ex = memory ? instantiate([ADAM_FUNC, COLSUM_FUNC, TRANSPOSE_FUNC], memory) : undefined;
  made = ex
    ? {
        adam: ex.adam as AdamSimd,
        colSum: ex.colSum as ColSumSimd,
        transpose: ex.transpose as TransposeWasm,
      }
    : null;
  return made;
}

/** Were the functions made (after a first call of simdFunctions; for tests)? */
export function simdActive(): boolean {
  return made != null;
}
