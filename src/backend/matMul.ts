// tfjs-backend-wasm 4.22's BatchMatMul is fast (XNNPACK's fully connected operator, ~20 GMAC/s
// on one core here) only for an untransposed product with no batch: [m, k] × [k, n]. With
// transposeA or transposeB, or with a batch axis, it falls back to a loop about 12× slower
// (measured: [128, 784] × [784, 400] in 1.9 ms, the same product with transposeB in 22 ms).
// Autodiff hits the slow path on every step: tfjs's gradient of C = A B is
//   dA = dC Bᵀ  (matMul(dC, B, false, true)),   dB = Aᵀ dC  (matMul(A, dC, true, false)),
// so a network's backward pass ran ~10× slower than its forward pass. And even its fast path
// packs B into XNNPACK's layout on every call with a B it has not seen — every call, in
// training, where weights and gradients are new tensors each step (on 128 × 64 × 128: 47 µs
// with B packed before, 64–78 µs fresh).
// This wraps BatchMatMul and _FusedMatMul (bias, then identity or relu). A product whose A's
// batch flattens into rows (a batched A times an unbatched B, or no batch at all) is computed
// by gemm.ts's SIMD functions, which read A, or Aᵀ, and B where they lie (~28–32 GMAC/s here on
// the products of the VAE benches, MNIST's included); B transposed is copied first (the copy is
// memory-bound: 0.7 ms for 784 × 400). A sum longer than GEMM_MAX_K keeps XNNPACK, and so, with
// its thread pool on (threads.ts), does a product of at least GEMM_POOL_MACS multiply-adds. Anything else keeps the
// original kernels (batched B, other activations, a bias of another shape, other dtypes).
// Results are the same sums in the same order of k (float32 rounding).
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { gemm, rowBias } from './gemm.js';
import { type WasmHeap, wrapWasmKernel } from './wasmKernel.js';

type Info = tf.TensorInfo;
type KernelFunc = tf.KernelConfig['kernelFunc'];

/**
 * Multiply-adds from which a product keeps XNNPACK when its pool has more than one thread:
 * below it the pool's wake-up costs more than the second core saves.
 */
export const GEMM_POOL_MACS = 4_000_000;

/**
 * The longest sum gemm takes: each of its tiles streams its rows of A and B over the whole of k,
 * so past the cache a long k reads memory once per tile (a mixture's M-step Xᵀ R over 100,000
 * rows: 46 ms against XNNPACK's 23 ms with A transposed first); XNNPACK's packed B streams.
 */
export const GEMM_MAX_K = 2048;
// (and products with n = 2 or 3 columns, which gemm does one scalar column at a time: 100,000 ×
// 50 × 3 at ~4.8 GMAC/s against XNNPACK's ~7; at n = 1 gemm is the faster, 4.8 against 2.2)

interface Attrs {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * Register the wrappers on `backendName` (wasm only; idempotent), for XNNPACK on `threads`
 * threads. Call after the backend is ready, and after the Transpose wrapper (transpose.ts).
 */
export function registerFastMatMul(backendName: string, threads = 1): void {
  const tr = tf.getKernel('Transpose', backendName)?.kernelFunc;
  const rs = tf.getKernel('Reshape', backendName)?.kernelFunc;
  if (backendName !== 'wasm' || !tr || !rs) return;
  const [transpose, reshape] = [tr, rs];
  /** The product by gemm, or undefined where gemm does not take it. */
  const product = (
    args: Parameters<KernelFunc>[0],
    bias: Info | undefined,
    relu: boolean,
    mask?: Info,
  ): Info | undefined => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = attrs as unknown as Attrs;
    const ra = a.shape.length;
    const rb = b.shape.length;
    if (ra < 2 || rb < 2 || prod(b.shape.slice(0, -2)) !== 1) return undefined;
    const batch = prod(a.shape.slice(0, -2));
    if (transposeA && batch !== 1) return undefined;
    // op(A) is [batch·m, k] (its batch flattened into rows), op(B) [k, n]
    const m = a.shape[transposeA ? ra - 1 : ra - 2];
    const k = a.shape[transposeA ? ra - 2 : ra - 1];
    const n = b.shape[transposeB ? rb - 2 : rb - 1];
    if (b.shape[transposeB ? rb - 1 : rb - 2] !== k || !rowBias(bias, n)) return undefined;
    if (
      k > GEMM_MAX_K ||
      n === 2 ||
      n === 3 ||
      (threads > 1 && batch * m * k * n >= GEMM_POOL_MACS)
    )
      return undefined;
    const lead = tf.broadcast_util.assertAndGetBroadcastShape(
      a.shape.slice(0, -2),
      b.shape.slice(0, -2),
    );
    return withTemps(backend, (keep) =>
      gemm(backend, {
        a,
        b: transposeB ? swapLast(transpose, backend, b, keep) : b,
        m: batch * m,
        k,
        n,
        transposeA,
        bias,
        relu,
        mask,
        shape: [...lead, m, n],
      }),
    );
  };
  wrapWasmKernel('BatchMatMul', backendName, (matMul) => (args) => {
    const out = product(args, undefined, false);
    return out ?? slowPath(matMul, transpose, reshape, args);
  });
  wrapWasmKernel('_FusedMatMul', backendName, (fused) => (args) => {
    const { bias, preluActivationWeights } = args.inputs as {
      bias?: Info;
      preluActivationWeights?: Info;
    };
    const { activation } = args.attrs as unknown as { activation: string };
    const ok =
      preluActivationWeights === undefined && (activation === 'linear' || activation === 'relu');
    const out = ok ? product(args, bias, activation === 'relu') : undefined;
    return out ?? plainFused(fused, transpose, args);
  });
  const mm = tf.getKernel('BatchMatMul', backendName)?.kernelFunc;
  const step = tf.getKernel('Step', backendName)?.kernelFunc;
  const mul = tf.getKernel('Multiply', backendName)?.kernelFunc;
  if (!mm || !step || !mul || reluGradBackends.has(backendName)) return;
  tf.registerKernel({
    kernelName: RELU_GRAD_KERNEL,
    backendName,
    kernelFunc: (args) => {
      const { g, w, h } = args.inputs as { g: Info; w: Info; h: Info };
      const { backend } = args;
      const mmArgs = {
        inputs: { a: g, b: w },
        backend,
        attrs: { transposeA: false, transposeB: true },
      };
      const out = product(mmArgs, undefined, false, h);
      if (out) return out;
      // the same as three kernels: (g wᵀ) ∘ step(h)
      return withTemps(backend, (keep) => {
        const gw = keep(mm(mmArgs) as Info);
        const d = keep(step({ inputs: { x: h }, backend, attrs: { alpha: 0 } }) as Info);
        return mul({ inputs: { a: gw, b: d }, backend, attrs: {} });
      });
    },
  });
  reluGradBackends.add(backendName);
}

/** The kernel of matMulReluGrad on wasm. */
export const RELU_GRAD_KERNEL = 'PlatoMatMulReluGrad';
const reluGradBackends = new Set<string>();

/**
 * (g wᵀ) ∘ [h > 0] for g [..., m, n], w [..., k, n] and h [..., m, k]: the gradient into a relu
 * layer h = relu(z) from the layer above's, g, through its weights w. On wasm one kernel (gemm's
 * masked product); elsewhere three ops. Untaped.
 */
export function matMulReluGrad(g: tf.Tensor, w: tf.Tensor, h: tf.Tensor): tf.Tensor {
  if (reluGradBackends.has(tf.getBackend()))
    return tf.engine().runKernel(RELU_GRAD_KERNEL, { g, w, h }) as tf.Tensor;
  return tf.tidy(() => tf.mul(tf.matMul(g, w, false, true), tf.step(h)));
}

/** f(keep), every tensor handed to keep disposed on the backend once f returns or throws. */
function withTemps<R>(backend: unknown, f: (keep: (t: Info) => Info) => R): R {
  const temps: Info[] = [];
  try {
    return f((t) => {
      temps.push(t);
      return t;
    });
  } finally {
    const be = backend as { disposeData(dataId: unknown): void };
    for (const t of temps) be.disposeData(t.dataId);
  }
}

/** t with its last two axes swapped, by the Transpose kernel (a copy, handed to keep). */
function swapLast(transpose: KernelFunc, backend: unknown, t: Info, keep: (t: Info) => Info): Info {
  const r = t.shape.length;
  const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  return keep(transpose({ inputs: { x: t }, backend: backend as never, attrs: { perm } }) as Info);
}

/**
 * XNNPACK's untransposed 2-D product: a transposed operand transposed explicitly first, and a
 * batched A times an unbatched B as one product over A's flattened batch.
 */
function slowPath(
  matMul: KernelFunc,
  transpose: KernelFunc,
  reshape: KernelFunc,
  args: Parameters<KernelFunc>[0],
): ReturnType<KernelFunc> {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: Info; b: Info };
  const { transposeA, transposeB } = attrs as unknown as Attrs;
  const flatB = !transposeA && prod(b.shape.slice(0, -2)) === 1 && prod(a.shape.slice(0, -2)) > 1;
  if (!transposeA && !transposeB && !flatB) return matMul(args);
  return withTemps(backend, (keep) => {
    const reshapeTo = (t: Info, shape: number[]): Info =>
      keep(reshape({ inputs: { x: t }, backend, attrs: { shape } }) as Info);
    let a2 = transposeA ? swapLast(transpose, backend, a, keep) : a;
    let b2 = transposeB ? swapLast(transpose, backend, b, keep) : b;
    const plain = { transposeA: false, transposeB: false };
    if (!flatB) return matMul({ inputs: { a: a2, b: b2 }, backend, attrs: plain });
    // A [..., m, k] × B [k, n] (B's batch all ones): one [Πbatch·m, k] × [k, n] product
    const m = a2.shape[a2.shape.length - 2];
    const k = a2.shape[a2.shape.length - 1];
    const n = b2.shape[b2.shape.length - 1];
    const lead = a2.shape.slice(0, -2);
    const outLead = tf.broadcast_util.assertAndGetBroadcastShape(lead, b2.shape.slice(0, -2));
    a2 = reshapeTo(a2, [prod(lead) * m, k]);
    b2 = reshapeTo(b2, [k, n]);
    const flat = keep(matMul({ inputs: { a: a2, b: b2 }, backend, attrs: plain }) as Info);
    return reshape({ inputs: { x: flat }, backend, attrs: { shape: [...outLead, m, n] } });
  });
}

/**
 * tfjs-wasm 4.22's _FusedMatMul adds the bias along the wrong axis when an operand is
 * transposed (measured: [[.5, −1], [.25, 2]]ᵀ [[1, .5], [2, −1]] + [.1, −.2] gave 2.8 for
 * 3.0 + .1), and refuses a bias whose buffer was made with another rank than 1 (a [1, n] bias,
 * or a reshape of one to [n], which shares the buffer): a transposed operand is transposed
 * explicitly first, and such a bias copied into a buffer of rank 1.
 */
function plainFused(
  fused: KernelFunc,
  transpose: KernelFunc,
  args: Parameters<KernelFunc>[0],
): ReturnType<KernelFunc> {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: Info; b: Info };
  const { transposeA, transposeB } = attrs as unknown as Attrs;
  const { bias } = inputs as { bias?: Info };
  const heap = backend as WasmHeap & { dataIdMap?: { get(id: object): { shape?: number[] } } };
  const biasRank = bias ? heap.dataIdMap?.get(bias.dataId)?.shape?.length : 1;
  const copyBias = bias !== undefined && biasRank !== 1 && rowBias(bias, prod(bias.shape));
  if (!transposeA && !transposeB && !copyBias) return fused(args);
  return withTemps(backend, (keep) => {
    let bias1 = bias;
    if (bias && copyBias) {
      bias1 = keep(heap.makeOutput([prod(bias.shape)], 'float32'));
      heap.typedArrayFromHeap(bias1).set(heap.typedArrayFromHeap(bias));
    }
    return fused({
      inputs: {
        ...inputs,
        a: transposeA ? swapLast(transpose, backend, a, keep) : a,
        b: transposeB ? swapLast(transpose, backend, b, keep) : b,
        bias: bias1,
      },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
  });
}
