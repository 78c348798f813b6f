// Start-up: commands that need no tensor (`check`, `--help`, `--version`, and `engines` unless a
// check evaluates an expression) must not load TensorFlow.js (~0.3 s of a `plato check` that
// should answer in well under half a second); `infer` loads it, one copy. Each command runs as a child process through bin/plato.js with an
// ESM loader hook (test/support/traceResolve.mjs) that records every module URL it resolves.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, spawnCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'plato-startup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOOK = pathToFileURL(join(ROOT, 'test', 'support', 'traceResolve.mjs')).href;
const TFJS = /\/node_modules\/@tensorflow\//;
const COIN = ['examples/coin/coin.plato', '--data', 'examples/coin/coin.json'];

/** Run `plato …args`; resolves to its result and the URLs of every module it resolved. */
async function traced(name: string, args: readonly string[]) {
  const trace = join(tmp, `${name}.txt`);
  writeFileSync(trace, '');
  const register = join(tmp, `${name}-register.mjs`);
  writeFileSync(
    register,
    `import { register } from 'node:module';\n` +
      `register(${JSON.stringify(HOOK)}, { data: { file: ${JSON.stringify(trace)} } });\n`,
  );
  const r = await spawnCli(args, { NODE_OPTIONS: `--import ${pathToFileURL(register).href}` });
  const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  return { ...r, urls };
}

describe('start-up: which commands load TensorFlow.js', () => {
  it.concurrent('check parses with chevrotain and loads no tfjs', async () => {
    const r = await traced('check', ['check', 'examples/coin/coin.plato', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).model).toBe('coin');
    // the hook saw the command's own modules: an empty trace would pass the next line vacuously
    expect(r.urls.some((u) => u.endsWith('/dist/cli/program.js'))).toBe(true);
    expect(r.urls.some((u) => u.includes('/node_modules/chevrotain/'))).toBe(true);
    expect(r.urls.filter((u) => TFJS.test(u))).toEqual([]);
    // nor the engines report (src/applies.ts): check binds no data
    expect(r.urls.filter((u) => u.endsWith('/dist/applies.js'))).toEqual([]);
    // chevrotain as its one-file bundle (src/lang/chevrotain.ts), not ~650 modules of lodash-es
    expect(r.urls.filter((u) => u.includes('/node_modules/lodash-es/'))).toEqual([]);
  });

  it.concurrent.each(
    [['--help'], ['--version'], ['check', '--help']].map((a) => [a.join(' '), a] as const),
  )('plato %s loads neither tfjs nor the parser', async (_, args) => {
    const r = await traced(args.join('').replace(/\W/g, ''), args);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toBe('');
    expect(r.urls.some((u) => u.includes('/node_modules/commander/'))).toBe(true);
    expect(r.urls.filter((u) => TFJS.test(u) || u.includes('/chevrotain/'))).toEqual([]);
  });

  it.concurrent.each([
    ['with its data', COIN, 0],
    ['without data (a missing size is an error)', ['examples/coin/coin.plato'], 1],
    ['asia with its data', ['examples/asia/asia.plato', '--data', 'examples/asia/asia.json'], 0],
  ] as const)('engines %s loads no tfjs', async (label, model, code) => {
    // one trace file per case: the cases run concurrently, and a shared name let one case's
    // start truncate another's trace (coin and asia both have 3 arguments and exit 0)
    const name = `engines-${label.replace(/\W+/g, '-')}`;
    const r = await traced(name, ['engines', ...model, '--json']);
    expect(r.code).toBe(code);
    if (code === 0) expect(JSON.parse(r.stdout).auto).toBe('exact');
    else expect(r.stderr).toContain('size N is not given');
    // the hook saw the tensor-free report's modules: an empty trace would pass vacuously
    expect(r.urls.some((u) => u.endsWith('/dist/infer/exact/applicability.js'))).toBe(true);
    expect(r.urls.filter((u) => TFJS.test(u))).toEqual([]);
  });

  it.concurrent('engines loads tfjs when a check needs an evaluation (noisy-OR weights)', async () => {
    const args = ['examples/noisy_or/noisy_or.plato', '--data', 'examples/noisy_or/noisy_or.json'];
    const r = await traced('engines-noisy', ['engines', ...args, '--json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).auto).toBe('exact');
    expect(r.urls.some((u) => TFJS.test(u))).toBe(true);
  });

  it.concurrent('infer loads tfjs and the wasm backend, each from one file', async () => {
    const r = await traced('infer', ['infer', ...COIN, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const tf = new Set(r.urls.filter((u) => TFJS.test(u)));
    const pkg = (u: string) => /@tensorflow\/([^/]+)\//.exec(u)?.[1];
    expect([...tf].map(pkg).sort()).toEqual(['tfjs', 'tfjs-backend-wasm']);
    expect(tf.size).toBe(2);
  });
});
