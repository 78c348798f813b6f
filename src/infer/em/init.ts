// Starting values for em (issue 9, Control): a param's declared default when it has one;
// otherwise mixture means by k-means++ seeding on the data (Arthur & Vassilvitskii 2007: the
// first centre uniform, each next one drawn with probability ∝ its squared distance to the
// nearest chosen centre), covariances (and sds) from the data's, weights uniform, a Bernoulli
// probability 1/2.

/** mulberry32: a uniform draw on [0, 1) from a 32-bit seed (deterministic per seed). */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** K centres [K × D] chosen among the N rows of x by k-means++. */
export function kmeansPlusPlus(
  x: ArrayLike<number>,
  N: number,
  D: number,
  K: number,
  rand: () => number,
): Float64Array {
  const centres = new Float64Array(K * D);
  const d2 = new Float64Array(N).fill(Number.POSITIVE_INFINITY);
  let pick = Math.min(N - 1, Math.floor(rand() * N));
  for (let k = 0; k < K; k++) {
    for (let d = 0; d < D; d++) centres[k * D + d] = x[pick * D + d];
    let total = 0;
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let d = 0; d < D; d++) {
        const c = x[i * D + d] - centres[k * D + d];
        s += c * c;
      }
      if (s < d2[i]) d2[i] = s;
      total += d2[i];
    }
    if (k === K - 1) break;
    if (!(total > 0)) {
      pick = Math.min(N - 1, Math.floor(rand() * N));
      continue;
    }
    let u = rand() * total;
    pick = N - 1;
    for (let i = 0; i < N; i++) {
      u -= d2[i];
      if (u < 0) {
        pick = i;
        break;
      }
    }
  }
  return centres;
}

/** The data's mean [D] and covariance [D × D] (divided by N). */
export function dataMoments(
  x: ArrayLike<number>,
  N: number,
  D: number,
): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(D);
  for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) mean[d] += x[i * D + d] / N;
  const cov = new Float64Array(D * D);
  for (let i = 0; i < N; i++)
    for (let a = 0; a < D; a++)
      for (let b = 0; b < D; b++)
        cov[a * D + b] += ((x[i * D + a] - mean[a]) * (x[i * D + b] - mean[b])) / N;
  return { mean, cov };
}
