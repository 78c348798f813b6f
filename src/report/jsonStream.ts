// JSON text of a result, produced in pieces. `JSON.stringify` builds one string, and V8 caps a
// string at about 2^29 characters: `plato sample --json` on a model with a large plate (1000
// draws of a 1000 × 50 matrix) exceeds it. The output is byte-identical to JSON.stringify for
// the values results hold (objects, arrays, numbers, strings, booleans, null, ResultArrays):
// a ResultArray is written one outer row at a time, never nested all at once.
// One difference: a ResultArray's negative zero is written `-0` (JSON.stringify writes `0`), so
// that a saved weight reads back bit for bit (`--load`, report/saved.ts); `-0` is valid JSON.
import { ResultArray } from '../infer/result.js';
import { nestedRows } from '../util/nested.js';

/** True when no entry is an object or array, so JSON.stringify handles the array in one go. */
function isFlat(a: readonly unknown[]): boolean {
  for (const x of a) if (typeof x === 'object' && x !== null) return false;
  return true;
}

const isNegativeZero = (x: unknown) => x === 0 && Object.is(x, -0);

/** A flat row of a ResultArray: JSON.stringify's text, but negative zero as `-0`. */
function rowText(row: readonly unknown[]): string {
  if (!row.some(isNegativeZero)) return JSON.stringify(row);
  return `[${row.map((x) => (isNegativeZero(x) ? '-0' : JSON.stringify(x))).join(',')}]`;
}

/** The pieces of `JSON.stringify(value)`, in order; rows of numbers come out as one piece. */
export function jsonChunks(value: unknown): Generator<string> {
  return chunks(value, false);
}

/** `inResult`: inside a ResultArray's nested rows, where negative zero is written `-0`. */
function* chunks(value: unknown, inResult: boolean): Generator<string> {
  if (value instanceof ResultArray) {
    if (value.shape.length === 0) {
      yield* chunks(value.toJSON(), true);
      return;
    }
    yield '[';
    let i = 0;
    for (const row of nestedRows(value.data, value.nestAxes(), value.jsonLeaf())) {
      if (i++ > 0) yield ',';
      yield* chunks(row, true);
    }
    yield ']';
    return;
  }
  if (value === null || typeof value !== 'object') {
    // numbers (non-finite → null), strings, booleans; undefined and functions → null as in arrays
    yield inResult && isNegativeZero(value) ? '-0' : (JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    if (isFlat(value)) {
      yield inResult ? rowText(value) : JSON.stringify(value);
      return;
    }
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      yield* chunks(value[i], inResult);
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    yield `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    yield* chunks(v, inResult);
  }
  yield '}';
}

/**
 * Send `JSON.stringify(value) + '\n'` to every sink in chunks of about `chunkSize` characters,
 * awaiting each write (backpressure) so memory stays bounded.
 */
export async function writeJsonChunks(
  value: unknown,
  sinks: readonly ((chunk: string) => Promise<void>)[],
  chunkSize = 1 << 16,
): Promise<void> {
  let buf = '';
  const flush = async () => {
    for (const sink of sinks) await sink(buf);
    buf = '';
  };
  for (const piece of jsonChunks(value)) {
    buf += piece;
    if (buf.length >= chunkSize) await flush();
  }
  buf += '\n';
  await flush();
}
