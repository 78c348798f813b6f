// Printing a benchmark's table and keeping a machine-readable record of each run. Results are
// written to bench/results/<workload>-<date>.json; docs/benchmarks.md is edited by a person.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** 3 significant digits with a k/M/G suffix: 27200 → "27.2 k"; '-' when not measured. */
export function si(x: number): string {
  if (!Number.isFinite(x)) return '-';
  const units = ['', ' k', ' M', ' G'];
  let u = 0;
  let v = x;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toPrecision(3)}${units[u]}`;
}

/** Seconds with 3 significant digits, or milliseconds below 1 s. */
export function secs(s: number): string {
  if (!Number.isFinite(s)) return '-';
  return s < 1 ? `${(s * 1000).toPrecision(3)} ms` : `${s.toPrecision(3)} s`;
}

/** A ratio like "23.4×" (3 significant digits); '-' when not measured. */
export function ratio(x: number): string {
  return Number.isFinite(x) ? `${x.toPrecision(3)}×` : '-';
}

/** Columns aligned with spaces, for a terminal. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The same table as GitHub markdown, ready to paste into docs/benchmarks.md. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Write one run's record; returns the path. `date` is an ISO timestamp. */
export function writeResults(workload: string, date: string, record: unknown, suffix = ''): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = date.replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
  const path = join(RESULTS_DIR, `${workload}-${stamp}${suffix}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}
