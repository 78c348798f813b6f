// An op with a hand-written gradient, recorded on tfjs's gradient tape as ONE node: the ops its
// forward pass runs are not recorded (nor are their inputs copied for the backward pass, which
// tfjs does for every recorded op). Unlike tf.customGrad, it may have several outputs, and each
// input's gradient is a thunk: tfjs prunes the inputs that do not depend on the variables being
// differentiated (data, constants) before it asks for gradients, so theirs are never computed
// (tf.customGrad computes every input's). Built on the engine's runKernelFunc, which
// tf.customGrad itself calls (tfjs-core 4.22; private in its typings, hence the cast).
//
// The tensors kept for the backward pass: runKernelFunc's `save` keeps a clone of each, and a
// clone is an Identity kernel (a copy on wasm) plus a tape node of its own, for each saved
// tensor on every step. Where the backend's tensors can share data (view.ts), each is instead a
// kept view (no kernel, no node) handed to the op's tape node as its `saved`: tfjs's
// engine.gradients disposes every tape node's `saved` once, after the backward pass, exactly
// as it disposes the clones. Nothing is kept when no tape is recording (as `save` does then),
// and the views are made only after f has returned.
import * as tf from '@tensorflow/tfjs';
import { sharesData, view } from './view.js';

type GradThunks = Record<string, () => tf.Tensor>;

interface EngineInternals {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: tf.GradSaveFunc) => tf.Tensor[];
    backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => GradThunks;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor | tf.Tensor[];
}

export interface CustomOp {
  readonly outputs: readonly tf.Tensor[];
  /**
   * the tensors the gradient reads, kept for it (the caller's tidy disposes everything else the
   * forward pass made, and may dispose the inputs too, before the backward pass runs)
   */
  readonly save: readonly tf.Tensor[];
  /**
   * each input's gradient from the outputs' (an output that no gradient reached gets zeros),
   * as thunks: only those of inputs on a differentiated path are called
   */
  readonly grads: (dys: readonly tf.Tensor[], saved: readonly tf.Tensor[]) => (() => tf.Tensor)[];
}

/** Run `f` on `inputs` as one tape node; its outputs. */
export function customOp(
  inputs: readonly tf.Tensor[],
  f: (inputs: readonly tf.Tensor[]) => CustomOp,
): tf.Tensor[] {
  let op: CustomOp | undefined;
  const engine = tf.engine();
  // the engine adds a tape node for this op iff the tape records here (runKernelFunc's test)
  const viewed = engine.isTapeOn() && sharesData();
  let kept: tf.Tensor[] = [];
  const named: Record<string, tf.Tensor> = {};
  inputs.forEach((t, i) => {
    named[i] = t;
  });
  const out = (engine as unknown as EngineInternals).runKernelFunc({
    forwardFunc: (_backend, save) => {
      op = f(inputs);
      // kept: runKernelFunc disposes the rest of what f made when it returns
      if (viewed) kept = op.save.map((t) => engine.keep(view(t)));
      else save([...op.save]);
      return [...op.outputs];
    },
    backwardsFunc: (dy, saved) => {
      const grads = (op as CustomOp).grads(Array.isArray(dy) ? dy : [dy], viewed ? kept : saved);
      const thunks: GradThunks = {};
      grads.forEach((g, i) => {
        thunks[i] = g;
      });
      return thunks;
    },
    inputs: named,
  });
  const outs = Array.isArray(out) ? out : [out];
  if (viewed) {
    const tape = engine.state.activeTape;
    const node = tape[tape.length - 1];
    if (node?.outputs[0] !== outs[0]) {
      tf.dispose(kept);
      throw new Error('internal: customOp found no tape node of its own for its saved tensors');
    }
    node.saved = kept;
  }
  return outs;
}
