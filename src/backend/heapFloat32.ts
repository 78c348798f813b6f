// A float32 tensor allocated first and filled in place, on the wasm backend's own memory.
// Binding a large array the ordinary way makes it three times: the JavaScript numbers, a
// Float32Array of them, and the tensor's copy on the wasm heap (tf.tensor copies its values in).
// For X of 100,000 × 50 the Float32Array is 20 MB of new JavaScript memory per call, and that
// allocation starts V8's incremental marking of the whole heap, the user's ~100 MB of nested
// arrays included: 10–16 ms of a 40 ms `infer()` (measured with --trace-gc, issue 8). Writing
// the numbers straight into the tensor's heap memory makes neither the Float32Array nor the
// copy, and every later use of the value (checks, engines) takes the tensor as it is.
import * as tf from '@tensorflow/tfjs';
import { heapAddress, type WasmHeap } from './wasmKernel.js';

/** A tensor and a view of its memory to fill. */
export interface HeapFloat32 {
  readonly tensor: tf.Tensor;
  /**
   * Its values in place. Valid only until the next allocation on the backend (a growing wasm
   * memory detaches every view of it): fill it at once, and never keep it.
   */
  readonly view: Float32Array;
}

/**
 * An uninitialised float32 tensor of `shape` with a view of its memory on the wasm backend;
 * undefined on any other backend (the caller keeps its values in a Float32Array). The tensor
 * is kept out of every tidy scope: its owner disposes it.
 */
export function heapFloat32(shape: readonly number[]): HeapFloat32 | undefined {
  const h = scopedHeapFloat32(shape);
  if (h) tf.keep(h.tensor);
  return h;
}

/**
 * As heapFloat32, but the tensor belongs to the current tidy scope like any other op's output
 * (a per-step tensor filled on the host: avi's minibatch rows).
 */
export function scopedHeapFloat32(shape: readonly number[]): HeapFloat32 | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const heap = tf.backend() as unknown as WasmHeap;
  const info = heap.makeOutput([...shape], 'float32');
  const tensor = tf.engine().makeTensorFromTensorInfo(info);
  return { tensor, view: heap.typedArrayFromHeap(info) as Float32Array };
}

/**
 * Rows `rows` of `src` (a float32 tensor on the wasm heap of rows of `size` entries) as a new
 * tensor of `shape` (rows.length · size entries) in the current tidy scope, each row moved by
 * one copyWithin on the heap; undefined off wasm. Gathering on the host instead cost a
 * typed-array view and a set per row (~25 µs for a digits VAE's 128 rows of 64, ~4% of its
 * step), and tfjs-wasm's Gather is a scalar loop.
 */
export function gatherHeapRows(
  src: tf.Tensor,
  size: number,
  rows: readonly number[],
  shape: readonly number[],
): tf.Tensor | undefined {
  if (tf.getBackend() !== 'wasm' || src.dtype !== 'float32' || src.size % size !== 0)
    return undefined;
  const n = src.size / size;
  for (const r of rows)
    if (!(Number.isInteger(r) && r >= 0 && r < n))
      throw new Error(`internal: row ${r} of ${n} gathered`);
  const heap = tf.backend() as unknown as WasmHeap;
  const info = heap.makeOutput([...shape], 'float32');
  // after the allocation (which may grow the heap): the addresses, and a view of all of it
  const [from, to] = [heapAddress(heap, src), heapAddress(heap, info)];
  const bytes = new Uint8Array(heap.typedArrayFromHeap(info).buffer);
  const rb = 4 * size;
  for (let i = 0; i < rows.length; i++)
    bytes.copyWithin(to + i * rb, from + rows[i] * rb, from + (rows[i] + 1) * rb);
  return tf.engine().makeTensorFromTensorInfo(info);
}
