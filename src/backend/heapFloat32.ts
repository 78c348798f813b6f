// A float32 tensor allocated first and filled in place, on the wasm backend's own memory.
// Binding a large array the ordinary way makes it three times: the JavaScript numbers, a
// Float32Array of them, and the tensor's copy on the wasm heap (tf.tensor copies its values in).
// For X of 100,000 × 50 the Float32Array is 20 MB of new JavaScript memory per call, and that
// allocation starts V8's incremental marking of the whole heap, the user's ~100 MB of nested
// arrays included: 10–16 ms of a 40 ms `infer()` (measured with --trace-gc, issue 8). Writing
// the numbers straight into the tensor's heap memory makes neither the Float32Array nor the
// copy, and every later use of the value (checks, engines) takes the tensor as it is.
import * as tf from '@tensorflow/tfjs';
import type { WasmHeap } from './wasmKernel.js';

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
