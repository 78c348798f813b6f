// The library's results are typed arrays with shapes, and JSON.stringify of them is exactly
// what the command line prints with --json (DESIGN.md §5, §6): checked on the examples.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { compile, infer, ResultArray, sample } from '../../src/index.js';
import { ROOT, runInProcess } from './helpers.js';

const example = (p: string) => join(ROOT, 'examples', p);
const read = (p: string) => readFileSync(example(p), 'utf8');

/** `seconds` is a wall time: the one field two runs need not share. */
const sameSeconds = (json: string) => json.replace(/"seconds":[^,}]+/, '"seconds":0');

beforeAll(async () => {
  await initBackend('wasm');
});

describe('JSON.stringify of a library result is what --json prints', () => {
  it.each([
    ['coin/coin.plato', 'coin/coin.json'],
    ['asia/asia.plato', 'asia/asia.json'],
    ['blr/blr.plato', 'blr/blr.json'],
    ['noisy_or/noisy_or.plato', 'noisy_or/noisy_or.json'],
  ])('infer %s', async (modelFile, dataFile) => {
    const cli = await runInProcess([
      'infer',
      example(modelFile),
      '--data',
      example(dataFile),
      '--json',
    ]);
    expect(cli.code).toBe(0);
    const model = compile(read(modelFile), { filename: example(modelFile) });
    const before = tf.memory().numTensors;
    const result = await infer(model, { data: JSON.parse(read(dataFile)) });
    expect(tf.memory().numTensors).toBe(before);
    for (const l of Object.values(result.latents)) {
      expect(l.mean).toBeInstanceOf(ResultArray);
      expect(l.mean.data).toBeInstanceOf(Float64Array);
      expect(l.mean.data.length).toBe(l.mean.shape.reduce((a, b) => a * b, 1));
    }
    expect(sameSeconds(`${JSON.stringify(result)}\n`)).toBe(sameSeconds(cli.stdout));
  });

  it.each([
    ['coin/coin.plato', 'coin/coin.json', 7],
    ['lda/lda.plato', 'lda/lda-sizes.json', 5],
    ['asia/asia.plato', 'asia/asia.json', 4],
    ['gmm/gmm.plato', 'gmm/gmm.json', 3],
  ])('sample %s', async (modelFile, dataFile, n) => {
    const cli = await runInProcess([
      'sample',
      example(modelFile),
      '--data',
      example(dataFile),
      '-n',
      String(n),
      '--seed',
      '3',
      '--json',
    ]);
    expect(cli.code).toBe(0);
    const model = compile(read(modelFile), { filename: example(modelFile) });
    const result = await sample(model, { data: JSON.parse(read(dataFile)), n, seed: 3 });
    for (const d of Object.values(result.draws)) {
      expect(d.shape[0]).toBe(n);
      expect(d.data.length).toBe(d.shape.reduce((a, b) => a * b, 1));
    }
    expect(`${JSON.stringify(result)}\n`).toBe(cli.stdout);
  });

  it('lda: the ragged tokens are one flat axis in the typed array, rows per document in JSON', async () => {
    const data = JSON.parse(read('lda/lda-sizes.json')) as { N: number[] };
    const model = compile(read('lda/lda.plato'));
    const result = await sample(model, { data, n: 2, seed: 1 });
    const total = data.N.reduce((a, b) => a + b, 0);
    expect(result.draws.w.shape).toEqual([2, total]);
    expect(result.draws.w.data).toBeInstanceOf(Int32Array); // Categorical draws are integers
    const nested = result.draws.w.toJSON() as number[][][];
    expect(nested[1].map((doc) => doc.length)).toEqual(data.N);
    expect(nested.flat(2)).toEqual(Array.from(result.draws.w.data));
  });
});
