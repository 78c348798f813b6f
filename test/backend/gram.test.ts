// The wasm AᵀA / Aᵀb kernel (src/backend/gram.ts, gramSimd.ts) against float64 sums written here: on the
// backend's tensors for random shapes (every tile position, the shifted last tiles, chunk
// boundaries), and the emitted module itself on a plain and on a shared memory (the one-thread
// and the threaded builds of tfjs-backend-wasm import one or the other).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { gramF64, residualF64 } from '../../src/backend/gram.js';
import { GRAM_FUNCS } from '../../src/backend/gramSimd.js';
import { initBackend } from '../../src/backend/index.js';
import { moduleBytes } from '../../src/backend/wasmAsm.js';
import { prng } from '../support/prng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** float32 values in [−2, 2) */
function values(n: number, seed: number): Float32Array {
  const rand = prng(seed);
  return Float32Array.from({ length: n }, () => Math.fround(4 * rand() - 2));
}

/**
 * The float32 sums run over ≤ 1024 rows (gram.ts CHUNK), so each entry is within
 * γ · Σ_t |a_ti a_tj| of the exact sum, γ = 1026 · 2⁻²⁴ (n products and additions, Higham §3.1).
 */
const GAMMA = 1026 * 2 ** -24;

function expectGram(a: Float32Array, b: Float32Array, T: number, D: number): void {
  const A = tf.tensor2d(a, [T, D]);
  const y = tf.tensor1d(b);
  const before = tf.memory().numTensors;
  const out = gramF64(A, y);
  expect(tf.memory().numTensors).toBe(before);
  A.dispose();
  y.dispose();
  expect(out).toBeDefined();
  const { G, g } = out as NonNullable<typeof out>;
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      let s = 0;
      let abs = 0;
      for (let t = 0; t < T; t++) {
        s += a[t * D + i] * a[t * D + j];
        abs += Math.abs(a[t * D + i] * a[t * D + j]);
      }
      if (!(Math.abs(G[i * D + j] - s) <= GAMMA * abs + 1e-300))
        throw new Error(`G[${i}, ${j}] = ${G[i * D + j]}, float64 ${s} (T ${T}, D ${D})`);
    }
    let s = 0;
    let abs = 0;
    for (let t = 0; t < T; t++) {
      s += b[t] * a[t * D + i];
      abs += Math.abs(b[t] * a[t * D + i]);
    }
    if (!(Math.abs(g[i] - s) <= GAMMA * abs + 1e-300))
      throw new Error(`g[${i}] = ${g[i]}, float64 ${s} (T ${T}, D ${D})`);
  }
}

describe('gramF64: AᵀA and Aᵀb on the wasm heap', () => {
  it('matches float64 sums for any T and any D ≥ 8', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2600 }),
        fc.integer({ min: 8, max: 37 }),
        fc.integer(),
        (T, D, seed) => expectGram(values(T * D, seed), values(T, seed + 1), T, D),
      ),
      { seed: 17, numRuns: 25 },
    );
    // the bench's width, past two chunk boundaries
    expectGram(values(2049 * 50, 3), values(2049, 4), 2049, 50);
  });

  it('the residual Σ (b − A m)² matches float64 for any T and D (SIMD part and tail)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1500 }),
        fc.integer({ min: 1, max: 37 }),
        fc.integer(),
        (T, D, seed) => {
          const a = values(T * D, seed);
          const b = values(T, seed + 1);
          const m = Array.from(values(D, seed + 2), (v) => v * 1.37);
          const A = tf.tensor2d(a, [T, D]);
          const y = tf.tensor1d(b);
          const R = residualF64(A, y, m);
          tf.dispose([A, y]);
          // a · m in float32 over D products (m rounded to float32 too): off by at most
          // δ = (D + 3) 2⁻²⁴ Σ |a_j m_j| per row, so (b − fit)² by at most 2 |e| δ + δ²
          let exact = 0;
          let bound = 0;
          for (let t = 0; t < T; t++) {
            let fit = 0;
            let abs = 0;
            for (let j = 0; j < D; j++) {
              fit += a[t * D + j] * m[j];
              abs += Math.abs(a[t * D + j] * m[j]);
            }
            const e = b[t] - fit;
            const delta = (D + 3) * 2 ** -24 * abs;
            exact += e * e;
            bound += 2 * Math.abs(e) * delta + delta * delta;
          }
          expect(R).toBeDefined();
          expect(Math.abs((R as number) - exact)).toBeLessThanOrEqual(bound + 1e-12 * exact);
        },
      ),
      { seed: 23, numRuns: 40 },
    );
  });

  it('declines what it does not handle, for the caller to take the tfjs path', () => {
    const narrow = tf.zeros([10, 7]);
    const ints = tf.zeros([10, 8], 'int32');
    const b = tf.zeros([10]);
    expect(gramF64(narrow, b)).toBeUndefined();
    expect(gramF64(ints, b)).toBeUndefined();
    expect(gramF64(tf.zeros([10, 8]), tf.zeros([9]))).toBeUndefined();
    tf.dispose([narrow, ints, b]);
  });

  it('the emitted module runs on a plain and on a shared memory', () => {
    const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    for (const shared of [false, true]) {
      const memory = new WA.Memory({ initial: 1, maximum: 4, shared });
      const inst = new WA.Instance(new WA.Module(moduleBytes(GRAM_FUNCS, shared)), {
        env: { memory },
      });
      const { tile4, tile1 } = inst.exports as Record<string, (...a: number[]) => void>;
      // 3 rows of 9 floats at 0; out at 1024
      const rows = 3;
      const D = 9;
      const x = new Float32Array(memory.buffer, 0, rows * D);
      x.set(values(rows * D, shared ? 5 : 6));
      tile4(4 * 1, 4 * D, 4 * 1, 4 * D, rows, 1024); // columns 1..4 × 1..8
      const out = new Float64Array(memory.buffer, 1024, 32);
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 8; j++) {
          let s = 0;
          for (let t = 0; t < rows; t++) s += x[t * D + 1 + i] * x[t * D + 1 + j];
          expect(out[i * 8 + j]).toBeCloseTo(s, 5);
        }
      // a strided vector against columns 0..7
      tile1(0, 4 * D, 0, 4 * D, rows, 1024);
      for (let j = 0; j < 8; j++) {
        let s = 0;
        for (let t = 0; t < rows; t++) s += x[t * D] * x[t * D + j];
        expect(out[j]).toBeCloseTo(s, 5);
      }
    }
  });
});

interface WasmApi {
  Memory: new (d: {
    initial: number;
    maximum: number;
    shared: boolean;
  }) => {
    buffer: ArrayBuffer;
  };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: unknown };
}
