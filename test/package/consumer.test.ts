// The package as a user gets it: `npm pack` the built package, install the tarball into a new
// project (registry dependencies from npm's cache when it has them), then use it from plain
// `node` (no loader, no tsx), type-check a TypeScript consumer against its declarations, and run
// the installed `plato` bin. Results are held to values computed here from the data: the coin's
// posterior is Beta(1 + heads, 1 + tails) (conjugacy), its evidence B(1 + h, 1 + t) / B(1, 1).
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'plato-consumer-'));
const app = join(tmp, 'app');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// npm passes its own settings of the outer `npm test` to scripts (npm_config_local_prefix
// would point the inner npm at this repository); the inner commands get a clean environment.
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) =>
      !/^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|npm_command$|INIT_CWD$)/.test(k) &&
      k !== 'NODE_OPTIONS',
  ),
);

function exec(file: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** npm as the outer `npm test` ran it, else the one on PATH */
const npm = (args: readonly string[], cwd: string) =>
  process.env.npm_execpath?.endsWith('.js')
    ? exec(process.execPath, [process.env.npm_execpath, ...args], cwd)
    : exec('npm', args, cwd);

function ok(r: Run, what: string): string {
  expect(r.code, `${what}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

// the coin and its data, read here to derive the expected posterior
const COIN = join(ROOT, 'examples', 'coin');
const data = JSON.parse(readFileSync(join(COIN, 'coin.json'), 'utf8')) as {
  N: number;
  y: number[];
};
const heads = data.y.filter((v) => v === 1).length;
const tails = data.y.filter((v) => v === 0).length;
/** ln Γ(n) = ln (n − 1)! for a positive integer n, summed in float64 */
const lnGammaInt = (n: number) => {
  let s = 0;
  for (let k = 2; k < n; k++) s += Math.log(k);
  return s;
};
const lnBeta = (a: number, b: number) => lnGammaInt(a) + lnGammaInt(b) - lnGammaInt(a + b);
const a = 1 + heads;
const b = 1 + tails;
const expected = {
  a,
  b,
  mean: a / (a + b),
  sd: Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1))),
  logEvidence: lnBeta(a, b) - lnBeta(1, 1),
};

interface Posterior {
  engine: string;
  logEvidence: number;
  latents: Record<
    string,
    { family: string; shape: number[]; params: Record<string, number>; mean: number; sd: number }
  >;
}

function expectCoinPosterior(p: Posterior): void {
  expect(p.engine).toBe('exact');
  const theta = p.latents.theta!;
  expect(theta.family).toBe('Beta');
  expect(theta.params).toEqual({ a: expected.a, b: expected.b });
  expect(theta.mean).toBeCloseTo(expected.mean, 12);
  expect(theta.sd).toBeCloseTo(expected.sd, 12);
  expect(Math.abs(p.logEvidence / expected.logEvidence - 1)).toBeLessThan(1e-9);
}

const N_DRAWS = 2000;

// What a user writes: plain ESM, the package by its name, the operations of README § The library.
const APP = `
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import * as plato from 'plato';

const source = readFileSync('coin.plato', 'utf8');
const data = JSON.parse(readFileSync('coin.json', 'utf8'));
const model = plato.compile(source, { filename: 'coin.plato' });
const out = { exports: Object.keys(plato).sort(), check: plato.check(model) };
out.sample = await plato.sample(model, { data, n: ${N_DRAWS}, seed: 1 });
out.infer = await plato.infer(model, { data, engine: 'auto' });
out.engines = plato.engines(model, { data });
out.backend = tf.getBackend();
try {
  plato.compile('model m {\\n  x ~ Nope(1)\\n}\\n', { filename: 'm.plato' });
} catch (e) {
  out.error = { platoError: e instanceof plato.PlatoError, message: e.message };
}
process.stdout.write(JSON.stringify(out));
`;

// A TypeScript consumer: the declarations resolve through \`exports\` and are not \`any\`.
const APP_TS = `
import { type CheckResult, check, compile, engines, infer, PlatoError, sample } from 'plato';

const model = compile('model m {\\n  size N\\n}\\n', { filename: 'm.plato' });
export const report: CheckResult = check(model);
export const name: string = report.model;
export const run = async (): Promise<string> => (await infer(model, { engine: 'exact' })).engine;
export { engines, PlatoError, sample };
// @ts-expect-error compile takes the model's source text
compile(42);
`;

let tarball = '';
let packed: string[] = [];

beforeAll(async () => {
  // dist/ is fresh (test/globalSetup.ts); --ignore-scripts: no second build by `prepare`
  const pack = ok(
    await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp, ROOT], tmp),
    'npm pack',
  );
  const info = JSON.parse(pack)[0] as { filename: string; files: { path: string }[] };
  tarball = join(tmp, info.filename);
  packed = info.files.map((f) => f.path);
  rmSync(app, { recursive: true, force: true });
  writeFileSync(join(tmp, 'package.json'), '{}\n'); // keeps npm from walking up to a parent project
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { plato: `file:${tarball}` } }, null, 2)}\n`,
  );
  for (const f of ['coin.plato', 'coin.json']) copyFileSync(join(COIN, f), join(app, f));
  writeFileSync(join(app, 'app.mjs'), APP);
  writeFileSync(join(app, 'app.ts'), APP_TS);
  ok(
    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app),
    'npm install',
  );
}, 240_000);

describe('the packed package, installed into a new project', () => {
  it('ships what a user runs: dist, bin, README, CHANGELOG; no tests, benchmarks or data', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'bin/plato.js'])
      expect(packed).toContain(f);
    for (const f of ['README.md', 'CHANGELOG.md', 'package.json']) expect(packed).toContain(f);
    const top = new Set(packed.map((p) => p.split('/')[0]));
    expect([...top].sort()).toEqual(
      ['CHANGELOG.md', 'README.md', 'bin', 'dist', 'package.json', 'src'].sort(),
    );
    expect(packed.filter((p) => /\.test\.|\.build-stamp/.test(p))).toEqual([]);
  });

  it('tsx is not a run-time dependency', () => {
    expect(existsSync(join(app, 'node_modules', 'plato', 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
  });

  it('plain node imports it and runs compile, check, sample, infer and engines', async () => {
    const out = JSON.parse(ok(await exec(process.execPath, ['app.mjs'], app), 'node app.mjs'));
    expect(out.exports).toEqual(
      expect.arrayContaining(['PlatoError', 'check', 'compile', 'engines', 'infer', 'sample']),
    );
    expect(out.check.model).toBe('coin');
    expect(out.check.nodes.map((n: { name: string }) => n.name).sort()).toEqual(
      ['N', 'a', 'b', 'theta', 'y'].sort(),
    );
    // the wasm backend found its .wasm files inside the installed node_modules
    expect(out.backend).toBe('wasm');
    expectCoinPosterior(out.infer);
    expect(out.engines.auto).toBe('exact');
    // prior predictive: theta ~ Beta(1, 1) = U(0, 1); y[i] ~ Bernoulli(theta), one row per draw
    const theta = out.sample.draws.theta as number[];
    const y = out.sample.draws.y as number[][];
    expect(theta).toHaveLength(N_DRAWS);
    expect(y).toHaveLength(N_DRAWS);
    expect(y.every((row) => row.length === data.N && row.every((v) => v === 0 || v === 1))).toBe(
      true,
    );
    expect(theta.every((t) => t > 0 && t < 1)).toBe(true);
    // mean of U(0, 1) draws: sd 1/√12 per draw; 5 standard errors
    const mean = theta.reduce((s, t) => s + t, 0) / N_DRAWS;
    expect(Math.abs(mean - 0.5)).toBeLessThan((5 * Math.sqrt(1 / 12)) / Math.sqrt(N_DRAWS));
    expect(out.error.platoError).toBe(true);
    expect(out.error.message).toContain('Nope');
  });

  it('a TypeScript consumer type-checks against the declarations', async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      `${JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['app.ts'],
      })}\n`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await exec(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  const bin = () => join(app, 'node_modules', '.bin', 'plato');

  it('the installed plato bin checks the coin', async () => {
    const text = ok(await exec(bin(), ['check', 'coin.plato'], app), 'plato check');
    expect(text).toMatch(/^model coin\n/);
    const json = JSON.parse(ok(await exec(bin(), ['check', 'coin.plato', '--json'], app), 'check'));
    expect(json.nodes.find((n: { name: string }) => n.name === 'theta')).toMatchObject({
      distribution: 'Beta',
      parents: ['a', 'b'],
    });
  });

  it('the installed plato bin infers the coin: Beta(1 + heads, 1 + tails)', async () => {
    const r = await exec(bin(), ['infer', 'coin.plato', '--data', 'coin.json', '--json'], app);
    expectCoinPosterior(JSON.parse(ok(r, 'plato infer')));
  });

  it('the bin and the library draw the same samples from the same seed', async () => {
    const [cli, lib] = await Promise.all([
      exec(
        bin(),
        [
          'sample',
          'coin.plato',
          '--data',
          'coin.json',
          '-n',
          `${N_DRAWS}`,
          '--seed',
          '1',
          '--json',
        ],
        app,
      ),
      exec(process.execPath, ['app.mjs'], app),
    ]);
    const draws = JSON.parse(ok(cli, 'plato sample')).draws;
    expect(draws).toEqual(JSON.parse(ok(lib, 'node app.mjs')).sample.draws);
  });
});
