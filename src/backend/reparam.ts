// The reparameterised draw u = m + e^{ls} ε of a Gaussian q with its gradient's factor
// se = e^{ls} ε (∂u/∂ls = se), in one pass: three kernels (Exp, Multiply, Add) as tfjs ops, on
// every step of avi. On wasm the registered kernel 'PlatoReparam' makes one SIMD pass
// (reparamSimd.ts: float32, exp by mathSimd.ts) and does the last 0–3 entries of each draw in
// float64 JS. It takes m and ls of one shape and ε of that shape or with leading axes of draws
// ([S, ...] against [1, ...] or [...]); anything else (other backends, no SIMD module or
// PLATO_WASM_SIMD=0, other dtypes or broadcasts) runs as tfjs ops. Untaped: call it inside a
// customOp.
import * as tf from '@tensorflow/tfjs';
import { prod, sameShape } from '../util/shape.js';
import { heapAddress, registerSimdKernel, simdKernelActive, type WasmHeap } from './wasmKernel.js';

export const REPARAM_KERNEL = 'PlatoReparam';

/** Register the kernel on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerReparam(backendName: string): void {
  registerSimdKernel(
    REPARAM_KERNEL,
    backendName,
    ({ inputs, backend, attrs }, { reparam: simd }) => {
      const { m, ls, eps } = inputs as Record<string, tf.TensorInfo>;
      const { shape } = attrs as unknown as { shape: number[] };
      const heap = backend as WasmHeap;
      // the outputs first: allocating may grow the heap and detach earlier views
      const u = heap.makeOutput(shape, 'float32');
      const se = heap.makeOutput(shape, 'float32');
      const n = prod(m.shape);
      const draws = n === 0 ? 0 : prod(eps.shape) / n;
      const done = n - (n % 4);
      const at = (t: tf.TensorInfo) => heapAddress(backend, t);
      if (done > 0 && draws > 0)
        simd(at(m), at(ls), at(eps), at(u), at(se), 4 * done, 4 * n, draws);
      if (done === n) return [u, se];
      const [vm, vls, ve, vu, vse] = [m, ls, eps, u, se].map((t) => heap.typedArrayFromHeap(t));
      for (let s = 0; s < draws; s++)
        for (let i = done; i < n; i++) {
          const e = Math.exp(vls[i]) * ve[s * n + i];
          vse[s * n + i] = e;
          vu[s * n + i] = vm[i] + e;
        }
      return [u, se];
    },
  );
}

/** ε's shape is m's (of size n) after leading axes of draws: [S, ...] or [...], m [1, ...] or [...]. */
function drawsOf(m: readonly number[], eps: readonly number[]): boolean {
  const r = Math.max(m.length, eps.length);
  const pm = [...new Array<number>(r - m.length).fill(1), ...m];
  const pe = [...new Array<number>(r - eps.length).fill(1), ...eps];
  // the axes where m is 1 and ε is not must all lead
  const lead = pm.findIndex((d, a) => !(d === 1 && pe[a] !== 1));
  const from = lead < 0 ? r : lead;
  return sameShape(pm.slice(from), pe.slice(from)) && pm.slice(0, from).every((d) => d === 1);
}

/** [u, se] for q's m, ls (same shape) and standard normal draws ε. Untaped. */
export function reparamDraw(m: tf.Tensor, ls: tf.Tensor, eps: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(m.shape, eps.shape);
  if (
    simdKernelActive(REPARAM_KERNEL) &&
    [m, ls, eps].every((t) => t.dtype === 'float32') &&
    sameShape(m.shape, ls.shape) &&
    prod(shape) === eps.size &&
    drawsOf(m.shape, eps.shape)
  ) {
    const out = tf.engine().runKernel(REPARAM_KERNEL, { m, ls, eps }, {
      shape,
    } as never) as tf.Tensor[];
    return [out[0], out[1]];
  }
  return tf.tidy(() => {
    const se = tf.mul(tf.exp(ls), eps);
    return [tf.add(m, se), se];
  });
}
