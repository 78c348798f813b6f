// tfjs-backend-wasm 4.22's Slice reads its input with backend.readSync, which copies the whole
// tensor off the wasm heap (HEAPU8.slice) before taking the slice: cutting [100,000, 10] into 25
// row blocks copied 25 × 4 MB (~1 ms per slice; cavi's blocked weighted sums, selected.ts).
// This wraps the kernel: a contiguous slice (rows of a row-major tensor, the common case) is
// one typed-array copy of just the slice on the heap; other slices keep the original kernel.
import * as tf from '@tensorflow/tfjs';
import { type WasmHeap, wrapWasmKernel } from './wasmKernel.js';

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
    if (!tf.slice_util.isSliceContinous(x.shape, b, s)) return slice(args);
    const offset = tf.slice_util.computeFlatOffset(b, tf.util.computeStrides(x.shape));
    const n = s.reduce((p, d) => p * d, 1);
    const backend = args.backend as WasmHeap;
    // the output first: allocating may grow the heap and detach earlier views
    const out = backend.makeOutput(s, x.dtype);
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + n));
    return out;
  });
}
