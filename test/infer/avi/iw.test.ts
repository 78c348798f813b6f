// avi --objective iw: training on the importance-weighted bound (Burda et al. 2016).
// The estimate's formula is checked against float64 on fixed weights; on the Normal–Normal plate
//   z_i ~ N(0, 1), x_i | z_i ~ N(z_i, s)  ⇒  log p(x) = Σ_i log N(x_i; 0, √(1 + s²)),
// the IW-trained bound lies between the ELBO-trained ELBO and the log evidence.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { finalParticles, iwObjective } from '../../../src/infer/avi/run.js';
import { logSumExp, logWeightVar, normalNormal, runAvi, uniform } from './helpers.js';

const N = 40;
const { source: SOURCE, x, postMean, postSd, logEvidence } = normalNormal(N, 11);

beforeAll(async () => {
  await initBackend('wasm');
});

describe('avi --objective iw', () => {
  it('the training estimate is the mean over groups of log (1/K) Σ_k exp w, in float64', () => {
    const u = uniform(5);
    const [P, K, B, Ntrain] = [3, 4, 5, 50];
    const wv = Array.from({ length: P * K * B }, () => -10 * u());
    const gv = Array.from({ length: P * K }, () => -3 * u());
    const before = tf.memory().numTensors;
    const [per, whole] = tf.tidy(() => {
      const g = tf.tensor1d(gv);
      const w = tf.tensor2d(wv, [P * K, B]);
      return [iwObjective(g, w, K, Ntrain, true), iwObjective(g, w, K, Ntrain, false)];
    });
    // per element: mean g + (N/B) Σ_i (1/P) Σ_p log (1/K) Σ_k exp w
    let ref = gv.reduce((a, b) => a + b, 0) / gv.length;
    for (let i = 0; i < B; i++)
      for (let p = 0; p < P; p++) {
        const col = Array.from({ length: K }, (_, k) => wv[(p * K + k) * B + i]);
        ref += ((Ntrain / B) * (logSumExp(col) - Math.log(K))) / P;
      }
    // the whole data: (1/P) Σ_p log (1/K) Σ_k exp(g + Σ_i w_i)
    let refWhole = 0;
    for (let p = 0; p < P; p++) {
      const tot = Array.from({ length: K }, (_, k) => {
        let t = gv[p * K + k];
        for (let i = 0; i < B; i++) t += wv[(p * K + k) * B + i];
        return t;
      });
      refWhole += (logSumExp(tot) - Math.log(K)) / P;
    }
    // float32 sums of ~20 terms of size ≤ 500: relative 2⁻²³·20
    expect(Math.abs(per.dataSync()[0] - ref)).toBeLessThan(1e-5 * Math.abs(ref) + 1e-4);
    expect(Math.abs(whole.dataSync()[0] - refWhole)).toBeLessThan(1e-5 * Math.abs(refWhole) + 1e-4);
    tf.dispose([per, whole]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('on the Normal–Normal plate: ELBO-trained ELBO ≤ IW-trained bound ≤ log evidence', async () => {
    const K = 8;
    const opts = { seed: 4, epochs: 250, lr: 0.03, lrDecay: 0.05 };
    const byElbo = await runAvi(SOURCE, { N, x }, { ...opts, particles: 4 });
    const byIw = await runAvi(SOURCE, { N, x }, { ...opts, objective: 'iw', iw: K });
    /** 4 sd of a final estimate averaging `groups` independent draws of its (log-)weights */
    const tol = (r: typeof byElbo, groups: number) => {
      const mu = r.latents.z.params.mu.data;
      const sd = r.latents.z.params.sigma.data;
      let v = 0;
      for (let i = 0; i < N; i++) v += logWeightVar(mu[i], sd[i], postMean[i], postSd);
      // log (1/K) Σ_k w_k varies less than one log weight (it averages K of them): Var ≤ v
      return 4 * Math.sqrt(v / groups) + 1e-3;
    };
    const elbo = byElbo.logEvidence as number;
    const iw = byIw.logEvidence as number;
    const tolElbo = tol(byElbo, finalParticles(N, 1));
    const tolIw = tol(byIw, finalParticles(N, K) / K);
    expect(elbo).toBeLessThanOrEqual(logEvidence + tolElbo);
    expect(iw).toBeLessThanOrEqual(logEvidence + tolIw);
    expect(iw).toBeGreaterThanOrEqual(elbo - tolElbo - tolIw);
    // the per-epoch trace is the IW estimate being ascended: it improves
    const trace = byIw.elbo as number[];
    expect(trace[trace.length - 2]).toBeGreaterThan(trace[0]);
  });

  it('refuses minibatches when a latent is global (the whole-data bound would be biased)', async () => {
    const src = `model g {
  size N
  mu ~ Normal(0, 1)
  plate i in N {
    z[i] ~ Normal(mu, 1)
    x[i] ~ Normal(z[i], 0.5)
  }
}`;
    await expect(
      runAvi(src, { N, x }, { epochs: 2, objective: 'iw', iw: 4, batchSize: 10 }),
    ).rejects.toThrow(/--objective iw with global latents \(mu\)/);
    const r = await runAvi(src, { N, x }, { epochs: 3, objective: 'iw', iw: 4 });
    expect(Number.isFinite(r.logEvidence as number)).toBe(true);
  });
});
