// The Asia chest-clinic network (examples/asia) as tables, p(node = 1 | parents), and its
// float64 brute force over the 2^8 states: the reference of the exact and avi tests.

export const ASIA_NAMES = ['asia', 'smoke', 'tub', 'lung', 'bronc', 'either', 'xray', 'dysp'];

const p1 = (x: Record<string, number>): Record<string, number> => ({
  asia: 0.01,
  smoke: 0.5,
  tub: 0.01 + 0.04 * x.asia,
  lung: 0.01 + 0.09 * x.smoke,
  bronc: 0.3 + 0.3 * x.smoke,
  either: x.tub + x.lung - x.tub * x.lung,
  xray: 0.05 + 0.93 * x.either,
  dysp: 0.1 + 0.6 * x.either + 0.7 * x.bronc - 0.5 * x.either * x.bronc,
});

/** log p(evidence) and each node's P(node = 1 | evidence), summed over every state in float64. */
export function asiaBrute(evidence: Record<string, number>): {
  logZ: number;
  m: Record<string, number>;
} {
  const names = ASIA_NAMES;
  let Z = 0;
  const m = Object.fromEntries(names.map((n) => [n, 0]));
  for (let s = 0; s < 256; s++) {
    const x = Object.fromEntries(names.map((n, i) => [n, (s >> i) & 1]));
    if (Object.entries(evidence).some(([k, v]) => x[k] !== v)) continue;
    const p = p1(x);
    const w = names.reduce((a, n) => a * (x[n] ? p[n] : 1 - p[n]), 1);
    Z += w;
    for (const n of names) if (x[n]) m[n] += w;
  }
  return { logZ: Math.log(Z), m: Object.fromEntries(names.map((n) => [n, m[n] / Z])) };
}
