// One Adam step (Kingma & Ba 2015) on several tensors at once, as torch.optim.Adam takes it:
//   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²,
//   x ← x − (lr / c1) · m / (√v / √c2 + ε),   c1 = 1 − β1^t,  c2 = 1 − β2^t,
// returning new x, m, v (inputs are never written: tfjs-wasm caches XNNPACK's packed weights
// under a tensor's id, so a weight changed in place would be multiplied with its stale copy).
// Why a kernel: tfjs's train.adam issues 14 elementwise ops per variable (plus their dispatch
// from JS), each a full pass over the variable; on the MNIST VAE's 650k weights that was
// ~3.5 ms of a ~22 ms step, and on the digits VAE ~110 of its ~400 kernels. On wasm the
// registered kernel 'PlatoAdam' makes one pass over every tensor on the heap, four entries at a
// time in a SIMD function (adamSimd.ts; float32 arithmetic) and the last 0–3 in a JS loop
// (float64, rounded on store), all in a JS loop where the SIMD module cannot be made (or with
// PLATO_WASM_SIMD=0); other backends run the same update as tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { simdFunctions } from './simd.js';
import { heapAddress, type WasmHeap } from './wasmKernel.js';

export const ADAM_KERNEL = 'PlatoAdam';

export interface AdamHyper {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** the step number, from 1 (the bias corrections' t) */
  readonly t: number;
}

/** One variable's value, gradient and moments (same shape, float32). */
export interface AdamSlot {
  readonly x: tf.Tensor;
  readonly g: tf.Tensor;
  readonly m: tf.Tensor;
  readonly v: tf.Tensor;
}

export interface AdamOut {
  readonly x: tf.Tensor;
  readonly m: tf.Tensor;
  readonly v: tf.Tensor;
}

const registered = new Set<string>();

/** Register the fused kernel on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerAdam(backendName: string): void {
  if (backendName !== 'wasm' || registered.has(backendName)) return;
  registered.add(backendName);
  tf.registerKernel({
    kernelName: ADAM_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as WasmHeap;
      const { n, lr, beta1, beta2, epsilon, t } = attrs as unknown as AdamHyper & { n: number };
      const slot = (k: number, s: string) => (inputs as Record<string, tf.TensorInfo>)[`${s}${k}`];
      // every output first: allocating may grow the heap and detach earlier views
      const outs: tf.TensorInfo[] = [];
      for (let k = 0; k < n; k++)
        for (let r = 0; r < 3; r++) outs.push(heap.makeOutput(slot(k, 'x').shape, 'float32'));
      const step = lr / (1 - beta1 ** t);
      const rc2 = 1 / Math.sqrt(1 - beta2 ** t);
      const a1 = 1 - beta1;
      const a2 = 1 - beta2;
      const simd = simdFunctions(backend)?.adam;
      for (let k = 0; k < n; k++) {
        const ins = ['x', 'g', 'm', 'v'].map((s) => slot(k, s));
        const all = [...ins, outs[3 * k], outs[3 * k + 1], outs[3 * k + 2]];
        const size = prod(ins[0].shape);
        // whole groups of four in SIMD (adamSimd.ts), the rest here
        const done = simd ? size - (size % 4) : 0;
        if (simd && done > 0) {
          const [x, g, m, v, xo, mo, vo] = all.map((t) => heapAddress(heap, t));
          simd(x, g, m, v, xo, mo, vo, 4 * done, beta1, a1, beta2, a2, step, rc2, epsilon);
        }
        if (done === size) continue;
        const [x, g, m, v, xo, mo, vo] = all.map((t) => heap.typedArrayFromHeap(t));
        for (let i = done; i < size; i++) {
          const gi = g[i];
          const mi = beta1 * m[i] + a1 * gi;
          const vi = beta2 * v[i] + a2 * gi * gi;
          mo[i] = mi;
          vo[i] = vi;
          xo[i] = x[i] - (step * mi) / (Math.sqrt(vi) * rc2 + epsilon);
        }
      }
      return outs;
    },
  });
}

/** The same step as tfjs ops (backends without the kernel). Call inside tidy. */
function adamOps(s: AdamSlot, h: AdamHyper): AdamOut {
  const m = tf.add(tf.mul(s.m, h.beta1), tf.mul(s.g, 1 - h.beta1));
  const v = tf.add(tf.mul(s.v, h.beta2), tf.mul(tf.square(s.g), 1 - h.beta2));
  const denom = tf.add(tf.mul(tf.sqrt(v), 1 / Math.sqrt(1 - h.beta2 ** h.t)), h.epsilon);
  const x = tf.sub(s.x, tf.mul(tf.div(m, denom), h.lr / (1 - h.beta1 ** h.t)));
  return { x, m, v };
}

/** One Adam step on every slot: new tensors (the caller disposes the old ones). */
export function adamStep(slots: readonly AdamSlot[], h: AdamHyper): AdamOut[] {
  if (slots.length === 0) return [];
  if (!registered.has(tf.getBackend()))
    return slots.map((s) => {
      const o = tf.tidy(() => {
        const r = adamOps(s, h);
        return [r.x, r.m, r.v];
      });
      return { x: o[0], m: o[1], v: o[2] };
    });
  const inputs: Record<string, tf.Tensor> = {};
  slots.forEach((s, k) => {
    inputs[`x${k}`] = s.x;
    inputs[`g${k}`] = s.g;
    inputs[`m${k}`] = s.m;
    inputs[`v${k}`] = s.v;
  });
  const attrs = { n: slots.length, ...h };
  const out = tf
    .engine()
    .runKernel(
      ADAM_KERNEL,
      inputs as unknown as tf.NamedTensorMap,
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
  return slots.map((_, k) => ({ x: out[3 * k], m: out[3 * k + 1], v: out[3 * k + 2] }));
}
