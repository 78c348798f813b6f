// tfjs-backend-wasm 4.22's Tile computes every output element's source index (~100 ns per
// element here: tiling [1, 128, 784] ten times took 118 ms), and tf.broadcastTo is a Tile. The
// engines broadcast data across S particles this way ([1, B, ...] → [S, B, ...]), where the
// copy is S contiguous blocks. This wraps the kernel: when the axes after the last repeated
// one hold at least MIN_BLOCK elements, the output is filled by copying those contiguous
// blocks (typed-array copies on the wasm heap); other tiles keep the original kernel.
import type * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { type WasmHeap, wrapWasmKernel } from './wasmKernel.js';

/** Below this many contiguous elements per copy, the kernel's own loop is no slower. */
const MIN_BLOCK = 64;

/** Register the wrapper on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerFastTile(backendName: string): void {
  wrapWasmKernel('Tile', backendName, (tile) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { reps } = args.attrs as unknown as { reps: number[] };
    const shape = x.shape;
    let last = -1;
    for (let a = 0; a < reps.length; a++) if (reps[a] !== 1) last = a;
    const block = prod(shape.slice(last + 1));
    if (last < 0 || block < MIN_BLOCK || x.dtype === 'string') return tile(args);
    const backend = args.backend as WasmHeap;
    const outShape = shape.map((d, a) => d * reps[a]);
    const out = backend.makeOutput(outShape, x.dtype);
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    // out's index over axes 0..last (row-major), each naming a source block by i_a mod shape_a
    const outer = outShape.slice(0, last + 1);
    const count = prod(outer);
    const idx = new Array<number>(outer.length).fill(0);
    for (let o = 0; o < count; o++) {
      let s = 0;
      for (let a = 0; a < outer.length; a++) s = s * shape[a] + (idx[a] % shape[a]);
      dst.set(src.subarray(s * block, (s + 1) * block), o * block);
      for (let a = outer.length - 1; a >= 0; a--) {
        if (++idx[a] < outer[a]) break;
        idx[a] = 0;
      }
    }
    return out;
  });
}
