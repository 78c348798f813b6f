// Typed results (src/infer/result.ts) as the plain JSON objects of DESIGN.md §5: the value
// `JSON.parse(JSON.stringify(result))` gives, built without the string.

import type { Posterior, SampleResult } from '../infer/result.js';
import { ResultArray } from '../infer/result.js';
import type { PosteriorJson, SampleJson } from './result.js';

/** A value as JSON holds it: ResultArrays nested, non-finite numbers null, undefined fields dropped. */
export function jsonValue(v: unknown): unknown {
  if (v instanceof ResultArray) return v.toJSON();
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : jsonValue(x)));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    out[k] = jsonValue(x);
  }
  return out;
}

export const posteriorJson = (p: Posterior): PosteriorJson => jsonValue(p) as PosteriorJson;
export const sampleJson = (s: SampleResult): SampleJson => jsonValue(s) as SampleJson;
