// AᵀA and Aᵀb of a float32 [T, D] tensor on the wasm backend, read where it lies on the heap,
// with sums finished in float64. tfjs-wasm has no product of two data operands that avoids
// copies: its only fast matMul is XNNPACK's GEMM on an untransposed product, whose left operand
// must be Aᵀ (a transposed copy) and whose right operand XNNPACK repacks into its own layout
// for every new tensor. Measured on [100,000, 50], one thread, CPU time: GEMM 14 ms, packing
// 10 ms, slices and transposes 2.6 ms. This module is a 4 × 8 outer-product kernel in wasm SIMD
// (the same register tile as XNNPACK's f32 GEMM: 8 f32x4 accumulators, a row of B in two
// vectors, A's four entries splatted) run on the backend's own memory: no copy, no packing, and
// only the tiles on or above the diagonal (AᵀA is symmetric: 52 of 91 tiles for D = 50).
//   G = Σ_t a_t a_tᵀ,  g = Σ_t b_t a_t:  per chunk of CHUNK rows in float32 (an error of
//   ~√CHUNK · 2⁻²⁴ relative), the chunks added in float64.
// The module is a few hundred bytes emitted below (no toolchain): it imports the backend's
// WebAssembly.Memory (shared in the threaded build) and exports
//   tile4(a, aStride, b, bStride, rows, out): out[i·8 + j] = Σ_r a[r][i] b[r][j]  (i < 4, j < 8)
//   tile1(a, aStride, b, bStride, rows, out): out[j] = Σ_r a[r][0] b[r][j]      (j < 8)
// as float64, pointers and strides in bytes, rows ≥ 1; and rss (residualF64), the residual
// sum of squares Σ_t (b_t − a_t · m)² that the closed forms need after the solve.
import * as tf from '@tensorflow/tfjs';

/** Rows per float32 partial sum: 1024 rows of 50 floats (200 KB) stay in the L2 cache. */
const CHUNK = 1024;

type Tile = (a: number, as: number, b: number, bs: number, rows: number, out: number) => void;

interface Kernels {
  tile4: Tile;
  tile1: Tile;
  rss(a: number, as: number, b: number, rows: number, m: number, d4: number, d: number): number;
}

/** The parts of tfjs-backend-wasm's backend read here (BackendWasm: its emscripten module). */
interface WasmBackend {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: {
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    asm?: { memory?: unknown };
    wasmMemory?: unknown;
  };
}

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// opcodes (WebAssembly core 2.0 with fixed-width SIMD)
const GET = 0x20;
const SET = 0x21;
const TEE = 0x22;
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const V128_LOAD = (offset: number) => simd(0x00, 0, ...uleb(offset));
const LOAD32_SPLAT = (offset: number) => simd(0x09, 0, ...uleb(offset));
const F32X4_EXTRACT = (lane: number) => simd(0x1f, lane);
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);

/** The body of tile4 (rowsA = 4) or tile1 (rowsA = 1). */
function tileBody(rowsA: number): number[] {
  // params: 0 a, 1 aStride, 2 b, 3 bStride, 4 rows, 5 out; locals: 6 end (i32),
  // 7 vb0, 8 vb1, 9 s, 10… accumulators (v128, zero on entry)
  const [a, as, b, bs, rows, out, end, vb0, vb1, s] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const acc = (i: number, half: number) => 10 + 2 * i + half;
  const code: number[] = [];
  // end = b + rows · bStride
  code.push(GET, b, GET, rows, GET, bs, 0x6c, 0x6a, SET, end);
  code.push(0x03, 0x40); // loop
  code.push(GET, b, ...V128_LOAD(0), SET, vb0, GET, b, ...V128_LOAD(16), SET, vb1);
  for (let i = 0; i < rowsA; i++) {
    code.push(GET, a, ...LOAD32_SPLAT(4 * i), SET, s);
    for (const [half, v] of [
      [0, vb0],
      [1, vb1],
    ]) {
      code.push(GET, acc(i, half), GET, s, GET, v, ...F32X4_MUL, ...F32X4_ADD, SET, acc(i, half));
    }
  }
  code.push(GET, a, GET, as, 0x6a, SET, a);
  code.push(GET, b, GET, bs, 0x6a, TEE, b, GET, end, 0x49, 0x0d, 0); // br_if (b < end)
  code.push(0x0b); // end loop
  for (let i = 0; i < rowsA; i++) {
    for (let j = 0; j < 8; j++) {
      // f64.store (out + 8 (8 i + j)) (f64.promote_f32 (lane j % 4 of acc(i, j / 4)))
      code.push(GET, out, GET, acc(i, j >> 2), ...F32X4_EXTRACT(j & 3), 0xbb);
      code.push(0x39, 3, ...uleb(8 * (8 * i + j)));
    }
  }
  code.push(0x0b);
  const locals = vec([
    [1, 0x7f],
    [3 + 2 * rowsA, 0x7b],
  ]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/**
 * The body of rss(a, aStride, b, rows, m, d4, d) → Σ_r (b[r] − a[r] · m)² in float64, with
 * a[r] · m in float32 (f32x4 over the first d4 bytes of the row, scalar over the rest to d
 * bytes: no read past a row's end).
 */
function rssBody(): number[] {
  const [a, as, b, rows, m, d4, d, end, c, acc, fit, e, R] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  const code: number[] = [];
  code.push(GET, b, GET, rows, 0x41, 4, 0x6c, 0x6a, SET, end); // end = b + 4 rows
  code.push(0x03, 0x40); // loop over rows
  code.push(...simd(0x0c, ...new Array<number>(16).fill(0)), SET, acc); // acc = 0
  code.push(0x41, 0, SET, c);
  // SIMD part: while (c < d4) acc += a[c..] · m[c..]
  code.push(0x02, 0x40, 0x03, 0x40);
  code.push(GET, c, GET, d4, 0x4f, 0x0d, 1); // br_if out (c ≥ d4)
  code.push(GET, acc, GET, a, GET, c, 0x6a, ...V128_LOAD(0), GET, m, GET, c, 0x6a);
  code.push(...V128_LOAD(0), ...F32X4_MUL, ...F32X4_ADD, SET, acc);
  code.push(GET, c, 0x41, 16, 0x6a, SET, c, 0x0c, 0); // c += 16; continue
  code.push(0x0b, 0x0b);
  // fit = the four lanes' sum
  code.push(GET, acc, ...F32X4_EXTRACT(0), GET, acc, ...F32X4_EXTRACT(1), 0x92);
  code.push(GET, acc, ...F32X4_EXTRACT(2), 0x92, GET, acc, ...F32X4_EXTRACT(3), 0x92, SET, fit);
  // scalar tail: while (c < d) fit += a[c] m[c]
  code.push(0x02, 0x40, 0x03, 0x40);
  code.push(GET, c, GET, d, 0x4f, 0x0d, 1);
  code.push(GET, fit, GET, a, GET, c, 0x6a, 0x2a, 2, 0, GET, m, GET, c, 0x6a, 0x2a, 2, 0);
  code.push(0x94, 0x92, SET, fit); // f32.mul, f32.add
  code.push(GET, c, 0x41, 4, 0x6a, SET, c, 0x0c, 0);
  code.push(0x0b, 0x0b);
  // e = b[r] − fit (float64); R += e²
  code.push(GET, b, 0x2a, 2, 0, 0xbb, GET, fit, 0xbb, 0xa1, SET, e);
  code.push(GET, R, GET, e, GET, e, 0xa2, 0xa0, SET, R);
  code.push(GET, a, GET, as, 0x6a, SET, a);
  code.push(GET, b, 0x41, 4, 0x6a, TEE, b, GET, end, 0x49, 0x0d, 0);
  code.push(0x0b); // end loop over rows
  code.push(GET, R, 0x0b);
  const locals = vec([
    [2, 0x7f],
    [1, 0x7b],
    [1, 0x7d],
    [2, 0x7c],
  ]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/** The module's bytes, importing a memory that is shared or not, as the backend's is. */
export function gramModuleBytes(shared: boolean): Uint8Array {
  const i32 = 0x7f;
  const f64 = 0x7c;
  const type = [0x60, ...vec([[i32], [i32], [i32], [i32], [i32], [i32]]), ...vec([])];
  const rssType = [0x60, ...vec(new Array(7).fill([i32])), ...vec([[f64]])];
  // limits: shared memories must declare a maximum (the wasm32 ceiling accepts any)
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([type, rssType])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, ...limits]])),
    ...section(3, vec([[0], [0], [1]])),
    ...section(
      7,
      vec([
        [...str('tile4'), 0x00, 0],
        [...str('tile1'), 0x00, 1],
        [...str('rss'), 0x00, 2],
      ]),
    ),
    ...section(10, vec([tileBody(4), tileBody(1), rssBody()])),
  ];
  return Uint8Array.from(bytes);
}

/** The WebAssembly API (this project's TypeScript libs are ES2022 and Node's, without it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const instances = new WeakMap<WasmMemory, Kernels | null>();

/** The kernels on `memory`, or null where this runtime cannot build them (no SIMD). */
function kernelsFor(memory: WasmMemory): Kernels | null {
  const known = instances.get(memory);
  if (known !== undefined) return known;
  let k: Kernels | null = null;
  try {
    const shared =
      typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const mod = new WA.Module(gramModuleBytes(shared));
    const inst = new WA.Instance(mod, { env: { memory } });
    k = inst.exports as unknown as Kernels;
  } catch {
    k = null;
  }
  instances.set(memory, k);
  return k;
}

/** The wasm backend's memory and bookkeeping, when it is the active backend. */
function wasmBackend(): { be: WasmBackend; memory: WasmMemory } | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const be = tf.backend() as unknown as WasmBackend;
  const memory = be.wasm?.asm?.memory ?? be.wasm?.wasmMemory;
  if (!(memory instanceof WA.Memory)) return undefined;
  return { be, memory };
}

/**
 * Float32 A [T, D] and b [T] on the active wasm backend: their heap addresses and the kernels;
 * undefined when they are not (another backend, other shapes or dtypes, no wasm SIMD).
 */
function onHeap(A: tf.Tensor, b: tf.Tensor) {
  const [T, D] = A.shape;
  if (A.rank !== 2 || T < 1 || b.size !== T) return undefined;
  if (A.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const wb = wasmBackend();
  if (!wb) return undefined;
  const k = kernelsFor(wb.memory);
  const pa = wb.be.dataIdMap.get(A.dataId)?.memoryOffset;
  const pb = wb.be.dataIdMap.get(b.dataId)?.memoryOffset;
  if (!k || pa === undefined || pb === undefined) return undefined;
  return { wb, k, pa, pb, T, D };
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
  const { wb, k, pa, pb, T, D } = on;
  const G = new Float64Array(D * D);
  const g = new Float64Array(D);
  const scratch = wb.be.wasm._malloc(4 * 8 * 8);
  try {
    // after the malloc: a heap that grew has a new buffer
    const S = new Float64Array(wb.memory.buffer, scratch, 32);
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
    wb.be.wasm._free(scratch);
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
  const { wb, k, pa, pb, T, D } = on;
  const pm = wb.be.wasm._malloc(4 * D);
  try {
    new Float32Array(wb.memory.buffer, pm, D).set(Array.from(m));
    return k.rss(pa, 4 * D, pb, T, pm, 16 * Math.floor(D / 4), 4 * D);
  } finally {
    wb.be.wasm._free(pm);
  }
}
