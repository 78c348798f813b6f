// Sanity statistics of one forward draw of LDA (peers.md, Workload 1): mean word id,
// distinct topics per document, distinct words per topic (mean over topics). Each system's
// statistics are judged against a reference ensemble of independent numpy draws of the same
// size: |x - mean| <= 5 sd sqrt(1 + 1/m), the 5-sigma prediction interval for one more draw.

export type CheckName = 'meanWordId' | 'distinctTopicsPerDoc' | 'distinctWordsPerTopic';
export const CHECK_NAMES: readonly CheckName[] = [
  'meanWordId',
  'distinctTopicsPerDoc',
  'distinctWordsPerTopic',
];

export type Checks = Record<CheckName, number> & {
  minWordId: number;
  maxWordId: number;
  maxTopic: number;
};
export type Reference = Record<CheckName, { mean: number; sd: number; m: number }>;

/**
 * Statistics of a draw. `z` and `w` are the flattened tokens, document-major; document d owns
 * tokens offsets[d] .. offsets[d+1]-1 (the ragged layout of src/graph/bound.ts).
 */
export function ldaChecks(
  z: ArrayLike<number>,
  w: ArrayLike<number>,
  offsets: ArrayLike<number>,
  K: number,
  V: number,
): Checks {
  const n = w.length;
  let sumW = 0;
  let minW = Number.POSITIVE_INFINITY;
  let maxW = Number.NEGATIVE_INFINITY;
  let maxZ = Number.NEGATIVE_INFINITY;
  const pairs = new Set<number>();
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    sumW += wi;
    if (wi < minW) minW = wi;
    if (wi > maxW) maxW = wi;
    if (z[i] > maxZ) maxZ = z[i];
    pairs.add(z[i] * V + wi);
  }
  const D = offsets.length - 1;
  const seen = new Uint8Array(K);
  let topicSum = 0;
  for (let d = 0; d < D; d++) {
    seen.fill(0);
    for (let i = offsets[d]; i < offsets[d + 1]; i++) seen[z[i]] = 1;
    for (let k = 0; k < K; k++) topicSum += seen[k];
  }
  return {
    meanWordId: sumW / n,
    distinctTopicsPerDoc: topicSum / D,
    distinctWordsPerTopic: pairs.size / K,
    minWordId: minW,
    maxWordId: maxW,
    maxTopic: maxZ,
  };
}

export interface Verdict {
  readonly ok: boolean;
  readonly failures: readonly string[];
}

/** Compare a system's statistics with the reference ensemble and the support bounds. */
export function judge(
  c: Partial<Checks> | undefined,
  ref: Reference,
  K: number,
  V: number,
): Verdict {
  const failures: string[] = [];
  if (!c) return { ok: false, failures: ['no checks reported'] };
  for (const name of CHECK_NAMES) {
    const x = c[name];
    const r = ref[name];
    const tol = 5 * r.sd * Math.sqrt(1 + 1 / r.m);
    if (typeof x !== 'number' || !(Math.abs(x - r.mean) <= tol)) {
      failures.push(`${name} = ${x}, expected ${r.mean.toPrecision(5)} ± ${tol.toPrecision(3)}`);
    }
  }
  if (c.minWordId !== undefined && c.minWordId < 0) failures.push(`word id ${c.minWordId} < 0`);
  if (c.maxWordId !== undefined && c.maxWordId > V - 1)
    failures.push(`word id ${c.maxWordId} > V-1`);
  if (c.maxTopic !== undefined && c.maxTopic > K - 1) failures.push(`topic ${c.maxTopic} > K-1`);
  return { ok: failures.length === 0, failures };
}
