// The closed-form KL(N(m, s²) ‖ N(μ, σ²)) per coordinate and its gradient's two factors,
//   k = log σ − log s + (s²/σ² + d² − 1)/2,   a = ∂k/∂m = d/σ,   b = ∂k/∂log s = s²/σ² − 1,
// with d = (m − μ)/σ, in one pass. A VAE's ELBO evaluates it on every latent coordinate at every
// step; as tfjs ops it was eleven kernels forward and four backward, each ~3–4 µs of JavaScript
// on [128, 8]. On wasm the registered kernel 'PlatoNormalKl' makes one SIMD pass
// (normalKlSimd.ts: float32, exp by mathSimd.ts) and does a last 0–3 entries in float64 JS. It
// takes μ and σ (and log σ, which the caller computes once: σ is a prior's scale, usually one
// number) each in loc's shape, as one number, or as a vector along loc's last axis when that
// axis is a multiple of 4 long; anything else (other backends, no SIMD module or
// PLATO_WASM_SIMD=0, other dtypes or broadcasts) runs the same formulas as tfjs ops. Untaped:
// call it inside a customOp whose gradient multiplies by a and b.
import * as tf from '@tensorflow/tfjs';
import { prod, sameShape } from '../util/shape.js';
import { rowPlan } from './rowLayout.js';
import { heapAddress, registerSimdKernel, simdKernelActive, type WasmHeap } from './wasmKernel.js';

export const NORMAL_KL_KERNEL = 'PlatoNormalKl';

/** loc's rows for the SIMD pass and μ's and σ's reads (log σ shares σ's), or undefined. */
const plan = (shape: readonly number[], mu: readonly number[], sigma: readonly number[]) =>
  rowPlan(shape, [mu, sigma], ['one', 'full', 'last']);

/** Register the kernel on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerNormalKl(backendName: string): void {
  registerSimdKernel(NORMAL_KL_KERNEL, backendName, ({ inputs, backend }, { normalKl: simd }) => {
    const { m, ls, mu, sigma, logSigma } = inputs as Record<string, tf.TensorInfo>;
    const p = plan(m.shape, mu.shape, sigma.shape);
    if (!p) throw new Error(`internal: ${NORMAL_KL_KERNEL} called on broadcasts it does not take`);
    const heap = backend as WasmHeap;
    // the outputs first: allocating may grow the heap and detach earlier views
    const outs = [0, 1, 2].map(() => heap.makeOutput(m.shape, 'float32'));
    const at = (t: tf.TensorInfo) => heapAddress(backend, t);
    const { rows, simdCols, reads } = p;
    const [muRead, sigmaRead] = reads;
    if (rows * simdCols > 0)
      simd(
        at(m),
        at(ls),
        at(mu),
        muRead.row,
        muRead.splat,
        at(sigma),
        at(logSigma),
        sigmaRead.row,
        sigmaRead.splat,
        at(outs[0]),
        at(outs[1]),
        at(outs[2]),
        rows,
        4 * simdCols,
      );
    // a one-row plan's last 0–3 entries
    if (rows * simdCols === prod(m.shape)) return outs;
    const [vm, vls, vmu, vs, vlsg, vk, va, vb] = [m, ls, mu, sigma, logSigma, ...outs].map((t) =>
      heap.typedArrayFromHeap(t),
    );
    // the last 0–3 entries (one-row plans only), in float64
    const one = (v: ArrayLike<number>, i: number) => (v.length === 1 ? v[0] : v[i]);
    for (let i = rows * simdCols; i < vm.length; i++) {
      const lsd = vls[i] - one(vlsg, i);
      const r = Math.exp(2 * lsd);
      const s = one(vs, i);
      const d = (vm[i] - one(vmu, i)) / s;
      vk[i] = (r + d * d - 1) / 2 - lsd;
      va[i] = d / s;
      vb[i] = r - 1;
    }
    return outs;
  });
}

/**
 * [k, a, b] for q's loc m and log s (same shape) against μ, σ broadcastable to it (see the
 * file's comment). Untaped.
 */
export function normalKlTerms(
  m: tf.Tensor,
  ls: tf.Tensor,
  mu: tf.Tensor,
  sigma: tf.Tensor,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const fast =
    simdKernelActive(NORMAL_KL_KERNEL) &&
    [m, ls, mu, sigma].every((t) => t.dtype === 'float32') &&
    sameShape(m.shape, ls.shape) &&
    plan(m.shape, mu.shape, sigma.shape) !== undefined;
  return tf.tidy(() => {
    const logSigma = tf.log(sigma);
    if (fast) {
      const out = tf
        .engine()
        .runKernel(NORMAL_KL_KERNEL, { m, ls, mu, sigma, logSigma }) as tf.Tensor[];
      return [out[0], out[1], out[2]];
    }
    const lsd = tf.sub(ls, logSigma);
    const r = tf.exp(tf.mul(2, lsd));
    const d = tf.div(tf.sub(m, mu), sigma);
    const k = tf.sub(tf.mul(0.5, tf.sub(tf.add(r, tf.square(d)), 1)), lsd);
    return [k, tf.div(d, sigma), tf.sub(r, 1)];
  });
}
