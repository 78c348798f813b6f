// tfjs-backend-wasm 4.22's BatchMatMul is fast (XNNPACK's fully connected operator, ~20 GMAC/s
// on one core here) only for an untransposed product with no batch: [m, k] × [k, n]. With
// transposeA or transposeB, or with a batch axis, it falls back to a loop about 12× slower
// (measured: [128, 784] × [784, 400] in 1.9 ms, the same product with transposeB in 22 ms).
// Autodiff hits the slow path on every step: tfjs's gradient of C = A B is
//   dA = dC Bᵀ  (matMul(dC, B, false, true)),   dB = Aᵀ dC  (matMul(A, dC, true, false)),
// so a network's backward pass ran ~10× slower than its forward pass. This wraps the kernel:
// a transposed operand is transposed explicitly (a copy, memory-bound: 0.7 ms for 784 × 400)
// and a batched A times an unbatched B is one 2-D product over A's flattened batch. Results
// are the same sums in the same order of k up to the kernel's blocking (float32 rounding).
import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type Info = tf.TensorInfo;

const wrapped = new Set<string>();

/** Register the wrapper on `backendName` (wasm only; idempotent). Call after the backend is ready. */
export function registerFastMatMul(backendName: string): void {
  if (backendName !== 'wasm' || wrapped.has(backendName)) return;
  const mm = tf.getKernel('BatchMatMul', backendName);
  const tr = tf.getKernel('Transpose', backendName);
  const rs = tf.getKernel('Reshape', backendName);
  if (!mm || !tr || !rs) return;
  wrapped.add(backendName);
  const matMul = mm.kernelFunc;
  const transpose = tr.kernelFunc;
  const reshape = rs.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
    };
    const batchOf = (t: Info) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const flatB = !transposeA && batchOf(b) === 1 && batchOf(a) > 1;
    if (!transposeA && !transposeB && !flatB) return matMul(args);
    const temps: Info[] = [];
    const swap = (t: Info): Info => {
      const r = t.shape.length;
      const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
      const out = transpose({ inputs: { x: t }, backend, attrs: { perm } }) as Info;
      temps.push(out);
      return out;
    };
    const reshapeTo = (t: Info, shape: number[]): Info => {
      const out = reshape({ inputs: { x: t }, backend, attrs: { shape } }) as Info;
      temps.push(out);
      return out;
    };
    try {
      let a2 = transposeA ? swap(a) : a;
      let b2 = transposeB ? swap(b) : b;
      const plain = { transposeA: false, transposeB: false };
      if (!flatB) return matMul({ inputs: { a: a2, b: b2 }, backend, attrs: plain });
      // A [..., m, k] × B [k, n] (B's batch all ones): one [Πbatch·m, k] × [k, n] product
      const m = a2.shape[a2.shape.length - 2];
      const k = a2.shape[a2.shape.length - 1];
      const n = b2.shape[b2.shape.length - 1];
      const lead = a2.shape.slice(0, -2);
      const outLead = tf.broadcast_util.assertAndGetBroadcastShape(lead, b2.shape.slice(0, -2));
      a2 = reshapeTo(a2, [lead.reduce((x, y) => x * y, 1) * m, k]);
      b2 = reshapeTo(b2, [k, n]);
      const flat = matMul({ inputs: { a: a2, b: b2 }, backend, attrs: plain }) as Info;
      temps.push(flat);
      return reshape({ inputs: { x: flat }, backend, attrs: { shape: [...outLead, m, n] } });
    } finally {
      const be = backend as { disposeData(dataId: unknown): void };
      for (const t of temps) be.disposeData(t.dataId);
    }
  };
  tf.unregisterKernel('BatchMatMul', backendName);
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName, kernelFunc });
}
