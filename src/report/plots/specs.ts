// Vega-Lite specifications of the fit plots, built from a result's JSON form: the objective
// trace, one posterior plot per latent (densities for continuous families, bars for discrete
// ones) and, for a topic model with a vocabulary, the top words of each topic. Specs only:
// render.ts draws them; the numbers come from the result (densities from the posterior family,
// densities.ts), never from the plotting library.
import type { TopLevelSpec } from 'vega-lite';
import { entryLabel, flatten, formatNumber, indexAt, leafIndices, shapeOf } from '../format.js';
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

/**
 * The objective per iteration, or undefined when the engine keeps no trace (exact). `avi`'s
 * `elbo` is one value per epoch (the mean of its minibatch estimates) and then the final
 * estimate on every element (docs/engines/avi.md): the epochs are the line, the final
 * estimate a point of its own at the last epoch.
 */
export function tracePlot(r: PosteriorJson): PlotSpec | undefined {
  if (!r.elbo || r.elbo.length === 0) return undefined;
  const what = objectiveName(r.engine);
  const perEpoch = r.engine === 'avi' && r.elbo.length === r.iterations + 1;
  const step = perEpoch ? 'epoch' : 'iteration';
  const trace = perEpoch ? r.elbo.slice(0, -1) : r.elbo;
  const last = r.elbo[r.elbo.length - 1];
  const line = perEpoch ? 'epoch: the mean of its steps' : what;
  const values: { step: number; value: number | null; series: string }[] = trace.map((v, i) => ({
    step: i + 1,
    value: v,
    series: line,
  }));
  const x = {
    field: 'step',
    type: 'quantitative' as const,
    title: step,
    axis: { tickMinStep: 1, format: 'd' },
  };
  const y = { field: 'value', type: 'quantitative' as const, title: what, scale: { zero: false } };
  const subtitle = `${trace.length} ${step === 'epoch' ? 'epochs' : 'values'}, ${r.converged ? 'converged' : 'not converged'}; final ${formatNumber(last)}`;
  const head = { ...base(`${what} per ${step} (${r.engine})`, subtitle), width: 460, height: 220 };
  const lineMark = { type: 'line' as const, point: trace.length <= 60, strokeWidth: 2 };
  if (!perEpoch)
    return {
      name: 'trace',
      title: `${what} per ${step}`,
      spec: { ...head, data: { values }, mark: lineMark, encoding: { x, y } },
    };
  const final = 'final estimate on every element';
  values.push({ step: trace.length, value: last ?? null, series: final });
  const color = {
    field: 'series',
    type: 'nominal' as const,
    title: null,
    scale: { domain: [line, final], range: ['#4c78a8', '#e45756'] },
    legend: { orient: 'bottom' as const, labelLimit: 400 },
  };
  return {
    name: 'trace',
    title: `${what} per ${step}`,
    spec: {
      ...head,
      data: { values },
      layer: [
        {
          transform: [{ filter: { field: 'series', equal: line } }],
          mark: lineMark,
          encoding: { x, y, color },
        },
        {
          transform: [{ filter: { field: 'series', equal: final } }],
          mark: { type: 'point', filled: true, size: 90, shape: 'diamond' },
          encoding: { x, y, color },
        },
      ],
    },
  };
}

/**
 * Entry labels of a latent's mean, row-major: `theta`, `d[3]`, `z[4] = 1`; a ragged one (LDA's
 * z) by its indices too, `z[1, 4] = 2`.
 */
function labels(name: string, l: LatentJson, count: number): string[] {
  return leafIndices(l.mean, count).map((idx) => entryLabel(name, l.shape.length, idx));
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
  // one label per entry of the node (the state axis dropped): `z[3]`, `z[1, 4]`
  const names = labels(name, l, n * K)
    .filter((_, i) => i % K === 0)
    .map((s) => s.replace(/ = \d+$/, ''));
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

/**
 * Mean ± 2 sd of the first entries, for a family whose entries have no density here: avi's
 * LogitNormal and StickBreakingNormal (their parameters live on the unconstrained scale, and an
 * interval's bounds are not in the result), a mixture. The mean and sd are the result's own.
 */
function intervalPlot(name: string, l: LatentJson): PlotSpec | undefined {
  const means = flatten(l.mean);
  const sds = flatten(l.sd);
  const n = Math.min(means.length, MAX_BARS);
  const names = labels(name, l, n);
  const values: { entry: string; mean: number; lo: number; hi: number }[] = [];
  for (let i = 0; i < n; i++) {
    const m = means[i];
    const s = sds[i];
    if (m === null || m === undefined || s === null || s === undefined) continue;
    if (!Number.isFinite(m) || !Number.isFinite(s)) continue;
    values.push({ entry: names[i]!, mean: m, lo: m - 2 * s, hi: m + 2 * s });
  }
  if (values.length === 0) return undefined;
  const x = {
    field: 'entry',
    type: 'nominal' as const,
    sort: names,
    title: null,
    axis: { labelAngle: -45 },
  };
  return {
    name: `posterior-${name}`,
    title: `posterior of ${name}`,
    spec: {
      ...base(`posterior of ${name} (${l.family}): mean ± 2 sd`, shownOf(means.length, MAX_BARS)),
      width: Math.max(160, 28 * n),
      height: 200,
      data: { values },
      layer: [
        {
          mark: { type: 'rule', strokeWidth: 2, color: '#4c78a8' },
          encoding: {
            x,
            y: { field: 'lo', type: 'quantitative', title: name, scale: { zero: false } },
            y2: { field: 'hi' },
          },
        },
        {
          mark: { type: 'point', filled: true, size: 60 },
          encoding: { x, y: { field: 'mean', type: 'quantitative' } },
        },
      ],
    },
  };
}

/**
 * The posterior plot of one latent: densities (continuous families with one per entry), bars
 * (discrete), else the mean ± 2 sd of its entries.
 */
export function posteriorPlot(name: string, l: LatentJson): PlotSpec | undefined {
  if (l.family === 'Bernoulli' || l.family === 'Categorical') return barPlot(name, l);
  return densityPlot(name, l) ?? intervalPlot(name, l);
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

/**
 * Images as a grid of small heatmaps, one facet per image (a VAE's generated digits): each
 * image is `height × width` values in [0, 1], row-major, drawn as grey cells from white (0)
 * to black (1), `columns` images per row.
 */
export function imageGridPlot(
  name: string,
  title: string,
  images: readonly (readonly number[])[],
  size: { height: number; width: number },
  options: { columns?: number; subtitle?: string; legend?: string } = {},
): PlotSpec {
  const { height, width } = size;
  const values: { image: number; row: number; col: number; value: number }[] = [];
  images.forEach((img, image) => {
    if (img.length !== height * width)
      throw new Error(`image ${image} has ${img.length} values, not ${height} × ${width}`);
    img.forEach((value, i) => {
      values.push({ image, row: Math.floor(i / width), col: i % width, value });
    });
  });
  const cell = Math.max(4, Math.round(72 / Math.max(height, width)));
  return {
    name,
    title,
    spec: {
      ...base(title, options.subtitle),
      data: { values },
      facet: { field: 'image', type: 'ordinal', header: { labels: false, title: null } },
      columns: options.columns ?? 8,
      spacing: 6,
      spec: {
        width: cell * width,
        height: cell * height,
        mark: { type: 'rect' },
        encoding: {
          x: { field: 'col', type: 'ordinal', axis: null },
          y: { field: 'row', type: 'ordinal', axis: null },
          color: {
            field: 'value',
            type: 'quantitative',
            title: options.legend ?? 'value',
            scale: { domain: [0, 1], range: ['#ffffff', '#000000'] },
          },
        },
      },
    },
  };
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
