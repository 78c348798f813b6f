// Broadcasting of a family's arguments (TensorFlow Probability's convention): each parameter has
// a number of trailing "event" axes (1 for a Dirichlet's alpha, 2 for a covariance matrix); the
// batch shape is the NumPy broadcast of what is left. Shape mistakes become clear errors here,
// at construction, instead of wrong numbers later.
import * as tf from '@tensorflow/tfjs';
import { alias } from '../backend/reshape.js';
import { broadcastShapes, prod as numel, sameShape } from '../util/shape.js';
import { DISTRIBUTIONS, type DistName } from './signatures.js';

/** Trailing parameter axes of every argument name, per family. */
export const PARAM_EVENT_RANK: Readonly<Record<DistName, Readonly<Record<string, number>>>> = {
  Normal: { mu: 0, sigma: 0 },
  MvNormal: { mu: 1, Sigma: 2 },
  Bernoulli: { p: 0, logits: 0 },
  Categorical: { p: 1, logits: 1 },
  Binomial: { n: 0, p: 0, logits: 0 },
  Multinomial: { n: 0, p: 1 },
  Poisson: { rate: 0 },
  Beta: { a: 0, b: 0 },
  Gamma: { shape: 0, rate: 0 },
  Exponential: { rate: 0 },
  Dirichlet: { alpha: 1 },
  Uniform: { lo: 0, hi: 0 },
  LogNormal: { mu: 0, sigma: 0 },
  StudentT: { nu: 0, mu: 0, sigma: 0 },
  Cauchy: { mu: 0, sigma: 0 },
  HalfNormal: { sigma: 0 },
  HalfCauchy: { sigma: 0 },
  NegativeBinomial: { mu: 0, phi: 0 },
  Laplace: { mu: 0, b: 0 },
};

export interface BroadcastArgs {
  /** the parameterisation used, e.g. ['n', 'logits'] */
  readonly names: readonly string[];
  readonly batchShape: number[];
  /** each argument as float32 of shape [...batchShape, ...its event axes] (new tensors) */
  readonly args: Record<string, tf.Tensor>;
  /**
   * each argument as float32 in its GIVEN shape (new tensors sharing the caller's data): they
   * broadcast against the batch, so parameter-only terms of a density are computed once per
   * distinct parameter, not once per batch element
   */
  readonly raw: Record<string, tf.Tensor>;
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Pick the parameterisation of `family` matching the given argument names, check every
 * argument's rank, broadcast the batch parts against each other and check that event axes agree
 * (MvNormal's mu [D] with Sigma [D, D]; Multinomial's p [K]). Throws an Error naming the family,
 * the arguments and their shapes.
 */
export function broadcastArgs(
  family: DistName,
  given: Readonly<Record<string, tf.Tensor>>,
): BroadcastArgs {
  const sig = DISTRIBUTIONS[family];
  const provided = Object.keys(given);
  const names = sig.params.find(
    (ps) => ps.length === provided.length && ps.every((p) => provided.includes(p)),
  );
  if (!names) {
    const want = sig.params.map((ps) => `(${ps.join(', ')})`).join(' or ');
    throw new Error(`${family} takes arguments ${want}; got (${provided.join(', ')})`);
  }
  const ranks = PARAM_EVENT_RANK[family];
  let batchShape: number[] = [];
  const eventDims: Record<string, number[]> = {};
  for (const name of names) {
    const t = given[name]!;
    const er = ranks[name] ?? 0;
    if (t.rank < er) {
      throw new Error(
        `${family}: argument ${name} needs at least ${er} axes (${er === 1 ? 'a vector' : 'a matrix'}), got shape ${fmt(t.shape)}`,
      );
    }
    const bs = t.shape.slice(0, t.rank - er);
    eventDims[name] = t.shape.slice(t.rank - er);
    const next = broadcastShapes(batchShape, bs);
    if (!next) {
      const others = names
        .filter((n) => n !== name)
        .map((n) => `${n} ${fmt(given[n]!.shape)}`)
        .join(', ');
      throw new Error(
        `${family}: cannot broadcast ${name} of shape ${fmt(t.shape)} against ${others} (batch shapes ${fmt(bs)} and ${fmt(batchShape)})`,
      );
    }
    batchShape = next;
  }
  checkEventAxes(family, given, eventDims);
  const args: Record<string, tf.Tensor> = {};
  const raw: Record<string, tf.Tensor> = {};
  for (const name of names) {
    raw[name] = tf.tidy(() =>
      alias(given[name]!.dtype === 'float32' ? given[name]! : tf.cast(given[name]!, 'float32')),
    );
    const target = [...batchShape, ...eventDims[name]!];
    args[name] = tf.tidy(() => {
      const f = given[name]!.dtype === 'float32' ? given[name]! : tf.cast(given[name]!, 'float32');
      const same = sameShape(f.shape, target);
      // (tf.broadcastTo to a shape with a 0 gives a wrong shape in tfjs 4.22)
      if (numel(target) === 0) return tf.zeros(target);
      // already in shape: the raw tensor itself (one copy fewer; dispose skips a disposed one)
      return same ? raw[name] : tf.broadcastTo(f, target);
    });
  }
  return { names, batchShape, args, raw };
}

function checkEventAxes(
  family: DistName,
  given: Readonly<Record<string, tf.Tensor>>,
  ev: Record<string, number[]>,
): void {
  if (family === 'MvNormal') {
    const [D] = ev.mu!;
    const [r, c] = ev.Sigma!;
    if (r !== c)
      throw new Error(`MvNormal: Sigma must be square, got shape ${fmt(given.Sigma!.shape)}`);
    if (D !== r) {
      throw new Error(
        `MvNormal: mu of shape ${fmt(given.mu!.shape)} has ${D} components but Sigma of shape ${fmt(given.Sigma!.shape)} is ${r}x${c}`,
      );
    }
  }
  for (const name of Object.keys(ev)) {
    if (ev[name]!.some((d) => d === 0)) {
      throw new Error(
        `${family}: argument ${name} has an empty event axis (shape ${fmt(given[name]!.shape)})`,
      );
    }
  }
}

export { numel };
