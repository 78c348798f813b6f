// Standard normal draws from four 32-bit seed words. tfjs's tf.randomNormal draws them in JS,
// one value at a time (alea and Marsaglia's polar method), and then copies them to the backend:
// ~20 µs for the 1,024 draws of ε on every step of a digits VAE, ~3% of the step. On wasm the
// registered kernel 'PlatoNormal' writes them in place with normalSimd.ts (four xorshift128
// lanes and Box–Muller, eight draws a round), its 16 state words hashed from the seed words by
// splitmix32, and the last 0–7 draws (and all of fewer than 16) by the same transform in
// float64 JS from splitmix32 uniforms; elsewhere (other backends, no SIMD module or
// PLATO_WASM_SIMD=0) tf.randomNormal with a seed made from the words. The same words give the
// same draws on a given path; the two paths' streams differ.
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { GOLDEN32, mix32 } from '../util/splitmix.js';
import { heapAddress, registerSimdKernel, simdKernelActive, type WasmHeap } from './wasmKernel.js';

export const NORMAL_KERNEL = 'PlatoNormal';

export type SeedWords = readonly [number, number, number, number];

/** n splitmix32 outputs (util/splitmix.ts) from the four seed words. */
function splitmix(seeds: readonly number[], n: number): Uint32Array {
  // the words folded into one state, each through a round of the mix
  let state = 0;
  for (const w of seeds) state = mix32((state + GOLDEN32) ^ (w >>> 0));
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    state = (state + GOLDEN32) >>> 0;
    out[i] = mix32(state);
  }
  return out;
}

/** Register the kernel on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerNormal(backendName: string): void {
  registerSimdKernel(NORMAL_KERNEL, backendName, ({ backend, attrs }, { normal: simd }) => {
    const { shape, seeds } = attrs as unknown as { shape: number[]; seeds: number[] };
    const heap = backend as WasmHeap;
    const out = heap.makeOutput(shape, 'float32');
    const n = prod(shape);
    // SIMD rounds of eight (at least two: the state is read from the first 16 entries)
    const blocks = n >= 16 ? Math.floor(n / 8) : 0;
    const words = splitmix(seeds, blocks > 0 ? 16 + 2 * (n - 8 * blocks) : 2 * n);
    if (blocks > 0) {
      new Uint32Array(heap.typedArrayFromHeap(out).buffer, heapAddress(backend, out), 16).set(
        words.subarray(0, 16),
      );
      simd(heapAddress(backend, out), blocks);
    }
    const rest = n - 8 * blocks;
    if (rest === 0) return out;
    // the last 0–7 (or all of fewer than 16): Box–Muller in float64, one draw per pair
    const u = words.subarray(blocks > 0 ? 16 : 0);
    const v = heap.typedArrayFromHeap(out);
    for (let i = 0; i < rest; i++) {
      const r = Math.sqrt(-2 * Math.log(1 - u[2 * i] / 4294967296));
      v[8 * blocks + i] = r * Math.cos((2 * Math.PI * u[2 * i + 1]) / 4294967296);
    }
    return out;
  });
}

/** Standard normal draws in `shape` from the seed words (see the file's comment). */
export function standardNormal(shape: readonly number[], seeds: SeedWords): tf.Tensor {
  if (simdKernelActive(NORMAL_KERNEL))
    return tf.engine().runKernel(NORMAL_KERNEL, {}, {
      shape: [...shape],
      seeds: seeds.map((s) => s | 0),
    } as never) as tf.Tensor;
  return tf.randomNormal([...shape], 0, 1, 'float32', (seeds[0] ^ seeds[1]) >>> 1);
}
