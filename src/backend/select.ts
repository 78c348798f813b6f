// tfjs-core 4.22's tf.where broadcasts its condition with broadcastTo, which leaves a size-1 axis
// as it is when the target length is 0 (a plate of size 0): where([1, 3, 3] mask, a, b) with a
// and b of shape [0, 3, 3] reaches the Select kernel with a 9-element condition and an empty
// output. tfjs-backend-wasm's SelectV2 loops over the condition's elements and writes each into
// the output, 36 bytes into an allocation of 0: the heap is corrupted and a later free fails with
// "memory access out of bounds" (MvNormal's variance over an empty batch did it). An empty
// output has nothing to compute: the wrapper returns it without calling the kernel. A non-empty
// output always has a condition of its size or a rank-1 one (broadcastTo tiles every axis of
// length > 1), which the kernel handles.
import type * as tf from '@tensorflow/tfjs';
import { type WasmHeap, wrapWasmKernel } from './wasmKernel.js';

/** Register the wrapper on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerSafeSelect(backendName: string): void {
  wrapWasmKernel('Select', backendName, (select) => (args) => {
    const { t } = args.inputs as { t: tf.TensorInfo };
    if (t.shape.some((d) => d === 0))
      return (args.backend as WasmHeap).makeOutput([...t.shape], t.dtype);
    return select(args);
  });
}
