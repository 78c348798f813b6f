// Conditioning on a small cutset (Pearl 1986), its structural half: which hub variables to fix
// and how the rest of a component falls apart into parts (generic.ts solves them with tables).
// Tensor-free: exact inference decides its method and cost with it before any table exists.

/** Conditioning is tried on components with at least this many variables… */
const CONDITION_MIN_VARS = 32;
/** …on variables with at least this many neighbours, up to this many joint cutset states. */
const HUB_DEGREE = 8;
const MAX_CUTSET_STATES = 1 << 10;

/**
 * Hubs whose removal splits a component into several parts no larger than half of it, for
 * components of at least CONDITION_MIN_VARS variables; undefined when there are none.
 */
export function chooseCutset(
  cards: readonly number[],
  scopes: readonly (readonly number[])[],
): number[] | undefined {
  if (cards.length < CONDITION_MIN_VARS) return undefined;
  const n = cards.length;
  const adj = Array.from({ length: n }, () => new Set<number>());
  for (const s of scopes) for (const a of s) for (const b of s) if (a !== b) adj[a].add(b);
  const byDegree = [...adj.keys()].sort((a, b) => adj[b].size - adj[a].size);
  const cut: number[] = [];
  let states = 1;
  for (const v of byDegree) {
    if (adj[v].size < HUB_DEGREE || states * cards[v] > MAX_CUTSET_STATES) return undefined;
    cut.push(v);
    states *= cards[v];
    const parts = components(n, scopes, new Set(cut));
    if (parts.count >= 4 && parts.largest <= n / 2) return cut;
  }
  return undefined;
}

function components(
  n: number,
  scopes: readonly (readonly number[])[],
  cut: ReadonlySet<number>,
): { comp: Int32Array; count: number; largest: number } {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (const s of scopes) {
    let first = -1;
    for (const v of s) {
      if (cut.has(v)) continue;
      if (first < 0) first = v;
      else parent[find(v)] = find(first);
    }
  }
  const id = new Int32Array(n).fill(-1);
  const size: number[] = [];
  const comp = new Int32Array(n).fill(-1);
  for (let v = 0; v < n; v++) {
    if (cut.has(v)) continue;
    const r = find(v);
    if (id[r] < 0) {
      id[r] = size.length;
      size.push(0);
    }
    comp[v] = id[r];
    size[id[r]]++;
  }
  return { comp, count: size.length, largest: Math.max(0, ...size) };
}

/** One part of a conditioned component: template variables and factors (local to the group). */
export interface Part {
  /** template variables of the part, in order of first appearance (the part's local ids) */
  readonly vars: number[];
  /** template factor indices, in template order */
  readonly factors: number[];
}

/** Parts with the same structure, reading the same cutset variables at the same places. */
export interface PartGroup {
  readonly cards: number[];
  /** per factor position: the part-local scope of the factor's non-cutset variables */
  readonly scopes: number[][];
  readonly parts: Part[];
}

export interface Partition {
  readonly cut: readonly number[];
  readonly cutCards: readonly number[];
  /** template factors that read only cutset variables */
  readonly cutFactors: number[];
  readonly groups: PartGroup[];
}

/**
 * Split a component template at the cutset: `scopes[f]` are the template factors' scopes and
 * `nodeOf[f]`/`slotsOf[f]` what makes two factors' tables alike.
 */
export function partition(
  cards: readonly number[],
  scopes: readonly (readonly number[])[],
  kindOf: (f: number) => string,
  cut: readonly number[],
): Partition {
  const cutSet = new Set(cut);
  const { comp, count } = components(cards.length, scopes, cutSet);
  const cutFactors: number[] = [];
  const parts: Part[] = Array.from({ length: count }, () => ({ vars: [], factors: [] }));
  scopes.forEach((scope, f) => {
    const rest = scope.filter((v) => !cutSet.has(v));
    if (rest.length === 0) cutFactors.push(f);
    else parts[comp[rest[0]]].factors.push(f);
  });
  const groups = new Map<string, PartGroup>();
  for (const part of parts) {
    const local = new Map<number, number>();
    const partScopes: number[][] = [];
    const key: string[] = [];
    for (const f of part.factors) {
      const places = scopes[f].map((v) => {
        if (cutSet.has(v)) return `x${cut.indexOf(v)}`;
        if (!local.has(v)) {
          local.set(v, part.vars.length);
          part.vars.push(v);
        }
        return `${local.get(v)}`;
      });
      partScopes.push(scopes[f].filter((v) => !cutSet.has(v)).map((v) => local.get(v) as number));
      key.push(`${kindOf(f)}:${places.join(',')}`);
    }
    const k = `${part.vars.map((v) => cards[v]).join(',')}#${key.join(';')}`;
    const g = groups.get(k);
    if (g) g.parts.push(part);
    else
      groups.set(k, { cards: part.vars.map((v) => cards[v]), scopes: partScopes, parts: [part] });
  }
  return { cut, cutCards: cut.map((v) => cards[v]), cutFactors, groups: [...groups.values()] };
}
