// A plate diagram (plates.ts) as Graphviz DOT: plates are cluster subgraphs, nested as the
// plates are, labelled at their bottom right as in plate notation. Every node and plate carries
// an SVG `id` and `class` (Graphviz copies both into its SVG), so a page or a test can find the
// observed nodes by class rather than by colour.
import type { Diagram, DiagramNode, NodeRole } from './plates.js';

/** The font the diagrams name; the PNG renderer loads the same font (render/png.ts). */
export const DIAGRAM_FONT = 'DejaVu Sans';

export const OBSERVED_FILL = '#b8b8b8';
const PARTIAL_FILL = '#e2e2e2';

/** Graphviz attributes per role. */
const STYLE: Record<NodeRole, Record<string, string>> = {
  latent: { shape: 'circle', style: 'filled', fillcolor: 'white' },
  observed: { shape: 'circle', style: 'filled', fillcolor: OBSERVED_FILL },
  // some entries observed, the rest latent: lightly shaded and dashed
  partial: { shape: 'circle', style: 'filled,dashed', fillcolor: PARTIAL_FILL },
  data: { shape: 'circle', style: 'filled', fillcolor: OBSERVED_FILL },
  deterministic: { shape: 'diamond', style: 'filled', fillcolor: 'white' },
  // fixed quantities are small dots, named beside them: hypers solid, learned params hollow
  hyper: { shape: 'point', width: '0.09', style: 'filled', fillcolor: 'black' },
  param: { shape: 'point', width: '0.11', style: 'filled', fillcolor: 'white' },
  net: { shape: 'box', style: 'rounded,filled', fillcolor: 'white' },
};

/** A DOT string literal. */
export function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const attrs = (a: Record<string, string>) =>
  `[${Object.entries(a)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(', ')}]`;

function nodeLine(n: DiagramNode): string {
  const small = n.role === 'hyper' || n.role === 'param';
  const a: Record<string, string> = {
    ...STYLE[n.role],
    id: `node-${n.name}`,
    class: `plato-node ${n.role}`,
    tooltip: n.detail ? `${n.name} (${n.role}, ${n.detail})` : `${n.name} (${n.role})`,
  };
  if (small) {
    a.label = '';
    a.fontsize = '11';
    a.xlabel = n.name;
  } else a.label = n.name;
  return `${quote(n.name)} ${attrs(a)};`;
}

/** The DOT source of a plate diagram. */
export function diagramDot(d: Diagram): string {
  const lines = [
    `digraph ${quote(d.name)} {`,
    `  graph ${attrs({ fontname: DIAGRAM_FONT, fontsize: '12', rankdir: 'TB', nodesep: '0.5', ranksep: '0.4', forcelabels: 'true', id: 'plate-diagram' })};`,
    `  node ${attrs({ fontname: DIAGRAM_FONT, fontsize: '13', width: '0.55', height: '0.55', fixedsize: 'false', margin: '0.04' })};`,
    `  edge ${attrs({ arrowsize: '0.7' })};`,
  ];
  const children = new Map<string | undefined, string[]>();
  for (const p of d.plates) children.set(p.parent, [...(children.get(p.parent) ?? []), p.id]);
  const inPlate = new Map<string | undefined, DiagramNode[]>();
  for (const n of d.nodes) inPlate.set(n.plate, [...(inPlate.get(n.plate) ?? []), n]);
  const byId = new Map(d.plates.map((p) => [p.id, p]));
  const emit = (plate: string | undefined, indent: string): void => {
    for (const n of inPlate.get(plate) ?? []) lines.push(indent + nodeLine(n));
    for (const id of children.get(plate) ?? []) {
      const p = byId.get(id)!;
      lines.push(`${indent}subgraph ${quote(`cluster_${id}`)} {`);
      lines.push(
        `${indent}  graph ${attrs({ label: p.label, labeljust: 'r', labelloc: 'b', style: 'rounded', id: `plate-${id}`, class: 'plato-plate' })};`,
      );
      emit(id, `${indent}  `);
      lines.push(`${indent}}`);
    }
  };
  emit(undefined, '  ');
  for (const [a, b] of d.edges) lines.push(`  ${quote(a)} -> ${quote(b)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
