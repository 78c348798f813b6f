// The HTML report is self-contained: no script, stylesheet, image or font from anywhere else,
// every SVG inline with ids that do not collide, and the summary table's cells as the text
// report's.
import { describe, expect, it } from 'vitest';
import { inlineSvg, reportHtml } from '../../src/report/html.js';
import type { PosteriorJson } from '../../src/report/result.js';

const posterior: PosteriorJson = {
  engine: 'cavi',
  converged: true,
  iterations: 3,
  seconds: 0.5,
  logEvidence: -10,
  elbo: [-12, -10.5, -10],
  latents: { theta: { family: 'Beta', shape: [], params: { a: 15, b: 7 }, mean: 0.68, sd: 0.1 } },
  params: { rho: [0.1, 0.2] },
};
const svg = (id: string) =>
  `<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg width="10" height="10"><defs><clipPath id="${id}"><rect/></clipPath></defs><g clip-path="url(#${id})"/></svg>`;

describe('the HTML report', () => {
  const html = reportHtml({
    model: 'coin <m>',
    modelFile: 'coin.plato',
    source: 'model coin { }',
    dataFile: 'coin.json',
    posterior,
    engines: { auto: 'exact', engines: [{ name: 'exact', applies: true, reasons: [] }] },
    diagram: svg('clip1'),
    plots: [
      { name: 'trace', title: 'ELBO per iteration', svg: svg('clip1') },
      { name: 'posterior-theta', title: 'posterior of theta', svg: svg('clip1') },
    ],
    version: '0.1.0',
  });

  it('loads nothing from elsewhere and escapes text', () => {
    expect(html).not.toMatch(/<script|<link|<img|@import|src=|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('coin &lt;m&gt;');
    expect(html).not.toContain('<?xml');
    expect(html).not.toContain('<!DOCTYPE svg');
  });

  it('inline SVG ids are prefixed per figure, so three clip1 become three ids', () => {
    const ids = [...html.matchAll(/id="([^"]*clip1)"/g)].map((m) => m[1]);
    expect(ids).toEqual(['diagram-clip1', 'plot-trace-clip1', 'plot-posterior-theta-clip1']);
    expect(inlineSvg(svg('a'), 'p')).toContain('clip-path="url(#p-a)"');
  });

  it('the summary: mean, sd and quantiles of Beta(15, 7); the params; the run', () => {
    expect(html).toMatch(
      /<td>theta<\/td><td>Beta<\/td><td>scalar<\/td><td class="num">0\.68<\/td><td class="num">0\.1<\/td><td class="num">0\.5126<\/td><td class="num">0\.6874<\/td><td class="num">0\.8318<\/td>/,
    );
    expect(html).toContain('<td class="entry">rho[1]</td><td></td><td class="num">0.2</td>');
    expect(html).toContain('<tr><th>final ELBO</th><td>-10</td></tr>');
  });
});
