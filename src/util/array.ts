// Reductions over plain arrays that stay safe at any length: `Math.max(...xs)` passes every
// element as an argument and overflows the call stack beyond ~10⁵ elements (a plate of cases).

/** The largest element of `xs`, or `empty` when there is none. */
export function maxOf(xs: ArrayLike<number>, empty = Number.NEGATIVE_INFINITY): number {
  let m = empty;
  for (let i = 0; i < xs.length; i++) if (xs[i] > m || Number.isNaN(xs[i])) m = xs[i];
  return m;
}
