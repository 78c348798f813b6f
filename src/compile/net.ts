// `net f = mlp(K -> 400 -> P, act = relu)` called as `f(x)`: a multilayer perceptron on the
// last value axis, batched over samples and plates. Its weights are values named
// `f.W0`, `f.b0`, `f.W1`, … (W_l: [in, out], b_l: [out], each with a leading axis of 1 — or
// without: the layers read any shape of the weight's size, backend/dense.ts);
// engines that learn them put them in the env; `src/infer/init.ts` initialises them.
import type * as tf from '@tensorflow/tfjs';
import { ACTIVATIONS, type Activation, mlp } from '../backend/dense.js';
import type { NetNode } from '../graph/ir.js';
import { valueShape } from './value.js';

export interface NetWeightShape {
  readonly name: string;
  readonly shape: readonly number[];
  /** fan-in and fan-out of the layer, for initialisation */
  readonly fanIn: number;
  readonly fanOut: number;
}

/** The weight values of a net, in layer order. */
export function netWeightShapes(net: NetNode, layers: readonly number[]): NetWeightShape[] {
  const out: NetWeightShape[] = [];
  for (let l = 0; l + 1 < layers.length; l++) {
    const fanIn = layers[l];
    const fanOut = layers[l + 1];
    out.push({ name: `${net.name}.W${l}`, shape: [fanIn, fanOut], fanIn, fanOut });
    out.push({ name: `${net.name}.b${l}`, shape: [fanOut], fanIn, fanOut });
  }
  return out;
}

/** f(x) for a PAV x with value shape [in]; the last layer is linear (logits, means). */
export function netForward(
  net: NetNode,
  layers: readonly number[],
  x: tf.Tensor,
  m: number,
  weight: (name: string) => tf.Tensor,
): tf.Tensor {
  const v = valueShape(x, m);
  const inDim = layers[0];
  if (v.length !== 1 || v[0] !== inDim) {
    throw new Error(
      `the net '${net.name}' takes vectors of length ${inDim}, got a value of shape [${v.join(', ')}]`,
    );
  }
  const act = net.activation as Activation;
  if (!ACTIVATIONS.includes(act)) throw new Error(`unknown activation '${net.activation}'`);
  const weights: tf.Tensor[] = [];
  for (let l = 0; l + 1 < layers.length; l++)
    weights.push(weight(`${net.name}.W${l}`), weight(`${net.name}.b${l}`));
  // one tape node for the whole net, with a hand-written backward pass (backend/dense.ts)
  return mlp(x, weights, { activation: act });
}
