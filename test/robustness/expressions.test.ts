// Expressions that used to give wrong numbers silently: a negative literal index read past
// the array (v[-1] gave 3.4e-44), and a deterministic node that is NaN for some draws was
// written to the JSON result as null. Both are now user errors at the expression.
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
  dir = mkdtempSync(join(tmpdir(), 'plato-expr-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sampleModel(body: string) {
  const path = join(dir, 'e.plato');
  writeFileSync(path, `model e {\n${body}\n}\n`);
  const before = tf.memory().numTensors;
  const r = await runInProcess(['sample', path, '-n', '20', '--json']);
  expect(tf.memory().numTensors).toBe(before);
  return r;
}

describe('expressions with no meaningful value', () => {
  it('a negative literal index', async () => {
    const r = await sampleModel('  hyper v: real[4] = [1, 2, 3, 4]\n  a = v[-1]');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'e.plato:3:9: error: index -1 is out of range: axis 0 of v has length 4 (indices start at 0; negative indices are not supported)',
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('a deterministic node that is NaN for some draws', async () => {
    const r = await sampleModel('  x ~ Normal(0, 1)\n  a = log(x)');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'e.plato:3:7: error: a is NaN (not a number) in some draws: its definition is undefined for the values drawn',
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stdout).toBe('');
  });

  it('the same functions on their domain are fine', async () => {
    const r = await sampleModel(
      '  hyper v: real[4] = [1, -2, 3, 0.5]\n  x ~ Normal(0, 1)\n  a = log(abs(x) + 1) + log1p(abs(x)) + min(x, 0) + max(x, 0)\n  s = softmax(v[1:3])',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const x = out.draws.x as number[];
    const a = out.draws.a as number[];
    // log(|x| + 1) + log1p(|x|) + min(x, 0) + max(x, 0) = 2 log1p(|x|) + x
    for (const [i, xi] of x.entries()) {
      expect(a[i]).toBeCloseTo(2 * Math.log1p(Math.abs(xi)) + xi, 4);
    }
    const e = [Math.exp(-2), Math.exp(3)];
    expect(out.draws.s[0][0]).toBeCloseTo(e[0] / (e[0] + e[1]), 5);
  });
});
