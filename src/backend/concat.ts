// tfjs-backend-wasm 4.22's Concat copies, for each index of the axes before the joined one, each
// input's block with a subarray view and a set (~80 ns a call): joining avi's loc and log sd
// gradients [128, 8] + [128, 8] along the last axis took ~38 µs. This wraps the kernel: a short
// block (< SHORT_RUN entries) is copied entry by entry; longer ones, empty inputs and dtypes other
// than float32 and int32 keep the original kernel.
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { SHORT_RUN, words } from './slice.js';
import { type WasmHeap, wrapWasmKernel } from './wasmKernel.js';

/** Register the wrapper on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerFastConcat(backendName: string): void {
  wrapWasmKernel('Concat', backendName, (concat) => (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const first = inputs[0];
    if (
      !first ||
      (first.dtype !== 'float32' && first.dtype !== 'int32') ||
      inputs.some((t) => t.dtype !== first.dtype || t.shape.some((d) => d === 0))
    )
      return concat(args);
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, first.shape)[0];
    const inner = inputs.map((t) => prod(t.shape.slice(axis)));
    if (inner.some((n) => n >= SHORT_RUN) || inputs.length < 2) return concat(args);
    const outer = prod(first.shape.slice(0, axis));
    const shape = [...first.shape];
    shape[axis] = inputs.reduce((p, t) => p + t.shape[axis], 0);
    const backend = args.backend as WasmHeap;
    // the output first: allocating may grow the heap and detach earlier views
    const out = backend.makeOutput(shape, first.dtype);
    // 32-bit words whatever the dtype (float32 or int32; a bit copy): one element type at the
    // copy, which V8 then compiles monomorphic
    const dst = words(backend.typedArrayFromHeap(out));
    const srcs = inputs.map((t) => words(backend.typedArrayFromHeap(t)));
    let to = 0;
    for (let o = 0; o < outer; o++)
      for (let k = 0; k < srcs.length; k++) {
        const src = srcs[k];
        const n = inner[k];
        for (let j = 0, from = o * n; j < n; j++) dst[to++] = src[from + j];
      }
    return out;
  });
}
