// tfjs-backend-wasm 4.22's Multiply runs XNNPACK's multiply operator, created and set up anew on
// every call: ~10 µs on a [128, 64] product on one thread, and ~110 µs when XNNPACK's thread pool
// is on (it wakes the pool for every call). The gradients of a VAE's step are a handful of such
// small products. This wraps the kernel: a float32 product of same-size operands, a scalar times
// anything, or a column [..., R, 1] times [..., R, C] (C a multiple of 4: a per-row factor, as
// a summed log density's gradient spreads back over its event axis) is one pass of
// multiplySimd.ts (the last 0–3 entries of a flat product in JS: a float32 product is exact in
// float64 before its rounding). Other dtypes and broadcasts keep the original kernel.
import type * as tf from '@tensorflow/tfjs';
import { broadcast_util } from '@tensorflow/tfjs';
import { prod, sameShape } from '../util/shape.js';
import { simdFunctions } from './simd.js';
import { heapAddress, type WasmHeap, wrapWasmKernel } from './wasmKernel.js';

type Info = tf.TensorInfo;

/** How one operand is read: its row stride in bytes, and whether one value fills a row. */
interface Read {
  readonly row: number;
  readonly splat: 0 | 1;
}

/** rows × cols of the output and each operand's read; undefined: the original kernel. */
function layout(
  a: readonly number[],
  b: readonly number[],
  out: readonly number[],
): { rows: number; cols: number; a: Read; b: Read } | undefined {
  const n = prod(out);
  const full = (s: readonly number[]) => prod(s) === n;
  const one = (s: readonly number[]) => prod(s) === 1;
  if ((full(a) || one(a)) && (full(b) || one(b))) {
    const flat = (s: readonly number[]): Read =>
      one(s) && n > 1 ? { row: 0, splat: 1 } : { row: 0, splat: 0 };
    return { rows: 1, cols: n, a: flat(a), b: flat(b) };
  }
  // a column: the output's shape with a last axis of 1
  const C = out[out.length - 1];
  if (C % 4 !== 0) return undefined;
  const column = (s: readonly number[]) => {
    const padded = [...new Array<number>(out.length - s.length).fill(1), ...s];
    return padded[padded.length - 1] === 1 && sameShape(padded.slice(0, -1), out.slice(0, -1));
  };
  const read = (s: readonly number[]): Read | undefined =>
    full(s)
      ? { row: 4 * C, splat: 0 }
      : one(s)
        ? { row: 0, splat: 1 }
        : column(s)
          ? { row: 4, splat: 1 }
          : undefined;
  const [ra, rb] = [read(a), read(b)];
  return ra && rb ? { rows: n / C, cols: C, a: ra, b: rb } : undefined;
}

/** Register the wrapper on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerFastMultiply(backendName: string): void {
  wrapWasmKernel('Multiply', backendName, (multiply) => (args) => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const simd = simdFunctions(args.backend)?.multiply;
    if (!simd || a.dtype !== 'float32' || b.dtype !== 'float32') return multiply(args);
    const shape = broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const plan = layout(a.shape, b.shape, shape);
    if (!plan || prod(shape) === 0) return multiply(args);
    const heap = args.backend as WasmHeap;
    // the output first: allocating may grow the heap and detach earlier views
    const out = heap.makeOutput(shape, 'float32');
    const { rows, cols } = plan;
    const done = rows === 1 ? cols - (cols % 4) : cols;
    if (done > 0)
      simd(
        heapAddress(heap, a),
        plan.a.row,
        plan.a.splat,
        heapAddress(heap, b),
        plan.b.row,
        plan.b.splat,
        heapAddress(heap, out),
        4 * cols,
        rows,
        4 * done,
      );
    // a flat product's last 0–3 entries
    if (done === cols) return out;
    const [va, vb, vo] = [a, b, out].map((t) => heap.typedArrayFromHeap(t));
    for (let i = done; i < cols && rows === 1; i++)
      vo[i] = Math.fround((va.length === 1 ? va[0] : va[i]) * (vb.length === 1 ? vb[0] : vb[i]));
    return out;
  });
}
