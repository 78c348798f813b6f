// The rows of the posterior summary table (Stan's print): per latent its family and shape,
// then per entry the mean, sd and 5%, 50%, 95% quantiles; per param its values. Shared by the
// terminal report (text.ts) and the HTML report (html.ts). A row of one cell is a note
// (`… 95 more; means in [lo, hi]`) that spans the table.

import { prod } from '../util/shape.js';
import {
  describeShape,
  entryLabel,
  flatten,
  formatNumber,
  formatShape,
  indexAt,
  leafIndices,
  shapeOf,
  stats,
} from './format.js';
import { quantilesOf, SUMMARY_PROBS } from './quantiles.js';
import type { LatentJson, Nested } from './result.js';

const NONE = '-';

/** The header of the latents table; its numeric columns are right-aligned. */
export const LATENT_HEADER = ['node', 'family', 'shape', 'mean', 'sd', '5%', '50%', '95%'];
export const PARAM_HEADER = ['param', 'shape', 'value'];

/** Arrays with at most this many entries get one row per entry in the infer report. */
const EXPAND_MAX = 20;
/** How many leading entries a larger array shows before its `… N more` row. */
const HEAD_ROWS = 5;

/** Rectangular: the entries fill the shape (a ragged array does not). */
function rectangular(v: Nested): boolean {
  return flatten(v).length === prod(shapeOf(v));
}

/**
 * The rows of one array: scalars on the node's own row; up to 20 entries one row each; larger
 * arrays their first 5 entries and a row `… N more` with the range of the means. `cells(i)`
 * gives the value cells of flat entry i; ragged arrays (LDA's z) count their entries in flat
 * order and label them by their indices as rectangular ones are.
 */
function arrayRows(
  head: readonly string[],
  name: string,
  nodeRank: number,
  values: Nested,
  cells: (i: number) => string[],
  rangeOf = 'values',
): string[][] {
  if (!Array.isArray(values)) return [[...head, ...cells(0)]];
  const flat = flatten(values);
  const shape = shapeOf(values);
  const shown = flat.length <= EXPAND_MAX ? flat.length : HEAD_ROWS;
  // a ragged axis (LDA's z) is walked row by row: `z[1, 4] = 2`, as a rectangular one is
  const indices = rectangular(values)
    ? Array.from({ length: shown }, (_, i) => indexAt(i, shape))
    : leafIndices(values, shown);
  const label = (i: number) => entryLabel(name, nodeRank, indices[i]!);
  const rows = [[...head]];
  const blank = head.slice(1).map(() => '');
  for (let i = 0; i < shown; i++) rows.push([`  ${label(i)}`, ...blank, ...cells(i)]);
  if (shown < flat.length) {
    const s = stats(flat);
    const range = s ? `; ${rangeOf} in [${formatNumber(s.min)}, ${formatNumber(s.max)}]` : '';
    rows.push([`  … ${flat.length - shown} more${range}`]); // one cell: spans the row
  }
  return rows;
}

export function latentRows(name: string, l: LatentJson): string[][] {
  const means = flatten(l.mean);
  const sds = flatten(l.sd);
  const q = quantilesOf(l);
  const cells = (i: number) => [
    formatNumber(means[i]),
    formatNumber(sds[i] ?? null),
    ...SUMMARY_PROBS.map((p) => (q ? formatNumber(q(i, p)) : NONE)),
  ];
  return arrayRows(
    [name, l.family, formatShape(l.shape)],
    name,
    l.shape.length,
    l.mean,
    cells,
    'means',
  );
}

export function paramRows(name: string, v: Nested): string[][] {
  const values = flatten(v);
  const cells = (i: number) => [formatNumber(values[i])];
  return arrayRows([name, describeShape(v)], name, shapeOf(v).length, v, cells);
}
