// Starting values for em (issue 9, Control): a param's declared default when it has one;
// otherwise mixture means by k-means on the data — greedy k-means++ seeding (Arthur &
// Vassilvitskii 2007: the first centre uniform, each next one drawn with probability ∝ its
// squared distance to the nearest chosen centre, best of a few draws) then Lloyd's iterations,
// as scikit-learn's GaussianMixture(init_params='kmeans') starts — covariances (and sds) from
// the data's, weights uniform, a Bernoulli probability 1/2.

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

/**
 * K centres [K × D] chosen among the N rows of x by greedy k-means++ (Arthur & Vassilvitskii
 * 2007, §5; scikit-learn's default): each next centre is the best, by the potential Σ_i d²_i it
 * leaves, of 2 + ⌊ln K⌋ candidates drawn with probability ∝ d²_i (the squared distance to the
 * nearest chosen centre). Plain k-means++ (one candidate) often puts two centres in one of
 * several well-separated clusters, a local optimum EM does not leave.
 */
export function kmeansPlusPlus(
  x: ArrayLike<number>,
  N: number,
  D: number,
  K: number,
  rand: () => number,
): Float64Array {
  const centres = new Float64Array(K * D);
  const trials = 2 + Math.floor(Math.log(K));
  let d2 = new Float64Array(N).fill(Number.POSITIVE_INFINITY);
  const cand = new Float64Array(N);
  let best = new Float64Array(N);
  /** d² to the nearest of the chosen centres and row `pick`, into `out`; returns the potential */
  const withRow = (pick: number, out: Float64Array): number => {
    let total = 0;
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let d = 0; d < D; d++) {
        const c = x[i * D + d] - x[pick * D + d];
        s += c * c;
      }
      out[i] = s < d2[i] ? s : d2[i];
      total += out[i];
    }
    return total;
  };
  /** a row drawn with probability ∝ d² (uniformly when every d² is 0) */
  const draw = (total: number): number => {
    if (!(total > 0) || !Number.isFinite(total)) return Math.min(N - 1, Math.floor(rand() * N));
    let u = rand() * total;
    for (let i = 0; i < N; i++) {
      u -= d2[i];
      if (u < 0) return i;
    }
    return N - 1;
  };
  let total = Number.POSITIVE_INFINITY;
  for (let k = 0; k < K; k++) {
    let pick = -1;
    let pickTotal = Number.POSITIVE_INFINITY;
    for (let t = 0; t < (k === 0 ? 1 : trials); t++) {
      const row = draw(total);
      const pot = withRow(row, cand);
      if (pick < 0 || pot < pickTotal) {
        pick = row;
        pickTotal = pot;
        best.set(cand);
      }
    }
    for (let d = 0; d < D; d++) centres[k * D + d] = x[pick * D + d];
    [d2, best] = [best, d2];
    total = pickTotal;
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

/**
 * Lloyd's k-means iterations from `centres` [K × D] (in place) until no case changes its
 * nearest centre, or `maxIters`: each case to its nearest centre, each centre to the mean of its
 * cases (a centre without cases stays). Returns the iterations run.
 */
export function lloyd(
  x: ArrayLike<number>,
  N: number,
  D: number,
  K: number,
  centres: Float64Array,
  maxIters = 100,
): number {
  const label = new Int32Array(N).fill(-1);
  const sum = new Float64Array(K * D);
  const count = new Float64Array(K);
  for (let it = 0; it < maxIters; it++) {
    let changed = 0;
    sum.fill(0);
    count.fill(0);
    for (let i = 0; i < N; i++) {
      let best = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let d = 0; d < D; d++) {
          const c = x[i * D + d] - centres[k * D + d];
          s += c * c;
        }
        if (s < bestD) {
          bestD = s;
          best = k;
        }
      }
      if (label[i] !== best) changed++;
      label[i] = best;
      count[best]++;
      for (let d = 0; d < D; d++) sum[best * D + d] += x[i * D + d];
    }
    for (let k = 0; k < K; k++)
      if (count[k] > 0) for (let d = 0; d < D; d++) centres[k * D + d] = sum[k * D + d] / count[k];
    if (changed === 0) return it + 1;
  }
  return maxIters;
}
