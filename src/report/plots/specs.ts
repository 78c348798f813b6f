// Vega-Lite specifications of the fit plots, built from a result's JSON form: the objective
// trace, one posterior plot per latent (densities for continuous families, bars for discrete
// ones) and, for a topic model with a vocabulary, the top words of each topic. Specs only:
// render.ts draws them; the numbers come from the result (densities from the posterior family,
// densities.ts), never from the plotting library.
import type { TopLevelSpec } from 'vega-lite';
import { entryLabel, flatten, formatNumber, indexAt, shapeOf } from '../format.js';
import type { LatentJson, PosteriorJson } from '../result.js';
import { densityCurve } from './densities.js';

/** One plot: its file name stem (`trace`, `posterior-theta`, `topics-beta`) and its spec. */
export interface PlotSpec {
  readonly name: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
}

/** The font the plots name; the PNG renderer loads the same font (render/png.ts). */
const FONT = 'DejaVu Sans';
/** Entries drawn per latent: the first ones, in row-major order (the title says how many). */
const MAX_CURVES = 6;
const MAX_BARS = 20;
const MAX_TOPICS = 8;
const TOP_WORDS = 8;

const config = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.4 },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  title: { fontSize: 14, anchor: 'start' as const },
};

function base(title: string, subtitle?: string) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: subtitle ? { text: title, subtitle } : title,
    background: 'white',
    padding: 8,
    config,
  };
}

/** What the engine's per-iteration objective is (DESIGN.md §5: `elbo`). */
export function objectiveName(engine: string): string {
  return engine === 'em' ? 'log-likelihood' : 'ELBO';
}

/** The objective per iteration, or undefined when the engine keeps no trace (exact). */
export function tracePlot(r: PosteriorJson): PlotSpec | undefined {
  if (!r.elbo || r.elbo.length === 0) return undefined;
  const what = objectiveName(r.engine);
  const values = r.elbo.map((v, i) => ({ iteration: i + 1, value: v }));
  return {
    name: 'trace',
    title: `${what} per iteration`,
    spec: {
      ...base(
        `${what} per iteration (${r.engine})`,
        `${r.elbo.length} values, ${r.converged ? 'converged' : 'not converged'}; final ${formatNumber(r.elbo[r.elbo.length - 1])}`,
      ),
      width: 460,
      height: 220,
      data: { values },
      mark: { type: 'line', point: r.elbo.length <= 60, strokeWidth: 2 },
      encoding: {
        x: {
          field: 'iteration',
          type: 'quantitative',
          title: 'iteration',
          axis: { tickMinStep: 1, format: 'd' },
        },
        y: { field: 'value', type: 'quantitative', title: what, scale: { zero: false } },
      },
    },
  };
}

/** Entry labels of a latent's mean, row-major: `theta`, `d[3]`, `z[4] = 1`. */
function labels(name: string, l: LatentJson, count: number): string[] {
  const shape = shapeOf(l.mean);
  const exact = flatten(l.mean).length === shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, (_, i) =>
    exact ? entryLabel(name, l.shape.length, indexAt(i, shape)) : `${name}[#${i}]`,
  );
}

function shownOf(total: number, max: number): string | undefined {
  return total > max ? `the first ${max} of ${total} entries` : undefined;
}

/** Posterior densities of the first entries of a continuous latent. */
function densityPlot(name: string, l: LatentJson): PlotSpec | undefined {
  const total = flatten(l.mean).length;
  const n = Math.min(total, MAX_CURVES);
  const names = labels(name, l, n);
  const values: { entry: string; x: number; density: number }[] = [];
  for (let i = 0; i < n; i++) {
    const curve = densityCurve(l, i);
    if (!curve) return undefined;
    for (const p of curve) values.push({ entry: names[i]!, x: p.x, density: p.density });
  }
  return {
    name: `posterior-${name}`,
    title: `posterior of ${name}`,
    spec: {
      ...base(`posterior of ${name} (${l.family})`, shownOf(total, MAX_CURVES)),
      width: 420,
      height: 200,
      data: { values },
      mark: { type: 'area', opacity: 0.35, line: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: name, scale: { zero: false } },
        y: { field: 'density', type: 'quantitative', title: 'density', stack: null },
        color: {
          field: 'entry',
          type: 'nominal',
          title: 'entry',
          sort: names,
          ...(n === 1 ? { legend: null } : {}),
        },
      },
    },
  };
}

/** Posterior probabilities of a discrete latent: P(x = 1) per entry, or P(z = k) stacked per entry. */
function barPlot(name: string, l: LatentJson): PlotSpec {
  const means = flatten(l.mean);
  if (l.family === 'Bernoulli') {
    const n = Math.min(means.length, MAX_BARS);
    const names = labels(name, l, n);
    return {
      name: `posterior-${name}`,
      title: `posterior of ${name}`,
      spec: {
        ...base(`P(${name} = 1) (Bernoulli)`, shownOf(means.length, MAX_BARS)),
        width: Math.max(160, 28 * n),
        height: 200,
        data: { values: names.map((entry, i) => ({ entry, p: means[i] })) },
        mark: { type: 'bar' },
        encoding: {
          x: {
            field: 'entry',
            type: 'nominal',
            sort: names,
            title: null,
            axis: { labelAngle: -45 },
          },
          y: {
            field: 'p',
            type: 'quantitative',
            title: 'posterior probability',
            scale: { domain: [0, 1] },
          },
        },
      },
    };
  }
  // Categorical (or any family whose mean carries a last axis of states)
  const K = shapeOf(l.mean).at(-1) ?? 1;
  const rows = Math.floor(means.length / K);
  const n = Math.min(rows, MAX_BARS);
  // one label per entry of the node (the state axis dropped): `z[3]`, or `z[#3]` on a ragged axis
  const names = labels(name, l, n * K)
    .filter((_, i) => i % K === 0)
    .map((s, r) => (s.includes('#') ? `${name}[#${r}]` : s.replace(/ = \d+$/, '')));
  const values = names.flatMap((entry, r) =>
    Array.from({ length: K }, (_, k) => ({ entry, state: k, p: means[r * K + k] })),
  );
  return {
    name: `posterior-${name}`,
    title: `posterior of ${name}`,
    spec: {
      ...base(`P(${name} = k) (${l.family})`, shownOf(rows, MAX_BARS)),
      width: Math.max(160, 28 * n),
      height: 200,
      data: { values },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'entry', type: 'nominal', sort: names, title: null, axis: { labelAngle: -45 } },
        y: { field: 'p', type: 'quantitative', title: 'posterior probability', stack: 'zero' },
        color: {
          field: 'state',
          type: 'nominal',
          title: 'state k',
          scale: { scheme: K <= 10 ? 'tableau10' : 'tableau20' },
        },
      },
    },
  };
}

/** The posterior plot of one latent: densities (continuous), bars (discrete), or none (a mixture). */
export function posteriorPlot(name: string, l: LatentJson): PlotSpec | undefined {
  if (l.family === 'Bernoulli' || l.family === 'Categorical') return barPlot(name, l);
  return densityPlot(name, l);
}

/**
 * Topic–word bars: for every Dirichlet latent over the vocabulary (LDA's `beta[k]`), the
 * words of largest posterior mean of its first topics, one small panel per topic.
 */
export function topicPlots(r: PosteriorJson, vocab: readonly string[]): PlotSpec[] {
  const out: PlotSpec[] = [];
  for (const [name, l] of Object.entries(r.latents)) {
    if (l.family !== 'Dirichlet' || l.shape.at(-1) !== vocab.length) continue;
    const V = vocab.length;
    const means = flatten(l.mean).map((x) => x ?? 0);
    const topics = Math.floor(means.length / V);
    const values: { topic: string; word: string; p: number }[] = [];
    for (let t = 0; t < Math.min(topics, MAX_TOPICS); t++) {
      const row = means.slice(t * V, (t + 1) * V);
      const top = row
        .map((_, v) => v)
        .sort((a, b) => row[b]! - row[a]! || a - b)
        .slice(0, TOP_WORDS);
      const topic = `${name}[${indexAt(t, l.shape.slice(0, -1)).join(', ')}]`;
      for (const v of top) values.push({ topic, word: vocab[v]!, p: row[v]! });
    }
    out.push({
      name: `topics-${name}`,
      title: `top words of ${name}`,
      spec: {
        ...base(
          `top ${TOP_WORDS} words per topic (${name}, posterior mean)`,
          shownOf(topics, MAX_TOPICS)?.replace('entries', 'topics'),
        ),
        data: { values },
        facet: { field: 'topic', type: 'nominal', title: null, sort: null },
        columns: 4,
        resolve: { scale: { y: 'independent' } },
        spec: {
          width: 150,
          height: 130,
          mark: { type: 'bar' },
          encoding: {
            y: { field: 'word', type: 'nominal', sort: '-x', title: null },
            x: { field: 'p', type: 'quantitative', title: 'probability' },
          },
        },
      },
    });
  }
  return out;
}

/** Every plot of a result: the trace (if any), each latent's posterior, and the topics. */
export function fitPlots(
  r: PosteriorJson,
  options: { vocab?: readonly string[] } = {},
): PlotSpec[] {
  const plots: PlotSpec[] = [];
  const trace = tracePlot(r);
  if (trace) plots.push(trace);
  for (const [name, l] of Object.entries(r.latents)) {
    const p = posteriorPlot(name, l);
    if (p) plots.push(p);
  }
  if (options.vocab) plots.push(...topicPlots(r, options.vocab));
  return plots;
}
