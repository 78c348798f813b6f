// Fit plots for every inference engine that applies to each example (on the first 200 cases
// and a few iterations, to stay fast): the objective trace for iterative engines (per epoch for
// avi, with its final estimate), a posterior plot per latent with a density or bars, topic bars
// with a vocabulary, image grids; every spec renders to SVG through Vega, some to PNG (resvg).
import { describe, expect, it } from 'vitest';
import type { DataInput } from '../../src/graph/bound.js';
import { compile, engines, infer } from '../../src/index.js';
import { posteriorJson } from '../../src/report/json.js';
import { renderPlots } from '../../src/report/plots/render.js';
import { fitPlots, imageGridPlot } from '../../src/report/plots/specs.js';
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
const failing = EXAMPLES.flatMap((ex) =>
  Object.entries(ex.failing).map(([engine, error]) => [ex.name, engine, ex, error] as const),
);

/** A few iterations (epochs for avi): the plots, not the fit, are under test. */
function fewIterations(name: string, engine: string): Record<string, number> {
  if (engine === 'exact') return {};
  if (engine === 'avi') return name === 'vae' ? { epochs: 3, batchSize: 100 } : { epochs: 5 };
  // cavi's M-step on gmm differentiates the MvNormal density of every case and state
  return { iters: name === 'gmm' && engine === 'cavi' ? 2 : 5 };
}

describe('fit plots of every engine on the examples', () => {
  it('the engines listed are those that apply (plato engines), each run or known to fail', () => {
    for (const ex of EXAMPLES) {
      const report = engines(compile(readExample(ex.model)), { data: readData(ex.data) });
      const applies = report.engines.filter((e) => e.applies && e.name !== 'sample');
      expect([...ex.engines, ...Object.keys(ex.failing)].sort(), ex.name).toEqual(
        applies.map((e) => e.name).sort(),
      );
    }
  });

  it.each(runs)('%s with %s', async (name, engine, ex) => {
    const data = firstCases(readData(ex.data));
    const options = fewIterations(name, engine);
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
      const title =
        p.name === 'trace'
          ? `per ${engine === 'avi' ? 'epoch' : 'iteration'}`
          : p.name.replace(/^\w+-/, '');
      expect(p.svg).toMatch(new RegExp(`<text[^>]*>[^<]*${title}`));
    }
  });

  // a fix makes its test fail: then move the engine to the example's `engines`
  it.each(failing)('%s with %s fails (known)', async (_, engine, ex, error) => {
    const data = firstCases(readData(ex.data));
    await expect(
      infer(compile(readExample(ex.model)), { data, engine, seed: 1, epochs: 1 }),
    ).rejects.toThrow(error);
  });

  it("avi's trace: one point per epoch, then the final estimate as a point of its own", async () => {
    const r = await infer(compile(readExample('examples/coin/coin.plato')), {
      data: readData('examples/coin/coin.json'),
      engine: 'avi',
      seed: 1,
      epochs: 4,
    });
    const json = posteriorJson(r);
    const trace = fitPlots(json).find((p) => p.name === 'trace')!;
    const spec = trace.spec as {
      data: { values: { step: number; value: number; series: string }[] };
      layer: unknown[];
    };
    expect(spec.layer).toHaveLength(2);
    const values = spec.data.values;
    expect(values.map((v) => v.step)).toEqual([1, 2, 3, 4, 4]);
    expect(values.map((v) => v.value)).toEqual(json.elbo);
    expect(values.at(-1)!.series).toMatch(/final/);
    expect(new Set(values.slice(0, -1).map((v) => v.series)).size).toBe(1);
  });

  it('ragged Categorical entries are labelled by their indices, z[d, n]', () => {
    // two documents of 2 and 1 words, K = 2: entries in row-major order
    const z = {
      family: 'Categorical',
      shape: [2, 2],
      params: {},
      mean: [
        [
          [0.9, 0.1],
          [0.2, 0.8],
        ],
        [[0.5, 0.5]],
      ],
      sd: [],
    };
    const json = {
      engine: 'cavi',
      converged: true,
      iterations: 1,
      seconds: 0,
      logEvidence: 0,
      latents: { z },
      params: {},
    } as unknown as Parameters<typeof fitPlots>[0];
    const [bars] = fitPlots(json);
    const values = (
      bars!.spec as { data: { values: { entry: string; state: number; p: number }[] } }
    ).data.values;
    expect(values).toEqual([
      { entry: 'z[0, 0]', state: 0, p: 0.9 },
      { entry: 'z[0, 0]', state: 1, p: 0.1 },
      { entry: 'z[0, 1]', state: 0, p: 0.2 },
      { entry: 'z[0, 1]', state: 1, p: 0.8 },
      { entry: 'z[1, 0]', state: 0, p: 0.5 },
      { entry: 'z[1, 0]', state: 1, p: 0.5 },
    ]);
  });

  it('images as a grid of heatmaps: one facet per image, cells by row and column', async () => {
    const images = [
      [0, 0.5, 1, 0.25],
      [1, 1, 0, 0],
    ];
    const plot = imageGridPlot('digits', 'two images', images, { height: 2, width: 2 });
    const spec = plot.spec as {
      data: { values: { image: number; row: number; col: number; value: number }[] };
    };
    expect(spec.data.values).toHaveLength(8);
    expect(spec.data.values[2]).toEqual({ image: 0, row: 1, col: 0, value: 1 });
    expect(spec.data.values[5]).toEqual({ image: 1, row: 0, col: 1, value: 1 });
    expect(() => imageGridPlot('x', 'x', [[0, 1, 0]], { height: 2, width: 2 })).toThrow(/3 values/);
    const [png] = await renderPlots([plot], { png: true });
    // 8 rect marks: one per cell
    expect(png!.svg.match(/<path[^>]*d="M[^"]*"/g)?.length ?? 0).toBeGreaterThanOrEqual(8);
    expect([...png!.png!.subarray(1, 4)]).toEqual([80, 78, 71]);
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
