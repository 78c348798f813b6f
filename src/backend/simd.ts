// The hand-written wasm functions (adamSimd.ts, colSumSimd.ts, transposeSimd.ts, gramSimd.ts,
// gemmSimd.ts, bernoulliLogitsSimd.ts, normalKlSimd.ts,
// reparamSimd.ts, multiplySimd.ts, normalSimd.ts),
// assembled by wasmAsm.ts into one module and instantiated once on the wasm backend's memory.
// This is the one place that decides whether they run: null where they cannot (another backend,
// no SIMD, a memory that emscripten's module does not expose) or with PLATO_WASM_SIMD=0, and the
// callers then run their JS loops, the original kernels or their tfjs path.
import { ADAM_FUNC, type AdamSimd } from './adamSimd.js';
import { BERNOULLI_LOGITS_FUNC, type BernoulliLogitsSimd } from './bernoulliLogitsSimd.js';
import { COLSUM_FUNC, type ColSumSimd } from './colSumSimd.js';
import type { GemmTileName } from './gemm.js';
import { GEMM_FUNCS, type GemmTile } from './gemmSimd.js';
import { GRAM_FUNCS, type GramRss, type GramTile } from './gramSimd.js';
import { MULTIPLY_FUNC, type MultiplySimd } from './multiplySimd.js';
import { NORMAL_KL_FUNC, type NormalKlSimd } from './normalKlSimd.js';
import { NORMAL_FUNC, type NormalSimd } from './normalSimd.js';
import { REPARAM_FUNC, type ReparamSimd } from './reparamSimd.js';
import { TRANSPOSE_FUNC, type TransposeWasm } from './transposeSimd.js';
import { backendMemory, instantiate, type WasmMemory } from './wasmAsm.js';

export interface SimdFunctions {
  /** the memory they were instantiated on (its buffer changes when the heap grows) */
  readonly memory: WasmMemory;
  readonly adam: AdamSimd;
  readonly colSum: ColSumSimd;
  readonly transpose: TransposeWasm;
  readonly gram: { readonly tile4: GramTile; readonly tile1: GramTile; readonly rss: GramRss };
  readonly gemm: Readonly<Record<GemmTileName, GemmTile>>;
  readonly bernoulliLogits: BernoulliLogitsSimd;
  readonly normalKl: NormalKlSimd;
  readonly reparam: ReparamSimd;
  readonly multiply: MultiplySimd;
  readonly normal: NormalSimd;
}

let made: SimdFunctions | null | undefined;

/** The functions on `backend` (a tfjs backend: anything but the wasm one gives null). */
export function simdFunctions(backend: unknown): SimdFunctions | null {
  if (made !== undefined) return made;
  const memory = process.env.PLATO_WASM_SIMD === '0' ? undefined : backendMemory(backend);
  const ex = memory
    ? instantiate(
        [
          ADAM_FUNC,
          COLSUM_FUNC,
          TRANSPOSE_FUNC,
          ...GRAM_FUNCS,
          ...GEMM_FUNCS,
          BERNOULLI_LOGITS_FUNC,
          NORMAL_KL_FUNC,
          REPARAM_FUNC,
          MULTIPLY_FUNC,
          NORMAL_FUNC,
        ],
        memory,
      )
    : undefined;
  made =
    memory && ex
      ? {
          memory,
          adam: ex.adam as AdamSimd,
          colSum: ex.colSum as ColSumSimd,
          transpose: ex.transpose as TransposeWasm,
          gram: {
            tile4: ex.tile4 as GramTile,
            tile1: ex.tile1 as GramTile,
            rss: ex.rss as GramRss,
          },
          gemm: {
            gemm4x8: ex.gemm4x8 as GemmTile,
            gemm1x8: ex.gemm1x8 as GemmTile,
            gemm4x4: ex.gemm4x4 as GemmTile,
            gemm1x4: ex.gemm1x4 as GemmTile,
            gemm4x1: ex.gemm4x1 as GemmTile,
            gemm1x1: ex.gemm1x1 as GemmTile,
          },
          bernoulliLogits: ex.bernoulliLogits as BernoulliLogitsSimd,
          normalKl: ex.normalKl as NormalKlSimd,
          reparam: ex.reparam as ReparamSimd,
          multiply: ex.multiply as MultiplySimd,
          normal: ex.normal as NormalSimd,
        }
      : null;
  return made;
}

/** Were the functions made (after a first call of simdFunctions; for tests)? */
export function simdActive(): boolean {
  return made != null;
}
