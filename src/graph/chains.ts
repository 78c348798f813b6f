// Chains (DESIGN §2 "Sequences"): a plate whose nodes read earlier steps of its nodes
// (`z[t - 1]`, recorded by build.ts on the plate as `lags`). Its nodes are not conditionally
// independent across the plate's index: samplers visit them step by step, and engines that
// treat plates as independent replication must refuse them. Tensor-free.

import { prod } from '../util/shape.js';
import type { BoundModel } from './bound.js';
import type { GraphNode, LagRead, ModelGraph, Plate } from './ir.js';

export interface Chain {
  readonly plate: Plate;
  /** the stochastic and deterministic nodes inside the plate, in graph order */
  readonly members: readonly string[];
  readonly lags: readonly LagRead[];
}

/** Every chain plate of the graph with its members, in plate declaration order. */
export function chains(graph: ModelGraph): Chain[] {
  return Object.values(graph.plates)
    .filter((p) => (p.lags?.length ?? 0) > 0)
    .map((plate) => ({
      plate,
      members: graph.order.filter((n) => {
        const node = graph.nodes[n]!;
        return (
          (node.kind === 'stochastic' || node.kind === 'deterministic') &&
          node.plates.includes(plate.id)
        );
      }),
      lags: plate.lags!,
    }));
}

/** The chain a node belongs to, if any. */
export function chainOf(graph: ModelGraph, name: string): Chain | undefined {
  const node: GraphNode | undefined = graph.nodes[name];
  if (!node) return undefined;
  return chains(graph).find((c) => node.plates.includes(c.plate.id));
}

/** One entry of a schedule: a node, or a whole chain visited step by step. */
export type Scheduled = { readonly node: string } | { readonly chain: Chain };

/**
 * `order` (topological, without the steps' reads) with each chain's members gathered into one
 * entry, placed after everything any member depends on: a chain is visited as a unit, so its
 * outside parents must come first, and whatever reads its members comes after it.
 */
export function schedule(graph: ModelGraph, order: readonly string[]): Scheduled[] {
  const cs = chains(graph);
  if (cs.length === 0) return order.map((node) => ({ node }));
  const chainOfNode = new Map<string, Chain>();
  for (const c of cs) for (const m of c.members) chainOfNode.set(m, c);
  const inOrder = new Set(order);
  const placed = new Set<string>();
  const out: Scheduled[] = [];
  // iterative depth-first placement (a long model must not exhaust the stack)
  const place = (root: string) => {
    const stack: { name: string; expanded: boolean }[] = [{ name: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (placed.has(top.name)) {
        stack.pop();
        continue;
      }
      const chain = chainOfNode.get(top.name);
      const deps = chain
        ? chain.members
            .flatMap((m) => graph.nodes[m]!.parents)
            .filter((p) => !chain.members.includes(p))
        : graph.nodes[top.name]!.parents;
      if (!top.expanded) {
        top.expanded = true;
        for (const p of deps)
          if (inOrder.has(p) && !placed.has(p)) stack.push({ name: p, expanded: false });
        continue;
      }
      stack.pop();
      if (chain) {
        for (const m of chain.members) placed.add(m);
        out.push({ chain });
      } else {
        placed.add(top.name);
        out.push({ node: top.name });
      }
    }
  };
  for (const n of order) place(n);
  return out;
}

/**
 * The step (the chain plate's index) of every batch element of `name`, row-major over its batch
 * axes, and the number of steps (the longest sequence when the plate is ragged).
 */
export function stepsOf(
  model: BoundModel,
  name: string,
  plateId: string,
): { readonly steps: Int32Array; readonly count: number } {
  const axes = model.axes[name] ?? [];
  const lengths = axes.map((a) => a.length);
  const total = prod(lengths);
  const axis = axes.findIndex((a) => a.plates.includes(plateId));
  if (axis < 0) throw new Error(`internal: '${name}' is not in plate '${plateId}'`);
  const ax = axes[axis]!;
  let along: Int32Array;
  if (ax.plates.length === 1) along = Int32Array.from({ length: ax.length }, (_, i) => i);
  else {
    const r = model.ragged[ax.plates[ax.plates.length - 1]!]!;
    along = new Int32Array(ax.length);
    if (r.plate === plateId) {
      for (let d = 0; d < r.counts.length; d++)
        for (let i = r.offsets[d]!; i < r.offsets[d + 1]!; i++) along[i] = i - r.offsets[d]!;
    } else along.set(r.outerIndex);
  }
  const inner = prod(lengths.slice(axis + 1));
  const steps = new Int32Array(total);
  // nested runs rather than a division per element (this is on every chain's solve path); a
  // step-innermost layout (inner = 1) is plain stores: a fill call per element costs ~15 ns
  if (inner === 1)
    for (let i = 0; i < total; ) for (let j = 0; j < ax.length; j++) steps[i++] = along[j]!;
  else
    for (let i = 0; i < total; )
      for (let j = 0; j < ax.length; j++, i += inner) steps.fill(along[j]!, i, i + inner);
  let count = 0;
  if (total > 0) for (let j = 0; j < ax.length; j++) count = Math.max(count, along[j]! + 1);
  return { steps, count };
}

/**
 * A chain node's batch elements laid out as a padded grid of sequences × steps: `cell[t * nSeq +
 * n]` is the element at step t of sequence n, or -1 past the sequence's end (ragged plates);
 * `cellOf[b]` is element b's cell. A sequence is every batch axis but the chain plate's step.
 */
export interface SequenceGrid {
  readonly nSeq: number;
  readonly steps: number;
  readonly cell: Int32Array;
  readonly cellOf: Int32Array;
}

export function sequenceGrid(model: BoundModel, name: string, plateId: string): SequenceGrid {
  const axes = model.axes[name] ?? [];
  const lengths = axes.map((a) => a.length);
  const total = prod(lengths);
  const { steps, count } = stepsOf(model, name, plateId);
  const axis = axes.findIndex((a) => a.plates.includes(plateId));
  const ax = axes[axis]!;
  // the sequence of each element: its multi-index with the step removed (a ragged axis keeps
  // its outer index)
  const ragged = ax.plates.length === 2 ? model.ragged[ax.plates[1]!] : undefined;
  const outerCount = ragged ? ragged.counts.length : 1;
  const before = prod(lengths.slice(0, axis));
  const after = prod(lengths.slice(axis + 1));
  const nSeq = before * outerCount * after;
  const cell = new Int32Array(count * nSeq).fill(-1);
  const cellOf = new Int32Array(total);
  for (let i = 0, b = 0; i < before; i++)
    for (let j = 0; j < ax.length; j++) {
      const first = (i * outerCount + (ragged ? ragged.outerIndex[j]! : 0)) * after;
      for (let k = 0; k < after; k++, b++) {
        const c = steps[b]! * nSeq + first + k;
        cell[c] = b;
        cellOf[b] = c;
      }
    }
  return { nSeq, steps: count, cell, cellOf };
}

/**
 * A chain's members sorted for an O(T) scan: `scan` are the members on a lag cycle (each
 * depends on an earlier step's draw AND some earlier-step read depends on it), drawn one step
 * at a time; `pre` depend on no earlier-step draw and `post` are read at no earlier step, so
 * both are drawn over all steps at once (before and after the scan). `fixed` members (clamped
 * to data, drawn from a saved posterior) break the cycles through them: they count as `pre`.
 * Each list is in graph order.
 */
export interface ChainSplit {
  readonly pre: readonly string[];
  readonly scan: readonly string[];
  readonly post: readonly string[];
}

export function splitChain(
  graph: ModelGraph,
  chain: Chain,
  fixed: ReadonlySet<string>,
): ChainSplit {
  const free = chain.members.filter((m) => !fixed.has(m));
  const isFree = new Set(free);
  // same-step edges parent → child among free members, and lag edges read → reader
  const children = new Map<string, string[]>(free.map((m) => [m, []]));
  const parents = new Map<string, string[]>(free.map((m) => [m, []]));
  const link = (from: string, to: string) => {
    children.get(from)!.push(to);
    parents.get(to)!.push(from);
  };
  for (const m of free)
    for (const p of graph.nodes[m]!.parents) if (isFree.has(p) && p !== m) link(p, m);
  const lags = chain.lags.filter((l) => isFree.has(l.node) && isFree.has(l.reads));
  for (const l of lags) link(l.reads, l.node);
  const reach = (starts: readonly string[], next: Map<string, string[]>): Set<string> => {
    const seen = new Set<string>();
    const stack = [...starts];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      stack.push(...next.get(x)!);
    }
    return seen;
  };
  // D: members depending on an earlier-step draw (the readers and what follows them);
  // U: members some earlier-step read depends on (the lags' targets and what precedes them)
  const dependent = reach(
    lags.map((l) => l.node),
    children,
  );
  const upstream = reach(
    lags.map((l) => l.reads),
    parents,
  );
  return {
    pre: chain.members.filter((m) => !dependent.has(m)),
    scan: free.filter((m) => dependent.has(m) && upstream.has(m)),
    post: free.filter((m) => dependent.has(m) && !upstream.has(m)),
  };
}

/**
 * The cells of one step of a chain: the chain plate's axis of a member (`t`, or the flattened
 * `s, t` of `plate t in T[s]`) replaced by `width` cells, one per sequence along that axis (1
 * for a plain plate, one per outer element for a ragged one). `element[t * width + c]` is the
 * position along the axis of cell c at step t. A sequence shorter than t + 1 has no element
 * at step t: its cell repeats a live sequence's (`live` 0), computed and thrown away, so every
 * cell reads valid data. `index` holds each plate index of the axis per cell and step.
 */
export interface StepLayout {
  /** the plates of the chain axis, as in `model.axes` */
  readonly plates: readonly string[];
  readonly width: number;
  readonly steps: number;
  readonly element: Int32Array;
  readonly live: Uint8Array;
  readonly index: ReadonlyMap<string, Int32Array>;
}

/**
 * The step layout of `plateId`'s axis in `names`' layouts, or undefined when they do not
 * share one axis of the forms above (a chain plate that is the outer plate of a ragged pair).
 */
export function stepLayout(
  model: BoundModel,
  plateId: string,
  names: readonly string[],
): StepLayout | undefined {
  const axesOf = names.map((n) => (model.axes[n] ?? []).find((a) => a.plates.includes(plateId)));
  const ax = axesOf[0];
  if (!ax || axesOf.some((a) => !a || a.plates.join(',') !== ax.plates.join(','))) return undefined;
  if (ax.plates.length === 1) {
    const steps = ax.length;
    const element = Int32Array.from({ length: steps }, (_, t) => t);
    return {
      plates: ax.plates,
      width: 1,
      steps,
      element,
      live: new Uint8Array(steps).fill(1),
      index: new Map([[plateId, element]]),
    };
  }
  const r = model.ragged[ax.plates[1]!];
  if (!r || r.plate !== plateId) return undefined;
  const width = r.counts.length;
  const steps = r.counts.reduce((a, b) => Math.max(a, b), 0);
  const element = new Int32Array(steps * width);
  const live = new Uint8Array(steps * width);
  const outer = new Int32Array(steps * width);
  const inner = new Int32Array(steps * width);
  for (let t = 0; t < steps; t++) {
    const first = r.counts.findIndex((c) => c > t);
    for (let s = 0; s < width; s++) {
      const on = r.counts[s]! > t;
      const seq = on ? s : first;
      const c = t * width + s;
      element[c] = r.offsets[seq]! + t;
      live[c] = on ? 1 : 0;
      outer[c] = seq;
      inner[c] = t;
    }
  }
  return {
    plates: ax.plates,
    width,
    steps,
    element,
    live,
    index: new Map([
      [r.outer, outer],
      [plateId, inner],
    ]),
  };
}
