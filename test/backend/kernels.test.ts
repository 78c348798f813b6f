// The wasm kernels src/backend wraps (BatchMatMul with transposes or a batched A, Tile along
// contiguous blocks, Slice of contiguous entries, Concat of short blocks, Sum over leading axes, Transpose of the last two axes, Select of an
// empty result) and expNonPositive against references written
// here, on random shapes (fast-check).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { expNonPositive } from '../../src/backend/expNonPositive.js';
import { gatherHeapRows } from '../../src/backend/heapFloat32.js';
import { initBackend } from '../../src/backend/index.js';
import { matMulReluGrad } from '../../src/backend/matMul.js';
import { simdActive } from '../../src/backend/simd.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Deterministic values in [−1, 1) (float32-exact multiples of 1/64). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s >>> 8) % 128) / 64 - 1;
  }
  return out;
}

/** v as a float32 tensor, or as int32 (v · 64: integers) when `int`. */
function tensorOf(v: Float32Array, shape: number[], int: boolean): tf.Tensor {
  return int
    ? tf.tensor(
        Int32Array.from(v, (t) => t * 64),
        shape,
        'int32',
      )
    : tf.tensor(v, shape);
}

/** C[b] = op(A[b]) op(B[b or 0]) in float64; A [batch, m, k] (or [batch, k, m] transposed). */
function matMul64(
  a: Float32Array,
  b: Float32Array,
  batch: number,
  bBatched: boolean,
  m: number,
  k: number,
  n: number,
  tA: boolean,
  tB: boolean,
): Float64Array {
  const out = new Float64Array(batch * m * n);
  for (let q = 0; q < batch; q++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) {
          const av = a[q * m * k + (tA ? l * m + i : i * k + l)];
          const bq = bBatched ? q : 0;
          const bv = b[bq * k * n + (tB ? j * k + l : l * n + j)];
          s += av * bv;
        }
        out[q * m * n + i * n + j] = s;
      }
  return out;
}

describe('wasm kernels wrapped by src/backend', () => {
  it('matMul with transposes and batches equals the float64 product', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 3 }),
          bBatched: fc.boolean(),
          m: fc.integer({ min: 1, max: 9 }),
          k: fc.integer({ min: 1, max: 40 }),
          n: fc.integer({ min: 1, max: 9 }),
          tA: fc.boolean(),
          tB: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1000 }),
        }),
        ({ batch, bBatched, m, k, n, tA, tB, seed }) => {
          const before = tf.memory().numTensors;
          const av = values(batch * m * k, seed);
          const bv = values((bBatched ? batch : 1) * k * n, seed + 1);
          const got = tf.tidy(() => {
            const A = tf.tensor(av, [batch, tA ? k : m, tA ? m : k]);
            const Bs = tf.tensor(
              bv,
              bBatched ? [batch, tB ? n : k, tB ? k : n] : [tB ? n : k, tB ? k : n],
            );
            return tf.matMul(A, Bs, tA, tB);
          });
          expect(got.shape).toEqual([batch, m, n]);
          const g = got.dataSync();
          got.dispose();
          const ref = matMul64(av, bv, batch, bBatched, m, k, n, tA, tB);
          // entries are sums of k products of multiples of 1/64 below 1: exact in float32 up to k·2⁻¹²
          for (let i = 0; i < ref.length; i++) expect(Math.abs(g[i] - ref[i])).toBeLessThan(1e-5);
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it('fused matMul (bias, relu or another activation) equals the float64 product, every tile edge', () => {
    // m, n past 8 so that gemmSimd.ts's 4 × 8 tiles, its last rows and its last columns all occur
    fc.assert(
      fc.property(
        fc.record({
          m: fc.integer({ min: 1, max: 21 }),
          k: fc.integer({ min: 1, max: 40 }),
          n: fc.integer({ min: 1, max: 21 }),
          tA: fc.boolean(),
          tB: fc.boolean(),
          lead: fc.boolean(),
          bias: fc.constantFrom('none', 'vector', 'row'),
          activation: fc.constantFrom('linear', 'relu', 'elu'),
          seed: fc.integer({ min: 1, max: 1000 }),
        }),
        ({ m, k, n, tA, tB, lead, bias, activation, seed }) => {
          const before = tf.memory().numTensors;
          const av = values(m * k, seed);
          const bv = values(k * n, seed + 1);
          const cv = values(n, seed + 2);
          const pre = lead ? [1] : [];
          const got = tf.tidy(() =>
            tf.fused.matMul({
              a: tf.tensor(av, [...pre, tA ? k : m, tA ? m : k]),
              b: tf.tensor(bv, [...pre, tB ? n : k, tB ? k : n]),
              transposeA: tA,
              transposeB: tB,
              bias: bias === 'none' ? undefined : tf.tensor(cv, bias === 'vector' ? [n] : [1, n]),
              activation: activation as 'linear' | 'relu' | 'elu',
            }),
          );
          expect(got.shape).toEqual([...pre, m, n]);
          const g = got.dataSync();
          got.dispose();
          const ref = matMul64(av, bv, 1, false, m, k, n, tA, tB);
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++) {
              const z = ref[i * n + j] + (bias === 'none' ? 0 : cv[j]);
              const want =
                activation === 'relu'
                  ? Math.max(z, 0)
                  : activation === 'elu' && z < 0
                    ? Math.expm1(z)
                    : z;
              // sums of multiples of 1/64 below 1 are exact; elu's expm1 is float32 (2⁻²³ relative)
              expect(Math.abs(g[i * n + j] - want)).toBeLessThan(1e-5);
            }
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 80, seed: 11 },
    );
  });

  it('matMulReluGrad equals (g wᵀ) ∘ [h > 0] in float64, every tile edge', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 21 }),
        fc.integer({ min: 1, max: 21 }),
        fc.integer({ min: 1, max: 21 }),
        fc.integer({ min: 1, max: 1000 }),
        (m, n, k, seed) => {
          const before = tf.memory().numTensors;
          const gv = values(m * n, seed);
          const wv = values(k * n, seed + 1);
          const hv = values(m * k, seed + 2);
          const got = tf.tidy(() =>
            matMulReluGrad(
              tf.tensor(gv, [1, m, n]),
              tf.tensor(wv, [1, k, n]),
              tf.tensor(hv, [1, m, k]),
            ),
          );
          expect(got.shape).toEqual([1, m, k]);
          const g = got.dataSync();
          got.dispose();
          const ref = matMul64(gv, wv, 1, false, m, n, k, false, true);
          for (let i = 0; i < m * k; i++) {
            const want = hv[i] > 0 ? ref[i] : 0;
            expect(Math.abs(g[i] - want)).toBeLessThan(1e-5);
          }
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 60, seed: 13 },
    );
  });

  it('multiply equals the float64 product for same-size, scalar, per-row and other broadcasts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 13 }),
        fc.constantFrom('same', 'scalar', 'column', 'row', 'lead'),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        (p, r, c, kind, swap, seed) => {
          const before = tf.memory().numTensors;
          // x [p, r, c] against y of the broadcast kind (multiplySimd.ts takes the first four,
          // 'row' when c is a multiple of 4, rowLayout.ts; 'lead' [1, r, c] keeps tfjs's kernel)
          const xs = [p, r, c];
          const ys =
            kind === 'same'
              ? xs
              : kind === 'scalar'
                ? []
                : kind === 'column'
                  ? [p, r, 1]
                  : kind === 'row'
                    ? [1, 1, c]
                    : [1, r, c];
          const nx = p * r * c;
          const ny = ys.reduce((s, d) => s * d, 1);
          const xv = values(nx, seed);
          const yv = values(ny, seed + 1);
          const got = tf.tidy(() => {
            const [x, y] = [tf.tensor(xv, xs), tf.tensor(yv, ys)];
            return swap ? tf.mul(y, x) : tf.mul(x, y);
          });
          expect(got.shape).toEqual(xs);
          const g = got.dataSync();
          got.dispose();
          for (let i = 0; i < p; i++)
            for (let j = 0; j < r; j++)
              for (let k = 0; k < c; k++) {
                const yi =
                  kind === 'same'
                    ? (i * r + j) * c + k
                    : kind === 'scalar'
                      ? 0
                      : kind === 'column'
                        ? i * r + j
                        : kind === 'row'
                          ? k
                          : j * c + k;
                // products of multiples of 1/64 below 1: exact in float32
                expect(g[(i * r + j) * c + k]).toBe(xv[(i * r + j) * c + k] * yv[yi]);
              }
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 150, seed: 17 },
    );
  });

  it('gatherHeapRows equals the rows picked on the host, repeats and any order included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 1000 }),
        (n, size, picks, seed) => {
          const before = tf.memory().numTensors;
          const rows = picks.map((p) => p % n);
          const v = values(n * size, seed);
          const src = tf.tensor(v, [n, size]);
          const got = gatherHeapRows(src, size, rows, [1, rows.length, size]);
          expect(got?.shape).toEqual([1, rows.length, size]);
          const g = (got as tf.Tensor).dataSync();
          for (let i = 0; i < rows.length; i++)
            for (let j = 0; j < size; j++) expect(g[i * size + j]).toBe(v[rows[i] * size + j]);
          expect(() => gatherHeapRows(src, size, [n], [1, 1, size])).toThrow(/row/);
          tf.dispose([src, got as tf.Tensor]);
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 60, seed: 19 },
    );
  });

  it('a product keeps NaN through relu and gives empty results for empty operands', () => {
    const a = tf.tensor([[Number.NaN, 1]]);
    const b = tf.tensor([[1], [1]]);
    const c = tf.fused.matMul({ a, b, activation: 'relu' });
    expect(Number.isNaN(c.dataSync()[0])).toBe(true);
    const e = tf.matMul(tf.zeros([0, 3]), tf.ones([3, 5]));
    expect(e.shape).toEqual([0, 5]);
    tf.dispose([a, b, c, e]);
  });

  it('a batched A times a plain B keeps the broadcast shape', () => {
    const a = tf.ones([2, 3, 4, 5]);
    const b = tf.ones([5, 6]);
    const c = tf.matMul(a, b);
    expect(c.shape).toEqual([2, 3, 4, 6]);
    expect(c.dataSync().every((v) => v === 5)).toBe(true);
    tf.dispose([a, b, c]);
  });

  it('tile equals repeating the array along each axis', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 1, max: 130 }),
        fc.boolean(),
        (lead, repsAll, inner, int) => {
          const shape = [...lead, inner];
          const reps = [...repsAll.slice(0, lead.length), inner > 64 ? 1 : 2];
          const n = shape.reduce((p, d) => p * d, 1);
          const v = values(n, n);
          const x = tensorOf(v, shape, int);
          const got = tf.tile(x, reps);
          const outShape = shape.map((d, a) => d * reps[a]);
          expect(got.shape).toEqual(outShape);
          const g = got.dataSync();
          const xs = x.dataSync();
          // out[i_0, …, i_r] = x[i_0 mod d_0, …, i_r mod d_r], row-major
          const idx = new Array<number>(outShape.length).fill(0);
          for (let o = 0; o < g.length; o++) {
            let s = 0;
            for (let a = 0; a < shape.length; a++) s = s * shape[a] + (idx[a] % shape[a]);
            expect(g[o]).toBe(xs[s]);
            for (let a = outShape.length - 1; a >= 0; a--) {
              if (++idx[a] < outShape[a]) break;
              idx[a] = 0;
            }
          }
          tf.dispose([x, got]);
        },
      ),
      { numRuns: 40, seed: 3 },
    );
  });

  it('slice equals the entries at begin … begin + size, contiguous, in runs, or neither', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        (shape, seed, int) => {
          const before = tf.memory().numTensors;
          const n = shape.reduce((p, d) => p * d, 1);
          const v = values(n, seed + 1);
          const x = tensorOf(v, shape, int);
          // begin and size from the seed; the first axis often cut, the others often whole
          const begin = shape.map((d, a) => (seed >> a) % d);
          const size = shape.map((d, a) =>
            a > 0 && (seed >> (a + 3)) % 2 === 0 && begin[a] === 0
              ? d
              : 1 + ((seed >> (a + 5)) % (d - begin[a])),
          );
          const got = tf.slice(x, begin, size);
          expect(got.shape).toEqual(size);
          const g = got.dataSync();
          const xs = x.dataSync();
          const idx = new Array<number>(size.length).fill(0);
          for (let o = 0; o < g.length; o++) {
            let s = 0;
            for (let a = 0; a < shape.length; a++) s = s * shape[a] + begin[a] + idx[a];
            expect(g[o]).toBe(xs[s]);
            for (let a = size.length - 1; a >= 0; a--) {
              if (++idx[a] < size[a]) break;
              idx[a] = 0;
            }
          }
          tf.dispose([x, got]);
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 80, seed: 5 },
    );
  });

  it('concat equals the inputs’ blocks side by side along the axis (short blocks and long)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        (shape, widths, axis0, seed, int) => {
          const before = tf.memory().numTensors;
          const axis = axis0 % shape.length;
          const shapes = widths.map((w) => shape.map((d, a) => (a === axis ? w : d)));
          const vs = shapes.map((sh, k) =>
            values(
              sh.reduce((p, d) => p * d, 1),
              seed + 7 * k + 1,
            ),
          );
          const xs = shapes.map((sh, k) => tensorOf(vs[k], sh, int));
          const got = tf.concat(xs, axis);
          const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
          const inner = shapes.map((sh) => sh.slice(axis).reduce((p, d) => p * d, 1));
          const want: number[] = [];
          for (let o = 0; o < outer; o++)
            vs.forEach((v, k) => {
              for (let j = 0; j < inner[k]; j++)
                want.push(int ? v[o * inner[k] + j] * 64 : v[o * inner[k] + j]);
            });
          expect(got.shape).toEqual(
            shape.map((d, a) => (a === axis ? widths.reduce((p, w) => p + w, 0) : d)),
          );
          expect(got.dtype).toBe(int ? 'int32' : 'float32');
          expect(Array.from(got.dataSync())).toEqual(want);
          tf.dispose([...xs, got]);
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 80, seed: 11 },
    );
  });

  it('transpose of the last two axes equals the entries swapped (blocked tiles and their edges)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        (lead, rows, cols, seed, int) => {
          const before = tf.memory().numTensors;
          const shape = [...lead, rows, cols];
          const n = shape.reduce((p, d) => p * d, 1);
          const v = values(n, seed + 1);
          const x = tensorOf(v, shape, int);
          const r = shape.length;
          const perm = [...lead.map((_, a) => a), r - 1, r - 2];
          const got = tf.transpose(x, perm);
          expect(got.shape).toEqual([...lead, cols, rows]);
          expect(got.dtype).toBe(x.dtype);
          const g = got.dataSync();
          const xs = x.dataSync();
          const batch = n / (rows * cols);
          for (let b = 0; b < batch; b++)
            for (let i = 0; i < rows; i++)
              for (let j = 0; j < cols; j++)
                if (g[b * rows * cols + j * rows + i] !== xs[b * rows * cols + i * cols + j])
                  expect.fail(`[${b}, ${j}, ${i}] of the transpose of shape [${shape.join(', ')}]`);
          tf.dispose([x, got]);
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 80, seed: 13 },
    );
    expect(simdActive()).toBe(true);
  });

  it('sum over leading axes equals the float64 column sums (SIMD groups of four and the rest)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        (shape, kWanted, keepDims, seed) => {
          const before = tf.memory().numTensors;
          const k = Math.min(kWanted, shape.length - 1);
          const n = shape.reduce((p, d) => p * d, 1);
          const v = values(n, seed + 1);
          const x = tf.tensor(v, shape);
          // the axes unsorted and negative where the seed says: the kernel normalises them
          const axes = Array.from({ length: k }, (_, a) =>
            seed & (1 << a) ? a - shape.length : a,
          );
          if (seed & 8) axes.reverse();
          const got = tf.sum(x, axes, keepDims);
          const rows = shape.slice(0, k).reduce((p, d) => p * d, 1);
          const cols = n / rows;
          expect(got.shape).toEqual(
            keepDims ? shape.map((d, a) => (a < k ? 1 : d)) : shape.slice(k),
          );
          const g = got.dataSync();
          for (let j = 0; j < cols; j++) {
            let s = 0;
            let abs = 0;
            for (let r = 0; r < rows; r++) {
              s += v[r * cols + j];
              abs += Math.abs(v[r * cols + j]);
            }
            // float32 sums of `rows` terms: at most rows ulps of the absolute sum
            expect(Math.abs(g[j] - s)).toBeLessThanOrEqual(rows * 2 ** -24 * abs + 1e-30);
          }
          tf.dispose([x, got]);
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 80, seed: 9 },
    );
    expect(simdActive()).toBe(true);
  });

  it('where over an empty batch returns the empty result and leaves the heap intact', () => {
    // tf.where keeps a size-1 condition axis against a 0-length one; wasm's SelectV2 wrote the
    // condition's 9 elements into the 0-byte output (select.ts), and freeing failed later
    const start = tf.memory().numTensors;
    for (let round = 0; round < 20; round++) {
      tf.tidy(() => {
        const mask = tf.cast(tf.eye(3).reshape([1, 3, 3]), 'bool');
        const a = tf.zeros([0, 3, 3]);
        const kept = [tf.ones([round + 1, 3]), tf.zeros([2, 2])];
        const out = tf.where(mask, a, tf.onesLike(a));
        expect(out.shape).toEqual([0, 3, 3]);
        expect(tf.sum(out, -1).shape).toEqual([0, 3]);
        // allocations and frees after it: a corrupted heap fails here
        for (const t of kept) expect(t.dataSync().length).toBe(t.size);
      });
    }
    expect(tf.memory().numTensors).toBe(start);
    // a non-empty where is the kernel's own
    const c = tf.tensor([[true, false]]);
    expect(Array.from(tf.where(c, tf.ones([2, 2]), tf.zeros([2, 2])).dataSync())).toEqual([
      1, 0, 1, 0,
    ]);
  });

  it('expNonPositive equals Math.exp to float32 accuracy on x ≤ 0', () => {
    const xs = Float32Array.from({ length: 2000 }, (_, i) => -(i * i) / 20000); // 0 … −200
    const t = tf.tensor(xs);
    const e = expNonPositive(t);
    const g = e.dataSync();
    tf.dispose([t, e]);
    for (let i = 0; i < xs.length; i++) {
      const ref = Math.exp(xs[i]);
      // float32's smallest normal is 1.2e-38 (x ≈ −87.3): below it 0 or a subnormal
      if (ref < 1.2e-38) expect(g[i]).toBeLessThan(1.2e-38);
      else expect(Math.abs(g[i] - ref)).toBeLessThanOrEqual(1e-6 * ref);
    }
  });
});
