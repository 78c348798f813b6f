// em through the command line on the example of examples/gmm (2000 points, D = 8, K = 10):
// `--engine em --json` and `auto`, which now picks em for the mixture; on the same points
// with 20% of the entries null (gmm-missing.json), whose log-likelihood is the observed-data
// one, checked against a float64 reference; and on examples/noisy_or_cases (2000 patients,
// gradient M-steps), also through the library.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, infer } from '../../../src/index.js';
import { ROOT, runInProcess } from '../../cli/helpers.js';
import { observedMixture } from '../../support/observed.js';

const gmm = ['examples/gmm/gmm.plato', '--data', 'examples/gmm/gmm.json'];

beforeAll(async () => {
  await initBackend('wasm');
});

describe('plato infer on examples/gmm', () => {
  it('--engine em --json: params with full shapes, responsibilities, the log-likelihood trace', async () => {
    const r = await runInProcess(['infer', ...gmm, '--engine', 'em', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.engine).toBe('em');
    expect(j.converged).toBe(true);
    expect(j.elbo).toHaveLength(j.iterations + 1);
    expect(j.logEvidence).toBe(j.elbo[j.elbo.length - 1]);
    for (let t = 1; t < j.elbo.length; t++)
      expect(j.elbo[t] - j.elbo[t - 1]).toBeGreaterThanOrEqual(-1e-6 * Math.abs(j.elbo[t - 1]));
    expect(j.params.pi).toHaveLength(10);
    expect(j.params.pi.reduce((s: number, p: number) => s + p, 0)).toBeCloseTo(1, 12);
    expect(j.params.mu).toHaveLength(10);
    expect(j.params.mu[0]).toHaveLength(8);
    expect(j.params.Sigma[0][0]).toHaveLength(8);
    expect(j.latents.z.family).toBe('Categorical');
    expect(j.latents.z.params.p).toHaveLength(2000);
    const row = j.latents.z.params.p[0] as number[];
    expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 6);
  });

  it('auto picks em for the mixture (plato engines and plato infer)', async () => {
    const e = await runInProcess(['engines', ...gmm]);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/\n {2}em {6}✓/);
    expect(e.stdout).toContain('auto picks: em');
    const r = await runInProcess(['infer', ...gmm, '--json', '--iters', '1']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.engine).toBe('em');
    expect(j.iterations).toBe(1);
  });
});

describe('plato infer on examples/gmm with missing entries', () => {
  it('--engine em: the observed-data log-likelihood (float64 reference), never decreasing', async () => {
    const data = ['examples/gmm/gmm.plato', '--data', 'examples/gmm/gmm-missing.json'];
    const r = await runInProcess(['infer', ...data, '--engine', 'em', '--json', '--iters', '4']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.iterations).toBe(4);
    for (let t = 1; t < j.elbo.length; t++)
      expect(j.elbo[t] - j.elbo[t - 1]).toBeGreaterThanOrEqual(-1e-6 * Math.abs(j.elbo[t - 1]));
    const input = JSON.parse(readFileSync(join(ROOT, 'examples/gmm/gmm-missing.json'), 'utf8'));
    const x = (input.x as (number | null)[][]).flat().map((v) => v ?? Number.NaN);
    const ref = observedMixture(
      x,
      2000,
      8,
      j.params.pi,
      j.params.mu.flat(),
      j.params.Sigma.flat(2),
    );
    // float32 tables: a few ulps per case's log terms, summed in float64
    expect(Math.abs(j.logEvidence - ref.logLik)).toBeLessThan(
      64 * 2 ** -23 * (2000 + ref.magnitude),
    );
  });
});

const noisyOr = [
  'examples/noisy_or_cases/noisy_or_cases.plato',
  '--data',
  'examples/noisy_or_cases/noisy_or_cases.json',
];

describe('plato infer on examples/noisy_or_cases (gradient M-step, nested case plates)', () => {
  it('--engine em --json: rho and W with their shapes, a non-decreasing trace', async () => {
    const r = await runInProcess([
      'infer',
      ...noisyOr,
      '--engine',
      'em',
      '--iters',
      '3',
      '--mstep-iters',
      '4',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.engine).toBe('em');
    expect(j.iterations).toBe(3);
    expect(j.elbo).toHaveLength(4);
    for (let t = 1; t < j.elbo.length; t++) expect(j.elbo[t]).toBeGreaterThan(j.elbo[t - 1]);
    expect(j.params.rho).toHaveLength(4);
    expect(j.params.W).toHaveLength(4);
    expect(j.params.W[0]).toHaveLength(8);
    expect(j.params.W.flat().every((w: number) => w > 0)).toBe(true);
    expect(j.latents.d.family).toBe('Bernoulli');
    expect(j.latents.d.params.p).toHaveLength(2000);
  });

  it('auto picks em (plato engines, plato infer and the library)', async () => {
    const e = await runInProcess(['engines', ...noisyOr]);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain('auto picks: em');
    const r = await runInProcess(['infer', ...noisyOr, '--json', '--iters', '1']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).engine).toBe('em');
    const lib = await infer(
      compile(readFileSync('examples/noisy_or_cases/noisy_or_cases.plato', 'utf8')),
      {
        data: JSON.parse(readFileSync('examples/noisy_or_cases/noisy_or_cases.json', 'utf8')),
        iters: 1,
      },
    );
    expect(lib.engine).toBe('em');
    expect(lib.iterations).toBe(1);
  });
});
