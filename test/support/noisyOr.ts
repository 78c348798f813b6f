// A float64 reference for noisy-OR networks, shared by the exact and E-step tests.

/**
 * float64 brute force over 2^K cause states of a noisy-OR network (as in the data set's
 * reference): log p(s), P(d_k = 1 | s), and the largest |log term| (for tolerances)
 */
export function bruteNoisyOr(
  rho: number[],
  leak: number,
  W: number[][],
  s: number[],
): { logZ: number; p1: number[]; scale: number } {
  const K = rho.length;
  const lw = new Float64Array(2 ** K);
  let max = Number.NEGATIVE_INFINITY;
  let scale = 0;
  for (let st = 0; st < 2 ** K; st++) {
    let w = 0;
    for (let k = 0; k < K; k++) w += Math.log((st >> k) & 1 ? rho[k] : 1 - rho[k]);
    s.forEach((sj, j) => {
      let x = 0;
      for (let k = 0; k < K; k++) if ((st >> k) & 1) x += W[k][j];
      const logNeg = Math.log1p(-leak) - x;
      w += sj ? Math.log(-Math.expm1(logNeg)) : logNeg;
    });
    lw[st] = w;
    max = Math.max(max, w);
    if (Number.isFinite(w)) scale = Math.max(scale, Math.abs(w));
  }
  let Z = 0;
  const p1 = new Array<number>(K).fill(0);
  for (let st = 0; st < 2 ** K; st++) {
    const q = Math.exp(lw[st] - max);
    Z += q;
    for (let k = 0; k < K; k++) if ((st >> k) & 1) p1[k] += q;
  }
  return { logZ: max + Math.log(Z), p1: p1.map((x) => x / Z), scale };
}
