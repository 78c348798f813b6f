// tfjs-backend-wasm 4.22's Multiply runs XNNPACK's multiply operator, created and set up anew on
// every call: ~10 µs on a [128, 64] product on one thread, and ~110 µs when XNNPACK's thread pool
// is on (it wakes the pool for every call). The gradients of a VAE's step are a handful of such
// small products. This wraps the kernel: a float32 product of same-size operands, a scalar times
// anything, or a column [..., R, 1] or a row [C] times [..., R, C] (C a multiple of 4: a per-row
// factor, as a summed log density's gradient spreads back over its event axis; rowLayout.ts) is
// one pass of multiplySimd.ts (the last 0–3 entries of a flat product in JS: a float32 product
// is exact in float64 before its rounding). Other dtypes and broadcasts keep the original
// kernel.
import type * as tf from '@tensorflow/tfjs';
import { broadcast_util } from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { rowPlan } from './rowLayout.js';
import { simdFunctions } from './simd.js';
import { heapAddress, type WasmHeap, wrapWasmKernel } from './wasmKernel.js';

type Info = tf.TensorInfo;

/** Register the wrapper on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerFastMultiply(backendName: string): void {
  wrapWasmKernel('Multiply', backendName, (multiply) => (args) => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const simd = simdFunctions(args.backend)?.multiply;
    if (!simd || a.dtype !== 'float32' || b.dtype !== 'float32') return multiply(args);
    const shape = broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const plan = rowPlan(shape, [a.shape, b.shape], ['one', 'full', 'last', 'column']);
    if (!plan || prod(shape) === 0) return multiply(args);
    const heap = args.backend as WasmHeap;
    // the output first: allocating may grow the heap and detach earlier views
    const out = heap.makeOutput(shape, 'float32');
    const { rows, cols, simdCols, reads } = plan;
    if (simdCols > 0)
      simd(
        heapAddress(heap, a),
        reads[0].row,
        reads[0].splat,
        heapAddress(heap, b),
        reads[1].row,
        reads[1].splat,
        heapAddress(heap, out),
        4 * cols,
        rows,
        4 * simdCols,
      );
    // a flat product's last 0–3 entries
    if (simdCols === cols) return out;
    const [va, vb, vo] = [a, b, out].map((t) => heap.typedArrayFromHeap(t));
    for (let i = simdCols; i < cols; i++)
      vo[i] = Math.fround((va.length === 1 ? va[0] : va[i]) * (vb.length === 1 ? vb[0] : vb[i]));
    return out;
  });
}
