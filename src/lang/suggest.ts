// "Did you mean …?" for misspelt names: optimal-string-alignment distance (Levenshtein plus
// adjacent transpositions, Damerau 1964), accepting one edit per three characters (so names of
// one or two characters are only matched up to case: 'x' is no typo of 'y').

/** Edit distance with insertions, deletions, substitutions and adjacent swaps, each costing 1. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prev2[j - 2]! + 1);
      }
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

/**
 * The candidate closest to `name`, if it is close enough to be a plausible typo. A match that
 * differs only in case always wins. Ties go to the earlier candidate. `minEdits` lowers the bar
 * where the candidates are few and a miss is cheap (a data key among the names not yet given:
 * 'yy' for 'y').
 */
export function closest(
  name: string,
  candidates: Iterable<string>,
  minEdits = 0.5,
): string | undefined {
  const lower = name.toLowerCase();
  const limit = Math.max(minEdits, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    if (c === name) continue;
    // case-only differences score below any real edit
    const score = c.toLowerCase() === lower ? 0.5 : editDistance(name, c);
    if (score <= limit && score < bestScore && Math.abs(c.length - name.length) <= limit) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** `; did you mean 'theta'?` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closest(name, candidates);
  return c === undefined ? '' : `; did you mean '${c}'?`;
}
