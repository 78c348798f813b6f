// avi on the VAE of examples/vae with the small digits data: the ELBO improves over the first
// epochs, reconstructions are closer to their inputs than decodings of other images' codes, and
// a fit restarts from its saved values (`initial`).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { PlatoError } from '../../../src/diagnostics/diagnostics.js';
import { runAvi } from './helpers.js';

const SOURCE = readFileSync('examples/vae/vae.plato', 'utf8');
const DATA = JSON.parse(readFileSync('examples/vae/digits-small.json', 'utf8')) as {
  N: number;
  P: number;
  x: number[][];
};

beforeAll(async () => {
  await initBackend('wasm');
});

/** The decoder's Bernoulli means at codes z (float64, from the reported weights). */
function decode(
  params: Record<string, { data: ArrayLike<number> }>,
  z: ArrayLike<number>,
  K: number,
  H: number,
  P: number,
): Float64Array {
  const W0 = params['decoder.W0'].data;
  const b0 = params['decoder.b0'].data;
  const W1 = params['decoder.W1'].data;
  const b1 = params['decoder.b1'].data;
  const h = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    let s = b0[j];
    for (let k = 0; k < K; k++) s += z[k] * W0[k * H + j];
    h[j] = Math.max(0, s);
  }
  const out = new Float64Array(P);
  for (let p = 0; p < P; p++) {
    let s = b1[p];
    for (let j = 0; j < H; j++) s += h[j] * W1[j * P + p];
    out[p] = 1 / (1 + Math.exp(-s));
  }
  return out;
}

describe('avi on the digits VAE', () => {
  it('improves the ELBO over the first epochs; reconstructions beat other codes', async () => {
    const r = await runAvi(SOURCE, DATA, {
      seed: 1,
      epochs: 12,
      batchSize: 50,
      lr: 0.003,
      lrDecay: 1,
    });
    const elbo = r.elbo as number[];
    const { N, P } = DATA;
    // 300 images × 64 pixels: the first epoch's ELBO is ≈ −N·P·log 2 ≈ −13,300 at most; twelve
    // epochs of Adam must gain at least 15% of it (a decoder that learns only the mean image does)
    expect(elbo[11] - elbo[0]).toBeGreaterThan(0.15 * Math.abs(elbo[0]));
    expect(r.params['guide.z.W0'].shape).toEqual([64, 128]);
    expect(r.params['decoder.W0'].shape).toEqual([20, 400]);
    const z = r.latents.z.mean.data;
    const K = 20;
    let own = 0;
    let other = 0;
    for (let i = 0; i < N; i++) {
      const j = (i + 1 + ((i * 7) % (N - 1))) % N; // another image
      const mine = decode(r.params, z.subarray(i * K, (i + 1) * K), K, 400, P);
      const theirs = decode(r.params, z.subarray(j * K, (j + 1) * K), K, 400, P);
      for (let p = 0; p < P; p++) {
        own += (mine[p] - DATA.x[i][p]) ** 2;
        other += (theirs[p] - DATA.x[i][p]) ** 2;
      }
    }
    expect(own).toBeLessThan(0.9 * other);
  });

  it('restarts from the saved values; a wrong name or shape is a PlatoError', async () => {
    const small = { N: 40, P: DATA.P, x: DATA.x.slice(0, 40) };
    const opts = { seed: 2, epochs: 2, batchSize: 20, lr: 0.003 };
    const a = await runAvi(SOURCE, small, opts);
    const initial = Object.fromEntries(
      Object.entries(a.params).map(([n, v]) => [n, { shape: v.shape, data: v.data }]),
    );
    const b = await runAvi(SOURCE, small, { ...opts, epochs: 1, lr: 1e-9, initial } as never);
    // a step of 1e-9 leaves the weights as restored (to float32)
    expect(Array.from(b.params['decoder.W1'].data.slice(0, 20))).toEqual(
      Array.from(a.params['decoder.W1'].data.slice(0, 20)).map((v) => expect.closeTo(v, 6)),
    );
    await expect(
      runAvi(SOURCE, small, {
        ...opts,
        initial: { 'decoder.W9': { shape: [1], data: [0] } },
      } as never),
    ).rejects.toThrow(PlatoError);
    await expect(
      runAvi(SOURCE, small, {
        ...opts,
        initial: { 'decoder.W0': { shape: [2], data: [0, 0] } },
      } as never),
    ).rejects.toThrow(/expected \[20, 400\]/);
  });
});
