// gaussianQ.ts's fused reparameterised draw and closed-form KL (one tape node each, hand-written
// gradients) against float64 formulas written here and tfjs's autodiff of the unfused
// expressions; q as two tensors and as an encoder's output [B, 2d], the prior's arguments
// broadcast along draws, elements and coordinates.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import {
  type GaussianQ,
  normalKl,
  reparameterise,
  splitHead,
} from '../../../src/infer/avi/gaussianQ.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Deterministic float32-exact values in [lo, hi). */
function values(n: number, seed: number, lo: number, hi: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.fround(lo + ((s >>> 8) / 2 ** 24) * (hi - lo));
  }
  return out;
}

const S = 3;
const B = 4;
const K = 5;
/** float32: a few roundings per entry, sums of at most S·B terms of size O(10) */
const TOL = 64 * 2 ** -23 * 10 * S * B;

function close(t: tf.Tensor, want: ArrayLike<number>): void {
  const v = t.dataSync();
  expect(v.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(v[i] - want[i])).toBeLessThanOrEqual(TOL);
}

/** loc[b, k] and logScale[b, k] (the encoder layout: row b is [loc | logScale]). */
function qValues(seed: number) {
  return { loc: values(B * K, seed, -1.5, 1.5), ls: values(B * K, seed + 1, -1.2, 0.8) };
}

/** The differentiated inputs: [o] (the encoder's output [B, 2K]) or [loc, logScale]. */
function qInputs(head: boolean, loc: Float64Array, ls: Float64Array): tf.Tensor[] {
  if (!head)
    return [
      tf.tensor(Float32Array.from(loc), [1, B, K]),
      tf.tensor(Float32Array.from(ls), [1, B, K]),
    ];
  const o = new Float32Array(B * 2 * K);
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      o[b * 2 * K + k] = loc[b * K + k];
      o[b * 2 * K + K + k] = ls[b * K + k];
    }
  return [tf.tensor(o, [B, 2 * K])];
}

/** q from qInputs' tensors (the encoder's split by splitHead). */
function qOf(head: boolean, xs: readonly tf.Tensor[]): GaussianQ {
  return head ? splitHead(xs[0], [1, B, K]) : { loc: xs[0], logScale: xs[1] };
}

/** [dloc | dls] in q's input layout from per-coordinate gradients [B·K] each. */
function layout(head: boolean, dloc: Float64Array, dls: Float64Array): Float64Array[] {
  if (!head) return [dloc, dls];
  const o = new Float64Array(B * 2 * K);
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      o[b * 2 * K + k] = dloc[b * K + k];
      o[b * 2 * K + K + k] = dls[b * K + k];
    }
  return [o];
}

describe('reparameterise: u = loc + e^{logScale} ε as one tape node', () => {
  for (const head of [false, true])
    it(`matches u, ∂/∂loc = Σ_s c, ∂/∂logScale = Σ_s c σ ε (${head ? 'encoder output' : 'two tensors'})`, () => {
      const start = tf.memory().numTensors;
      const { loc, ls } = qValues(head ? 7 : 3);
      const eps64 = values(S * B * K, 11, -2, 2);
      const c64 = values(S * B * K, 13, -1, 1);
      const ins = qInputs(head, loc, ls);
      const q = qOf(head, ins);
      const eps = tf.tensor(Float32Array.from(eps64), [S, B, K]);
      const c = tf.tensor(Float32Array.from(c64), [S, B, K]);
      const u = reparameterise(q, eps);
      const wantU = eps64.map((e, i) => loc[i % (B * K)] + Math.exp(ls[i % (B * K)]) * e);
      close(u, wantU);
      const dloc = new Float64Array(B * K);
      const dls = new Float64Array(B * K);
      for (let i = 0; i < S * B * K; i++) {
        const j = i % (B * K);
        dloc[j] += c64[i];
        dls[j] += c64[i] * Math.exp(ls[j]) * eps64[i];
      }
      const got = tf.grads((...xs: tf.Tensor[]) =>
        tf.sum(tf.mul(reparameterise(qOf(head, xs), eps), c)),
      )(ins);
      const want = layout(head, dloc, dls);
      got.forEach((g, k) => {
        expect(g.shape).toEqual(ins[k].shape);
        close(g, want[k]);
      });
      tf.dispose([u, eps, c, ...ins, ...got, ...(head ? [q.loc, q.logScale] : [])]);
      expect(tf.memory().numTensors).toBe(start);
    });
});

describe('normalKl: KL(N(m, s²) ‖ N(μ, σ²)) summed over coordinates as one tape node', () => {
  const priors: { name: string; mu: number[]; sigma: number[] }[] = [
    { name: 'standard prior, μ [1, 1, K], σ []', mu: [1, 1, K], sigma: [] },
    { name: 'μ [S, B, K] per draw, σ [1, B, 1]', mu: [S, B, K], sigma: [1, B, 1] },
  ];
  for (const head of [false, true])
    for (const pr of priors)
      it(`${pr.name} (${head ? 'encoder output' : 'two tensors'})`, () => {
        const start = tf.memory().numTensors;
        const { loc, ls } = qValues(head ? 17 : 19);
        const nMu = pr.mu.reduce((a, b) => a * b, 1);
        const nSig = pr.sigma.reduce((a, b) => a * b, 1);
        const mu64 = values(nMu, 23, -1, 1);
        const sig64 = values(nSig, 29, 0.5, 2);
        const mu = tf.tensor(Float32Array.from(mu64), pr.mu);
        const sigma = tf.tensor(Float32Array.from(sig64), pr.sigma);
        const lead = pr.mu[0] === S ? S : 1;
        const c64 = values(lead * B, 31, -1, 1);
        const c = tf.tensor(Float32Array.from(c64), [lead, B]);
        // float64: per coordinate, indices broadcast from [lead, B, K]
        const at = (shape: number[], s: number, b: number, k: number) =>
          shape.length === 0
            ? 0
            : (shape[0] === 1 ? 0 : s) * shape[1] * shape[2] +
              (shape[1] === 1 ? 0 : b) * shape[2] +
              (shape[2] === 1 ? 0 : k);
        const kl = new Float64Array(lead * B);
        const dloc = new Float64Array(B * K);
        const dls = new Float64Array(B * K);
        const dmu = new Float64Array(nMu);
        const dsig = new Float64Array(nSig);
        for (let s = 0; s < lead; s++)
          for (let b = 0; b < B; b++)
            for (let k = 0; k < K; k++) {
              const m = loc[b * K + k];
              const l = ls[b * K + k];
              const mm = mu64[at(pr.mu, s, b, k)];
              const sg = sig64[at(pr.sigma, s, b, k)];
              const r = Math.exp(2 * l) / sg ** 2;
              const d = (m - mm) / sg;
              kl[s * B + b] += Math.log(sg) - l + 0.5 * (r + d * d - 1);
              const w = c64[s * B + b];
              dloc[b * K + k] += (w * d) / sg;
              dmu[at(pr.mu, s, b, k)] -= (w * d) / sg;
              dls[b * K + k] += w * (r - 1);
              dsig[at(pr.sigma, s, b, k)] += (w * (1 - r - d * d)) / sg;
            }
        const qIns = qInputs(head, loc, ls);
        const q = qOf(head, qIns);
        const value = normalKl(q, mu, sigma, 2);
        expect(value.shape).toEqual([lead, B]);
        close(value, kl);
        const ins = [...qIns, mu, sigma];
        const n = qIns.length;
        const loss =
          (fused: boolean) =>
          (...xs: tf.Tensor[]) => {
            const qq = qOf(head, xs);
            const [m, sg] = [xs[n], xs[n + 1]];
            if (fused) return tf.sum(tf.mul(normalKl(qq, m, sg, 2), c));
            // the unfused expression, by autodiff (model.ts's former kl)
            const logSigma = tf.log(sg);
            const r = tf.exp(tf.mul(2, tf.sub(qq.logScale, logSigma)));
            const d = tf.div(tf.sub(qq.loc, m), sg);
            const k = tf.add(
              tf.sub(logSigma, qq.logScale),
              tf.mul(0.5, tf.sub(tf.add(r, tf.square(d)), 1)),
            );
            return tf.sum(tf.mul(tf.sum(k, 2), c));
          };
        const got = tf.grads(loss(true))(ins);
        const auto = tf.grads(loss(false))(ins);
        const want = [...layout(head, dloc, dls), dmu, dsig];
        got.forEach((g, k) => {
          expect(g.shape).toEqual(ins[k].shape);
          close(g, want[k]);
          close(auto[k], want[k]);
        });
        tf.dispose([value, c, ...ins, ...got, ...auto, ...(head ? [q.loc, q.logScale] : [])]);
        expect(tf.memory().numTensors).toBe(start);
      });
});

describe('splitHead: an encoder output [B, 2K] as loc and logScale in any shape of size B·K', () => {
  it.each([[[1, B, K]], [[B, K]], [[1, B, K, 1]]])(
    'cuts row b into [loc | logScale] and joins the gradients back (shape %j)',
    (shape) => {
      const start = tf.memory().numTensors;
      const { loc, ls } = qValues(7);
      const [o] = qInputs(true, loc, ls);
      const a = values(B * K, 9, -1, 1);
      const c = values(B * K, 10, -1, 1);
      const at = tf.tensor(Float32Array.from(a), shape);
      const ct = tf.tensor(Float32Array.from(c), shape);
      const q = tf.tidy(() => ({ ...splitHead(o, shape) }));
      expect(q.loc.shape).toEqual(shape);
      expect(q.logScale.shape).toEqual(shape);
      expect(Array.from(q.loc.dataSync())).toEqual(Array.from(Float32Array.from(loc)));
      expect(Array.from(q.logScale.dataSync())).toEqual(Array.from(Float32Array.from(ls)));
      // ∂/∂o of Σ a·loc + c·logScale is [a | c] row by row
      const g = tf.grad((x: tf.Tensor) =>
        tf.tidy(() => {
          const h = splitHead(x, shape);
          return tf.add(tf.sum(tf.mul(h.loc, at)), tf.sum(tf.mul(h.logScale, ct)));
        }),
      )(o);
      expect(g.shape).toEqual([B, 2 * K]);
      const [want] = layout(true, a, c);
      expect(Array.from(g.dataSync())).toEqual(Array.from(Float32Array.from(want)));
      tf.dispose([o, at, ct, q.loc, q.logScale, g]);
      expect(tf.memory().numTensors).toBe(start);
    },
  );
});
