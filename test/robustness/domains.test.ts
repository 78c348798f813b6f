// Distribution arguments outside their domain used to be drawn from silently, giving wrong
// numbers (Gamma(-0.5, 1) drew positive values, Bernoulli(1.5) always 1, Uniform(2, 1) drew
// from [1, 2]); an empty simplex was an internal error. Each is now a user error at the
// argument (file:line:col and a caret), exit 1, no stack trace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { runInProcess, STACK_LINE } from '../cli/helpers.js';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'plato-domains-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sampleModel(body: string) {
  const path = join(dir, 'm.plato');
  writeFileSync(path, `model m {\n${body}\n}\n`);
  const before = tf.memory().numTensors;
  const r = await runInProcess(['sample', path, '-n', '3', '--json']);
  // a failed draw leaks no tensors
  expect(tf.memory().numTensors).toBe(before);
  return r;
}

const cases: [string, string, string][] = [
  [
    'Normal with a negative sigma',
    '  hyper s: real = -1\n  x ~ Normal(0, s)',
    'm.plato:3:17: error: x ~ Normal: the argument sigma = -1 is outside its domain: expected sigma > 0',
  ],
  [
    'Gamma with a negative shape',
    '  hyper k: real = -0.5\n  g ~ Gamma(k, 1)',
    'g ~ Gamma: the argument shape = -0.5 is outside its domain: expected shape > 0',
  ],
  [
    'Beta with a zero argument',
    '  b ~ Beta(0, 1)',
    'b ~ Beta: the argument a = 0 is outside its domain: expected a > 0',
  ],
  [
    'Bernoulli with p above 1',
    '  hyper p: real = 1.5\n  y ~ Bernoulli(p)',
    'y ~ Bernoulli: the argument p = 1.5 is outside its domain: expected p in [0, 1]',
  ],
  [
    'Poisson with a negative rate',
    '  r ~ Poisson(0 - 2)',
    'r ~ Poisson: the argument rate = -2 is outside its domain: expected rate ≥ 0',
  ],
  [
    'Binomial with a fractional n',
    '  y ~ Binomial(2.5, 0.5)',
    'y ~ Binomial: the argument n = 2.5 is outside its domain: expected n to be a non-negative integer',
  ],
  [
    'Uniform with lo above hi',
    '  hyper lo: real = 2\n  u ~ Uniform(lo, 1)',
    'u ~ Uniform: lo = 2 is not below hi = 1: expected lo < hi',
  ],
  [
    'a NaN argument (the log of a negative number)',
    '  hyper a: real = -1\n  x ~ Normal(log(a), 1)',
    'x ~ Normal: the argument mu is NaN (not a number)',
  ],
  [
    'a latent parent that puts a child outside its domain',
    '  s ~ Normal(0, 1)\n  x ~ Normal(0, s)',
    'x ~ Normal: the argument sigma = ',
  ],
];

describe('distribution arguments outside their domain', () => {
  for (const [what, body, message] of cases) {
    it(what, async () => {
      const r = await sampleModel(body);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toMatch(/\n\s*\|\s*\^+/); // a caret under the argument
      expect(r.stderr).not.toMatch(STACK_LINE);
      expect(r.stdout).toBe('');
    });
  }

  it('arguments on the edge of their domain are fine', async () => {
    const r = await sampleModel(
      '  y ~ Bernoulli(1)\n  r ~ Poisson(0)\n  u ~ Uniform(-1, 1)\n  c ~ Categorical([0, 1])',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.draws.y).toEqual([1, 1, 1]);
    expect(out.draws.r).toEqual([0, 0, 0]);
    expect(out.draws.c).toEqual([1, 1, 1]);
  });
});

describe('infer checks the arguments the data and the model fix', () => {
  async function inferModel(body: string, data: string) {
    const path = join(dir, 'i.plato');
    const dataPath = join(dir, 'i.json');
    writeFileSync(path, `model m {\n${body}\n}\n`);
    writeFileSync(dataPath, data);
    const before = tf.memory().numTensors;
    const r = await runInProcess([
      'infer',
      path,
      '--data',
      dataPath,
      '--engine',
      'exact',
      '--json',
    ]);
    expect(tf.memory().numTensors).toBe(before);
    return r;
  }

  it('a prior with a negative hyper (exact used to return logEvidence null)', async () => {
    const r = await inferModel(
      '  size N\n  hyper a: real = -1\n  theta ~ Beta(a, 1)\n  plate i in N {\n    y[i] ~ Bernoulli(theta)\n  }',
      '{"N": 3, "y": [1, 0, 1]}',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'i.plato:4:16: error: theta ~ Beta: the argument a = -1 is outside its domain: expected a > 0',
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('a fixed argument next to a latent one', async () => {
    const r = await inferModel(
      '  size N\n  mu ~ Normal(0, 1)\n  plate i in N {\n    y[i] ~ Normal(mu, s)\n  }\n  hyper s: real = -2',
      '{"N": 2, "y": [1, 0]}',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'y ~ Normal: the argument sigma = -2 is outside its domain: expected sigma > 0',
    );
  });

  it('a valid model is unaffected', async () => {
    const r = await inferModel(
      '  size N\n  theta ~ Beta(1, 1)\n  plate i in N {\n    y[i] ~ Bernoulli(theta)\n  }',
      '{"N": 3, "y": [1, 0, 1]}',
    );
    expect(r.code).toBe(0);
    // Beta(1, 1) with 2 ones and 1 zero: evidence B(3, 2) / B(1, 1) = 1/12
    expect(JSON.parse(r.stdout).logEvidence).toBeCloseTo(Math.log(1 / 12), 5);
  });
});

describe('an empty simplex', () => {
  it('Dirichlet over K = 0 categories is a model error, not an internal error', async () => {
    const r = await sampleModel('  size K = 0\n  th ~ Dirichlet(rep(1, K))');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'm.plato:3:3: error: th ~ Dirichlet has an empty event: its last axis has length 0 ([0]); it needs at least one category',
    );
    expect(r.stderr).not.toContain('internal error');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});

describe('one category', () => {
  it('Categorical over K = 1 categories always draws 0 (tf.multinomial needs 2 outcomes)', async () => {
    const r = await sampleModel(
      '  size K = 1\n  z ~ Categorical(rep(1.0, K))\n  w ~ Categorical(softmax(zeros(K)))',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const draws = JSON.parse(r.stdout).draws;
    expect(draws.z).toEqual([0, 0, 0]);
    expect(draws.w).toEqual([0, 0, 0]);
  });
});
