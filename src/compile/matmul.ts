// `a @ b` on plate-aligned values: batched over samples, plates and leading value axes.
// Matrix–vector is matrix–matrix with an expanded axis. When one operand is the same for
// every batch element (a param matrix times per-element vectors, W @ z[i]) the product is one
// 2-D matMul over the flattened batch instead of a broadcast batched matMul.
import * as tf from '@tensorflow/tfjs';
import { broadcastShapes } from '../util/shape.js';
import { alignRanks, prod, valueShape } from './value.js';

export function matmulPAV(a0: tf.Tensor, b0: tf.Tensor, m: number): tf.Tensor {
  const va = valueShape(a0, m);
  const vb = valueShape(b0, m);
  if (va.length === 0 || vb.length === 0)
    throw new Error('@ needs vectors or matrices, got a scalar');
  const aVec = va.length === 1;
  const bVec = vb.length === 1;
  // vectors become [1, k] (left) and [k, 1] (right)
  let a = aVec ? tf.expandDims(a0, a0.rank - 1) : a0;
  let b = bVec ? tf.expandDims(b0, b0.rank) : b0;
  [a, b] = alignRanks([a, b], m);
  const r = a.rank;
  const [n, k] = a.shape.slice(r - 2);
  const [k2, p] = b.shape.slice(r - 2);
  if (k !== k2) throw new Error(`@: inner dimensions differ (${k} and ${k2})`);
  const leadA = a.shape.slice(0, r - 2);
  const leadB = b.shape.slice(0, r - 2);
  const lead = broadcastShapes(leadA, leadB);
  if (!lead) throw new Error(`@: batch shapes [${leadA}] and [${leadB}] do not broadcast`);
  let out: tf.Tensor;
  if (prod(leadA) === 1) {
    // (b^T a^T)^T with b's batch flattened: [B*p, k] x [k, n]^T
    const bt =
      p === 1
        ? tf.reshape(b, [prod(leadB), k])
        : tf.reshape(tf.transpose(b, [...leadB.map((_, i) => i), r - 1, r - 2]), [
            prod(leadB) * p,
            k,
          ]);
    const y = tf.matMul(bt, tf.reshape(a, [n, k]), false, true); // [B*p, n]
    out =
      p === 1
        ? tf.reshape(y, [...leadB, n, 1])
        : tf.transpose(tf.reshape(y, [...leadB, p, n]), [...leadB.map((_, i) => i), r - 1, r - 2]);
  } else if (prod(leadB) === 1) {
    const y = tf.matMul(tf.reshape(a, [prod(leadA) * n, k]), tf.reshape(b, [k, p]));
    out = tf.reshape(y, [...leadA, n, p]);
  } else {
    const ab = tf.broadcastTo(a, [...lead, n, k]);
    const bb = tf.broadcastTo(b, [...lead, k, p]);
    out = tf.matMul(ab, bb);
  }
  if (bVec) out = tf.squeeze(out, [out.rank - 1]);
  if (aVec) out = tf.squeeze(out, [out.rank - (bVec ? 1 : 2)]);
  return out;
}
