// The chunked JSON writer must print exactly what JSON.stringify prints.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResultArray } from '../../src/infer/result.js';
import { jsonChunks, writeJsonChunks } from '../../src/report/jsonStream.js';

const join = (v: unknown) => [...jsonChunks(v)].join('');

describe('jsonChunks', () => {
  it('matches JSON.stringify on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => join(v) === JSON.stringify(v)),
      { seed: 42, numRuns: 300 },
    );
  });

  it('matches JSON.stringify on what results hold: non-finite numbers, undefined, nesting', () => {
    const v = {
      engine: 'sample',
      n: 2,
      elbo: undefined,
      logEvidence: Number.NEGATIVE_INFINITY,
      draws: {
        x: [
          [
            [1, Number.NaN],
            [null, -0],
          ],
          [[2.5e-300, 3]],
        ],
        y: [undefined, 'a"b'],
      },
      summary: {},
      ok: true,
    };
    expect(join(v)).toBe(JSON.stringify(v));
  });

  it("writes a ResultArray's negative zero as -0, so that a saved weight reads back bit for bit", () => {
    const a = new ResultArray(Float32Array.of(-0, 0, 1.5, -0), [2, 2]);
    expect(join({ w: a, s: new ResultArray(Float64Array.of(-0), []), plain: [-0] })).toBe(
      '{"w":[[-0,0],[1.5,-0]],"s":-0,"plain":[0]}',
    );
    const back = JSON.parse(join(a)) as number[][];
    expect(Object.is(back[0][0], -0)).toBe(true);
    expect(Object.is(back[0][1], 0)).toBe(true);
  });

  it('writes in bounded chunks to every sink', async () => {
    const v = { draws: Array.from({ length: 200 }, (_, i) => [i, i / 7, -i]) };
    const a: string[] = [];
    const b: string[] = [];
    await writeJsonChunks(v, [async (c) => void a.push(c), async (c) => void b.push(c)], 256);
    expect(a.join('')).toBe(`${JSON.stringify(v)}\n`);
    expect(b).toEqual(a);
    expect(a.length).toBeGreaterThan(10);
    // a chunk is flushed as soon as it reaches the size, so none is much larger than it
    for (const c of a) expect(c.length).toBeLessThan(256 + 64);
  });
});
