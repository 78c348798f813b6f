// The Adam step of adam.ts as a 128-bit SIMD WebAssembly function on tfjs-wasm's own memory:
// four float32 lanes at a time, where the JS loop does one float64 sqrt and division per entry
// (~4 ns an entry here, ~2.5 ms a step on the MNIST VAE's 650k weights). The module is written
// out below as bytes (one function, no tables, no data) and imports the backend's memory, so it
// reads and writes the tensors where they are. Its arithmetic is float32 throughout, as the
// other wasm kernels' and torch's CPU Adam's:
//   m' = β1 m + (1 − β1) g,  v' = β2 v + (1 − β2) g g,  x' = x − (s m') / (√v' r + ε)
// with s = lr / (1 − β1^t) and r = 1 / √(1 − β2^t) (adam.ts). n·4 bytes from each pointer;
// the caller passes whole groups of four (the rest of a tensor is done by the JS loop).

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

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** unsigned LEB128 */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

// instructions
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const SIMD = (op: number) => [0xfd, ...uleb(op)];
const load = [...SIMD(0x00), 2, 0]; // v128.load align=4 bytes, offset 0
const store = [...SIMD(0x0b), 2, 0]; // v128.store
const splat = SIMD(0x13); // f32x4.splat
const sqrt = SIMD(0xe3);
const add = SIMD(0xe4);
const sub = SIMD(0xe5);
const mul = SIMD(0xe6);
const div = SIMD(0xe7);
const I32_ADD = [0x6a];
const I32_GE_U = [0x4f];

// params 0..6 pointers x g m v xo mo vo, 7 bytes, 8..14 β1 a1 β2 a2 s r ε;
// locals 15 i; 16..22 the seven splats; 23 g, 24 m', 25 v'
const P = { x: 0, g: 1, m: 2, v: 3, xo: 4, mo: 5, vo: 6, bytes: 7 };
const I = 15;
const SPLAT = 16;
const [G, M, V] = [23, 24, 25];
const at = (ptr: number) => [...get(ptr), ...get(I), ...I32_ADD];

function body(): number[] {
  const code: number[] = [];
  for (let k = 0; k < 7; k++) code.push(...get(8 + k), ...splat, ...set(SPLAT + k));
  const [b1, a1, b2, a2, s, r, eps] = [0, 1, 2, 3, 4, 5, 6].map((k) => SPLAT + k);
  code.push(
    ...[0x02, 0x40, 0x03, 0x40], // block, loop
    ...get(I),
    ...get(P.bytes),
    ...I32_GE_U,
    ...[0x0d, 1], // br_if 1: leave the block
    ...at(P.g),
    ...load,
    ...set(G),
    // m' = β1 m + a1 g
    ...at(P.m),
    ...load,
    ...get(b1),
    ...mul,
    ...get(G),
    ...get(a1),
    ...mul,
    ...add,
    ...set(M),
    // v' = β2 v + a2 g g
    ...at(P.v),
    ...load,
    ...get(b2),
    ...mul,
    ...get(G),
    ...get(G),
    ...mul,
    ...get(a2),
    ...mul,
    ...add,
    ...set(V),
    ...at(P.mo),
    ...get(M),
    ...store,
    ...at(P.vo),
    ...get(V),
    ...store,
    // x' = x − s m' / (√v' r + ε)
    ...at(P.xo),
    ...at(P.x),
    ...load,
    ...get(s),
    ...get(M),
    ...mul,
    ...get(V),
    ...sqrt,
    ...get(r),
    ...mul,
    ...get(eps),
    ...add,
    ...div,
    ...sub,
    ...store,
    // i += 16
    ...get(I),
    ...[0x41, 16], // i32.const 16
    ...I32_ADD,
    ...set(I),
    ...[0x0c, 0], // br 0: next iteration
    ...[0x0b, 0x0b], // end loop, end block
    0x0b, // end function
  );
  const locals = vec([
    [1, I32],
    [10, V128],
  ]);
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

/** The module's bytes; `shared`: the memory it imports is a threaded build's SharedArrayBuffer. */
export function adamModuleBytes(shared: boolean): Uint8Array {
  const type = [0x60, ...vec([...Array(8).fill([I32]), ...Array(7).fill([F32])]), ...vec([])];
  // limits: min 0 (and a max, required of a shared memory: 65536 pages = 4 GiB, any memory's)
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([type])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('adam'), 0x00, 0]])),
    ...section(10, vec([body()])),
  ];
  return Uint8Array.from(bytes);
}

/** The SIMD step on `memory`, or undefined where the module cannot be made (no SIMD, …). */
export function adamSimd(memory: WasmMemory): AdamSimd | undefined {
  if (!WA) return undefined;
  try {
    const shared =
      typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const mod = new WA.Module(adamModuleBytes(shared));
    const inst = new WA.Instance(mod, { env: { memory } });
    return inst.exports.adam as AdamSimd;
  } catch {
    return undefined;
  }
}
