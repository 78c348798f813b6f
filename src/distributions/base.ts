// Common plumbing of the family classes: broadcasting of the arguments, the three shapes, and
// ownership of the tensors the distribution holds (its broadcast parameters and any derived
// tensors such as a Cholesky factor), released by `dispose()` or by an enclosing tf.tidy.
import * as tf from '@tensorflow/tfjs';
import type { Distribution } from './distribution.js';
import type { Rng } from './rng.js';
import { broadcastArgs, numel } from './shapes.js';
import { DISTRIBUTIONS, type DistName, type SupportKind } from './signatures.js';

export abstract class BaseDistribution implements Distribution {
  readonly family: DistName;
  readonly batchShape: readonly number[];
  readonly eventShape: readonly number[];
  readonly support: SupportKind;
  readonly params: Readonly<Record<string, tf.Tensor>>;
  /** the parameterisation in use, e.g. ['logits'] */
  readonly paramNames: readonly string[];
  /** the arguments in their given shapes (broadcastable to the batch); used for computing */
  protected readonly raw: Readonly<Record<string, tf.Tensor>>;
  private readonly owned: tf.Tensor[] = [];

  protected constructor(
    family: DistName,
    given: Readonly<Record<string, tf.Tensor>>,
    eventRank: 0 | 1,
  ) {
    const b = broadcastArgs(family, given);
    this.family = family;
    this.paramNames = b.names;
    this.batchShape = b.batchShape;
    this.params = b.args;
    this.support = DISTRIBUTIONS[family].support;
    this.raw = b.raw;
    this.owned.push(...Object.values(b.args), ...Object.values(b.raw));
    // the event shape is the last axis of the first vector-valued parameter
    if (eventRank === 0) {
      this.eventShape = [];
    } else {
      const vec = Object.values(b.args).find((t) => t.rank > b.batchShape.length)!;
      this.eventShape = [vec.shape[b.batchShape.length]!];
    }
  }

  /** keep a derived tensor alive as long as the distribution */
  protected own<T extends tf.Tensor>(t: T): T {
    this.owned.push(t);
    return t;
  }

  /** [...sampleShape, ...batchShape] */
  protected drawShape(sampleShape: readonly number[]): number[] {
    return [...sampleShape, ...this.batchShape];
  }

  /** draws of shape [...sampleShape, ...batchShape, ...eventShape]; deterministic given `rng` */
  sample(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const shape = [...this.drawShape(sampleShape), ...this.eventShape];
    // empty tensors crash several tfjs-wasm kernels (4.22): answer them here
    if (numel(shape) === 0)
      return tf.zeros(shape, this.family === 'Categorical' ? 'int32' : 'float32');
    return this.draw(sampleShape, rng);
  }

  /** log density of x [...any, ...batchShape, ...eventShape]: [...any, ...batchShape] */
  logProb(x: tf.Tensor): tf.Tensor {
    if (x.size === 0) return tf.zeros(x.shape.slice(0, x.rank - this.eventShape.length));
    return this.logDensity(x);
  }

  protected abstract draw(sampleShape: readonly number[], rng: Rng): tf.Tensor;
  protected abstract logDensity(x: tf.Tensor): tf.Tensor;
  abstract mean(): tf.Tensor;
  abstract variance(): tf.Tensor;

  /** release the parameter and derived tensors (not the caller's argument tensors) */
  dispose(): void {
    for (const t of this.owned) if (!t.isDisposed) t.dispose();
  }
}
