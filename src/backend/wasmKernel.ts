// Shared by the kernel wrappers of src/backend (tile.ts, slice.ts, …): the wasm backend's heap
// access, and replacing a registered kernel by a wrapper of it once per backend.
import * as tf from '@tensorflow/tfjs';
import { type SimdFunctions, simdFunctions } from './simd.js';

/** The parts of tfjs-backend-wasm's backend the wrappers use: outputs and views on its heap. */
export interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

interface DataIds {
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

/**
 * The byte address of t's data on the wasm heap, for the hand-written SIMD functions (which take
 * addresses): read from the backend's record, without the typed-array view typedArrayFromHeap
 * allocates (a kernel that only passes addresses made ~7 such garbage views a call).
 */
export function heapAddress(backend: unknown, t: tf.TensorInfo): number {
  const rec = (backend as DataIds).dataIdMap.get(t.dataId as object);
  if (!rec) throw new Error('internal: a tensor with no data on the wasm heap');
  return rec.memoryOffset;
}

const wrapped = new Set<string>();

/**
 * Register `wrap(original)` as kernel `name` on `backendName` (wasm only; idempotent; call after
 * the backend is ready).
 */
export function wrapWasmKernel(
  name: string,
  backendName: string,
  wrap: (original: tf.KernelConfig['kernelFunc']) => tf.KernelConfig['kernelFunc'],
): void {
  const key = `${backendName}/${name}`;
  if (backendName !== 'wasm' || wrapped.has(key)) return;
  const k = tf.getKernel(name, backendName);
  if (!k) return;
  wrapped.add(key);
  const kernelFunc = wrap(k.kernelFunc);
  tf.unregisterKernel(name, backendName);
  tf.registerKernel({ kernelName: name, backendName, kernelFunc });
}

type KernelArgs = Parameters<tf.KernelConfig['kernelFunc']>[0];

const simdKernels = new Set<string>();

/**
 * Register Plato's own kernel `name` on `backendName` (wasm only; idempotent; call after the
 * backend is ready). `kernelFunc` runs on the hand-written SIMD functions (simd.ts), which it is
 * given; callers ask simdKernelActive(name) first and run tfjs ops where it is not.
 */
export function registerSimdKernel(
  name: string,
  backendName: string,
  kernelFunc: (args: KernelArgs, simd: SimdFunctions) => ReturnType<tf.KernelConfig['kernelFunc']>,
): void {
  const key = `${backendName}/${name}`;
  if (backendName !== 'wasm' || simdKernels.has(key)) return;
  simdKernels.add(key);
  tf.registerKernel({
    kernelName: name,
    backendName,
    kernelFunc: (args) => {
      const simd = simdFunctions(args.backend);
      if (!simd) throw new Error(`internal: ${name} without the SIMD module`);
      return kernelFunc(args, simd);
    },
  });
}

/** Does the current backend run the kernel `name` of registerSimdKernel (SIMD module made)? */
export function simdKernelActive(name: string): boolean {
  return simdKernels.has(`${tf.getBackend()}/${name}`) && simdFunctions(tf.backend()) !== null;
}
