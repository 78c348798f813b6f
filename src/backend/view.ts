// A tensor's data under a second handle, in the same or another shape of its size, without a
// kernel. On the wasm and cpu backends a Reshape kernel (and cpu's Identity) does only this:
// count one more reference to the data and wrap it in a new tensor; running it as a kernel adds
// tfjs's per-kernel JavaScript (~2–4 µs of lookup, scope and profiling bookkeeping), which on a
// VAE step of ~100 tiny kernels is a visible share of the time. The data is never written in
// place by any kernel (every kernel writes a new output), so sharing it changes no value.
// Other backends (node's TensorFlow) keep their own kernels.
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';

/** Does the current backend's Reshape only share the data (so a view may stand in for it)? */
export function sharesData(): boolean {
  const name = tf.getBackend();
  return name === 'wasm' || name === 'cpu';
}

/**
 * A new handle on t's data in `shape` (of t's size; t's own by default), counted like any op's
 * output (the caller disposes it, or its tidy does). Not recorded on the gradient tape: callers
 * use it where nothing records (sharesData() must hold); reshape.ts records it when a tape does.
 */
export function view(t: tf.Tensor, shape: readonly number[] = t.shape): tf.Tensor {
  // (a kernel would refuse a disposed input too; incRef on its freed data would not)
  if (t.isDisposed) throw new Error('Tensor is disposed.');
  if (prod(shape) !== t.size)
    throw new Error(`internal: a view of [${t.shape}] as [${shape}] changes its size`);
  const engine = tf.engine();
  const backend = engine.backend;
  backend.incRef(t.dataId);
  return engine.makeTensorFromTensorInfo(
    { dataId: t.dataId, shape: [...shape], dtype: t.dtype },
    backend,
  );
}
