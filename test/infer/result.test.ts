// Typed results: a ResultArray's JSON is the nested array of its shape (ragged axes as rows of
// their own lengths, non-finite values null, float32 data as the shortest decimal that reads
// back the same float32), streamed JSON equals JSON.stringify, and the infer layer stands
// below report.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResultArray } from '../../src/infer/result.js';
import { jsonValue } from '../../src/report/json.js';
import { jsonChunks } from '../../src/report/jsonStream.js';
import { ROOT } from '../cli/helpers.js';

/** Independent reference: entry of a (non-ragged) array at a multi-index, by explicit strides. */
function referenceNest(data: ArrayLike<number>, shape: readonly number[]): unknown {
  const at = (idx: number[]): unknown => {
    if (idx.length === shape.length) {
      let flat = 0;
      for (let k = 0; k < shape.length; k++) {
        let stride = 1;
        for (let j = k + 1; j < shape.length; j++) stride *= shape[j];
        flat += idx[k] * stride;
      }
      const v = data[flat];
      return Number.isFinite(v) ? v : null;
    }
    return Array.from({ length: shape[idx.length] }, (_, i) => at([...idx, i]));
  };
  return at([]);
}

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 });
const value = fc.oneof(
  fc.double({ noNaN: false }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0.1),
);
/** Significant digits of a number's shortest JavaScript decimal (String(0.00123) → 3). */
function significantDigits(v: number): number {
  const mantissa = String(Math.abs(v)).replace(/e.*$/, '').replace('.', '').replace(/^0+/, '');
  return Math.max(1, mantissa.length);
}

const stream = (v: unknown) => [...jsonChunks(v)].join('');

describe('ResultArray', () => {
  it('float64 data: toJSON nests by the shape, every value exact, non-finite as null', () => {
    fc.assert(
      fc.property(
        shapeArb.chain((shape) =>
          fc
            .array(value, {
              minLength: shape.reduce((a, b) => a * b, 1),
              maxLength: shape.reduce((a, b) => a * b, 1),
            })
            .map((xs) => ({ shape, xs })),
        ),
        ({ shape, xs }) => {
          const a = new ResultArray(Float64Array.from(xs), shape);
          const expected = referenceNest(Float64Array.from(xs), shape);
          expect(a.toJSON()).toEqual(expected);
          // JSON text: through toJSON, through the streaming writer, through jsonValue
          const text = JSON.stringify({ a });
          expect(text).toBe(JSON.stringify({ a: expected }));
          // the streaming writer writes negative zero as -0 (a saved value reads back bit for
          // bit: jsonStream.ts), JSON.stringify as 0; otherwise the texts are the same
          const streamed = stream({ a });
          expect(streamed.replace(/(?<=[[,:])-0(?=[,\]}])/g, '0')).toBe(text);
          expect(JSON.parse(streamed).a).toEqual(expected); // -0 too: toEqual tells it from 0
          expect(JSON.stringify(jsonValue({ a }))).toBe(text);
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('float32 data: the shortest decimal that reads back the same float32', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), {
          minLength: 1,
          maxLength: 20,
        }),
        (xs) => {
          const data = Float32Array.from(xs);
          const json = new ResultArray(data, [data.length]).toJSON() as number[];
          json.forEach((v, i) => {
            expect(Math.fround(v)).toBe(data[i]);
            // no decimal with fewer significant digits reads back the same float32; integers
            // print in full, and subnormals (below 2^-126, fewer bits) need not be shortest
            const digits = significantDigits(v);
            const normal = Math.abs(data[i]) >= 2 ** -126;
            if (digits > 1 && normal && !Number.isInteger(data[i]))
              expect(Math.fround(Number(v.toPrecision(digits - 1)))).not.toBe(data[i]);
          });
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });

  it('int32 data prints as integers; a scalar is a number', () => {
    expect(JSON.stringify(new ResultArray(Int32Array.of(3, -1, 0, 7), [2, 2]))).toBe(
      '[[3,-1],[0,7]]',
    );
    expect(JSON.stringify(new ResultArray(Float64Array.of(2.5), []))).toBe('2.5');
    expect(JSON.stringify(new ResultArray(Float64Array.of(Number.NaN), []))).toBe('null');
    expect(stream(new ResultArray(Float64Array.of(Number.NaN), []))).toBe('null');
  });

  it('a ragged axis nests as rows of their own lengths, also when streamed', () => {
    // draws [n = 2, tokens = 2 + 0 + 3] with documents of 2, 0 and 3 tokens
    const offsets = Int32Array.of(0, 2, 2, 5);
    const draws = new ResultArray(
      Int32Array.from({ length: 10 }, (_, i) => i),
      [2, 5],
      [{ axis: 1, offsets }],
    );
    const expected = [
      [[0, 1], [], [2, 3, 4]],
      [[5, 6], [], [7, 8, 9]],
    ];
    expect(draws.toJSON()).toEqual(expected);
    // the same node without the sample axis, with an event axis of 2 behind the ragged one
    const summary = new ResultArray(
      Float32Array.from({ length: 10 }, (_, i) => i / 4),
      [5, 2],
      [{ axis: 0, offsets }],
    );
    const s = [
      [
        [0, 0.25],
        [0.5, 0.75],
      ],
      [],
      [
        [1, 1.25],
        [1.5, 1.75],
        [2, 2.25],
      ],
    ];
    expect(summary.toJSON()).toEqual(s);
    const v = { draws, summary };
    expect(stream(v)).toBe(JSON.stringify({ draws: expected, summary: s }));
  });

  it('refuses data that does not fill its shape or ragged rows that do not cover their axis', () => {
    expect(() => new ResultArray(new Float64Array(5), [2, 3])).toThrow(/5 values for shape/);
    expect(
      () => new ResultArray(new Float64Array(4), [4], [{ axis: 0, offsets: [0, 1, 3] }]),
    ).toThrow(/ragged rows/);
  });
});

describe('layers', () => {
  it('nothing under src/infer imports from src/report', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(join(ROOT, 'src', 'infer'));
    expect(files.length).toBeGreaterThan(10);
    const offending = files.filter((f) => /from '(\.\.\/)+report\//.test(readFileSync(f, 'utf8')));
    expect(offending).toEqual([]);
  });
});
