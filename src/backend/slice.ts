// tfjs-backend-wasm 4.22's Slice reads its input with backend.readSync, which copies the whole
// tensor off the wasm heap (HEAPU8.slice) before taking the slice: cutting [100,000, 10] into 25
// row blocks copied 25 × 4 MB (~1 ms per slice; cavi's blocked weighted sums, selected.ts).
// This wraps the kernel: a contiguous slice (rows of a row-major tensor, the common case) is
// one typed-array copy of just the slice on the heap; a slice of columns (avi's encoder output
// [B, 2K] cut into loc and log sd) is one copy per contiguous run of at least MIN_RUN entries
// (a short run entry by entry);
// other slices keep the original kernel.
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { type WasmHeap, wrapWasmKernel } from './wasmKernel.js';

/** Below this many entries per contiguous run, one copy call per run is not worth it. */
const MIN_RUN = 4;
/**
 * Below this many, a run is copied entry by entry: a subarray view and a set per run cost
 * ~80 ns, ~20 entries' worth (avi's [128, 16] encoder output cut in two: 22 µs a slice with a
 * set per row, ~2 µs entry by entry).
 */
export const SHORT_RUN = 32;

/** Register the wrapper on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerFastSlice(backendName: string): void {
  wrapWasmKernel('Slice', backendName, (slice) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as unknown as {
      begin: number | number[];
      size: number | number[];
    };
    if (x.dtype === 'string') return slice(args);
    const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
    const backend = args.backend as WasmHeap;
    if (tf.slice_util.isSliceContinous(x.shape, b, s)) {
      const offset = tf.slice_util.computeFlatOffset(b, tf.util.computeStrides(x.shape));
      const n = prod(s);
      // the output first: allocating may grow the heap and detach earlier views
      const out = backend.makeOutput(s, x.dtype);
      backend
        .typedArrayFromHeap(out)
        .set(backend.typedArrayFromHeap(x).subarray(offset, offset + n));
      return out;
    }
    // runs: axis a is the last one cut; the axes after it are whole, so each index of the axes
    // before it names one contiguous run of s[a] · (entries after a)
    const r = x.shape.length;
    let a = r - 1;
    while (a > 0 && s[a] === x.shape[a] && b[a] === 0) a--;
    const strides = [...tf.util.computeStrides(x.shape), 1];
    const run = s[a] * strides[a];
    const outer = s.slice(0, a);
    const count = prod(outer);
    // many short runs: the original kernel's loop is no slower than one copy call per run
    if (run < MIN_RUN) return slice(args);
    const out = backend.makeOutput(s, x.dtype);
    const short = run < SHORT_RUN && (x.dtype === 'float32' || x.dtype === 'int32');
    const dst = short ? words(backend.typedArrayFromHeap(out)) : backend.typedArrayFromHeap(out);
    const src = short ? words(backend.typedArrayFromHeap(x)) : backend.typedArrayFromHeap(x);
    const idx = new Array<number>(a).fill(0);
    for (let o = 0; o < count; o++) {
      let from = b[a] * strides[a];
      for (let d = 0; d < a; d++) from += (b[d] + idx[d]) * strides[d];
      if (short) for (let j = 0, to = o * run; j < run; j++) dst[to + j] = src[from + j];
      else dst.set(src.subarray(from, from + run), o * run);
      for (let d = a - 1; d >= 0; d--) {
        if (++idx[d] < outer[d]) break;
        idx[d] = 0;
      }
    }
    return out;
  });
}

/**
 * A float32 or int32 heap view as 32-bit words: copying words copies either exactly (bit for bit),
 * and one element type at a copy loop keeps V8's code for it monomorphic.
 */
export function words(a: Float32Array | Int32Array | Uint8Array): Int32Array {
  return a instanceof Int32Array ? a : new Int32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
}
