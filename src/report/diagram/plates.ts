// The plate diagram of a model as neutral facts (no drawing): which nodes are drawn, in which
// role (latent, observed, partially observed, deterministic, param, hyper, net), the edges
// between them and the nested plates with their labels. `dot.ts` turns it into Graphviz.
//
// Roles follow standard plate notation (Bishop, PRML §8.1; Blei et al. 2003, Fig. 1):
// random variables are circles, shaded when observed; deterministic nodes are diamonds; fixed
// quantities (hypers, learned params) are small dots; neural nets are boxes. Sizes are not
// nodes: they name the plates.
import type { BoundModel } from '../../graph/bound.js';
import type { GraphNode, ModelGraph } from '../../graph/ir.js';

export type NodeRole =
  | 'latent'
  | 'observed'
  | 'partial'
  | 'data'
  | 'deterministic'
  | 'param'
  | 'hyper'
  | 'net';

export interface DiagramNode {
  readonly name: string;
  readonly role: NodeRole;
  /** the distribution of a stochastic node (`Dirichlet`), the architecture of a net */
  readonly detail?: string;
  /** the innermost plate's id, if any */
  readonly plate?: string;
}

export interface DiagramPlate {
  readonly id: string;
  /** `k in K = 20`, `n in N[d] = 7..20` */
  readonly label: string;
  readonly parent?: string;
}

export interface Diagram {
  readonly name: string;
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly (readonly [string, string])[];
  readonly plates: readonly DiagramPlate[];
  /** where the shading came from: the data (bound), or the model alone (see `observedWithoutData`) */
  readonly shading: 'data' | 'model';
}

/**
 * Without data the model alone decides the shading: `data` declarations are observed, and so
 * is every stochastic node that no other node reads (a leaf: what a model is given, like LDA's
 * words `w` or a regression's `y`). Every other stochastic node is latent. With data, binding
 * decides (`BoundModel.observation`), so a leaf left out of the data is drawn latent.
 */
export function observedWithoutData(graph: ModelGraph, name: string): boolean {
  const n = graph.nodes[name];
  if (n?.kind !== 'stochastic') return n?.kind === 'data';
  return !Object.values(graph.nodes).some((m) => m.kind !== 'size' && m.parents.includes(name));
}

function roleOf(graph: ModelGraph, n: GraphNode, bound?: BoundModel): NodeRole | undefined {
  switch (n.kind) {
    case 'size':
      return undefined;
    case 'hyper':
    case 'param':
    case 'net':
    case 'deterministic':
    case 'data':
      return n.kind;
    case 'stochastic': {
      if (!bound) return observedWithoutData(graph, n.name) ? 'observed' : 'latent';
      const o = bound.observation[n.name]?.kind ?? 'latent';
      return o;
    }
  }
}

function sizeLabel(size: string, graph: ModelGraph, bound?: BoundModel): string {
  const known = bound?.sizes[size];
  if (typeof known === 'number') return ` = ${known}`;
  if (Array.isArray(known) && known.length > 0) {
    // a ragged size: one number per row of the enclosing plate
    const lo = Math.min(...known);
    const hi = Math.max(...known);
    return lo === hi ? ` = ${lo}` : ` = ${lo}..${hi}`;
  }
  const node = graph.nodes[size];
  return node?.kind === 'size' && node.default !== undefined ? ` = ${node.default}` : '';
}

/** The diagram of `graph`; with `bound`, observed nodes and size values come from the data. */
export function plateDiagram(graph: ModelGraph, bound?: BoundModel): Diagram {
  const nodes: DiagramNode[] = [];
  for (const name of graph.order) {
    const n = graph.nodes[name]!;
    const role = roleOf(graph, n, bound);
    if (!role) continue;
    const detail = n.kind === 'stochastic' ? n.distribution : n.kind === 'net' ? n.arch : undefined;
    nodes.push({ name, role, detail, plate: n.plates[n.plates.length - 1] });
  }
  const drawn = new Set(nodes.map((n) => n.name));
  const edges: [string, string][] = [];
  for (const n of nodes)
    for (const p of graph.nodes[n.name]!.parents)
      if (drawn.has(p) && p !== n.name) edges.push([p, n.name]);
  const plates = Object.values(graph.plates).map((p) => {
    const parentIndex = p.raggedBy ? graph.plates[p.raggedBy]?.index : undefined;
    const size = parentIndex ? `${p.size}[${parentIndex}]` : p.size;
    return {
      id: p.id,
      label: `${p.index} in ${size}${sizeLabel(p.size, graph, bound)}`,
      parent: p.parent,
    };
  });
  return { name: graph.name, nodes, edges, plates, shading: bound ? 'data' : 'model' };
}
