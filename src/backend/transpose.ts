// tfjs-backend-wasm 4.22's 2-D Transpose writes its output with a stride of a whole column
// (~4 ns an entry on [128, 784], transposeSimd.ts), and matMul.ts transposes an operand of
// every backward product of a dense layer. This wraps the kernel: a swap of the last two axes
// of 4-byte entries (perm [0, …, r − 3, r − 1, r − 2]) is one blocked transpose per leading
// index on the heap; other permutations keep the original kernel.
import type * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { simdFunctions } from './simd.js';
import { heapAddress, type WasmHeap, wrapWasmKernel } from './wasmKernel.js';

/** Register the wrapper on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerFastTranspose(backendName: string): void {
  wrapWasmKernel('Transpose', backendName, (transpose) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as unknown as { perm: number[] };
    const fast = simdFunctions(args.backend)?.transpose;
    const r = x.shape.length;
    if (
      !fast ||
      r < 2 ||
      (x.dtype !== 'float32' && x.dtype !== 'int32') ||
      perm[r - 2] !== r - 1 ||
      perm[r - 1] !== r - 2 ||
      perm.slice(0, r - 2).some((p, a) => p !== a)
    )
      return transpose(args);
    const rows = x.shape[r - 2];
    const cols = x.shape[r - 1];
    const batch = prod(x.shape.slice(0, r - 2));
    const backend = args.backend as WasmHeap;
    // the output first: allocating may grow the heap and detach earlier views
    const out = backend.makeOutput([...x.shape.slice(0, r - 2), cols, rows], x.dtype);
    const src = heapAddress(backend, x);
    const dst = heapAddress(backend, out);
    const bytes = 4 * rows * cols;
    for (let b = 0; b < batch; b++) fast(src + b * bytes, dst + b * bytes, rows, cols);
    return out;
  });
}
