// tfjs-wasm computes broadcasts of rank >= 7 wrongly and silently: the compiler must refuse
// such models with a clear error instead of returning wrong numbers (docs/numerics.md).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { compileModel, MAX_WASM_RANK } from '../../src/compile/model.js';
import { PlatoError } from '../../src/diagnostics/diagnostics.js';
import { forwardSample } from '../../src/infer/sample/index.js';
import { boundModel } from '../support/models.js';

/** `depth` nested plates of size 2 around a vector node x and a scalar child y = sum(x). */
function nested(depth: number): string {
  const idx = Array.from({ length: depth }, (_, i) => `i${i}`);
  const sizes = idx.map((_, i) => `  size S${i}`).join('\n');
  const open = idx.map((v, i) => `plate ${v} in S${i} {`).join('\n');
  const at = idx.join(', ');
  const offset = idx.map((v, i) => `${10 ** i} * ${v}`).join(' + ');
  return `model deep {\n${sizes}\n${open}\n  x[${at}]: real[3] ~ Normal(zeros(3) + ${offset}, 1)\n  y[${at}] ~ Normal(sum(x[${at}]), 0.1)\n${'}\n'.repeat(depth)}}`;
}
const sizes = (depth: number) =>
  Object.fromEntries(Array.from({ length: depth }, (_, i) => [`S${i}`, 2]));

describe('tensor rank limit on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('a model within the limit samples correctly (y mean = 3 × offset)', () => {
    const depth = MAX_WASM_RANK - 2; // samples + plates + event rank 1 = MAX_WASM_RANK
    const model = boundModel(nested(depth), sizes(depth));
    const before = tf.memory().numTensors;
    const draws = forwardSample(model, { n: 2000, seed: 3 });
    const mean = tf.tidy(() => tf.mean(draws.y, 0).dataSync());
    for (const t of Object.values(draws)) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // element (i0, …, i_{d-1}) of the row-major layout has offset sum_k 10^k i_k
    for (let flat = 0; flat < mean.length; flat++) {
      let offset = 0;
      for (let k = 0; k < depth; k++) offset += 10 ** k * ((flat >> (depth - 1 - k)) & 1);
      // sd of y is sqrt(3 + 0.01); 5 standard errors of the mean over 2000 draws
      expect(Math.abs(mean[flat] - 3 * offset)).toBeLessThan(5 * Math.sqrt(3.01 / 2000));
    }
  });

  it('a model beyond it is refused with a message naming the node', () => {
    const depth = MAX_WASM_RANK - 1;
    const model = boundModel(nested(depth), sizes(depth));
    expect(() => compileModel(model)).toThrow(PlatoError);
    expect(() => compileModel(model)).toThrow(/x needs tensors of rank 7 .*--backend cpu/);
  });
});
