// `plato report`: one self-contained HTML page of a fit — the plate diagram, the convergence
// plot, the summary table (mean, sd, 5/50/95%), the run (engine, timing, evidence), the
// posterior plots and the `plato engines` applicability table. Everything is inline (SVG in the
// page, CSS in a <style>): it opens offline, from a file, with no request to any server.
import { formatNumber } from './format.js';
import { objectiveName } from './plots/specs.js';
import type { EnginesReport, PosteriorJson } from './result.js';
import { LATENT_HEADER, latentRows, PARAM_HEADER, paramRows } from './summary.js';

export interface ReportInput {
  readonly model: string;
  readonly modelFile: string;
  readonly source: string;
  readonly dataFile: string;
  readonly posterior: PosteriorJson;
  readonly engines: EnginesReport;
  /** the plate diagram (Graphviz SVG) */
  readonly diagram: string;
  /** the fit plots as SVG, the trace (if any) named `trace` */
  readonly plots: readonly {
    readonly name: string;
    readonly title: string;
    readonly svg: string;
  }[];
  readonly version: string;
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * An SVG document as an element of the page: the XML prolog and doctype dropped, and every id
 * (Vega's clip paths, Graphviz's groups) prefixed, so two inline SVGs never share an id.
 */
export function inlineSvg(svg: string, prefix: string): string {
  const start = svg.indexOf('<svg');
  return svg
    .slice(start < 0 ? 0 : start)
    .replace(/<!--[\s\S]*?-->\n?/g, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

const NUMERIC = new Set(['mean', 'sd', '5%', '50%', '95%', 'value']);

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  cls: string,
): string {
  const th = header.map((h) => `<th${NUMERIC.has(h) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`);
  const tr = rows.map((r) => {
    if (r.length === 1)
      return `<tr class="note"><td colspan="${header.length}">${escapeHtml(r[0]!)}</td></tr>`;
    const cells = header.map((h, c) => {
      const v = r[c] ?? '';
      const entry = c === 0 && v.startsWith('  ');
      const cl = [NUMERIC.has(h) ? 'num' : '', entry ? 'entry' : ''].filter(Boolean).join(' ');
      return `<td${cl ? ` class="${cl}"` : ''}>${escapeHtml(v.trim())}</td>`;
    });
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<table class="${cls}"><thead><tr>${th.join('')}</tr></thead><tbody>\n${tr.join('\n')}\n</tbody></table>`;
}

function runTable(r: PosteriorJson): string {
  const rows: [string, string][] = [
    ['engine', r.engine],
    ['converged', r.converged ? 'yes' : 'no'],
    ['iterations', String(r.iterations)],
    ['seconds', formatNumber(r.seconds, 3)],
    ['log evidence', r.logEvidence === null ? '-' : formatNumber(r.logEvidence, 6)],
  ];
  if (r.elbo && r.elbo.length > 0)
    rows.push([`final ${objectiveName(r.engine)}`, formatNumber(r.elbo[r.elbo.length - 1], 6)]);
  return `<table class="run"><tbody>${rows
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('')}</tbody></table>`;
}

function enginesTable(e: EnginesReport): string {
  const rows = e.engines.map((x) => {
    const reasons = x.reasons
      .map((r) => `<li>${escapeHtml(`${r.node} (line ${r.line}:${r.column}): ${r.message}`)}</li>`)
      .join('');
    return `<tr><td>${escapeHtml(x.name)}</td><td class="${x.applies ? 'yes' : 'no'}">${
      x.applies ? '✓' : '✗'
    }</td><td>${reasons ? `<ul>${reasons}</ul>` : ''}</td></tr>`;
  });
  const auto = e.auto === null ? 'auto: no engine applies' : `auto picks: ${e.auto}`;
  return `<table class="engines"><thead><tr><th>engine</th><th>applies</th><th>reasons</th></tr></thead><tbody>${rows.join(
    '',
  )}</tbody></table><p>${escapeHtml(auto)}</p>`;
}

function figure(svg: string, prefix: string, caption: string, cls: string): string {
  return `<figure class="${cls}" id="${prefix}">${inlineSvg(svg, prefix)}<figcaption>${escapeHtml(
    caption,
  )}</figcaption></figure>`;
}

const STYLE = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 70rem;
  padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.row { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; }
figure { margin: 0; } figcaption { font-size: 0.85rem; color: #555; }
figure svg { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { padding: 0.2rem 0.6rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 1px solid #888; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.entry { padding-left: 1.6rem; color: #444; }
tr.note td { color: #666; font-style: italic; padding-left: 1.6rem; }
table.run th { font-weight: normal; color: #555; }
td.yes { color: #1a7f37; } td.no { color: #b42318; }
ul { margin: 0; padding-left: 1rem; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
`;

/** The page. */
export function reportHtml(input: ReportInput): string {
  const r = input.posterior;
  const trace = input.plots.find((p) => p.name === 'trace');
  const others = input.plots.filter((p) => p.name !== 'trace');
  const latents = Object.entries(r.latents).flatMap(([n, l]) => latentRows(n, l));
  const params = Object.entries(r.params).flatMap(([n, v]) => paramRows(n, v));
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(`${input.model}: ${r.engine} fit`)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(input.model)} <small>— ${escapeHtml(r.engine)} on ${escapeHtml(input.dataFile)}</small></h1>`,
    '<div class="row">',
    figure(
      input.diagram,
      'diagram',
      `plate diagram of ${input.modelFile} (shaded: observed in the data)`,
      'diagram',
    ),
    '<section>',
    '<h2>run</h2>',
    runTable(r),
    trace
      ? figure(trace.svg, 'plot-trace', trace.title, 'plot trace')
      : `<p class="trace-none">no convergence trace: ${escapeHtml(r.engine)} does not iterate</p>`,
    '</section></div>',
    '<h2>posterior summary</h2>',
    latents.length > 0 ? table(LATENT_HEADER, latents, 'summary') : '<p>no latent nodes</p>',
    params.length > 0 ? `<h2>learned params</h2>${table(PARAM_HEADER, params, 'params')}` : '',
    others.length > 0 ? '<h2>posterior plots</h2><div class="row">' : '',
    ...others.map((p) => figure(p.svg, `plot-${p.name}`, p.title, 'plot')),
    others.length > 0 ? '</div>' : '',
    '<h2>engines</h2>',
    enginesTable(input.engines),
    '<h2>model</h2>',
    `<pre>${escapeHtml(input.source)}</pre>`,
    `<footer><p><small>plato ${escapeHtml(input.version)}</small></p></footer>`,
    '</body></html>',
  ];
  return `${parts.filter((p) => p !== '').join('\n')}\n`;
}
