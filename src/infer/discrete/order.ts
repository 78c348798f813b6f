// Elimination order and the clique tree it induces (Koller & Friedman 2009, §9.4 and §10.4).
// Greedy weighted min-fill: eliminate next the variable whose neighbours need the fewest fill
// edges, ties broken by the log-size of the clique it creates (Kjærulff 1990). Pure JS on the
// component template: the cost is in the number of variables, never in the number of copies.

export interface Clique {
  /** the variable eliminated here; the clique's scope starts with it */
  readonly v: number;
  /** [v, ...separator] */
  readonly scope: readonly number[];
  readonly cards: readonly number[];
  /** index of the parent clique (the one that receives this clique's message), or -1 for a root */
  readonly parent: number;
  /** indices of the factors assigned here (each factor goes to the first clique containing it) */
  readonly factors: readonly number[];
}

export interface CliqueTree {
  /** one clique per variable, in elimination order: children always come before their parent */
  readonly cliques: readonly Clique[];
  /** clique index of every variable */
  readonly cliqueOf: readonly number[];
  /** log2 of the largest clique's number of states */
  readonly maxLog2States: number;
}

/** Variables with more neighbours than this get the worst-case fill without counting it. */
const MAX_SCORED_DEGREE = 64;

/** Build the clique tree of the given factor scopes by greedy weighted min-fill elimination. */
export function cliqueTree(
  cards: readonly number[],
  scopes: readonly (readonly number[])[],
): CliqueTree {
  const n = cards.length;
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  for (const s of scopes) {
    for (const a of s) for (const b of s) if (a !== b) adj[a].add(b);
  }
  const logCard = cards.map((c) => Math.log2(Math.max(c, 1)));
  const eliminated = new Uint8Array(n);
  const fill = new Float64Array(n);
  const weight = new Float64Array(n);
  const score = (u: number) => {
    const nb = [...adj[u]];
    let w = logCard[u];
    for (const x of nb) w += logCard[x];
    weight[u] = w;
    // counting the fill of a hub is quadratic in its degree; its clique would be far beyond
    // any state limit anyway, so take the worst case and let it go last
    if (nb.length > MAX_SCORED_DEGREE) {
      fill[u] = (nb.length * (nb.length - 1)) / 2;
      return;
    }
    let f = 0;
    for (let i = 0; i < nb.length; i++) {
      for (let j = i + 1; j < nb.length; j++) if (!adj[nb[i]].has(nb[j])) f++;
    }
    fill[u] = f;
  };
  for (let u = 0; u < n; u++) score(u);

  const order: number[] = [];
  const separators: number[][] = [];
  for (let step = 0; step < n; step++) {
    let best = -1;
    for (let u = 0; u < n; u++) {
      if (eliminated[u]) continue;
      if (best < 0 || fill[u] < fill[best] || (fill[u] === fill[best] && weight[u] < weight[best]))
        best = u;
    }
    const nb = [...adj[best]].sort((a, b) => a - b);
    order.push(best);
    separators.push(nb);
    eliminated[best] = 1;
    // connect the neighbours (fill-in), then remove the variable
    for (let i = 0; i < nb.length; i++) {
      adj[nb[i]].delete(best);
      for (let j = i + 1; j < nb.length; j++) {
        adj[nb[i]].add(nb[j]);
        adj[nb[j]].add(nb[i]);
      }
    }
    adj[best].clear();
    // only the neighbours and their neighbours can change score
    const touched = new Set<number>(nb);
    for (const u of nb) for (const w of adj[u]) touched.add(w);
    for (const u of touched) if (!eliminated[u]) score(u);
  }

  const position = new Int32Array(n);
  order.forEach((v, i) => {
    position[v] = i;
  });
  // factor → clique of its first-eliminated variable
  const assigned: number[][] = Array.from({ length: n }, () => []);
  scopes.forEach((s, f) => {
    if (s.length === 0) return;
    let first = s[0];
    for (const v of s) if (position[v] < position[first]) first = v;
    assigned[position[first]].push(f);
  });
  let maxLog2States = 0;
  const cliques: Clique[] = order.map((v, i) => {
    const sep = separators[i];
    let parent = -1;
    for (const u of sep) if (parent < 0 || position[u] < parent) parent = position[u];
    const scope = [v, ...sep];
    const cs = scope.map((u) => cards[u]);
    maxLog2States = Math.max(
      maxLog2States,
      cs.reduce((a, c) => a + Math.log2(c), 0),
    );
    return { v, scope, cards: cs, parent, factors: assigned[i] };
  });
  const cliqueOf = new Array<number>(n);
  order.forEach((v, i) => {
    cliqueOf[v] = i;
  });
  return { cliques, cliqueOf, maxLog2States };
}
