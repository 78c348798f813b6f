// Element-level structure: the variables each factor element reads, the connected components
// of the factor graph, and groups of components with identical structure. A plate of
// independent cases gives one group whose copies are the cases, solved with one batched
// computation instead of one per case.
//
// Components are compared by a canonical sequence: their factor elements in node order, each as
// (factor node, slots read, local variable ids) where local ids number the variables in order of
// first appearance. Equal sequences mean isomorphic components with matching tables positions.
import type { BoundModel } from '../../graph/bound.js';
import { prod, strides } from '../../util/shape.js';
import type { FactorNode, NodeAnalysis } from './analysis.js';

/** One factor position of a group's template. */
export interface GroupFactor {
  /** index into NodeAnalysis.factors */
  readonly node: number;
  /** the template slots read (in slot order) */
  readonly slots: readonly number[];
  /** local variable ids of those slots */
  readonly scope: readonly number[];
}

export interface Group {
  /** cardinality of each local variable */
  readonly cards: readonly number[];
  readonly factors: readonly GroupFactor[];
  readonly copies: number;
  /** [copies × cards.length] global variable ids */
  readonly copyVars: Int32Array;
  /** [copies × factors.length] element index (within its factor node) of each factor */
  readonly copyElems: Int32Array;
}

export interface Structure {
  readonly groups: readonly Group[];
  /** factor elements that read no variable: [node, element] pairs, flattened */
  readonly constants: Int32Array;
  /** global id → card */
  readonly cardOf: Int32Array;
}

/** Which slots an element reads; undefined means all of them. */
export type SlotMask = (node: number, element: number, slot: number) => boolean;

/**
 * For every element of node `name` (row-major over `elementShape`, whose leading axes are the
 * node's batch axes), the value of the index of plate `plate`; undefined when the node is not
 * in that plate. For the outer plate of a flattened ragged pair: the outer element.
 */
export function plateIndexOf(
  model: BoundModel,
  name: string,
  elementShape: readonly number[],
  plate: string,
): Int32Array | undefined {
  const axes = model.axes[name] ?? [];
  const a = axes.findIndex((ax) => ax.plates.includes(plate));
  if (a < 0) return undefined;
  const ax = axes[a];
  const outer =
    ax.plates.length === 2 && ax.plates[0] === plate ? model.ragged[ax.plates[1]] : undefined;
  const str = strides(elementShape);
  const elements = prod(elementShape);
  const vals = new Int32Array(elements);
  for (let e = 0; e < elements; e++) {
    const c = Math.floor(e / str[a]) % elementShape[a];
    vals[e] = outer ? outer.outerIndex[c] : c;
  }
  return vals;
}

/** For every element of a factor node, the value of each of its plates' indices. */
function plateValues(model: BoundModel, f: FactorNode): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>();
  for (const id of model.graph.nodes[f.name].plates) {
    const vals = plateIndexOf(model, f.name, f.elementShape, id);
    if (vals) out.set(id, vals);
  }
  return out;
}

/** Global variable ids of every (element, slot) of a factor node: Int32Array [E × slots]. */
export function slotIds(model: BoundModel, nodes: NodeAnalysis, f: FactorNode): Int32Array {
  const nSlots = f.slotCards.length;
  const ids = new Int32Array(f.elements * nSlots);
  const values = plateValues(model, f);
  for (const g of f.groups) {
    const v = nodes.varByName.get(g.node);
    if (!v) throw new Error(`internal: ${g.node} is not a variable node`);
    const str = strides(v.shape);
    const tied = new Int32Array(f.elements);
    g.pattern.forEach((d, ax) => {
      if (d.kind !== 'tied') return;
      const vals = values.get(d.plate);
      if (!vals) throw new Error(`internal: ${f.name} is not in plate ${d.plate}`);
      for (let e = 0; e < f.elements; e++) {
        if (vals[e] >= v.shape[ax]) {
          throw new Error(
            `${f.name} reads ${g.node} at index ${vals[e]} along an axis of length ${v.shape[ax]}`,
          );
        }
        tied[e] += vals[e] * str[ax];
      }
    });
    const free = new Int32Array(g.count);
    const fstr = strides(g.freeLens);
    for (let s = 0; s < g.count; s++) {
      let off = 0;
      g.freeAxes.forEach((ax, i) => {
        off += (Math.floor(s / fstr[i]) % g.freeLens[i]) * str[ax];
      });
      free[s] = off;
    }
    for (let e = 0; e < f.elements; e++) {
      const base = e * nSlots + g.first;
      for (let s = 0; s < g.count; s++) ids[base + s] = v.offset + tied[e] + free[s];
    }
  }
  if (f.own) {
    const v = nodes.varByName.get(f.name);
    if (!v) throw new Error(`internal: ${f.name} is not a variable node`);
    for (let e = 0; e < f.elements; e++) ids[e * nSlots + nSlots - 1] = v.offset + e;
  }
  return ids;
}

class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r];
    while (this.parent[x] !== r) {
      const next = this.parent[x];
      this.parent[x] = r;
      x = next;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function hashSeq(seq: Int32Array, n: number): number {
  let h = 2166136261;
  for (let i = 0; i < n; i++) {
    h ^= seq[i];
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** Components of the factor graph grouped by identical structure. */
export function buildStructure(
  nodes: NodeAnalysis,
  ids: readonly Int32Array[],
  read?: SlotMask,
): Structure {
  const { factors, nVars } = nodes;
  const cardOf = new Int32Array(nVars);
  for (const v of nodes.vars) cardOf.fill(v.card, v.offset, v.offset + v.size);
  const uf = new UnionFind(nVars);
  factors.forEach((f, fi) => {
    const n = f.slotCards.length;
    const idf = ids[fi];
    for (let e = 0; e < f.elements; e++) {
      let first = -1;
      for (let s = 0; s < n; s++) {
        if (read && !read(fi, e, s)) continue;
        const v = idf[e * n + s];
        if (first < 0) first = v;
        else uf.union(first, v);
      }
    }
  });
  // component index of every variable (by root), numbered in order of the smallest variable id
  const compOfRoot = new Int32Array(nVars).fill(-1);
  const comp = new Int32Array(nVars);
  let nComps = 0;
  for (let v = 0; v < nVars; v++) {
    const r = uf.find(v);
    if (compOfRoot[r] < 0) compOfRoot[r] = nComps++;
    comp[v] = compOfRoot[r];
  }
  // factor elements bucketed by component, in canonical (node, element) order
  const count = new Int32Array(nComps + 1);
  const constants: number[] = [];
  const elemComp: Int32Array[] = factors.map((f, fi) => {
    const n = f.slotCards.length;
    const out = new Int32Array(f.elements).fill(-1);
    for (let e = 0; e < f.elements; e++) {
      for (let s = 0; s < n; s++) {
        if (read && !read(fi, e, s)) continue;
        out[e] = comp[ids[fi][e * n + s]];
        break;
      }
      if (out[e] < 0) constants.push(fi, e);
      else count[out[e] + 1]++;
    }
    return out;
  });
  for (let c = 0; c < nComps; c++) count[c + 1] += count[c];
  const total = count[nComps];
  const bucketNode = new Int32Array(total);
  const bucketElem = new Int32Array(total);
  const fill = count.slice(0, nComps);
  factors.forEach((f, fi) => {
    for (let e = 0; e < f.elements; e++) {
      const c = elemComp[fi][e];
      if (c < 0) continue;
      bucketNode[fill[c]] = fi;
      bucketElem[fill[c]] = e;
      fill[c]++;
    }
  });

  // canonical sequence of each component; group equal ones
  interface Building {
    seq: Int32Array;
    group: { cards: number[]; factors: GroupFactor[] };
    vars: number[];
    elems: number[];
    copies: number;
  }
  const byHash = new Map<number, Building[]>();
  const building: Building[] = [];
  const stamp = new Int32Array(nVars).fill(-1);
  const local = new Int32Array(nVars);
  let seq = new Int32Array(1024);
  for (let c = 0; c < nComps; c++) {
    let len = 0;
    const push = (x: number) => {
      if (len === seq.length) {
        const bigger = new Int32Array(seq.length * 2);
        bigger.set(seq);
        seq = bigger;
      }
      seq[len++] = x;
    };
    const varsHere: number[] = [];
    const elemsHere: number[] = [];
    const factorsHere: GroupFactor[] = [];
    for (let b = count[c]; b < count[c + 1]; b++) {
      const fi = bucketNode[b];
      const e = bucketElem[b];
      const n = factors[fi].slotCards.length;
      const slots: number[] = [];
      const scope: number[] = [];
      for (let s = 0; s < n; s++) {
        if (read && !read(fi, e, s)) continue;
        const v = ids[fi][e * n + s];
        if (stamp[v] !== c) {
          stamp[v] = c;
          local[v] = varsHere.length;
          varsHere.push(v);
        }
        slots.push(s);
        scope.push(local[v]);
      }
      push(fi);
      push(slots.length);
      for (const s of slots) push(s);
      for (const l of scope) push(l);
      elemsHere.push(e);
      factorsHere.push({ node: fi, slots, scope });
    }
    const h = hashSeq(seq, len);
    const candidates = byHash.get(h) ?? [];
    const view = seq.subarray(0, len);
    let match = candidates.find(
      (g) => g.seq.length === len && g.seq.every((x, i) => x === view[i]),
    );
    if (!match) {
      match = {
        seq: Int32Array.from(view),
        group: { cards: varsHere.map((v) => cardOf[v]), factors: factorsHere },
        vars: [],
        elems: [],
        copies: 0,
      };
      candidates.push(match);
      byHash.set(h, candidates);
      building.push(match);
    }
    for (const v of varsHere) match.vars.push(v);
    for (const e of elemsHere) match.elems.push(e);
    match.copies++;
  }
  const groups: Group[] = building.map((b) => ({
    cards: b.group.cards,
    factors: b.group.factors,
    copies: b.copies,
    copyVars: Int32Array.from(b.vars),
    copyElems: Int32Array.from(b.elems),
  }));
  return { groups, constants: Int32Array.from(constants), cardOf };
}
