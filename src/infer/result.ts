// What engines and the sampler return (DESIGN.md §4, §5): numbers, not text. Every array is a
// typed array with its shape, cheap to produce and to read; `JSON.stringify` of a result gives
// exactly the JSON layout of DESIGN.md §5 (each ResultArray nests itself in `toJSON`), and
// `src/report` prints the same results as text or streams them as JSON.
import { finiteOrNull, jsonNumber, type NestAxis, type Nested, toNested } from '../util/nested.js';
import { prod } from '../util/shape.js';

export type { Nested } from '../util/nested.js';

/**
 * Float64Array: computed in float64 (closed forms); Float32Array: computed by TensorFlow.js in
 * float32 (draws, their summaries); Int32Array: integers (draws of discrete nodes).
 */
export type NumericArray = Float64Array | Float32Array | Int32Array;

/**
 * A flattened ragged pair of plates (`plate d in D`, `plate n in N[d]`): one axis of `shape`
 * holding every element of every row, row d at flat positions offsets[d] … offsets[d + 1] − 1.
 */
export interface RaggedAxis {
  /** which axis of `shape` */
  readonly axis: number;
  /** row starts, one more than the rows: offsets[0] = 0, offsets[rows] = shape[axis] */
  readonly offsets: ArrayLike<number>;
}

/**
 * A dense row-major array: `data[i]` at multi-index (i₀, …) with i = Σ iₖ·strideₖ. JSON (via
 * `toJSON`) is the nested array of that shape, ragged axes as rows of their own lengths,
 * non-finite values as null, float32 data as the shortest decimal that reads back the same.
 */
export class ResultArray {
  readonly data: NumericArray;
  readonly shape: readonly number[];
  readonly ragged: readonly RaggedAxis[];

  constructor(data: NumericArray, shape: readonly number[], ragged: readonly RaggedAxis[] = []) {
    if (data.length !== prod(shape))
      throw new Error(`internal: ${data.length} values for shape [${shape.join(', ')}]`);
    for (const r of ragged) {
      if (r.offsets[r.offsets.length - 1] !== shape[r.axis])
        throw new Error(`internal: ragged rows do not cover axis ${r.axis}`);
    }
    this.data = data;
    this.shape = [...shape];
    this.ragged = ragged;
  }

  /** The number of entries. */
  get size(): number {
    return this.data.length;
  }

  /** The axes to nest along: fixed lengths, or rows for a ragged axis (for JSON writers). */
  nestAxes(): NestAxis[] {
    return this.shape.map((length, axis) => {
      const r = this.ragged.find((x) => x.axis === axis);
      return r ? { kind: 'ragged', offsets: r.offsets } : { kind: 'fixed', length };
    });
  }

  /** How one entry is written in JSON (see the class comment; for JSON writers). */
  jsonLeaf(): (v: number) => number | null {
    return this.data instanceof Float32Array ? jsonNumber : finiteOrNull;
  }

  /** The nested array of DESIGN.md §5 (a number or null for shape []). */
  toJSON(): Nested {
    return toNested(this.data, this.nestAxes(), this.jsonLeaf());
  }
}

/** A float64 array of that shape (scalars: shape []). */
export function float64(
  data: Float64Array | readonly number[],
  shape: readonly number[],
): ResultArray {
  return new ResultArray(data instanceof Float64Array ? data : Float64Array.from(data), shape);
}

export interface LatentPosterior {
  /** the posterior (or variational) family, e.g. 'Beta', 'Normal', 'Bernoulli' */
  readonly family: string;
  /** the node's full shape (batch then event) */
  readonly shape: readonly number[];
  /** the family's parameters under the argument names of DESIGN.md §2 */
  readonly params: Readonly<Record<string, ResultArray>>;
  readonly mean: ResultArray;
  readonly sd: ResultArray;
}

/** What an inference engine returns; its JSON is what `plato infer --json` prints. */
export interface Posterior {
  readonly engine: string;
  readonly converged: boolean;
  readonly iterations: number;
  readonly seconds: number;
  /** nats, with all constants; null when the engine has none */
  readonly logEvidence: number | null;
  /** the objective per iteration (iterative engines) */
  readonly elbo?: readonly number[];
  readonly latents: Readonly<Record<string, LatentPosterior>>;
  /** every learned param, with its full shape */
  readonly params: Readonly<Record<string, ResultArray>>;
}

/** What the sampler returns; its JSON is what `plato sample --json` prints. */
export interface SampleResult {
  readonly engine: 'sample';
  readonly n: number;
  readonly seed: number;
  /** per node: [n, ...node shape] */
  readonly draws: Readonly<Record<string, ResultArray>>;
  /** per node: mean and sd over the draws (n − 1 in the denominator; 0 when n = 1) */
  readonly summary: Readonly<
    Record<string, { readonly mean: ResultArray; readonly sd: ResultArray }>
  >;
}
