// The human-readable reports of `plato check|sample|infer|engines` (DESIGN.md §5): the same
// content as the `--json` objects, aligned for a person. Pure functions of the results (typed,
// or already in their JSON form).

import type { Posterior, SampleResult } from '../infer/result.js';
import { ResultArray } from '../infer/result.js';
import { describeShape, flatten, formatNumber, summarizeNested } from './format.js';
import { jsonValue } from './json.js';
import type {
  CheckResult,
  EnginesReport,
  LatentJson,
  Nested,
  PosteriorJson,
  SampleJson,
} from './result.js';
import { LATENT_HEADER, latentRows, PARAM_HEADER, paramRows } from './summary.js';
import { renderFields, renderTable } from './table.js';

const NONE = '-';
const list = (xs: readonly string[]) => (xs.length === 0 ? NONE : xs.join(', '));

/** `plato check`: the plates, then every node with its kind, distribution, plates, parents, line. */
export function checkText(r: CheckResult): string {
  const out = [`model ${r.model}`, ''];
  if (r.plates.length > 0) {
    out.push(
      'plates',
      // a chain plate (its nodes read earlier steps) says which reads make it one
      r.plates.some((p) => p.chain)
        ? renderTable(
            ['plate', 'size', 'parent', 'chain'],
            r.plates.map((p) => [p.name, p.size, p.parent ?? NONE, list(p.chain ?? [])]),
          )
        : renderTable(
            ['plate', 'size', 'parent'],
            r.plates.map((p) => [p.name, p.size, p.parent ?? NONE]),
          ),
      '',
    );
  }
  out.push(
    'nodes',
    renderTable(
      ['node', 'kind', 'distribution', 'plates', 'parents', 'line'],
      r.nodes.map((n) => [
        n.name,
        n.kind,
        n.distribution ? `${n.distribution}${n.truncation ? ` ${n.truncation}` : ''}` : NONE,
        list(n.plates),
        list(n.parents),
        String(n.line),
      ]),
      { align: ['left', 'left', 'left', 'left', 'left', 'right'] },
    ),
  );
  return out.join('\n');
}

export interface SampleTextOptions {
  /** the Categorical nodes: their mean cell shows state frequencies, not a mean state index */
  readonly categorical?: readonly string[];
}

/**
 * `plato sample`: per node its shape and the mean and sd over the draws. A Categorical node's
 * states are labels, so its mean cell lists how often each state was drawn (over every draw
 * and, for a node in plates, every entry) instead of the mean of the state indices.
 */
export function sampleText(r: SampleResult | SampleJson, options: SampleTextOptions = {}): string {
  // the shape column gives the number of entries, so the cells do not repeat it
  const opts = { maxFull: 4, head: 2, count: false };
  const categorical = new Set(options.categorical ?? []);
  const rows = Object.entries(r.summary).map(([name, s]) => {
    const mean = jsonValue(s.mean) as Nested;
    const shape = describeShape(mean); // the node's shape: one draw's
    if (categorical.has(name) && r.draws[name] !== undefined) {
      return [name, shape, frequencyCell(r.draws[name]!, shape !== 'scalar'), NONE];
    }
    return [
      name,
      shape,
      summarizeNested(mean, opts),
      summarizeNested(jsonValue(s.sd) as Nested, opts),
    ];
  });
  return [
    `${r.engine}  n = ${r.n}  seed = ${r.seed}`,
    '',
    renderTable(['node', 'shape', 'mean', 'sd'], rows),
  ].join('\n');
}

/** States shown by their frequency; more than this many: the most frequent ones. */
const STATES_MAX = 6;

/**
 * How often each state 0, 1, … was drawn: `freq 0: 0.31, 1: 0.45, 2: 0.24`; with many states
 * the most frequent first and how many states were drawn at all.
 */
function frequencyCell(draws: ResultArray | Nested, pooled: boolean): string {
  const values = draws instanceof ResultArray ? draws.data : flatten(draws);
  const counts: number[] = [];
  let total = 0;
  for (const v of values) {
    if (v === null || !Number.isInteger(v) || v < 0) continue;
    counts[v] = (counts[v] ?? 0) + 1;
    total++;
  }
  const freqs = Array.from(counts, (c, state) => ({ state, f: (c ?? 0) / total }));
  const label = pooled ? 'freq (all entries)' : 'freq';
  const pair = (x: { state: number; f: number }) => `${x.state}: ${formatNumber(x.f, 3)}`;
  if (freqs.length <= STATES_MAX) return `${label} ${freqs.map(pair).join(', ')}`;
  const drawn = freqs.filter((x) => x.f > 0);
  const top = [...drawn].sort((a, b) => b.f - a.f || a.state - b.state).slice(0, STATES_MAX - 2);
  return `${label} ${top.map(pair).join(', ')}, … (${drawn.length} states drawn)`;
}

function elboLine(elbo: readonly (number | null)[]): string {
  if (elbo.length === 0) return '(empty)';
  const first = formatNumber(elbo[0]);
  const last = formatNumber(elbo[elbo.length - 1]);
  return elbo.length === 1 ? first : `${first} → ${last} (${elbo.length} values)`;
}

/** The row-major multi-indices of an array of that shape. */
function indices(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of shape)
    out = out.flatMap((idx) => Array.from({ length: n }, (_, i) => [...idx, i]));
  return out;
}

/** Words shown per topic. */
const TOP_WORDS = 10;

/**
 * Topic-model summaries: every Dirichlet latent whose entries are over the vocabulary (its last
 * axis as long as `vocab`), one row per distribution (`beta[3]`) with the words of largest
 * posterior mean, largest first (ties: vocabulary order).
 */
function topicRows(latents: [string, LatentJson][], vocab: readonly string[]): string[][] {
  const rows: string[][] = [];
  for (const [name, l] of latents) {
    if (l.family !== 'Dirichlet' || l.shape.at(-1) !== vocab.length) continue;
    const means = flatten(l.mean);
    const V = vocab.length;
    const lead = l.shape.slice(0, -1);
    indices(lead).forEach((idx, row) => {
      const m = means.slice(row * V, (row + 1) * V).map((x) => x ?? Number.NEGATIVE_INFINITY);
      const top = m
        .map((_, v) => v)
        .sort((a, b) => m[b]! - m[a]! || a - b)
        .slice(0, TOP_WORDS);
      rows.push([
        idx.length > 0 ? `${name}[${idx.join(', ')}]` : name,
        top.map((v) => vocab[v]).join(' '),
      ]);
    });
  }
  return rows;
}

export interface InferTextOptions {
  /** the words of a topic model's vocabulary (the data's `vocab`): adds the top words per topic */
  readonly vocab?: readonly string[];
}

/**
 * `plato infer`: the run, then each latent's family, parameters and mean ± sd, then the
 * params. Small arrays (up to 20 entries) are listed entry by entry, larger ones summarised.
 * With a vocabulary, the top words of every topic (a Dirichlet latent over the vocabulary).
 */
export function inferText(
  result: Posterior | PosteriorJson,
  options: InferTextOptions = {},
): string {
  const r = jsonValue(result) as PosteriorJson;
  const fields: [string, string][] = [
    ['engine', r.engine],
    ['converged', r.converged ? 'yes' : 'no'],
    ['iterations', String(r.iterations)],
    ['seconds', formatNumber(r.seconds, 3)],
    ['log evidence', r.logEvidence === null ? NONE : formatNumber(r.logEvidence, 6)],
  ];
  if (r.elbo) fields.push(['elbo', elboLine(r.elbo)]);
  const out = [renderFields(fields)];
  const latents = Object.entries(r.latents);
  if (latents.length > 0) {
    out.push(
      '',
      'latents',
      renderTable(
        LATENT_HEADER,
        latents.flatMap(([name, l]) => latentRows(name, l)),
        { align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'] },
      ),
    );
  }
  const topics = options.vocab ? topicRows(latents, options.vocab) : [];
  if (topics.length > 0) {
    out.push(
      '',
      `topics (top ${TOP_WORDS} words by posterior mean)`,
      renderTable(['topic', 'words'], topics),
    );
  }
  const params = Object.entries(r.params);
  if (params.length > 0) {
    out.push(
      '',
      'params',
      renderTable(
        PARAM_HEADER,
        params.flatMap(([name, v]) => paramRows(name, v)),
        { align: ['left', 'left', 'right'] },
      ),
    );
  }
  return out.join('\n');
}

/**
 * `plato engines`: ✓ or ✗ per engine with its first reason and how many more (a plate of
 * observed nodes would otherwise fill the screen), and the engine `auto` picks. `verbose`:
 * every reason on a line of its own.
 */
export function enginesText(r: EnginesReport, options: { verbose?: boolean } = {}): string {
  const rows: string[][] = [];
  for (const e of r.engines) {
    const reasons = e.reasons.map((x) => `${x.node} (line ${x.line}:${x.column}): ${x.message}`);
    const shown =
      options.verbose || reasons.length <= 1
        ? reasons
        : [`${reasons[0]} … and ${reasons.length - 1} more; --verbose`];
    if (e.applies) shown.push(...(e.notes ?? []));
    rows.push([e.name, e.applies ? '✓' : '✗', shown[0] ?? '']);
    for (const more of shown.slice(1)) rows.push(['', '', more]);
  }
  return [
    renderTable(['engine', 'applies', 'reasons'], rows),
    '',
    r.auto === null ? 'auto: no engine applies' : `auto picks: ${r.auto}`,
  ].join('\n');
}
