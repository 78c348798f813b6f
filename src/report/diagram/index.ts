// The plate diagram of a model in the format asked for: DOT (no layout), SVG (Graphviz's
// layout) or PNG (that SVG rendered by resvg).
import type { BoundModel } from '../../graph/bound.js';
import type { ModelGraph } from '../../graph/ir.js';
import { dotToSvg } from '../render/graphviz.js';
import { svgToPng } from '../render/png.js';
import { diagramDot } from './dot.js';
import { plateDiagram } from './plates.js';

export { diagramDot } from './dot.js';
export type { Diagram, DiagramNode, DiagramPlate, NodeRole } from './plates.js';
export { observedWithoutData, plateDiagram } from './plates.js';

export type DiagramFormat = 'dot' | 'svg' | 'png';

/** The format a file name asks for by its extension, or undefined. */
export function diagramFormatOf(path: string): DiagramFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext === 'dot' || ext === 'gv'
    ? 'dot'
    : ext === 'svg'
      ? 'svg'
      : ext === 'png'
        ? 'png'
        : undefined;
}

/** The plate diagram of `graph` as an SVG document (Graphviz's dot layout). */
export function diagramSvg(graph: ModelGraph, bound?: BoundModel): Promise<string> {
  return dotToSvg(diagramDot(plateDiagram(graph, bound)));
}

/** The plate diagram in `format`: text for dot and svg, bytes for png. */
export async function renderDiagram(
  graph: ModelGraph,
  format: DiagramFormat,
  bound?: BoundModel,
): Promise<string | Uint8Array> {
  const dot = diagramDot(plateDiagram(graph, bound));
  if (format === 'dot') return dot;
  const svg = await dotToSvg(dot);
  return format === 'svg' ? svg : svgToPng(svg);
}
