// tfjs-backend-wasm 4.22's Sum reduces only innermost axes: over leading ones it first
// transposes the whole input (a copy, ~4 ns an entry here) and then sums. Autodiff asks for
// exactly that on every dense layer: the gradient of a bias b in x W + b is Σ_rows dy, a sum
// over axis 0 of [B, out]. This wraps the kernel: a float32 sum over leading axes 0 … k − 1 is
// out[j] = Σ_r x[r, j] over the rows in order, four columns at a time (colSumSimd.ts) and the
// last 0–3 in JS; other sums keep the original kernel.
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { simdFunctions } from './simd.js';
import { type WasmHeap, wrapWasmKernel } from './wasmKernel.js';

/** Register the wrapper on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerFastColumnSum(backendName: string): void {
  wrapWasmKernel('Sum', backendName, (sum) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as {
      axis: number | number[];
      keepDims: boolean;
    };
    const simd = simdFunctions(args.backend)?.colSum;
    if (!simd || x.dtype !== 'float32') return sum(args);
    const rank = x.shape.length;
    const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
    const k = axes.length;
    // leading axes only, and not all of them (that sum is innermost already)
    if (k === 0 || k >= rank || axes.some((a, i) => a !== i)) return sum(args);
    const rows = prod(x.shape.slice(0, k));
    const n = prod(x.shape.slice(k));
    const backend = args.backend as WasmHeap;
    const shape = keepDims ? x.shape.map((d, a) => (a < k ? 1 : d)) : x.shape.slice(k);
    // the output first: allocating may grow the heap and detach earlier views
    const out = backend.makeOutput(shape, 'float32');
    const dst = backend.typedArrayFromHeap(out);
    const src = backend.typedArrayFromHeap(x);
    dst.fill(0);
    const done = n - (n % 4);
    if (done > 0) simd(src.byteOffset, dst.byteOffset, rows, 4 * done, 4 * n);
    for (let j = done; j < n; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s = Math.fround(s + src[r * n + j]);
      dst[j] = s;
    }
    return out;
  });
}
