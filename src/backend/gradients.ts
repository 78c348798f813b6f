// Gradients tfjs 4.22 does not register, needed by engines that differentiate the log joint
// (EM's gradient M-step, avi) through this compiler's ops and the distributions' support checks:
// - GatherNd (the compiler gathers with gatherND, ~10x faster than gather on wasm):
//   d params = scatterND(indices, dy, params.shape), which adds repeated indices' contributions;
// - boolean-valued ops (comparisons, logical ops, all/any): zero. tfjs backpropagates along
//   every path from x to y, including x → less → logicalOr → where(cond, …) → y, and stops
//   with "gradient function not found" unless these exist; their derivative is 0 a.e.
//   (tfjs requires float32 gradients even for bool inputs.)
// Registered once, globally (gradients are backend-independent).
import * as tf from '@tensorflow/tfjs';

const BINARY_BOOL = [
  'Equal',
  'NotEqual',
  'Greater',
  'Less',
  'LessEqual',
  'LogicalAnd',
  'LogicalOr',
  'LogicalXor',
];
const UNARY_BOOL = ['LogicalNot', 'All', 'Any'];

let done = false;

export function registerMissingGradients(): void {
  if (done) return;
  done = true;
  if (!tf.getGradient('GatherNd')) {
    tf.registerGradient({
      kernelName: 'GatherNd',
      inputsToSave: ['params', 'indices'],
      gradFunc: (dy, saved) => {
        const [params, indices] = saved;
        const g = Array.isArray(dy) ? dy[0] : dy;
        return {
          params: () => tf.scatterND(indices, g, params.shape),
          indices: () => tf.zeros(indices.shape),
        };
      },
    });
  }
  for (const kernelName of BINARY_BOOL) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => ({
        a: () => tf.zeros(saved[0].shape),
        b: () => tf.zeros(saved[1].shape),
      }),
    });
  }
  for (const kernelName of UNARY_BOOL) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (_dy, saved) => ({ x: () => tf.zeros(saved[0].shape) }),
    });
  }
}

registerMissingGradients();
