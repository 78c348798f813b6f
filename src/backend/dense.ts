// A multilayer perceptron h_{l+1} = act(h_l W_l + b_l) (the last layer linear) as ONE node of
// tfjs's gradient tape, with a hand-written backward pass. Autodiff of the same expression built
// from matMul, add, relu and the reshapes around them records ~6 tape nodes a layer, and its
// gradient functions add ~15 small kernels a layer (broadcasting sums, reshapes, identities):
// on a VAE of digits, where a step is a few hundred tiny kernels, tfjs's per-kernel JavaScript
// cost, not arithmetic, was most of the time. Here each layer's forward is one fused kernel
// (tf.fused.matMul with bias and, where the backend fuses it, the activation), and its backward
//   g_l = dh_{l+1} ∘ act'(h_{l+1})   (from the saved output: relu' = [h > 0], σ' = h(1 − h),
//                                     tanh' = 1 − h², elu' = h > 0 ? 1 : h + 1, softplus' = 1 − e^{−h})
//   dW_l = h_lᵀ g_l,   db_l = Σ_rows g_l,   dh_l = g_l W_lᵀ
// (matMul.ts turns the transposed products into fast untransposed ones; colSum.ts sums the
// rows). The weights may carry size-1 axes (a net's values do: [1, in, out]); their gradients
// come back in their own shapes, so no reshape is recorded on the tape either (and the reshapes
// inside are views of the data, not kernels: reshape.ts).
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { customOp } from './customOp.js';
import { matMulReluGrad } from './matMul.js';
import { reshape } from './reshape.js';
import { softplus } from './softplus.js';

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'softplus' | 'linear';
export const ACTIVATIONS: readonly Activation[] = [
  'relu',
  'tanh',
  'sigmoid',
  'elu',
  'softplus',
  'linear',
];

/** The activations tf.fused.matMul applies in the kernel on every backend (the others follow it). */
const FUSED = new Set<Activation>(['relu', 'elu', 'sigmoid', 'linear']);

function apply(act: Activation, z: tf.Tensor): tf.Tensor {
  switch (act) {
    case 'relu':
      return tf.relu(z);
    case 'tanh':
      return tf.tanh(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'elu':
      return tf.elu(z);
    case 'softplus':
      return softplus(z);
    case 'linear':
      return z;
  }
}

/** a [1, m, k] × b [1, k, n] (either transposed), the kernel called directly. */
function batchMatMul(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean) {
  return tf.engine().runKernel('BatchMatMul', { a, b }, {
    transposeA,
    transposeB,
  } as never) as tf.Tensor;
}

/**
 * act(h W + b) for h [1, m, k], W [1, k, n], b [n] as one kernel. tf.fused.matMul fuses a
 * nonlinear activation only off the tape (gradientDepth 0) and otherwise records matMul, add
 * and act; here it runs inside a customGrad's forward, where nothing is recorded, so the kernel
 * is called directly.
 */
function fusedLayer(h: tf.Tensor, W: tf.Tensor, b: tf.Tensor, act: Activation): tf.Tensor {
  return tf
    .engine()
    .runKernel('_FusedMatMul', { a: h, b: W, bias: ownRank1(b) ? b : tf.add(b, 0) }, {
      transposeA: false,
      transposeB: false,
      activation: act,
      leakyreluAlpha: 0,
    } as never) as tf.Tensor;
}

/**
 * Does the buffer under the rank-1 b record a rank-1 shape? wasm's _FusedMatMul reads the
 * bias's rank from its buffer's record, not from the tensor (a reshape shares the buffer): the
 * reshape of a [1, n] tensor fails its check, and is copied first (a net's bias variables are
 * [n], and pass).
 */
function ownRank1(b: tf.Tensor): boolean {
  const map = (
    tf.backend() as { dataIdMap?: { get(id: object): { shape?: number[] } | undefined } }
  ).dataIdMap;
  const shape = map?.get(b.dataId)?.shape;
  return !shape || shape.length === 1;
}

/** act'(z) from h = act(z). */
function derivative(act: Activation, h: tf.Tensor): tf.Tensor | undefined {
  switch (act) {
    case 'relu':
      return tf.step(h);
    case 'tanh':
      return tf.sub(1, tf.square(h));
    case 'sigmoid':
      return tf.mul(h, tf.sub(1, h));
    case 'elu':
      return tf.where(tf.greater(h, 0), tf.onesLike(h), tf.add(h, 1));
    case 'softplus':
      // σ(z) = 1 − e^{−softplus(z)}
      return tf.sub(1, tf.exp(tf.neg(h)));
    case 'linear':
      return undefined;
  }
}

export interface MlpOptions {
  /** the hidden layers' activation (the last layer is linear) */
  readonly activation: Activation;
}

/**
 * The net on x [..., in] with weights [W_0, b_0, W_1, b_1, …] (W_l of size in_l × out_l, b_l of
 * size out_l, any shapes with those sizes): [..., out]. Differentiable in x and the weights by
 * the hand-written backward pass above (x's product g_0 W_0ᵀ only when a gradient reaches x:
 * customOp.ts; not for data).
 */
export function mlp(x: tf.Tensor, weights: readonly tf.Tensor[], options: MlpOptions): tf.Tensor {
  const L = weights.length / 2;
  if (L < 1 || !Number.isInteger(L)) throw new Error('internal: mlp needs pairs of W_l, b_l');
  const widths = [x.shape[x.rank - 1]];
  for (let l = 0; l < L; l++) {
    const n = weights[2 * l + 1].size;
    if (weights[2 * l].size !== widths[l] * n)
      throw new Error(
        `internal: mlp layer ${l} has weights of size ${weights[2 * l].size}, expected ${widths[l]} × ${n}`,
      );
    widths.push(n);
  }
  const lead = x.shape.slice(0, -1);
  const rows = prod(lead);
  const act = options.activation;
  const fused = FUSED.has(act);
  // every product is on [1, rows, width] and [1, in, out] operands, the layout the kernels
  // take (tf.matMul would reshape 2-D operands to it and back: three kernels a product)
  const [y] = customOp([x, ...weights], ([xs, ...ws]) => {
    const x3 = reshape(xs, [1, rows, widths[0]]);
    const hs: tf.Tensor[] = [x3];
    const Ws: tf.Tensor[] = [];
    let h = x3;
    for (let l = 0; l < L; l++) {
      const W = reshape(ws[2 * l], [1, widths[l], widths[l + 1]]);
      const b = reshape(ws[2 * l + 1], [widths[l + 1]]);
      const hidden = l + 1 < L;
      h = fusedLayer(h, W, b, hidden && fused ? act : 'linear');
      if (hidden && !fused) h = apply(act, h);
      if (hidden) hs.push(h);
      Ws.push(W);
    }
    return {
      outputs: [reshape(h, [...lead, widths[L]])],
      // the layers' inputs, and the weights of the products g W_lᵀ
      save: [...hs, ...Ws],
      grads: ([dy], saved) => {
        // g_l, the gradient of layer l's pre-activation, for every layer (every weight's
        // gradient reads it), from the top
        const gs: tf.Tensor[] = new Array(L);
        gs[L - 1] = reshape(dy, [1, rows, widths[L]]);
        for (let l = L - 1; l > 0; l--) {
          if (act === 'relu') {
            // (g_l W_lᵀ) ∘ [h_l > 0] as one masked product (matMul.ts)
            gs[l - 1] = matMulReluGrad(gs[l], saved[L + l], saved[l]);
            continue;
          }
          const dh = batchMatMul(gs[l], saved[L + l], false, true);
          const d = derivative(act, saved[l]);
          gs[l - 1] = d ? tf.mul(dh, d) : dh;
        }
        const out: (() => tf.Tensor)[] = [
          () => reshape(batchMatMul(gs[0], saved[L], false, true), xs.shape),
        ];
        for (let l = 0; l < L; l++)
          out.push(
            () => reshape(batchMatMul(saved[l], gs[l], true, false), ws[2 * l].shape),
            () => reshape(tf.sum(gs[l], [0, 1]), ws[2 * l + 1].shape),
          );
        return out;
      },
    };
  });
  return y;
}
