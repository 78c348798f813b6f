// A saved fit read back (`plato infer -o fit.json`, then `--load fit.json`): the `params` of a
// result (DESIGN §5) — every learned param, every net weight (`decoder.W0`, …) and a guide's
// learned values (`guide.…`) at their full shapes — as the named values engines start from and
// the sampler holds fixed. The reverse of the JSON writer, which writes float32 values as the
// shortest decimal that reads back to the same float32 (util/nested.ts `jsonNumber`) and
// negative zero as `-0` (jsonStream.ts): read into float64, Math.fround of each value gives the
// saved float32 bits back exactly, and float64 values are exact as they are.
// This module loads no tensors.
import { userError } from '../diagnostics/diagnostics.js';
import type { InitialValues, SavedLatents } from '../infer/options.js';
import { ResultArray } from '../infer/result.js';

type Entry = { shape: readonly number[]; data: Float32Array | Float64Array };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const showIndex = (index: readonly number[]) => `[${index.join(', ')}]`;

/** The shape of a rectangular nested array of numbers, or the first thing wrong with it. */
function nestedShape(v: unknown): number[] | string {
  const shape: number[] = [];
  let x = v;
  while (Array.isArray(x)) {
    shape.push(x.length);
    if (x.length === 0) break;
    x = x[0];
  }
  const data: number[] = [];
  const walk = (y: unknown, depth: number, index: number[]): string | undefined => {
    if (depth === shape.length) {
      if (typeof y === 'number') {
        data.push(y);
        return undefined;
      }
      const what =
        y === null
          ? 'null (a value that was not finite when saved)'
          : Array.isArray(y)
            ? 'an array (the rows are not all of one depth)'
            : `${JSON.stringify(y)}, not a number`;
      return `entry ${showIndex(index)} is ${what}`;
    }
    if (!Array.isArray(y)) return `entry ${showIndex(index)} is not an array (the rows are ragged)`;
    if (y.length !== shape[depth])
      return `${index.length ? `row ${showIndex(index)}` : 'the array'} has ${y.length} entries where the first row has ${shape[depth]}`;
    for (let i = 0; i < y.length; i++) {
      const bad = walk(y[i], depth + 1, [...index, i]);
      if (bad) return bad;
    }
    return undefined;
  };
  const bad = walk(v, 0, []);
  return bad ?? shape;
}

/** One saved value as float64 data with its shape (row-major), or what is wrong with it. */
function entryOf(v: unknown): Entry | string {
  if (v instanceof ResultArray) {
    if (v.ragged.length > 0) return 'is a ragged array; saved params have fixed shapes';
    const data = v.data instanceof Int32Array ? Float64Array.from(v.data) : v.data;
    return { shape: v.shape, data };
  }
  const shape = nestedShape(v);
  if (typeof shape === 'string') return `is not a number or an array of numbers: ${shape}`;
  return { shape, data: Float64Array.from([v].flat(Number.POSITIVE_INFINITY) as number[]) };
}

/**
 * The learned values of a saved result: its `params` — a number or a rectangular nested array
 * of numbers each — keyed by name. `result` is the parsed JSON of `plato infer -o` (or a
 * Posterior of the library, whose params are ResultArrays). Anything else is a PlatoError that
 * names `file` and the key.
 */
export function savedParams(result: unknown, file?: string): InitialValues {
  // messages are rendered under the file's name (`fit.json: error: …`)
  const fail = (message: string) => userError(message, 'data', file);
  if (!isObject(result)) throw fail('not a saved result: expected a JSON object with "params"');
  if (!Object.hasOwn(result, 'params')) {
    const what =
      result.engine === 'sample'
        ? 'it is a sample (draws), not a fit'
        : 'it is not the result of a fit (plato infer -o)';
    throw fail(`the saved result has no "params": ${what}`);
  }
  const params = result.params;
  if (!isObject(params)) throw fail('"params" of the saved result must be an object keyed by name');
  const out: Record<string, Entry> = {};
  for (const [name, value] of Object.entries(params)) {
    const e = entryOf(value);
    if (typeof e === 'string') throw fail(`params "${name}" ${e}`);
    out[name] = e;
  }
  return out;
}

/**
 * The posteriors a saved fit reports for its latents (`latents` of DESIGN §5): per node its
 * family and that family's parameters (`Normal` `mu`, `sigma`, …) at their full shapes, read as
 * `savedParams` reads params. What `plato sample --load fit.json --posterior` draws latents from.
 */
export function savedLatents(result: unknown, file?: string): SavedLatents {
  const fail = (message: string) => userError(message, 'data', file);
  if (!isObject(result)) throw fail('not a saved result: expected a JSON object with "latents"');
  const latents = result.latents;
  if (!isObject(latents))
    throw fail(
      'the saved result has no "latents" object: it is not the result of a fit (plato infer -o)',
    );
  const out: Record<string, SavedLatents[string]> = {};
  for (const [name, value] of Object.entries(latents)) {
    if (!isObject(value) || typeof value.family !== 'string' || !isObject(value.params))
      throw fail(`latents "${name}" must be an object with a "family" and its "params"`);
    const params: Record<string, Entry> = {};
    for (const [arg, v] of Object.entries(value.params)) {
      const e = entryOf(v);
      if (typeof e === 'string') throw fail(`latents "${name}" params "${arg}" ${e}`);
      params[arg] = e;
    }
    out[name] = { family: value.family, params };
  }
  return out;
}
