// Quickscore (Heckerman 1989): exact posterior marginals and evidence of a two-level noisy-OR
// network in time exponential only in the number of POSITIVE findings.
//
// With binary causes d_k (unary potentials pi_k0, pi_k1) and findings whose probability of being
// NEGATIVE is A_j * exp(-sum_k w_kj d_k), inclusion–exclusion over the positive findings F+ gives
//
//   P(F- negative, F+ positive) = sum_{F' ⊆ F+} (-1)^|F'| prod_{j in T} A_j
//                                  * prod_k (pi_k0 + pi_k1 exp(-sum_{j in T} w_kj)),   T = F- ∪ F',
//
// and the same sum with cause k's factor replaced by pi_k1 exp(-a_k) gives P(d_k = 1, evidence).
// Plain float64 JavaScript: tfjs has no float64, and the alternating sum cancels (the terms can
// exceed the result by orders of magnitude), so float32 would lose most digits. The subsets are
// walked in Gray-code order, so each step updates the K exponents in O(K).

export interface Finding {
  /** log A_j (log of the probability of a negative finding when every cause is off) */
  readonly logA: number;
  /** the causes with a non-zero weight, and their weights w_kj >= 0 */
  readonly vars: Int32Array;
  readonly w: Float64Array;
}

export interface NoisyOrProblem {
  /** number of binary causes */
  readonly K: number;
  /** log unary potentials of each cause at 0 and at 1 (priors times any other unary evidence) */
  readonly logPi0: Float64Array;
  readonly logPi1: Float64Array;
  readonly negatives: readonly Finding[];
  readonly positives: readonly Finding[];
}

export interface NoisyOrSolution {
  readonly logZ: number;
  /** P(d_k = 1 | evidence) */
  readonly p1: Float64Array;
  /**
   * sum |terms| / |sum| of the alternating evidence sum: the factor by which cancellation
   * magnifies float64 rounding (the relative error of Z is about condition * 1e-16)
   */
  readonly condition: number;
}

function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** The number of terms Quickscore sums: 2^(positive findings). */
export function quickscoreTerms(positives: number): number {
  return 2 ** positives;
}

export function quickscore(problem: NoisyOrProblem): NoisyOrSolution {
  const { K, logPi0, logPi1, negatives, positives } = problem;
  const P = positives.length;
  if (P > 30) throw new Error(`internal: Quickscore with ${P} positive findings`);
  // exponents a_k and log A summed over T, starting from T = F-
  const a = new Float64Array(K);
  // log A over T, with findings of A_j = 0 counted apart (a term containing one is 0)
  let logA = 0;
  let zeros = 0;
  const addLogA = (v: number, s: number) => {
    if (v === Number.NEGATIVE_INFINITY) zeros += s;
    else logA += s * v;
  };
  for (const f of negatives) {
    addLogA(f.logA, 1);
    for (let i = 0; i < f.vars.length; i++) a[f.vars[i]] += f.w[i];
  }
  const g = new Float64Array(K);
  const evalTerm = (): number => {
    if (zeros > 0) return Number.NEGATIVE_INFINITY;
    let G = logA;
    for (let k = 0; k < K; k++) {
      g[k] = logAddExp(logPi0[k], logPi1[k] - a[k]);
      G += g[k];
    }
    return G;
  };

  // shift every term by its value at T = F- (the largest: each added finding multiplies by <= 1
  // when A_j <= 1); accumulate the alternating sums in float64
  const G0 = evalTerm();
  const H0 = new Float64Array(K);
  for (let k = 0; k < K; k++) H0[k] = G0 - g[k] + logPi1[k] - a[k];
  let sum = 0;
  let abs = 0;
  const sumK = new Float64Array(K);
  const addTerms = (sign: number) => {
    const G = evalTerm();
    if (G === Number.NEGATIVE_INFINITY) return;
    const t = Math.exp(G - G0);
    sum += sign * t;
    abs += t;
    for (let k = 0; k < K; k++) {
      const h = G - g[k] + logPi1[k] - a[k];
      if (h !== Number.NEGATIVE_INFINITY) sumK[k] += sign * Math.exp(h - H0[k]);
    }
  };
  if (G0 === Number.NEGATIVE_INFINITY) {
    return {
      logZ: Number.NEGATIVE_INFINITY,
      p1: new Float64Array(K).fill(Number.NaN),
      condition: 1,
    };
  }
  addTerms(1);
  // Gray code: step i flips the finding at the lowest set bit of i
  const inSet = new Uint8Array(P);
  const total = 2 ** P;
  let size = 0;
  for (let i = 1; i < total; i++) {
    let bit = 0;
    while (((i >> bit) & 1) === 0) bit++;
    const f = positives[bit];
    const s = inSet[bit] ? -1 : 1;
    inSet[bit] ^= 1;
    size += s;
    addLogA(f.logA, s);
    for (let t = 0; t < f.vars.length; t++) a[f.vars[t]] += s * f.w[t];
    addTerms(size % 2 === 0 ? 1 : -1);
  }
  const logZ = G0 + Math.log(sum);
  const p1 = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    p1[k] =
      H0[k] === Number.NEGATIVE_INFINITY
        ? 0
        : Math.min(1, Math.max(0, Math.exp(H0[k] - logZ) * sumK[k]));
  }
  return {
    logZ: sum > 0 ? logZ : Number.NaN,
    p1,
    condition: sum > 0 ? abs / sum : Number.POSITIVE_INFINITY,
  };
}
