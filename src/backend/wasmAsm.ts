// The one assembler for the hand-written WebAssembly functions of src/backend (adamSimd.ts,
// colSumSimd.ts, transposeSimd.ts, gramSimd.ts; simd.ts instantiates them all as one module):
// the binary format's encodings (LEB128, sections), the instructions they use as named
// constants, the backend's memory, and a module of such functions that imports tfjs-wasm's own
// memory, so that they read and write tensors where they lie on its heap (no copies). 128-bit
// SIMD, which the wasm backend's builds already require (wasmThreads.ts). A new kernel adds the
// instructions it needs here, beside these, rather than encoding bytes of its own.

/** The parts of the WebAssembly global used here (lib ES2022 does not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
interface WasmApi {
  Memory: abstract new (...a: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Is `m` a WebAssembly.Memory? */
export function isWasmMemory(m: unknown): m is WasmMemory {
  return WA !== undefined && m instanceof WA.Memory;
}

/**
 * The wasm backend's memory: emscripten's module (the backend's `wasm` field) exports it as
 * wasmMemory in the threaded build and asm.memory in the one-thread build.
 */
export function backendMemory(backend: unknown): WasmMemory | undefined {
  const wasm = (backend as { wasm?: { wasmMemory?: unknown; asm?: { memory?: unknown } } }).wasm;
  const memory = wasm?.wasmMemory ?? wasm?.asm?.memory;
  return isWasmMemory(memory) ? memory : undefined;
}

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** unsigned LEB128 */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** signed LEB128 (of an integer in the int32 range) */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    // done when the rest is all sign: 0 with bit 6 clear, or −1 with it set
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

// instructions
export const get = (i: number) => [0x20, ...uleb(i)];
export const set = (i: number) => [0x21, ...uleb(i)];
export const tee = (i: number) => [0x22, ...uleb(i)];
/** i32.const of any int32 */
export const i32c = (v: number) => {
  if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
    throw new Error(`internal: i32c of ${v}`);
  return [0x41, ...sleb(v)];
};
// Loads and stores carry a memarg: log2 of the alignment (a hint: every pointer here is at
// least 4-byte aligned, the float32 heap's) and a constant byte offset added to the address.
const SIMD = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
/** v128.load at address + offset */
export const vLoad = (offset: number) => SIMD(0x00, 2, ...uleb(offset));
export const V_LOAD = vLoad(0);
export const V_STORE = SIMD(0x0b, 2, 0); // v128.store
/** v128.store at address + offset */
export const vStore = (offset: number) => SIMD(0x0b, 2, ...uleb(offset));
/** v128.load32_splat at address + offset: one f32 in all four lanes */
export const vLoad32Splat = (offset: number) => SIMD(0x09, 2, ...uleb(offset));
/** v128.const 0 */
export const V128_ZERO = SIMD(0x0c, ...new Array<number>(16).fill(0));
export const F32X4_SPLAT = SIMD(0x13);
/** f32x4.extract_lane */
export const f32x4Lane = (lane: number) => SIMD(0x1f, lane);
export const F32X4_SQRT = SIMD(0xe3);
export const F32X4_ADD = SIMD(0xe4);
export const F32X4_SUB = SIMD(0xe5);
export const F32X4_MUL = SIMD(0xe6);
export const F32X4_DIV = SIMD(0xe7);
/** f32x4.min / f32x4.max: lanewise, a NaN in either operand gives NaN */
export const F32X4_MIN = SIMD(0xe8);
export const F32X4_MAX = SIMD(0xe9);
export const F32X4_ABS = SIMD(0xe0);
export const F32X4_NEG = SIMD(0xe1);
/** f32x4.nearest: round to the nearest integer, ties to even */
export const F32X4_NEAREST = SIMD(0x6a);
/** f32x4.ge: lanewise all-ones where a ≥ b */
export const F32X4_GE = SIMD(0x46);
/** f32x4.gt: lanewise all-ones where a > b */
export const F32X4_GT = SIMD(0x44);
export const V128_AND = SIMD(0x4e);
/** f32.gt (i32 0 or 1) */
export const F32_GT = [0x5e];
export const V128_OR = SIMD(0x50);
export const V128_XOR = SIMD(0x51);
/** i32x4.shr_u (logical) */
export const I32X4_SHR_U = SIMD(0xad);
/** f32x4.convert_i32x4_s */
export const F32X4_CONVERT_I32X4_S = SIMD(0xfa);
/** f32x4.lt: lanewise all-ones where a < b */
export const F32X4_LT = SIMD(0x43);
/** v128.andnot(a, b) = a & ~b */
export const V128_ANDNOT = SIMD(0x4f);
/** v128.bitselect(a, b, mask): a's bits where mask is 1, b's elsewhere */
export const V128_BITSELECT = SIMD(0x52);
/** i32x4.trunc_sat_f32x4_s (NaN gives 0) */
export const I32X4_TRUNC_SAT_F32X4_S = SIMD(0xf8);
export const I32X4_ADD = SIMD(0xae);
export const I32X4_SUB = SIMD(0xb1);
export const I32X4_SHL = SIMD(0xab);
/** i32x4.shr_s (arithmetic) */
export const I32X4_SHR_S = SIMD(0xac);
/** v128.const with four equal float32 lanes */
export const f32x4Const = (v: number): number[] => {
  const b = new Uint8Array(new Float32Array([v, v, v, v]).buffer);
  return SIMD(0x0c, ...b);
};
/** v128.const with four equal int32 lanes */
export const i32x4Const = (v: number): number[] => {
  const b = new Uint8Array(new Int32Array([v, v, v, v]).buffer);
  return SIMD(0x0c, ...b);
};
export const I32_ADD = [0x6a];
export const I32_MUL = [0x6c];
export const I32_GE_U = [0x4f];
export const I32_LT_U = [0x49];
export const I32_EQZ = [0x45];
export const SELECT = [0x1b];
export const F32_LOAD = [0x2a, 2, 0]; // alignment 4 bytes, offset 0
export const F32_STORE = [0x38, 2, 0];
/** f32.load / f32.store at address + offset */
export const f32Load = (offset: number) => [0x2a, 2, ...uleb(offset)];
export const f32Store = (offset: number) => [0x38, 2, ...uleb(offset)];
/** f32.const 0 */
export const F32_CONST_ZERO = [0x43, 0, 0, 0, 0];
export const F32_ADD = [0x92];
export const F32_MUL = [0x94];
/** f32.max: a NaN in either operand gives NaN */
export const F32_MAX = [0x97];
/** f64.store at address + offset, alignment 8 bytes */
export const f64Store = (offset: number) => [0x39, 3, ...uleb(offset)];
export const F64_ADD = [0xa0];
export const F64_SUB = [0xa1];
export const F64_MUL = [0xa2];
export const F64_PROMOTE_F32 = [0xbb];
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
/** if with a result of `type` (I32, F32, V128, …); ELSE, END close it */
export const IF = (type: number) => [0x04, type];
export const ELSE = [0x05];
export const END = [0x0b];
export const BR = (depth: number) => [0x0c, depth];
export const BR_IF = (depth: number) => [0x0d, depth];

/** while (local a < local b, unsigned) { body } — `body` must advance a. */
export const whileLt = (a: number, b: number, body: readonly number[]): number[] => [
  ...BLOCK,
  ...LOOP,
  ...get(a),
  ...get(b),
  ...I32_GE_U,
  ...BR_IF(1),
  ...body,
  ...BR(0),
  ...END,
  ...END,
];

/** the address local p + local i (a pointer and a byte offset) */
export const addr = (p: number, i: number): number[] => [...get(p), ...get(i), ...I32_ADD];

/** the address local p + local i + local j (a pointer and two byte offsets) */
export const addr3 = (p: number, i: number, j: number): number[] => [
  ...get(p),
  ...get(i),
  ...I32_ADD,
  ...get(j),
  ...I32_ADD,
];

/**
 * A v128 from the address `at` pushes: with local `splat` ≠ 0 the f32 there in every lane, else
 * the four at `at` + local `col` (rowLayout.ts's reads: a value per row, or a row's columns).
 */
export const loadOrSplat = (at: readonly number[], col: number, splat: number): number[] => [
  ...get(splat),
  ...IF(V128),
  ...at,
  ...vLoad32Splat(0),
  ...ELSE,
  ...at,
  ...get(col),
  ...I32_ADD,
  ...V_LOAD,
  ...END,
];

/** local l += by */
export const inc = (l: number, by: number): number[] => [
  ...get(l),
  ...i32c(by),
  ...I32_ADD,
  ...set(l),
];

/**
 * One exported function: its parameter types, result type (none if absent), extra locals
 * ([count, type] groups) and code.
 */
export interface WasmFunc {
  readonly name: string;
  readonly params: readonly number[];
  readonly result?: number;
  readonly locals: readonly (readonly [number, number])[];
  /** the body's instructions, without the final `end` */
  readonly code: readonly number[];
}

/** The module's bytes; `shared`: the memory it imports is a threaded build's SharedArrayBuffer. */
export function moduleBytes(funcs: readonly WasmFunc[], shared: boolean): Uint8Array {
  const types = funcs.map((f) => [
    0x60,
    ...vec(f.params.map((p) => [p])),
    ...vec(f.result === undefined ? [] : [[f.result]]),
  ]);
  // limits: min 0 (and a max, required of a shared memory: 65536 pages = 4 GiB, any memory's)
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const bodies = funcs.map((f) => {
    const fn = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.code, ...END];
    return [...uleb(fn.length), ...fn];
  });
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(funcs.map((_, k) => uleb(k)))),
    ...section(7, vec(funcs.map((f, k) => [...name(f.name), 0x00, ...uleb(k)]))),
    ...section(10, vec(bodies)),
  ];
  return Uint8Array.from(bytes);
}

/** The functions instantiated on `memory`, by name, or undefined where that fails (no SIMD, …). */
export function instantiate(
  funcs: readonly WasmFunc[],
  memory: WasmMemory,
): Record<string, unknown> | undefined {
  if (!WA) return undefined;
  try {
    const shared =
      typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const mod = new WA.Module(moduleBytes(funcs, shared));
    return new WA.Instance(mod, { env: { memory } }).exports;
  } catch {
    return undefined;
  }
}
