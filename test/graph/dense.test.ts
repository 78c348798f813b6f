// The fast data paths of binding (src/graph/values.ts): a typed array with its shape bound as
// given (one finiteness scan), and nested arrays of fixed axes read by a tight loop, kept as
// float32 when every number is a float32 value. Whatever the path, the bound values are the
// numbers given, exactly, and every data error names the variable and the index.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { heapFloat32 } from '../../src/backend/heapFloat32.js';
import { initBackend } from '../../src/backend/index.js';
import { bind } from '../../src/graph/bind.js';
import type { BoundModel, DataInput } from '../../src/graph/bound.js';
import type { ModelGraph } from '../../src/graph/ir.js';
import { float32Of, releaseValues, tensorOf } from '../../src/graph/values.js';
import { compile, infer, sample } from '../../src/index.js';
import { MODELS } from '../support/models.js';
import { prng } from '../support/prng.js';
import { graphOf, thrownMessages } from './helpers.js';

const blr = graphOf(MODELS.blr);
const values = (b: BoundModel, name: string) => Array.from(b.values[name].data);
const bindMessages = (g: ModelGraph, data: DataInput) =>
  thrownMessages(() => bind(g, data, { dataFile: 'd.json' }));

/** N × P nested rows of float32 values (as a JSON file written from float32 data holds them) */
function rows32(N: number, P: number, seed: number): number[][] {
  const rand = prng(seed);
  return Array.from({ length: N }, () =>
    Array.from({ length: P }, () => Math.fround(8 * rand() - 4)),
  );
}

describe('bind: typed arrays with their shape', () => {
  it('Float32Array and Float64Array inputs bind to the same values as nested arrays', () => {
    const X = rows32(300, 20, 1); // 6000 entries: past the float32 threshold of nested reading
    const y = X.map((r) => r[0] - r[1]);
    const flat = X.flat();
    const nested = bind(blr, { X, y });
    const f32 = bind(blr, { X: { shape: [300, 20], data: Float32Array.from(flat) }, y });
    const f64 = bind(blr, { X: { shape: [300, 20], data: Float64Array.from(flat) }, y });
    for (const b of [nested, f32, f64]) {
      expect(b.sizes).toEqual({ N: 300, P: 20 });
      expect(b.values.X.shape).toEqual([300, 20]);
      expect(values(b, 'X')).toEqual(flat);
      expect(Array.from(float32Of(b.values.X))).toEqual(flat);
    }
    // integer typed arrays are converted natively
    const ints = bind(blr, {
      X: { shape: [3, 2], data: Int32Array.of(1, -2, 3, 4, 5, 6) },
      y: [1, 2, 3],
    });
    expect(values(ints, 'X')).toEqual([1, -2, 3, 4, 5, 6]);
  });

  it('a wrong shape, a wrong length, NaN or Infinity is an error naming the variable and index', () => {
    const y = [1, 2, 3];
    expect(
      bindMessages(blr, { N: 3, P: 2, X: { shape: [3, 3], data: new Float32Array(9) }, y }),
    ).toEqual(['size P: the data says 2 but X has 3 entries along axis 1']);
    expect(bindMessages(blr, { P: 2, X: { shape: [3, 2], data: new Float32Array(5) }, y })).toEqual(
      ['X: the array has 5 numbers but shape [3, 2] needs 6'],
    );
    const bad = Float32Array.of(1, 2, 3, Number.NaN, 5, Number.NEGATIVE_INFINITY);
    expect(bindMessages(blr, { X: { shape: [3, 2], data: bad }, y })).toEqual([
      'data X[1, 1] (entry 3 of the dense array) = NaN is not a finite number',
      'data X[2, 1] (entry 5 of the dense array) = -Infinity is not a finite number',
    ]);
    // for an observed node NaN is a missing entry
    const b = bind(blr, {
      X: { shape: [3, 2], data: new Float32Array(6) },
      y: { shape: [3], data: Float32Array.of(1, Number.NaN, 2) },
    });
    const obs = b.observation.y;
    expect(obs.kind === 'partial' && Array.from(obs.mask)).toEqual([1, 0, 1]);
  });
  it('one non-finite entry anywhere (any length, any position) is found and named', () => {
    // the scan sums v − v four entries at a time, then the tail: every position of each
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 13 }),
        fc.nat(),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
        fc.boolean(),
        (N, at, bad, f64) => {
          const data = f64 ? new Float64Array(N * 2).fill(1e300) : new Float32Array(N * 2).fill(3);
          const i = at % (N * 2);
          data[i] = bad;
          const y = Array.from({ length: N }, () => 0);
          const row = Math.floor(i / 2);
          expect(bindMessages(blr, { X: { shape: [N, 2], data }, y })).toEqual([
            `data X[${row}, ${i % 2}] (entry ${i} of the dense array) = ${bad} is not a finite number`,
          ]);
        },
      ),
      { seed: 5, numRuns: 60 },
    );
  });
});

describe('bind: nested arrays read by the fast path', () => {
  it('any mix of float32 and general float64 numbers binds to exactly the numbers given', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer(),
        fc.option(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })),
        fc.nat(),
        (N, P, seed, odd, at) => {
          const X = rows32(N, P, seed);
          // one number float32 may not hold, anywhere: the values read so far move to float64
          if (odd !== null) X[at % N][(at >> 8) % P] = odd;
          const b = bind(blr, { X, y: X.map((r) => r[0]) });
          expect(b.values.X.shape).toEqual([N, P]);
          expect(values(b, 'X')).toEqual(X.flat());
          expect(Array.from(float32Of(b.values.X))).toEqual(X.flat().map(Math.fround));
        },
      ),
      { seed: 8, numRuns: 40 },
    );
  });

  it('large nested data keeps every error of the entry-by-entry reading', () => {
    const X: unknown[][] = rows32(100, 50, 2);
    const y = X.map(() => 0);
    X[70][3] = Number.NaN;
    expect(bindMessages(blr, { X, y })).toEqual(['data X[70, 3] = NaN is not a number']);
    X[70][3] = null;
    expect(bindMessages(blr, { X, y })).toEqual([
      'data X[70, 3] is missing (null): data must be complete',
    ]);
    X[70][3] = '1';
    expect(bindMessages(blr, { X, y })).toEqual([
      'data X[70, 3] is the string "1": expected a number',
    ]);
    X[70][3] = 1;
    X[99] = X[99].slice(1);
    expect(bindMessages(blr, { X, y })).toEqual(['X[99]: expected 50 entries, got 49']);
  });
});

describe('bind: large values written into a tensor (Float32Store)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  const store = { float32Store: heapFloat32 };

  it('nested or typed, float32 or general numbers: the tensor holds them rounded to float32, `data` the exact numbers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 60, max: 200 }),
        fc.integer({ min: 70, max: 90 }),
        fc.integer(),
        fc.option(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })),
        fc.nat(),
        fc.constantFrom('nested', 'float32', 'float64'),
        (N, P, seed, odd, at, form) => {
          const start = tf.memory().numTensors;
          const X = rows32(N, P, seed);
          if (odd !== null && form !== 'float32') X[at % N][(at >> 8) % P] = odd;
          const flat = X.flat();
          const given =
            form === 'nested'
              ? X
              : {
                  shape: [N, P],
                  data: form === 'float32' ? Float32Array.from(flat) : Float64Array.from(flat),
                };
          const b = bind(blr, { X: given, y: X.map((r) => r[0]) }, store);
          // only float32 values (nested, any numbers; typed, a Float32Array) go to a tensor
          const t = tensorOf(b.values.X);
          expect(t !== undefined).toBe(form !== 'float64');
          if (t) {
            expect(t.shape).toEqual([N, P]);
            expect(Array.from(t.dataSync())).toEqual(flat.map(Math.fround));
            expect(tf.memory().numTensors).toBe(start + 1);
          }
          expect(Array.from(float32Of(b.values.X))).toEqual(flat.map(Math.fround));
          expect(values(b, 'X')).toEqual(flat);
          releaseValues(b.values);
          expect(tf.memory().numTensors).toBe(start);
          expect(tensorOf(b.values.X)).toBeUndefined();
          // what was read before the release stays readable
          expect(values(b, 'X')).toEqual(flat);
        },
      ),
      { seed: 11, numRuns: 30 },
    );
  });

  it('a binding that fails frees the tensors it filled, and names every problem', () => {
    const start = tf.memory().numTensors;
    const X: unknown[][] = rows32(100, 50, 3);
    // X is read into a tensor; y's problem fails the binding after that
    const y: unknown[] = X.map(() => 0);
    y[7] = 'a';
    expect(thrownMessages(() => bind(blr, { X, y }, store))).toEqual([
      'y[7] is the string "a": expected a number',
    ]);
    expect(tf.memory().numTensors).toBe(start);
    // a bad entry of X itself, after a number float32 does not hold: the tensor is dropped
    X[2][1] = 0.1;
    X[70][3] = Number.POSITIVE_INFINITY;
    expect(thrownMessages(() => bind(blr, { X, y: X.map(() => 0) }, store))).toEqual([
      'data X[70, 3] = Infinity is not a finite number',
    ]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('infer() and sample() free what binding filled; the posterior is the same as from a Float64Array', async () => {
    const model = compile(MODELS.blr);
    const X = rows32(200, 30, 4);
    X[5][5] = 0.1; // one number float32 does not hold
    const y = X.map((r) => r[0] - 2 * r[1] + 0.5 * r[29]);
    const start = tf.memory().numTensors;
    const nested = await infer(model, { data: { X, y }, engine: 'exact' });
    expect(tf.memory().numTensors).toBe(start);
    const typed = await infer(model, {
      data: { X: { shape: [200, 30], data: Float64Array.from(X.flat()) }, y },
      engine: 'exact',
    });
    // the tensors are float32 in both: the same closed form on the same float32 numbers
    expect(nested.logEvidence).toBe(typed.logEvidence);
    expect(nested.latents.beta.mean.data).toEqual(typed.latents.beta.mean.data);
    const draws = await sample(model, { data: { X }, n: 3 });
    expect(draws.draws.y.shape).toEqual([3, 200]);
    expect(tf.memory().numTensors).toBe(start);
  });
});
