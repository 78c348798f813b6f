// Small read-only questions engines ask of a graph. Results follow `graph.order`
// (topological, declaration order breaking ties) so that engines iterate deterministically.
import type { BoundModel } from './bound.js';
import type { GraphNode, ModelGraph, Plate, StochasticNode } from './ir.js';

/** The nodes whose parents include `name`. */
export function children(graph: ModelGraph, name: string): GraphNode[] {
  return graph.order.map((n) => graph.nodes[n]).filter((n) => n.parents.includes(name));
}

/** The stochastic nodes, in topological order. */
export function stochasticNodes(graph: ModelGraph): StochasticNode[] {
  return graph.order
    .map((n) => graph.nodes[n])
    .filter((n): n is StochasticNode => n.kind === 'stochastic');
}

/** Stochastic nodes with something to infer: latent ones and partially observed ones. */
export function latentNodes(bound: BoundModel): StochasticNode[] {
  return stochasticNodes(bound.graph).filter((n) => bound.observation[n.name]?.kind !== 'observed');
}

/** Stochastic nodes whose every entry the data holds. */
export function observedNodes(bound: BoundModel): StochasticNode[] {
  return stochasticNodes(bound.graph).filter((n) => bound.observation[n.name]?.kind === 'observed');
}

/** Every node `name` depends on, directly or not (not itself), in topological order. */
export function ancestors(graph: ModelGraph, name: string): string[] {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const p of graph.nodes[n]?.parents ?? []) {
      if (!seen.has(p) && graph.nodes[p]) {
        seen.add(p);
        visit(p);
      }
    }
  };
  visit(name);
  return graph.order.filter((n) => seen.has(n));
}

/** Every node that depends on `name`, directly or not (not itself), in topological order. */
export function descendants(graph: ModelGraph, name: string): string[] {
  const seen = new Set<string>([name]);
  // one pass in topological order suffices: parents come before children
  const out: string[] = [];
  for (const n of graph.order) {
    if (n !== name && graph.nodes[n].parents.some((p) => seen.has(p))) {
      seen.add(n);
      out.push(n);
    }
  }
  return out;
}

/** The nodes that live in the plate `plateId` (directly or in a plate nested in it). */
export function nodesInPlate(graph: ModelGraph, plateId: string): GraphNode[] {
  return graph.order.map((n) => graph.nodes[n]).filter((n) => n.plates.includes(plateId));
}

/** The plates of a node, outermost first. */
export function platesOf(graph: ModelGraph, name: string): Plate[] {
  return (graph.nodes[name]?.plates ?? []).map((id) => graph.plates[id]);
}
