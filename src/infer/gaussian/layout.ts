// Where the latents of a linear-Gaussian block sit in the stacked vector θ: dense (one system
// over every element of every latent) or blocked (one latent whose factors each read one of its
// plate elements: the information matrix is block-diagonal, one E × E system per element).
import { fullShape } from '../../compile/evaluator.js';
import type { BoundModel } from '../../graph/bound.js';
import { prod } from '../../util/shape.js';

export interface LatentSlice {
  readonly name: string;
  /** full shape: batch then event */
  readonly shape: readonly number[];
  /** first column of the latent in θ (dense layout) */
  readonly offset: number;
  readonly size: number;
}

export interface GaussianLayout {
  readonly blocked: boolean;
  readonly latents: readonly LatentSlice[];
  /** dense: the total dimension; blocked: the event size E of the one latent */
  readonly cols: number;
  /** blocked: the number of plate elements of the one latent; dense: 1 */
  readonly blocks: number;
}

/** The layout of `latents` (blocked only when asked for and there is exactly one latent). */
export function gaussianLayout(
  model: BoundModel,
  latents: readonly string[],
  blocked: boolean,
): GaussianLayout {
  const slices: LatentSlice[] = [];
  let offset = 0;
  for (const name of latents) {
    const shape = fullShape(model, name);
    const size = prod(shape);
    slices.push({ name, shape, offset, size });
    offset += size;
  }
  if (blocked && slices.length === 1) {
    const s = model.shapes[slices[0].name];
    return { blocked: true, latents: slices, cols: prod(s.event), blocks: prod(s.batch) };
  }
  return { blocked: false, latents: slices, cols: offset, blocks: 1 };
}
