// End to end: the command line on the reference examples. Output layouts run in process
// (fast); exit codes, stderr and the bin script run as child processes (few: ~1 s each).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { ROOT, runInProcess, STACK_LINE, spawnCli } from './helpers.js';

const EXAMPLES = [
  'coin',
  'lda',
  'noisy_or',
  'blr',
  'gmm',
  'factor_analysis',
  'vae',
  'asia',
] as const;
const modelPath = (name: string) => `examples/${name}/${name}.plato`;

const tmp = mkdtempSync(join(tmpdir(), 'plato-cli-'));
beforeAll(async () => {
  await initBackend('wasm');
});

async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await runInProcess([...args, '--json']);
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.endsWith('\n')).toBe(true);
  return JSON.parse(r.stdout);
}

/** The first-axis lengths of a nested array, read along first entries. */
function shape(v: unknown): number[] {
  const s: number[] = [];
  while (Array.isArray(v)) {
    s.push(v.length);
    v = v[0];
  }
  return s;
}

describe('plato check', () => {
  it.each(EXAMPLES)('%s: --json has exactly the layout of DESIGN.md §5', async (name) => {
    const r = await json(['check', modelPath(name)]);
    expect(Object.keys(r)).toEqual(['model', 'plates', 'nodes']);
    expect(r.model).toBe(name);
    for (const p of r.plates as Record<string, unknown>[]) {
      expect(Object.keys(p)).toEqual(['name', 'size', 'parent']);
    }
    const nodes = r.nodes as Record<string, unknown>[];
    expect(nodes.length).toBeGreaterThan(0);
    for (const n of nodes) {
      expect(Object.keys(n)).toEqual(['name', 'kind', 'distribution', 'plates', 'parents', 'line']);
      expect(Number.isInteger(n.line) && (n.line as number) >= 1).toBe(true);
    }
    // the text report lists the same nodes
    const text = await runInProcess(['check', modelPath(name)]);
    expect(text.code).toBe(0);
    expect(text.stdout.startsWith(`model ${name}\n`)).toBe(true);
    for (const n of nodes) expect(text.stdout).toMatch(new RegExp(`\\n  ${n.name} +${n.kind} `));
  });
});

describe('plato sample', () => {
  it('coin: n draws on the first axis, a summary of every node, reproducible from the seed', async () => {
    const before = tf.memory().numTensors;
    const args = ['sample', modelPath('coin'), '--data', 'examples/coin/coin.json', '-n', '50'];
    const r = await json([...args, '--seed', '3']);
    expect(Object.keys(r)).toEqual(['engine', 'n', 'seed', 'draws', 'summary']);
    expect(r).toMatchObject({ engine: 'sample', n: 50, seed: 3 });
    const draws = r.draws as Record<string, unknown>;
    const summary = r.summary as Record<string, Record<string, unknown>>;
    expect(shape(draws.theta)).toEqual([50]);
    expect(shape(draws.y)).toEqual([50, 20]);
    expect(Object.keys(summary).sort()).toEqual(Object.keys(draws).sort());
    for (const s of Object.values(summary)) expect(Object.keys(s)).toEqual(['mean', 'sd']);
    expect(await json([...args, '--seed', '3'])).toEqual(r);
    expect(await json([...args, '--seed', '4'])).not.toEqual(r);
    expect(tf.memory().numTensors).toBe(before);

    const text = await runInProcess([...args, '--seed', '3']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^sample {2}n = 50 {2}seed = 3\n/);
    expect(text.stdout).toMatch(/\n {2}theta +scalar +\S+ +\S+\n/);
    expect(text.stdout).toMatch(/\n {2}y +20 /);
  });

  it('lda: prior draws over a ragged plate; -o writes the same JSON that --json prints', async () => {
    const out = join(tmp, 'lda.json');
    const args = ['sample', modelPath('lda'), '--data', 'examples/lda/lda-sizes.json'];
    const r = await runInProcess([...args, '-n', '7', '--seed', '1', '-o', out, '--json']);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(r.stdout);
    const { draws } = JSON.parse(r.stdout) as { draws: Record<string, unknown> };
    const sizes = JSON.parse(readFileSync(join(ROOT, 'examples/lda/lda-sizes.json'), 'utf8'));
    expect(shape(draws.beta)).toEqual([7, sizes.K, sizes.V]);
    expect(shape(draws.theta)).toEqual([7, sizes.D, sizes.K]);
    // ragged: one row of N[d] tokens per document
    for (const node of ['z', 'w']) {
      const first = (draws[node] as unknown[][][])[0]!;
      expect(first.map((doc) => doc.length)).toEqual(sizes.N);
    }

    // -o without --json: the text report on stdout, the JSON in the file
    const out2 = join(tmp, 'lda2.json');
    const t = await runInProcess([...args, '-n', '7', '--seed', '1', '-o', out2]);
    expect(t.code).toBe(0);
    expect(t.stdout.startsWith('sample  n = 7  seed = 1\n')).toBe(true);
    expect(readFileSync(out2, 'utf8')).toBe(r.stdout);
  });
});

describe('data warnings', () => {
  it('a key the model does not declare is a warning on stderr, not an error', async () => {
    const file = join(tmp, 'extra.json');
    writeFileSync(file, '{ "N": 4, "y": [1, 0, 1, 1], "colour": 3 }\n');
    const r = await runInProcess([
      'sample',
      modelPath('coin'),
      '--data',
      file,
      '-n',
      '5',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`${file}: warning: "colour" is not declared in model coin; ignored\n`);
    expect(JSON.parse(r.stdout).n).toBe(5);
  });
});

describe('plato engines and infer', () => {
  it('engines --json: auto and every engine with its reasons', async () => {
    const r = await json(['engines', modelPath('coin'), '--data', 'examples/coin/coin.json']);
    expect(Object.keys(r)).toEqual(['auto', 'engines']);
    expect(r.auto === null || typeof r.auto === 'string').toBe(true);
    const list = r.engines as {
      name: string;
      applies: boolean;
      reasons: Record<string, unknown>[];
    }[];
    expect(list.length).toBeGreaterThan(0);
    for (const e of list) {
      expect(Object.keys(e)).toEqual(['name', 'applies', 'reasons']);
      expect(e.applies).toBe(e.reasons.length === 0);
      for (const x of e.reasons)
        expect(Object.keys(x)).toEqual(['node', 'line', 'column', 'message']);
    }
    const text = await runInProcess([
      'engines',
      modelPath('coin'),
      '--data',
      'examples/coin/coin.json',
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ {2}engine +applies +reasons\n/);
    expect(text.stdout).toContain(
      r.auto === null ? 'auto: no engine applies' : `auto picks: ${r.auto}`,
    );
  });

  it('infer coin: the conjugate posterior Beta(1 + heads, 1 + tails)', async () => {
    const r = await json([
      'infer',
      modelPath('coin'),
      '--data',
      'examples/coin/coin.json',
      '--engine',
      'exact',
    ]);
    const latents = r.latents as Record<string, { family: string; params: Record<string, number> }>;
    expect(latents.theta!.family).toBe('Beta');
    expect(latents.theta!.params.a).toBeCloseTo(15, 4);
    expect(latents.theta!.params.b).toBeCloseTo(7, 4);
  });
});

describe('example data', () => {
  it('noisy_or.json under the model names gives the float64 reference posterior', async () => {
    const ref = JSON.parse(
      readFileSync(join(ROOT, 'examples/noisy_or/noisy_or-exact.json'), 'utf8'),
    );
    const r = await json([
      'infer',
      modelPath('noisy_or'),
      '--data',
      'examples/noisy_or/noisy_or.json',
    ]);
    expect(r.engine).toBe('exact');
    // float32 over 2^16 states: a few ulps of the log evidence, 1e-5 on probabilities
    expect(r.logEvidence as number).toBeCloseTo(ref.log_evidence, 4);
    const d = (r.latents as Record<string, { mean: number[] }>).d!;
    expect(d.mean).toHaveLength(ref.marginals.length);
    for (const [k, m] of d.mean.entries()) {
      expect(Math.abs(m - ref.marginals[k]), `d[${k}]`).toBeLessThan(1e-5);
    }
  });
});

describe('user errors exit 1 with a message and no stack trace', () => {
  it('bad flags: -n -3, --seed 1.5, --rtol (no registered engine reads it), --tol -1, an unknown engine', async () => {
    const coin = [modelPath('coin'), '--data', 'examples/coin/coin.json'];
    const n = await runInProcess(['sample', ...coin, '-n', '-3']);
    expect(n.code).toBe(1);
    expect(n.stderr).toMatch(/-n.*'-3' is invalid\. expected a positive integer/);
    const seed = await runInProcess(['infer', ...coin, '--seed', '1.5']);
    expect(seed.code).toBe(1);
    expect(seed.stderr).toBe(
      "error: option '--seed <int>' argument '1.5' is invalid. expected an integer.\n",
    );
    const rtol = await runInProcess(['infer', ...coin, '--rtol', '0']);
    expect(rtol.code).toBe(1);
    expect(rtol.stderr).toMatch(/^error: unknown option '--rtol'/);
    // em's --tol must not be negative (0: run every iteration)
    const tol = await runInProcess(['infer', ...coin, '--tol=-1']);
    expect(tol.code).toBe(1);
    expect(tol.stderr).toBe(
      "error: option '--tol <number>' argument '-1' is invalid. expected a number ≥ 0.\n",
    );
    const engine = await runInProcess(['infer', ...coin, '--engine', 'gibbs']);
    expect(engine.code).toBe(1);
    expect(engine.stderr).toMatch(/^error: unknown engine 'gibbs'; known engines: auto, .*exact/);
    const missing = await runInProcess(['infer', modelPath('coin')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--data <file>' not specified");
    for (const r of [n, seed, rtol, tol, engine, missing]) {
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
  });

  it('-o: an unwritable path is a user error; a failed run writes no file', async () => {
    const coin = [modelPath('coin'), '--data', 'examples/coin/coin.json', '-n', '2'];
    const bad = await runInProcess(['sample', ...coin, '-o', join(tmp, 'no', 'such', 'dir.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^error: cannot write output file '.*dir\.json': no such directory\n$/,
    );
    const out = join(tmp, 'never.json');
    const failed = await runInProcess([
      'sample',
      modelPath('coin'),
      '--data',
      'nope.json',
      '-o',
      out,
    ]);
    expect(failed.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('graph prints DOT, writes SVG and PNG by extension, and refuses other extensions', async () => {
    const dot = await runInProcess(['graph', modelPath('coin')]);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^digraph "coin" \{\n/);
    expect(dot.stdout).toContain('"y" [shape="circle", style="filled", fillcolor="#b8b8b8"');
    const svgPath = join(tmp, 'coin.svg');
    const svg = await runInProcess([
      'graph',
      modelPath('coin'),
      '--data',
      join(ROOT, 'examples/coin/coin.json'),
      '-o',
      svgPath,
    ]);
    expect(svg).toEqual({ code: 0, stdout: '', stderr: '' });
    const text = readFileSync(svgPath, 'utf8');
    expect(text).toContain('<svg');
    expect(text).toMatch(/>i in N = \d+<\/text>/);
    const pngPath = join(tmp, 'coin.png');
    expect((await runInProcess(['graph', modelPath('coin'), '-o', pngPath])).code).toBe(0);
    expect([...readFileSync(pngPath).subarray(1, 4)]).toEqual([80, 78, 71]); // "PNG"
    const bad = await runInProcess(['graph', modelPath('coin'), '-o', join(tmp, 'coin.pdf')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /cannot tell the format of '.*coin\.pdf': name it \.svg, \.png or \.dot/,
    );
  });

  it('infer --plot writes the trace and posterior plots as SVG and PNG; stdout stays JSON', async () => {
    const dir = join(tmp, 'plots', 'coin');
    const r = await runInProcess([
      'infer',
      modelPath('coin'),
      '--data',
      join(ROOT, 'examples/coin/coin.json'),
      '--engine',
      'cavi',
      '--json',
      '--plot',
      dir,
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).engine).toBe('cavi');
    expect(r.stderr).toBe(`plots (svg, png) in ${dir}: trace, posterior-theta\n`);
    for (const f of ['trace', 'posterior-theta']) {
      expect(readFileSync(join(dir, `${f}.svg`), 'utf8')).toMatch(/^<svg /);
      expect([...readFileSync(join(dir, `${f}.png`)).subarray(1, 4)]).toEqual([80, 78, 71]);
    }
  });

  it('infer --vocab FILE labels the topics of a model whose data has no vocab; a bad file is an error', async () => {
    const dir = join(tmp, 'plots', 'lda');
    const lda = ['infer', modelPath('lda'), '--data', join(ROOT, 'examples/lda/lda-small.json')];
    const vocab = join(ROOT, 'examples/lda/lda-small-vocab.json');
    const r = await runInProcess([...lda, '--iters', '2', '--vocab', vocab, '--plot', dir]);
    expect(r.code).toBe(0);
    // one line of top words per topic, and the topic plot
    expect(r.stdout).toMatch(/^ {2}beta\[0\] {3}\w+ \w+/m);
    expect(r.stderr).toMatch(/: .*topics-beta/);
    expect(readFileSync(join(dir, 'topics-beta.svg'), 'utf8')).toMatch(/^<svg /);
    // a vocabulary no latent is over: a warning; not a vocabulary: an error naming the file
    const coin = ['infer', modelPath('coin'), '--data', join(ROOT, 'examples/coin/coin.json')];
    const unused = await runInProcess([...coin, '--vocab', vocab]);
    expect(unused.code).toBe(0);
    expect(unused.stderr).toContain(
      'lda-small-vocab.json: warning: 500 words, but no latent is a Dirichlet over 500 entries',
    );
    const bad = join(tmp, 'bad-vocab.json');
    writeFileSync(bad, '[1, 2]');
    const wrong = await runInProcess([...coin, '--vocab', bad]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /bad-vocab\.json: expected a vocabulary: a non-empty JSON array of strings/,
    );
  });

  it('report prints each data warning once; with --engine avi on the VAE it writes the page', async () => {
    const data = join(tmp, 'coin-extra.json');
    writeFileSync(
      data,
      JSON.stringify({
        ...JSON.parse(readFileSync(join(ROOT, 'examples/coin/coin.json'), 'utf8')),
        extra: 1,
      }),
    );
    const out = join(tmp, 'coin-report.html');
    const r = await runInProcess(['report', modelPath('coin'), '--data', data, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/"extra" is not declared/g)).toHaveLength(1);
    const vae = join(tmp, 'vae-report.html');
    const v = await runInProcess([
      'report',
      modelPath('vae'),
      '--data',
      join(ROOT, 'examples/vae/digits-small.json'),
      '--engine',
      'avi',
      '--epochs',
      '2',
      '-o',
      vae,
    ]);
    expect(v.code).toBe(0);
    const html = readFileSync(vae, 'utf8');
    expect(html).toContain('ELBO per epoch (avi)');
    expect(html).toContain('posterior of z (Normal)');
  });

  // the child processes below run concurrently: each pays ~1 s of startup
  it.concurrent('the bin script runs `check` and prints the text report', async () => {
    const r = await spawnCli(['check', modelPath('coin')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^model coin\n/);
  });

  it.concurrent('a model with a typo: file:line:col, the line and a caret', async () => {
    const source = readFileSync(join(ROOT, modelPath('coin')), 'utf8');
    const typo = source.replace(/y\[i\] ~ Bernoulli\(theta\)/, 'y[i] ~ Bernoulli(thetta)');
    expect(typo).not.toBe(source);
    const file = join(tmp, 'typo.plato');
    writeFileSync(file, typo);
    const r = await spawnCli(['check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const line = typo.split('\n').findIndex((l) => l.includes('thetta')) + 1;
    const col = typo.split('\n')[line - 1]!.indexOf('thetta') + 1;
    expect(r.stderr).toContain(`typo.plato:${line}:${col}: error: unknown name 'thetta'`);
    expect(r.stderr).toMatch(/\n *\| +\^{6}\n/);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it.concurrent('a missing model file', async () => {
    const r = await spawnCli(['sample', 'nope.plato']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: "error: cannot read model file 'nope.plato': no such file\n",
    });
    expect(existsSync(join(ROOT, 'nope.plato'))).toBe(false);
  });

  it.concurrent('data with NaN names the variable and the index', async () => {
    const file = join(tmp, 'nan.json');
    writeFileSync(file, '{ "N": 3, "y": [1, NaN, 0] }\n');
    const r = await spawnCli(['sample', modelPath('coin'), '--data', file, '-n', '5']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('nan.json');
    expect(r.stderr).toMatch(/y\[1\]/);
    expect(r.stderr).toContain('NaN');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it.concurrent('--backend node without @tensorflow/tfjs-node says it is not installed', async () => {
    const r = await spawnCli([
      '--backend',
      'node',
      'sample',
      modelPath('coin'),
      '--data',
      'examples/coin/coin.json',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('@tensorflow/tfjs-node');
    expect(r.stderr).toContain('not installed');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});
