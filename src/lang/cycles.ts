// Cycles among a block's nodes: strongly connected components (Tarjan 1972, iterative so a
// long chain cannot exhaust the stack). Each cyclic component is reported once, at the
// reference in its first-declared member that starts the shortest way back to itself.
// A read at an earlier step of a sequence (`z[t - 1]`, checked in lags.ts) is not an edge of
// the graph within one step, so it closes no cycle.

import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import type { Range } from './ast.js';

export interface Edge {
  readonly to: string;
  /** where the name `to` is used in the definition of the edge's source */
  readonly range: Range;
  /** `to` is read at an earlier step of a sequence (`t - 1`): the index text */
  readonly lag?: string;
}

export function findCycles(
  order: readonly string[],
  allEdges: ReadonlyMap<string, readonly Edge[]>,
): Diagnostic[] {
  const edges = new Map(
    [...allEdges].map(([from, es]) => [from, es.filter((e) => e.lag === undefined)]),
  );
  const out: Diagnostic[] = [];
  const position = new Map(order.map((n, i) => [n, i]));
  for (const scc of stronglyConnected(order, edges)) {
    if (scc.length === 1 && !(edges.get(scc[0]!) ?? []).some((e) => e.to === scc[0])) continue;
    const members = new Set(scc);
    const start = scc.reduce((a, b) => ((position.get(b) ?? 0) < (position.get(a) ?? 0) ? b : a));
    const selfLoop = (edges.get(start) ?? []).find((e) => e.to === start);
    const path = selfLoop ? [start, start] : shortestCycle(start, members, edges);
    const first = (edges.get(start) ?? []).find((e) => e.to === path[1])!;
    const shown = path.length > 9 ? [...path.slice(0, 4), '…', ...path.slice(-4)] : path;
    const message =
      path.length === 2 && path[0] === path[1]
        ? `cycle: '${start}' is defined from itself`
        : `cycle: '${start}' depends on itself (${shown.join(' -> ')})`;
    const hints = [
      'a model is a directed acyclic graph: no node may depend on its own value, directly or through others',
    ];
    if (path.length === 2 && path[0] === path[1]) {
      hints.push(
        `to read the node's earlier steps in a sequence, write ${start}[t - 1] (t the plate's index) under a conditional that covers the first step: t == 0 ? … : …`,
      );
    }
    out.push(error('cycle', message, first.range, hints));
  }
  return out;
}

/** Breadth-first search from `start` back to itself inside one component. */
function shortestCycle(
  start: string,
  members: ReadonlySet<string>,
  edges: ReadonlyMap<string, readonly Edge[]>,
): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q]!;
    for (const e of edges.get(v) ?? []) {
      if (!members.has(e.to)) continue;
      if (e.to === start) {
        const path = [start];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = parent.get(u))
          path.push(u);
        return [start, ...path.slice(1).reverse(), start];
      }
      if (!parent.has(e.to)) {
        parent.set(e.to, v);
        queue.push(e.to);
      }
    }
  }
  return [start, start];
}

function stronglyConnected(
  order: readonly string[],
  edges: ReadonlyMap<string, readonly Edge[]>,
): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  let counter = 0;

  for (const root of order) {
    if (index.has(root)) continue;
    const work: { v: string; next: number }[] = [{ v: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const out = edges.get(frame.v) ?? [];
      if (frame.next < out.length) {
        const w = out[frame.next++]!.to;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(frame.v)!));
      if (low.get(frame.v) === index.get(frame.v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== frame.v);
        sccs.push(scc);
      }
    }
  }
  return sccs;
}
