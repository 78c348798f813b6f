// Plain-text tables with aligned columns, for the human-readable reports.

/** Display width in terminal columns: one per code point (the reports use no wide characters). */
export function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'left' ? s + fill : fill + s;
}

export interface TableOptions {
  /** per-column alignment; default left */
  readonly align?: readonly ('left' | 'right')[];
  /** prefix of every line (default two spaces) */
  readonly indent?: string;
  /** spaces between columns (default 2) */
  readonly gap?: number;
}

/**
 * Rows under a header, every column as wide as its widest cell. Trailing spaces are trimmed,
 * so the last column may hold long free text. A row of one cell (a note such as `… 95 more`)
 * spans the line: it does not widen the first column.
 */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const indent = options.indent ?? '  ';
  const gap = ' '.repeat(options.gap ?? 2);
  const all = [header, ...rows];
  const sized = all.filter((r) => r.length > 1 || header.length === 1);
  const widths = header.map((_, c) => Math.max(...sized.map((r) => width(r[c] ?? ''))));
  return all
    .map((r) =>
      (r.length === 1 && header.length > 1
        ? indent + r[0]
        : indent + widths.map((w, c) => pad(r[c] ?? '', w, options.align?.[c] ?? 'left')).join(gap)
      ).trimEnd(),
    )
    .join('\n');
}

/** `key  value` lines with the keys padded to one width. */
export function renderFields(fields: readonly (readonly [string, string])[], indent = ''): string {
  const w = Math.max(0, ...fields.map(([k]) => width(k)));
  return fields.map(([k, v]) => `${indent}${pad(k, w, 'left')}  ${v}`.trimEnd()).join('\n');
}
