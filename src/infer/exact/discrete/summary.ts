// Posterior summaries of discrete latents (DESIGN.md §5). Bernoulli: p = P(node = 1), mean p,
// sd sqrt(p(1-p)). Categorical: p and mean are the probability vector (shape: node shape + [K]),
// sd per state. A Binomial latent's posterior is a distribution over {0, …, n}: reported as
// 'Categorical' with that vector as p, and the mean and sd of the count itself.
import type { LatentSummary, Nested } from '../../../report/result.js';
import type { VarNode } from './analysis.js';

/** A flat row-major array as nested arrays of `shape`. */
export function nested(data: ArrayLike<number>, shape: readonly number[]): Nested {
  if (shape.length === 0) return data[0];
  const build = (axis: number, offset: number, size: number): Nested[] => {
    const len = shape[axis];
    const inner = size / len;
    return Array.from({ length: len }, (_, i) =>
      axis === shape.length - 1 ? data[offset + i] : build(axis + 1, offset + i * inner, inner),
    );
  };
  return build(
    0,
    0,
    shape.reduce((a, b) => a * b, 1),
  );
}

export function discreteSummary(v: VarNode, marginals: Float64Array): LatentSummary {
  const shape = [...v.shape];
  const { card, size } = v;
  if (v.family === 'Bernoulli') {
    const p = new Float64Array(size);
    const sd = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      p[i] = marginals[i * 2 + 1];
      sd[i] = Math.sqrt(Math.max(0, p[i] * (1 - p[i])));
    }
    return {
      family: 'Bernoulli',
      shape,
      params: { p: nested(p, shape) },
      mean: nested(p, shape),
      sd: nested(sd, shape),
    };
  }
  const pShape = [...shape, card];
  if (v.family === 'Categorical') {
    const sd = marginals.map((q) => Math.sqrt(Math.max(0, q * (1 - q))));
    return {
      family: 'Categorical',
      shape,
      params: { p: nested(marginals, pShape) },
      mean: nested(marginals, pShape),
      sd: nested(sd, pShape),
    };
  }
  // Binomial: the count's mean and sd
  const mean = new Float64Array(size);
  const sd = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let m1 = 0;
    let m2 = 0;
    for (let k = 0; k < card; k++) {
      m1 += k * marginals[i * card + k];
      m2 += k * k * marginals[i * card + k];
    }
    mean[i] = m1;
    sd[i] = Math.sqrt(Math.max(0, m2 - m1 * m1));
  }
  return {
    family: 'Categorical',
    shape,
    params: { p: nested(marginals, pShape) },
    mean: nested(mean, shape),
    sd: nested(sd, shape),
  };
}
