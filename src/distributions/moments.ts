// Small helpers the families' conjugate messages share: reading a child's statistics (observed
// value or expected statistics), a co-parent's moments (known value or expected statistics), and
// the coefficient of a scaled argument.
import type * as tf from '@tensorflow/tfjs';
import type { ChildStats, CoParents, Moments } from './distribution.js';

/** The child's statistics: T(value) for an observed child, its moments for a latent one. */
export function childMoments(child: ChildStats, T: (x: tf.Tensor) => tf.Tensor[]): Moments {
  return 'value' in child ? T(child.value) : child.moments;
}

/**
 * A co-parent's statistics in its conjugate prior's T: `fromValue(v)` for a known value, the
 * expected statistics for a latent one. Throws when the argument is missing.
 */
export function coMoments(
  co: CoParents,
  arg: string,
  fromValue: (v: tf.Tensor) => tf.Tensor[],
): Moments {
  const m = co.moments?.[arg];
  if (m) return m;
  const v = co.values?.[arg];
  if (!v) throw new Error(`the message needs the co-parent '${arg}' (a value or its moments)`);
  return fromValue(v);
}

/** A known co-parent's value (one that must be known for the pair to be conjugate). */
export function coValue(co: CoParents, arg: string, family: string): tf.Tensor {
  const v = co.values?.[arg];
  if (!v) {
    throw new Error(
      `${family}: the message to a conjugate parent needs a known '${arg}' (a latent '${arg}' is not conjugate)`,
    );
  }
  return v;
}

/** The error for an argument that has no conjugate parent in this family. */
export function noConjugateParent(family: string, arg: string): Error {
  return new Error(`${family}: no conjugate parent enters the argument '${arg}'`);
}
