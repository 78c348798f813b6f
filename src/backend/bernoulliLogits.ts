// The Bernoulli log density in logits, v = x l − softplus(l), and its gradient in l,
// g = x − σ(l), in one pass (binary cross-entropy with logits and its derivative). A VAE's
// decoder evaluates both on every pixel at every step; as tfjs ops they were seven kernels
// forward (softplus.ts's five among them) and three backward, each ~3–4 µs of JavaScript on
// [128, 64]. On wasm the registered kernel 'PlatoBernoulliLogits' makes one SIMD pass
// (bernoulliLogitsSimd.ts: float32, exp and log1p by mathSimd.ts's polynomials) and does the
// last 0–3 entries in float64 JS; elsewhere (other backends, no SIMD module or
// PLATO_WASM_SIMD=0, other dtypes, x and l of different sizes) the same two formulas run as
// tfjs ops. Untaped: call it inside a
// customOp whose gradient multiplies by g.
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { softplus } from './softplus.js';
import { heapAddress, registerSimdKernel, simdKernelActive, type WasmHeap } from './wasmKernel.js';

export const BERNOULLI_LOGITS_KERNEL = 'PlatoBernoulliLogits';

/** Register the kernel on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerBernoulliLogits(backendName: string): void {
  registerSimdKernel(
    BERNOULLI_LOGITS_KERNEL,
    backendName,
    ({ inputs, backend, attrs }, { bernoulliLogits: simd }) => {
      const { x, l } = inputs as { x: tf.TensorInfo; l: tf.TensorInfo };
      const { shape } = attrs as unknown as { shape: number[] };
      const heap = backend as WasmHeap;
      // the outputs first: allocating may grow the heap and detach earlier views
      const v = heap.makeOutput(shape, 'float32');
      const g = heap.makeOutput(shape, 'float32');
      const n = prod(shape);
      const done = n - (n % 4);
      const at = (t: tf.TensorInfo) => heapAddress(backend, t);
      if (done > 0) simd(at(x), at(l), at(v), at(g), 4 * done);
      if (done === n) return [v, g];
      const [xs, ls, vs, gs] = [x, l, v, g].map((t) => heap.typedArrayFromHeap(t));
      for (let i = done; i < n; i++) {
        const [xi, li] = [xs[i], ls[i]];
        const e = Math.exp(-Math.abs(li));
        vs[i] = xi * li - (Math.max(li, 0) + Math.log1p(e));
        gs[i] = xi - (li >= 0 ? 1 / (1 + e) : e / (1 + e));
      }
      return [v, g];
    },
  );
}

/** [v, g] for x and logits l (broadcast against each other; float32 results). Untaped. */
export function bernoulliLogits(x: tf.Tensor, l: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, l.shape);
  const size = prod(shape);
  if (
    simdKernelActive(BERNOULLI_LOGITS_KERNEL) &&
    x.dtype === 'float32' &&
    l.dtype === 'float32' &&
    x.size === size &&
    l.size === size
  ) {
    const out = tf.engine().runKernel(BERNOULLI_LOGITS_KERNEL, { x, l }, {
      shape,
    } as never) as tf.Tensor[];
    return [out[0], out[1]];
  }
  return tf.tidy(() => [tf.sub(tf.mul(x, l), softplus(l)), tf.sub(x, tf.sigmoid(l))]);
}
