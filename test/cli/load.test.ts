// Saving and loading a fit: `-o fit.json` writes every learned value (report/jsonStream.ts),
// `--load fit.json` reads its `params` back (report/saved.ts), checks them against the model
// (infer/initial.ts), starts em and cavi from them, and holds them fixed in the sampler.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { openOutput } from '../../src/cli/io.js';
import {
  compile,
  infer,
  PlatoError,
  ResultArray,
  sample,
  savedLatents,
  savedParams,
} from '../../src/index.js';
import { writeJsonChunks } from '../../src/report/jsonStream.js';
import { prng } from '../support/prng.js';
import { runInProcess } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'plato-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('wasm');
});

/** Write `value` as `-o` does (the streamed JSON through the atomic writer). */
async function save(value: unknown, name: string): Promise<string> {
  const path = join(tmp, name);
  const file = await openOutput(path);
  await writeJsonChunks(value, [(c) => file.write(c)], 1 << 10);
  await file.commit();
  return path;
}

const bits32 = (a: ArrayLike<number>) => new Uint32Array(Float32Array.from(a).buffer);
const bits64 = (a: ArrayLike<number>) => new BigUint64Array(Float64Array.from(a).buffer);

describe('save → load', () => {
  it('round-trips float32 weights bit for bit, and float64 params exactly', async () => {
    const special = [
      0,
      -0,
      1.401298464324817e-45, // the smallest subnormal
      -1.401298464324817e-45,
      1.1754942106924411e-38, // the largest subnormal
      1.1754943508222875e-38, // the smallest normal
      3.4028234663852886e38, // the largest float32
      -3.4028234663852886e38,
      Math.fround(1 / 3),
      Math.fround(-0.1),
      Math.fround(1e-40),
      Math.fround(Math.PI * 1e30),
    ];
    const r = prng(11);
    const W = new Float32Array(40 * 30);
    // random bit patterns: every finite float32, exponents of all sizes
    const u = new Uint32Array(W.buffer);
    for (let i = 0; i < W.length; i++) {
      do u[i] = Math.floor(r() * 2 ** 32);
      while (!Number.isFinite(W[i]));
    }
    W.set(special);
    const b = Float32Array.from([-0, 0, 2 ** -149, -(2 ** -126)]);
    const theta = Float64Array.from([5e-324, -0, 1.7976931348623157e308, 0.1, -1 / 3, 2 ** -1074]);
    const fit = {
      engine: 'avi',
      converged: true,
      iterations: 3,
      seconds: 0.1,
      logEvidence: -1,
      latents: {},
      params: {
        'decoder.W0': new ResultArray(W, [40, 30]),
        'decoder.b0': new ResultArray(b, [4]),
        theta: new ResultArray(theta, [2, 3]),
        'guide.scale': new ResultArray(Float32Array.of(-0), []),
      },
    };
    const path = await save(fit, 'bits.json');
    const loaded = savedParams(JSON.parse(readFileSync(path, 'utf8')), path);
    expect(loaded['decoder.W0'].shape).toEqual([40, 30]);
    expect(bits32(loaded['decoder.W0'].data)).toEqual(bits32(W));
    expect(bits32(loaded['decoder.b0'].data)).toEqual(bits32(b));
    expect(loaded.theta.shape).toEqual([2, 3]);
    expect(bits64(loaded.theta.data)).toEqual(bits64(theta));
    expect(loaded['guide.scale'].shape).toEqual([]);
    expect(Object.is(loaded['guide.scale'].data[0], -0)).toBe(true);
    // a library Posterior converts the same way without a file
    expect(bits32(savedParams(fit)['decoder.W0'].data)).toEqual(bits32(W));
  });

  it('names the file and the key of a value that is not a rectangular numeric array', () => {
    const bad = (params: unknown) => () => savedParams({ params }, 'fit.json');
    expect(bad({ w: [[1, 2], [3]] })).toThrow(
      `params "w" is not a number or an array of numbers: row [1] has 1 entries where the first row has 2`,
    );
    expect(bad({ w: [1, 'a'] })).toThrow(
      `params "w" is not a number or an array of numbers: entry [1] is "a", not a number`,
    );
    expect(bad({ w: [1, null] })).toThrow(/entry \[1\] is null/);
    expect(bad({ w: [[1], 2] })).toThrow(/entry \[1\] is not an array/);
    expect(bad([1, 2])).toThrow(`"params" of the saved result must be an object keyed by name`);
    expect(() => savedParams([], 'fit.json')).toThrow(/^not a saved result/);
    expect(() => savedParams({ engine: 'sample', draws: {} }, 'd.json')).toThrow(
      `the saved result has no "params": it is a sample (draws), not a fit`,
    );
    expect(() => savedParams({ w: 1 }, 'x.json')).toThrow(PlatoError);
  });
});

// f(z) written out: tanh hidden layer, linear output (src/compile/net.ts)
const NET_MODEL = `model m {
  size K = 2
  size H = 3
  size P = 2
  net f = mlp(K -> H -> P, act = tanh)
  param c: real[P]
  z ~ Normal(zeros(K), 1)
  y = f(z) + c
}`;

/** y = tanh(z W0 + b0) W1 + b1 + c in float64. */
function netOut(z: readonly number[], v: Record<string, number[]>): number[] {
  const h = [0, 1, 2].map((j) => Math.tanh(v.b0[j] + z[0] * v.W0[j] + z[1] * v.W0[3 + j]));
  return [0, 1].map((p) => v.b1[p] + v.c[p] + h.reduce((s, x, j) => s + x * v.W1[2 * j + p], 0));
}

describe('plato sample --load', () => {
  const values: Record<string, number[]> = {
    W0: [0.5, -1.25, 2, 0.75, 0.1, -0.3],
    b0: [0.2, -0.1, 0],
    W1: [1.5, -2, 0.25, 0.5, -1, 3],
    b1: [10, -20],
    c: [0.125, 1],
  };
  const fit = {
    params: {
      'f.W0': [values.W0.slice(0, 3), values.W0.slice(3)],
      'f.b0': values.b0,
      'f.W1': [values.W1.slice(0, 2), values.W1.slice(2, 4), values.W1.slice(4)],
      'f.b1': values.b1,
      c: values.c,
      'guide.mu': [0, 0], // a guide's value: not the sampler's, silently kept out
    },
  };

  it('draws from the loaded net weights and params, held fixed', async () => {
    const model = join(tmp, 'net.plato');
    writeFileSync(model, NET_MODEL);
    const fitPath = join(tmp, 'net-fit.json');
    writeFileSync(fitPath, JSON.stringify(fit));
    const r = await runInProcess(['sample', model, '--load', fitPath, '-n', '50', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const z = out.draws.z as number[][];
    const y = out.draws.y as number[][];
    for (let s = 0; s < 50; s++) {
      const want = netOut(z[s], values);
      // float32 arithmetic on values of size ~30: a few ulps of 32
      for (let p = 0; p < 2; p++) expect(Math.abs(y[s][p] - want[p])).toBeLessThan(3e-5 * 32);
    }
  });

  it('the library: the same draws from `initial`; nothing leaks', async () => {
    const initial = savedParams(fit);
    const before = tf.memory().numTensors;
    const a = await sample(compile(NET_MODEL), { n: 5, seed: 3, initial });
    expect(tf.memory().numTensors).toBe(before);
    const z = a.draws.z.toJSON() as number[][];
    const y = a.draws.y.toJSON() as number[][];
    for (let s = 0; s < 5; s++) {
      const want = netOut(z[s], values);
      for (let p = 0; p < 2; p++) expect(Math.abs(y[s][p] - want[p])).toBeLessThan(1e-3);
    }
    // without the loaded values the weights are initialised: different y, the same z
    const b = await sample(compile(NET_MODEL), { n: 5, seed: 3 });
    expect(b.draws.z.toJSON()).toEqual(a.draws.z.toJSON());
    expect(b.draws.y.toJSON()).not.toEqual(a.draws.y.toJSON());
  });

  it('a wrong shape is an error naming the key and both shapes; an unknown name a warning', async () => {
    const model = join(tmp, 'net2.plato');
    writeFileSync(model, NET_MODEL);
    const wrong = join(tmp, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ params: { ...fit.params, 'f.W0': [[1, 2]] } }));
    const r = await runInProcess(['sample', model, '--load', wrong, '-n', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`loaded f.W0 has shape [1, 2]; the model's f.W0 has shape [2, 3]`);
    const extra = join(tmp, 'extra.json');
    writeFileSync(
      extra,
      JSON.stringify({ params: { ...fit.params, 'g.W0': [[1]], z: 1, 'f.W2': [1] } }),
    );
    const e = await runInProcess(['sample', model, '--load', extra, '-n', '2', '--json']);
    expect(e.code).toBe(0);
    expect(e.stderr).toContain(`loaded g.W0 is ignored: the model has no param or net weight g.W0`);
    expect(e.stderr).toContain(`loaded z is ignored: z is a stochastic node`);
    expect(e.stderr).toContain(`loaded f.W2 is ignored`);
    const notJson = join(tmp, 'not.json');
    writeFileSync(notJson, '{"params": ');
    const n = await runInProcess(['sample', model, '--load', notJson]);
    expect(n.code).toBe(1);
    expect(n.stderr).toMatch(/^error: cannot read saved fit '.*not\.json': not JSON/);
    const missing = await runInProcess(['sample', model, '--load', join(tmp, 'none.json')]);
    expect(missing.stderr).toMatch(/^error: cannot read saved fit '.*none\.json': no such file/);
  });

  it("a param outside its declared type is an error; a param the data fixes keeps the data's value", async () => {
    const src = `model s {
  param s: real(0,)
  param m: real
  x ~ Normal(m, s)
}`;
    const warnings: string[] = [];
    const bad = sample(compile(src), { n: 2, initial: savedParams({ params: { s: -1, m: 0 } }) });
    await expect(bad).rejects.toThrow(/loaded s = -1 is outside real\(0,\)/);
    const r = await sample(compile(src), {
      n: 4,
      data: { m: 100 },
      initial: savedParams({ params: { s: 1e-3, m: -100 } }),
      onWarning: (w) => warnings.push(w.message),
    });
    expect(warnings).toEqual(["loaded param m is given in the data; the data's value is used"]);
    for (const x of r.draws.x.toJSON() as number[]) expect(Math.abs(x - 100)).toBeLessThan(0.1);
  });
});

describe('plato infer --load', () => {
  const mixture = () => `model g {
  size N
  size K
  param mu: real[K]
  param s: real(0,)[K]
  weights ~ Dirichlet(rep(1, K))
  plate i in N {
    z[i] ~ Categorical(weights)
    x[i] ~ Normal(mu[z[i]], s[z[i]])
  }
}`;
  const r = prng(5);
  const x = Array.from({ length: 60 }, (_, i) => [-3, 0.5, 4][i % 3] + 0.5 * (r() - 0.5));
  const data = { N: 60, K: 3, x };

  it('cavi starts its params from the loaded values exactly as from declared defaults', async () => {
    const first = await infer(compile(mixture()), { data, engine: 'cavi', iters: 30 });
    const initial = savedParams(JSON.parse(JSON.stringify(first)));
    const mu = Array.from(initial.mu.data);
    const s = Array.from(initial.s.data);
    // the same start written into the model: `param mu: real[K] = [...]`, s's too
    const declared = `model g {
  size N
  size K
  param mu: real[K] = [${mu.join(', ')}]
  param s: real(0,)[K] = [${s.join(', ')}]
  weights ~ Dirichlet(rep(1, K))
  plate i in N {
    z[i] ~ Categorical(weights)
    x[i] ~ Normal(mu[z[i]], s[z[i]])
  }
}`;
    const viaDefaults = await infer(compile(declared), { data, engine: 'cavi', iters: 2 });
    const viaLoad = await infer(compile(mixture()), { data, engine: 'cavi', iters: 2, initial });
    expect(JSON.stringify(viaLoad.params)).toBe(JSON.stringify(viaDefaults.params));
    expect(viaLoad.elbo).toEqual(viaDefaults.elbo);
    // and not as without them (a neutral, jittered start)
    const fresh = await infer(compile(mixture()), { data, engine: 'cavi', iters: 2 });
    expect(fresh.elbo).not.toEqual(viaLoad.elbo);
  });

  it('em starts from the loaded values exactly as from its init option; -o then --load on the CLI', async () => {
    const gmm = join(tmp, 'gmm.json');
    const g = prng(9);
    const rows = Array.from({ length: 90 }, (_, i) =>
      [0, 1].map((d) => [-4, 0, 5][i % 3] * (d + 1) + g() - 0.5),
    );
    writeFileSync(gmm, JSON.stringify({ N: 90, D: 2, x: rows }));
    const model = 'examples/gmm/gmm.plato';
    const fitPath = join(tmp, 'gmm-fit.json');
    const a = await runInProcess([
      'infer',
      model,
      '--data',
      gmm,
      '--engine',
      'em',
      '--iters',
      '5',
      '-o',
      fitPath,
    ]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const fit = JSON.parse(readFileSync(fitPath, 'utf8'));
    const b = await runInProcess([
      'infer',
      model,
      '--data',
      gmm,
      '--engine',
      'em',
      '--iters',
      '1',
      '--load',
      fitPath,
      '--json',
    ]);
    expect(b.stderr).toBe('');
    const resumed = JSON.parse(b.stdout);
    // the first log-likelihood of the resumed run is the saved fit's last one
    expect(resumed.elbo[0]).toBe(fit.logEvidence);
    expect(fit.elbo[0]).not.toBe(fit.logEvidence);
    const initPath = join(tmp, 'gmm-init.json');
    writeFileSync(initPath, JSON.stringify(fit.params));
    const c = await runInProcess([
      'infer',
      model,
      '--data',
      gmm,
      '--engine',
      'em',
      '--iters',
      '1',
      '--init',
      initPath,
      '--json',
    ]);
    const viaInit = JSON.parse(c.stdout);
    expect(resumed.params).toEqual(viaInit.params);
    expect(resumed.logEvidence).toBe(viaInit.logEvidence);
  });
});

describe('plato sample --load FIT --posterior', () => {
  it("draws the latents from the fit's posterior and replicates the data given them (coin, exact)", async () => {
    const coin = ['examples/coin/coin.plato', '--data', 'examples/coin/coin.json'];
    const fitPath = join(tmp, 'coin-fit.json');
    const f = await runInProcess(['infer', ...coin, '-o', fitPath]);
    expect(f.code).toBe(0);
    const n = 4000;
    const r = await runInProcess([
      'sample',
      ...coin,
      '--load',
      fitPath,
      '--posterior',
      '-n',
      `${n}`,
      '--seed',
      '2',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    // 14 ones in 20 flips, Beta(1, 1) prior: theta | y ~ Beta(15, 7)
    const a = 15;
    const b = 7;
    const mean = a / (a + b);
    const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
    const theta = out.draws.theta as number[];
    const m = theta.reduce((x, y) => x + y, 0) / n;
    const v = theta.reduce((x, y) => x + (y - m) ** 2, 0) / (n - 1);
    expect(Math.abs(m - mean)).toBeLessThan((4 * sd) / Math.sqrt(n));
    // the sd of a sample sd: about sd / sqrt(2n)
    expect(Math.abs(Math.sqrt(v) - sd)).toBeLessThan((4 * sd) / Math.sqrt(2 * n));
    // y is redrawn given each theta (not clamped to the data): P(y_i = 1) = E[theta]
    const y = out.draws.y as number[][];
    const ones = y.flat().reduce((x, z) => x + z, 0) / (n * 20);
    expect(Math.abs(ones - mean)).toBeLessThan(4 * Math.sqrt((mean * (1 - mean)) / (n * 20)));
    // per draw, the replicate follows its own theta: draws with large theta have more ones
    const hi = y.filter((_, s) => theta[s] > 0.8).flat();
    const lo = y.filter((_, s) => theta[s] < 0.55).flat();
    expect(hi.reduce((x, z) => x + z, 0) / hi.length).toBeGreaterThan(0.8);
    expect(lo.reduce((x, z) => x + z, 0) / lo.length).toBeLessThan(0.55);
  });

  it("a VAE's reconstructions: z from the fit's q(z | x_i), x from the loaded decoder", async () => {
    const src = `model ae {
  size N
  size K = 2
  size P = 3
  net dec = mlp(K -> 2 -> P, act = relu)
  plate i in N {
    z[i] ~ Normal(zeros(K), 1)
    x[i] ~ Normal(dec(z[i]), 0.001)
  }
}`;
    const mu = [
      [0.5, -1],
      [2, 0.25],
      [-1.5, 1],
    ];
    const W0 = [
      [1, -1],
      [0.5, 2],
    ];
    const b0 = [0.1, -0.2];
    const W1 = [
      [1, 2, -1],
      [0.5, -0.5, 3],
    ];
    const b1 = [0, 1, -2];
    const fit = {
      engine: 'avi',
      latents: {
        z: {
          family: 'Normal',
          shape: [3, 2],
          params: { mu, sigma: mu.map((r) => r.map(() => 1e-4)) },
        },
      },
      params: { 'dec.W0': W0, 'dec.b0': b0, 'dec.W1': W1, 'dec.b1': b1 },
    };
    const data = {
      N: 3,
      x: [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ],
    };
    const warnings: string[] = [];
    const before = tf.memory().numTensors;
    const r = await sample(compile(src), {
      data,
      n: 20,
      initial: savedParams(fit),
      posterior: savedLatents(fit),
      onWarning: (w) => warnings.push(w.message),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(warnings).toEqual([]);
    const x = r.draws.x.toJSON() as number[][][];
    for (let i = 0; i < 3; i++) {
      // dec(mu_i) in float64: relu(mu W0 + b0) W1 + b1
      const h = [0, 1].map((j) => Math.max(0, b0[j] + mu[i][0] * W0[0][j] + mu[i][1] * W0[1][j]));
      const want = [0, 1, 2].map((p) => b1[p] + h[0] * W1[0][p] + h[1] * W1[1][p]);
      // noise: sd 1e-3 from x, ~1e-4 · |W| from z; 5e-3 is 5 sd
      for (let s = 0; s < 20; s++)
        for (let p = 0; p < 3; p++) expect(Math.abs(x[s][i][p] - want[p])).toBeLessThan(5e-3);
    }
    // the posterior's shape must be the model's
    const other = {
      ...fit,
      latents: { z: { ...fit.latents.z, params: { mu: [[0, 0]], sigma: [[1, 1]] } } },
    };
    await expect(
      sample(compile(src), { data, initial: savedParams(other), posterior: savedLatents(other) }),
    ).rejects.toThrow("the posterior of z has shape [1, 2]; the model's z has shape [3, 2]");
  });

  it('--posterior needs --load, and not --conditional', async () => {
    const coin = ['examples/coin/coin.plato', '--data', 'examples/coin/coin.json'];
    const a = await runInProcess(['sample', ...coin, '--posterior']);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('give it with --load FILE');
    const b = await runInProcess([
      'sample',
      ...coin,
      '--posterior',
      '--conditional',
      '--load',
      'x.json',
    ]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('give one of them');
  });
});
