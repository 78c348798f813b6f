// Reading data files (DESIGN.md §3). JSON: an object keyed by variable name; the non-JSON
// tokens NaN, Infinity and -Infinity that other tools write are accepted here only so that
// binding can reject them naming the variable and index. CSV: a header row of variable
// names and one row per element of one plate; empty or NA cells are missing (null).
import { PlatoError } from '../diagnostics/diagnostics.js';
import type { DataInput, DataValue } from './bound.js';

function fail(message: string, file: string): never {
  throw new PlatoError([{ kind: 'data', severity: 'error', message, file }], undefined, file);
}

/** Read a data file's text; the format follows the extension (`.csv`, else JSON). */
export function readDataText(text: string, filename: string): DataInput {
  if (/\.csv$/i.test(filename)) return readCsv(text, filename);
  return readJson(text, filename);
}

// ---------------------------------------------------------------- JSON

// Strings that stand for the non-finite tokens while JSON.parse runs. The NUL byte cannot
// occur unescaped in a JSON string, so a file cannot contain these by accident.
const SENTINEL: Record<string, number> = {
  '\u0000plato:NaN': Number.NaN,
  '\u0000plato:Infinity': Number.POSITIVE_INFINITY,
  '\u0000plato:-Infinity': Number.NEGATIVE_INFINITY,
};

/**
 * Replace NaN / Infinity / -Infinity outside strings by sentinel strings. A small
 * tokenizer-aware pass: it tracks whether it is inside a string (with escapes).
 */
function rewriteNonFinite(text: string): string {
  const out: string[] = [];
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    const token = nonFiniteAt(text, i);
    if (!token) continue;
    out.push(text.slice(last, i), JSON.stringify(`\u0000plato:${token}`));
    last = i + token.length;
    i = last - 1;
  }
  out.push(text.slice(last));
  return out.join('');
}

function nonFiniteAt(text: string, i: number): string | undefined {
  for (const t of ['NaN', 'Infinity', '-Infinity']) if (text.startsWith(t, i)) return t;
  return undefined;
}

/**
 * Find the first syntax error of a JSON text (with the non-finite tokens allowed), for a
 * message with line and column: V8's own messages do not always carry a position.
 */
export function locateJsonError(text: string): { pos: number; reason: string } | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  class Stop {
    constructor(
      readonly pos: number,
      readonly reason: string,
    ) {}
  }
  const fail = (reason: string): never => {
    throw new Stop(i, i >= text.length ? 'unexpected end of the file' : reason);
  };
  const show = () => JSON.stringify(text[i]);
  // an explicit stack instead of recursion: data files nest deeply only by mistake, but never crash
  const stack: ('{' | '[')[] = [];
  const scalar = () => {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text.charCodeAt(i) < 32) fail('a control character inside a string');
        if (text[i] === '\\') {
          i++;
          if (text[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 4;
          else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail('a bad escape in a string');
        }
        i++;
      }
      if (i >= text.length) fail('unterminated string');
      i++;
      return;
    }
    const nf = nonFiniteAt(text, i);
    const lit = nf ?? ['true', 'false', 'null'].find((t) => text.startsWith(t, i));
    if (lit) {
      i += lit.length;
      return;
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    const num = m?.[0] ?? '';
    if (num === '' || num === '-') fail(`unexpected ${show()}`);
    i += num.length;
  };
  try {
    ws();
    for (;;) {
      // a value
      ws();
      if (text[i] === '{' || text[i] === '[') {
        const open = text[i] as '{' | '[';
        i++;
        ws();
        if (text[i] === (open === '{' ? '}' : ']')) i++;
        else {
          stack.push(open);
          if (open === '{') {
            if (text[i] !== '"') fail(`expected a property name in double quotes, found ${show()}`);
            scalar();
            ws();
            if (text[i] !== ':') fail(`expected ':' after a property name, found ${show()}`);
            i++;
          }
          continue;
        }
      } else scalar();
      // after a value: close containers or expect a comma
      for (;;) {
        ws();
        const top = stack[stack.length - 1];
        if (!top) {
          if (i < text.length) fail(`unexpected ${show()} after the end of the data`);
          return undefined;
        }
        const close = top === '{' ? '}' : ']';
        if (text[i] === close) {
          stack.pop();
          i++;
          continue;
        }
        if (text[i] !== ',') fail(`expected ',' or '${close}', found ${show()}`);
        i++;
        ws();
        if (top === '{') {
          if (text[i] !== '"') fail(`expected a property name in double quotes, found ${show()}`);
          scalar();
          ws();
          if (text[i] !== ':') fail(`expected ':' after a property name, found ${show()}`);
          i++;
        }
        break;
      }
    }
  } catch (e) {
    if (e instanceof Stop) return { pos: e.pos, reason: e.reason };
    throw e;
  }
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: pos - start + 1 };
}

function readJson(text: string, file: string): DataInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const bad = locateJsonError(text);
    if (bad) {
      const { line, column } = lineColumn(text, bad.pos);
      fail(`malformed JSON at line ${line}, column ${column}: ${bad.reason}`, file);
    }
    // valid apart from NaN / Infinity tokens
    try {
      value = JSON.parse(rewriteNonFinite(text), (_key, v: unknown) =>
        typeof v === 'string' && Object.hasOwn(SENTINEL, v) ? SENTINEL[v] : v,
      );
    } catch {
      fail(`malformed JSON: ${err instanceof Error ? err.message : String(err)}`, file);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail('the data must be a JSON object keyed by variable name', file);
  }
  return value as DataInput;
}

// ---------------------------------------------------------------- CSV

/** Split CSV text into rows of fields (RFC 4180: quotes, doubled quotes, CRLF). */
function csvRows(text: string, file: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0].trim() === '')) rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else field += c;
    i++;
  }
  if (quoted) fail(`unreadable CSV: a quoted field is not closed (row ${rows.length + 1})`, file);
  if (field !== '' || row.length) endRow();
  return rows;
}

const MISSING = new Set(['', 'na', 'null']);
const NON_FINITE: Record<string, number> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

function readCsv(text: string, file: string): DataInput {
  const rows = csvRows(text.replace(/^\uFEFF/, ''), file);
  if (!rows.length) fail('unreadable CSV: no header row', file);
  const header = rows[0].map((h) => h.trim());
  header.forEach((h, j) => {
    if (!h) fail(`unreadable CSV: column ${j + 1} of the header has no name`, file);
    if (header.indexOf(h) !== j)
      fail(`unreadable CSV: column '${h}' appears twice in the header`, file);
  });
  const columns: DataValue[][] = header.map(() => []);
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r];
    if (row.length !== header.length) {
      fail(
        `unreadable CSV: row ${r + 1} has ${row.length} fields but the header has ${header.length}`,
        file,
      );
    }
    row.forEach((raw, j) => {
      const cell = raw.trim();
      const lower = cell.toLowerCase();
      let v: number | null;
      if (MISSING.has(lower)) v = null;
      else if (Object.hasOwn(NON_FINITE, lower)) v = NON_FINITE[lower];
      else {
        v = Number(cell);
        if (Number.isNaN(v)) {
          fail(
            `unreadable CSV: row ${r + 1}, column '${header[j]}': '${cell}' is not a number`,
            file,
          );
        }
      }
      columns[j].push(v);
    });
  }
  return Object.fromEntries(header.map((h, j) => [h, columns[j]]));
}
