// Fit plots for every inference engine that applies to each example (on the first 200 cases
// and a few iterations, to stay fast): the objective trace for iterative engines, a posterior
// plot per latent with a density or bars, topic bars with a vocabulary; every spec renders to
// SVG through Vega, and one to PNG through resvg.
import { describe, expect, it } from 'vitest';
import type { DataInput } from '../../src/graph/bound.js';
import { compile, infer } from '../../src/index.js';
import { posteriorJson } from '../../src/report/json.js';
import { renderPlots } from '../../src/report/plots/render.js';
import { fitPlots } from '../../src/report/plots/specs.js';
import { EXAMPLES, readData, readExample } from './examples.js';

const CASES = 200;

/** The first CASES cases of the plate over N: every array as long as N is cut. */
function firstCases(data: DataInput): DataInput {
  const N = data.N;
  if (typeof N !== 'number' || N <= CASES) return data;
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [
      k,
      k === 'N' ? CASES : Array.isArray(v) && v.length === N ? v.slice(0, CASES) : v,
    ]),
  );
}

const runs = EXAMPLES.flatMap((ex) => ex.engines.map((engine) => [ex.name, engine, ex] as const));

describe('fit plots of every engine on the examples', () => {
  it.each(runs)('%s with %s', async (_, engine, ex) => {
    const data = firstCases(readData(ex.data));
    const options = engine === 'exact' ? {} : { iters: 5 };
    const r = await infer(compile(readExample(ex.model)), { data, engine, seed: 1, ...options });
    const json = posteriorJson(r);
    const vocab =
      ex.name === 'lda'
        ? (readData('examples/lda/lda-small-vocab.json').vocab as string[])
        : undefined;
    const specs = fitPlots(json, { vocab });
    const names = specs.map((s) => s.name);
    if (engine !== 'exact') expect(names).toContain('trace');
    for (const [name, l] of Object.entries(json.latents))
      if (l.family !== 'Mixture') expect(names).toContain(`posterior-${name}`);
    if (vocab) expect(names).toContain('topics-beta');
    const rendered = await renderPlots(specs);
    for (const p of rendered) {
      expect(p.svg).toMatch(/^<svg [^>]*width="(\d+)"/);
      expect(Number(/width="(\d+)/.exec(p.svg)![1])).toBeGreaterThan(100);
      // the title is drawn as text: the objective, or the latent's name
      const title = p.name === 'trace' ? 'per iteration' : p.name.replace(/^\w+-/, '');
      expect(p.svg).toMatch(new RegExp(`<text[^>]*>[^<]*${title}`));
    }
  });

  it('a density curve integrates to about 1 and a PNG is drawn', async () => {
    const r = await infer(compile(readExample('examples/coin/coin.plato')), {
      data: readData('examples/coin/coin.json'),
      engine: 'exact',
    });
    const [post] = fitPlots(posteriorJson(r));
    expect(post!.name).toBe('posterior-theta');
    const values = (post!.spec as { data: { values: { x: number; density: number }[] } }).data
      .values;
    // trapezoid rule over the 0.1%–99.9% span: the mass there is 0.998, and 120 points on a
    // smooth Beta(15, 7) density leave an error far below 0.01
    let mass = 0;
    for (let i = 1; i < values.length; i++)
      mass +=
        ((values[i]!.density + values[i - 1]!.density) / 2) * (values[i]!.x - values[i - 1]!.x);
    expect(Math.abs(mass - 0.998)).toBeLessThan(0.01);
    const [png] = await renderPlots([post!], { png: true });
    expect([...png!.png!.subarray(1, 4)]).toEqual([80, 78, 71]);
  });
});
