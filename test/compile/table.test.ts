// sampleTable: inverse-CDF draws from rows of a [R, V] table, by one int32 searchSorted when
// R is small and by the gather binary search otherwise. Both must draw each category with its
// probability and never draw a zero-probability one (leading, interior or trailing zeros).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { sampleTable, type TableParam } from '../../src/compile/table.js';

beforeAll(async () => {
  await initBackend('wasm');
});

// two row templates; element e uses row e % R, whose template is row % 2
const TEMPLATES = [
  [0, 0.25, 0.15, 0, 0.6, 0, 0],
  [0.4, 0.3, 0, 0, 0, 0.2, 0.1],
];
const V = TEMPLATES[0].length;

function table(R: number): number[][] {
  return Array.from({ length: R }, (_, r) => TEMPLATES[r % 2].map((p) => p * (1 + (r % 5))));
}

/** Draws of n elements (shape [1, n]) and the kernels the draw ran. */
async function drawTable(
  R: number,
  param: TableParam,
  n: number,
  seed: number,
): Promise<{ x: Float32Array; rows: Int32Array; kernels: string[] }> {
  const p = table(R);
  const flat =
    param === 'p' ? tf.tensor2d(p) : tf.tensor2d(p.map((row) => row.map((v) => Math.log(v))));
  const rowsData = Int32Array.from({ length: n }, (_, e) => e % R);
  const rows = tf.tensor2d(rowsData, [1, n], 'int32');
  const before = tf.memory().numTensors;
  let out: tf.Tensor | undefined;
  const info = await tf.profile(() => {
    out = sampleTable({ flat, rows }, param, [1, n], seed);
    return out;
  });
  if (!out) throw new Error('no draw');
  expect(out.shape).toEqual([1, n]);
  const x = out.dataSync() as Float32Array;
  out.dispose();
  expect(tf.memory().numTensors).toBe(before);
  flat.dispose();
  rows.dispose();
  return { x, rows: rowsData, kernels: info.kernels.map((k) => k.name) };
}

function expectFrequencies(x: Float32Array, rows: Int32Array): void {
  for (let t = 0; t < 2; t++) {
    const probs = TEMPLATES[t];
    let n = 0;
    const hits = new Array<number>(V).fill(0);
    for (let e = 0; e < x.length; e++) {
      if (rows[e] % 2 !== t) continue;
      n++;
      const v = x[e];
      expect(Number.isInteger(v) && v >= 0 && v < V).toBe(true);
      hits[v]++;
    }
    probs.forEach((p, v) => {
      if (p === 0) expect(hits[v]).toBe(0);
      // 5 standard errors of a binomial proportion
      else expect(Math.abs(hits[v] / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    });
  }
}

describe('sampleTable', () => {
  const n = 60000;

  it('few rows: one searchSorted over int32 keys draws the right frequencies', async () => {
    for (const param of ['p', 'logits'] as const) {
      const d = await drawTable(6, param, n, 11);
      expect(d.kernels).toContain('SearchSorted');
      expect(d.kernels).not.toContain('GatherNd');
      expectFrequencies(d.x, d.rows);
    }
  });

  it('many rows (R · 2^24 >= 2^31): the gather binary search draws the right frequencies', async () => {
    const d = await drawTable(300, 'p', n, 12);
    expect(d.kernels).not.toContain('SearchSorted');
    expect(d.kernels).toContain('GatherNd');
    expectFrequencies(d.x, d.rows);
  });

  it('a row with a single positive category always draws it', async () => {
    const flat = tf.tensor2d([
      [0, 0, 0, 2e-30, 0],
      [3, 0, 0, 0, 0],
    ]);
    const rows = tf.tensor2d(
      Int32Array.from({ length: 1000 }, (_, e) => e % 2),
      [1, 1000],
      'int32',
    );
    const out = sampleTable({ flat, rows }, 'p', [1, 1000], 5);
    out.dataSync().forEach((v, e) => {
      expect(v).toBe(e % 2 === 0 ? 3 : 0);
    });
    tf.dispose([flat, rows, out]);
  });

  it('an invalid row (all zeros: 0 / 0 = NaN) still gives categories of its own row', () => {
    const flat = tf.tensor2d([
      [0.2, 0.8, 0],
      [0, 0, 0],
      [0, 0, 1],
    ]);
    const rows = tf.tensor2d(
      Int32Array.from({ length: 300 }, (_, e) => e % 3),
      [1, 300],
      'int32',
    );
    const out = sampleTable({ flat, rows }, 'p', [1, 300], 6);
    out.dataSync().forEach((v, e) => {
      expect(Number.isInteger(v) && v >= 0 && v < 3).toBe(true);
      if (e % 3 === 0) expect(v).toBeLessThan(2);
      if (e % 3 === 2) expect(v).toBe(2);
    });
    tf.dispose([flat, rows, out]);
  });
});
