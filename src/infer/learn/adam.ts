// Adam (Kingma & Ba 2015) on the host in float64, for em's gradient M-step and cavi's M-step: the coordinates
// are few (a param's entries), and keeping the state here lets the M-step save it and go back
// to it when a run of steps did not increase Q (gradient.ts).
//   m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²,  x ← x + lr · m̂ / (√v̂ + ε)   (ascent)
// with the bias corrections m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t).

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

export interface AdamState {
  readonly m: Float64Array;
  readonly v: Float64Array;
  t: number;
}

export function adamState(n: number): AdamState {
  return { m: new Float64Array(n), v: new Float64Array(n), t: 0 };
}

export function copyAdam(s: AdamState): AdamState {
  return { m: Float64Array.from(s.m), v: Float64Array.from(s.v), t: s.t };
}

/** One ascent step of x along the gradient g (in place). */
export function adamAscend(x: Float64Array, g: Float64Array, s: AdamState, lr: number): void {
  s.t++;
  const c1 = 1 - BETA1 ** s.t;
  const c2 = 1 - BETA2 ** s.t;
  for (let i = 0; i < x.length; i++) {
    const gi = Number.isFinite(g[i]) ? g[i] : 0;
    s.m[i] = BETA1 * s.m[i] + (1 - BETA1) * gi;
    s.v[i] = BETA2 * s.v[i] + (1 - BETA2) * gi * gi;
    x[i] += (lr * (s.m[i] / c1)) / (Math.sqrt(s.v[i] / c2) + EPSILON);
  }
}
