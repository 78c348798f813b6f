// Chains (DESIGN §2 "Sequences"): a plate whose nodes read earlier steps of its nodes
// (`z[t - 1]`, recorded by build.ts on the plate as `lags`). Its nodes are not conditionally
// independent across the plate's index: samplers visit them step by step, and engines that
// treat plates as independent replication must refuse them. Tensor-free.
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
  const total = lengths.reduce((a, b) => a * b, 1);
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
  const inner = lengths.slice(axis + 1).reduce((a, b) => a * b, 1);
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
  const total = lengths.reduce((a, b) => a * b, 1);
  const { steps, count } = stepsOf(model, name, plateId);
  const axis = axes.findIndex((a) => a.plates.includes(plateId));
  const ax = axes[axis]!;
  // the sequence of each element: its multi-index with the step removed (a ragged axis keeps
  // its outer index)
  const ragged = ax.plates.length === 2 ? model.ragged[ax.plates[1]!] : undefined;
  const outerCount = ragged ? ragged.counts.length : 1;
  const before = lengths.slice(0, axis).reduce((a, b) => a * b, 1);
  const after = lengths.slice(axis + 1).reduce((a, b) => a * b, 1);
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
