// `plato infer`'s flags come from the registered engines' option declarations, and `plato
// engines` prints one line per engine (issue 6 item 5, issue 7 item 12). In process; stand-in
// engines with options (cavi and avi are not built yet; their option names are ones no built-in
// engine declares) are registered for some tests and passed to the command line with the
// built-in ones.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { userError } from '../../src/diagnostics/diagnostics.js';
import { BUILTIN_APPLICABILITY } from '../../src/infer/applicability.js';
import { BUILTIN_ENGINES } from '../../src/infer/builtin.js';
import type { Engine } from '../../src/infer/engine.js';
import { listEngines, registerEngine } from '../../src/infer/engines.js';
import type { EngineInfo, OptionSpec } from '../../src/infer/options.js';
import { runInProcess, STACK_LINE } from './helpers.js';

const coin = ['examples/coin/coin.plato', '--data', 'examples/coin/coin.json'];
/** the VAE has a net to learn: auto tries em (which does not learn nets), then cavi */
const vae = ['examples/vae/vae.plato', '--data', 'examples/vae/digits-small.json'];

const CAVI = [
  { name: 'sweeps', type: 'int', default: 100, help: 'at most this many sweeps', minimum: 1 },
  {
    name: 'rtol',
    type: 'number',
    default: 1e-6,
    help: 'stop below this relative change',
    exclusiveMinimum: 0,
  },
] as const satisfies readonly OptionSpec[];
const AVI = [
  { name: 'batchSize', type: 'int', default: 64, help: 'minibatch size', minimum: 1 },
] as const satisfies readonly OptionSpec[];
const caviInfo: EngineInfo = {
  name: 'cavi',
  description: 'stand-in cavi',
  inference: true,
  options: CAVI,
};
const aviInfo: EngineInfo = {
  name: 'avi',
  description: 'stand-in avi',
  inference: true,
  options: AVI,
};
// the stand-in cavi and avi (other options) replace the built-in ones
const WITH_STAND_INS = [
  ...BUILTIN_ENGINES.filter((e) => e.name !== 'cavi' && e.name !== 'avi'),
  caviInfo,
  aviInfo,
];

/** Applies to every model; its run stops with a user error that shows the options it got. */
function standIn(info: EngineInfo): Engine {
  return {
    ...info,
    applicability: () => ({ ok: true }),
    run: (_model, options) =>
      Promise.reject(userError(`${info.name} ran with ${JSON.stringify(options)}`, 'unsupported')),
  };
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('the built-in engines', () => {
  it('are the registered ones, with the same options', () => {
    const strip = (e: EngineInfo) => ({
      name: e.name,
      description: e.description,
      inference: e.inference,
      options: e.options,
    });
    expect(listEngines().map(strip)).toEqual(BUILTIN_ENGINES.map(strip));
    // plato engines' tensor-free checks cover the same engines, in the same order
    expect(BUILTIN_APPLICABILITY.map((c) => c.name)).toEqual(BUILTIN_ENGINES.map((e) => e.name));
  });

  it('plato infer --help lists only registered engines and the flags they read', async () => {
    const r = await runInProcess(['infer', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /--engine <name> +auto, or one of: exact, em, cavi, avi \(see `plato\s+engines`\)/,
    );
    expect(r.stdout).toContain('--seed <int>');
    expect(r.stdout).toMatch(/\n {2}exact: closed-form conjugate/);
    expect(r.stdout).toContain('    options: none of its own');
    expect(r.stdout).toContain('Engine options (each engine reads its own):');
    expect(r.stdout).toMatch(/--iters <int> +em, cavi: maximum number of EM iterations/);
    expect(r.stdout).toMatch(/--mstep-iters <int> +em: Adam steps per gradient M-step/);
    expect(r.stdout).toContain(
      '    options: --iters, --tol, --restarts, --reg-covar, --init, --mstep-iters, --mstep-rate',
    );
    expect(r.stdout).toMatch(/--batch-size <int> +cavi, avi: stochastic VI/);
    // nothing of engines that are not registered
    for (const absent of ['--sweeps', '--rtol'])
      expect(r.stdout).not.toMatch(new RegExp(`(^|[^\\w-])${absent}([^\\w-]|$)`));
  });

  it('a flag no registered engine reads is an unknown option', async () => {
    const r = await runInProcess(['infer', ...coin, '--burn-in', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: unknown option '--burn-in'\n");
    expect(r.stdout).toBe('');
  });

  it('a bad flag value: exit 1, the flag, the value and what it must be, no stack trace', async () => {
    const r = await runInProcess(['infer', ...coin, '--seed', 'abc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: option '--seed <int>' argument 'abc' is invalid. expected an integer.\n",
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stdout).toBe('');
  });
});

// before the stand-ins are registered (the registry is global to this file)
describe('plato engines: one line per engine', () => {
  // 21 observed nodes: the sample engine has a reason for each
  const dir = mkdtempSync(join(tmpdir(), 'plato-engines-'));
  const K = 21;
  const model = join(dir, 'many.plato');
  const data = join(dir, 'many.json');
  writeFileSync(
    model,
    `model many {\n  theta ~ Beta(1, 1)\n${Array.from({ length: K }, (_, k) => `  y${k} ~ Bernoulli(theta)\n`).join('')}}\n`,
  );
  writeFileSync(
    data,
    JSON.stringify(Object.fromEntries(Array.from({ length: K }, (_, k) => [`y${k}`, k % 2]))),
  );

  it('the first reason and a count; --verbose lists all; --json has all', async () => {
    const r = await runInProcess(['engines', model, '--data', data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '  engine  applies  reasons',
        `  sample  ✗        y0 (line 3:3): sample draws from the prior; it does not condition on data … and ${K - 1} more; --verbose`,
        '  exact   ✓',
        '  em      ✗        theta (line 2:3): nothing to learn: em estimates params, and this model has none without a value',
        '  cavi    ✓',
        '  avi     ✓',
        '',
        'auto picks: exact',
        '',
      ].join('\n'),
    );
    const verbose = await runInProcess(['engines', model, '--data', data, '--verbose']);
    expect(verbose.code).toBe(0);
    const lines = verbose.stdout.split('\n');
    for (let k = 0; k < K; k++)
      expect(lines[1 + k]).toMatch(
        new RegExp(`^ {2}(sample  ✗ {8}| {17})y${k} \\(line ${k + 3}:3\\): sample draws`),
      );
    expect(lines[1 + K]).toBe('  exact   ✓');
    const json = JSON.parse(
      (await runInProcess(['engines', model, '--data', data, '--json'])).stdout,
    );
    expect(json.engines[0].reasons).toHaveLength(K);
  });
});

describe('with stand-in engines that declare options', () => {
  beforeAll(() => {
    registerEngine(standIn(caviInfo));
    registerEngine(standIn(aviInfo));
  });
  const infer = (args: string[]) => runInProcess(['infer', ...args], WITH_STAND_INS);

  it('--help lists their flags, which engines read each, and their defaults', async () => {
    const r = await infer(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('auto, or one of: exact, em, cavi, avi');
    expect(r.stdout).toContain('Engine options (each engine reads its own):');
    expect(r.stdout).toMatch(/--sweeps <int> +cavi: at most this many sweeps \(default 100\)/);
    expect(r.stdout).toMatch(/--batch-size <int> +avi: minibatch size \(default 64\)/);
    expect(r.stdout).toContain('    options: --sweeps, --rtol');
  });

  it('the chosen engine runs with the flags given and its defaults', async () => {
    const r = await infer([...coin, '--engine', 'cavi', '--sweeps', '7']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: cavi ran with {"seed":0,"sweeps":7,"rtol":0.000001}\n');
  });

  it('a flag of another engine says which engine reads it, in flags', async () => {
    const r = await infer([...coin, '--engine', 'exact', '--rtol', '0.01']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: option '--rtol' is read by engine 'cavi', not by 'exact'; the options of engine 'exact': --seed\n",
    );
  });

  it('under --engine auto, against the engine auto picks', async () => {
    const bad = await infer([...vae, '--batch-size', '8']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      "error: option '--batch-size' is read by engine 'avi', not by 'cavi' (the engine auto picked); " +
        "the options of engine 'cavi': --seed, --sweeps, --rtol\n",
    );
    const good = await infer([...vae, '--rtol', '0.5', '--seed', '3']);
    expect(good.stderr).toBe('error: cavi ran with {"seed":3,"sweeps":100,"rtol":0.5}\n');
  });

  it('a value out of bounds is rejected before the model is read', async () => {
    const r = await infer(['no-such-model.plato', '--data', 'x.json', '--sweeps', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: option '--sweeps <int>' argument '0' is invalid. expected a positive integer.\n",
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});
