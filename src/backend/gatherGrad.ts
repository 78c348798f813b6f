// tfjs' gradient of GatherV2 calls UnsortedSegmentSum, which the wasm backend does not
// register, so autodiff through any indexing fails there (DESIGN.md §7). We register an
// UnsortedSegmentSum kernel for wasm built on scatterND (which adds duplicate indices).
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';

const registered = new Set<string>();

export function registerGatherGradient(backendName: string): void {
  if (backendName !== 'wasm' || registered.has(backendName)) return;
  registered.add(backendName);
  if (tf.getKernel('UnsortedSegmentSum', backendName)) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName,
    kernelFunc: ({ inputs, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.Tensor; segmentIds: tf.Tensor };
      const { numSegments } = attrs as unknown as { numSegments: number };
      // out[s, ...] = sum_{i : ids[i] = s} x[i, ...] for the leading axes of segmentIds
      const result = tf.tidy(() => {
        const idsRank = segmentIds.rank;
        const lead = prod(x.shape.slice(0, idsRank));
        const inner = x.shape.slice(idsRank);
        const flatIds = tf.reshape(segmentIds, [lead, 1]).toInt();
        const flatX = tf.reshape(x, [lead, ...inner]);
        return tf.scatterND(flatIds, flatX, [numSegments, ...inner]);
      });
      // kernels must return TensorInfo owned by the backend: keep `result` alive for the caller
      return result as unknown as tf.TensorInfo;
    },
  });
}
