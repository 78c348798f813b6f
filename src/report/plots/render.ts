// Vega-Lite → SVG headless in Node: the spec is compiled to Vega, run by a Vega View with no
// renderer of its own (`renderer: 'none'`), and `View.toSVG` writes the scene graph as SVG.
// No canvas is needed; text widths are Vega's estimates, and the PNG renderer (render/png.ts)
// draws the text with the font the specs name.
import type { TopLevelSpec } from 'vega-lite';
import { svgToPng } from '../render/png.js';
import type { PlotSpec } from './specs.js';

export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const [{ compile }, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface RenderedPlot {
  readonly name: string;
  readonly title: string;
  readonly svg: string;
  /** present when PNG was asked for */
  readonly png?: Uint8Array;
}

/** Draw each plot as SVG and, with `png`, also as PNG. */
export async function renderPlots(
  plots: readonly PlotSpec[],
  options: { png?: boolean } = {},
): Promise<RenderedPlot[]> {
  const out: RenderedPlot[] = [];
  for (const p of plots) {
    const svg = await vegaLiteToSvg(p.spec);
    out.push({
      name: p.name,
      title: p.title,
      svg,
      ...(options.png ? { png: await svgToPng(svg) } : {}),
    });
  }
  return out;
}
