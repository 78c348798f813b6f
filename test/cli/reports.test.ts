// Text reports a person reads, through the command line (issue 7 items 9 and 13): shapes that
// cannot be read as values, state frequencies for Categorical nodes, a labelled `npm run demo`.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { formatNumber } from '../../src/report/format.js';
import { ROOT, runInProcess } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'plato-reports-'));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(async () => {
  await initBackend('wasm');
});

/** The table row of `node` in a text report, split on runs of 2+ spaces. */
function row(stdout: string, node: string): string[] {
  const line = stdout.split('\n').find((l) => l.trimStart().startsWith(`${node} `));
  if (!line) throw new Error(`no row for ${node} in\n${stdout}`);
  return line.trim().split(/ {2,}/);
}

describe('shapes print as 2×2×3, never as [2, 2, 3]', () => {
  const model = file(
    'cube.plato',
    `model cube {
  size A
  size B
  size C
  s ~ Normal(0, 1)
  plate a in A {
    v[a] ~ Normal(0, 1)
    plate b in B {
      plate c in C {
        x[a, b, c] ~ Normal(0, 2)
      }
    }
  }
}
`,
  );
  const data = file('cube.json', '{ "A": 2, "B": 2, "C": 3 }\n');

  it('infer: the shape column, and a small latent listed entry by entry', async () => {
    const r = await runInProcess(['infer', model, '--data', data]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(row(r.stdout, 'x')).toEqual(['x', 'Normal', '2×2×3']);
    expect(r.stdout).toMatch(/\n {4}x\[0, 0, 0\] [^\n]*\n(?: {4}x\[[^\n]*\n){10} {4}x\[1, 1, 2\] /);
    expect(row(r.stdout, 'v').slice(0, 3)).toEqual(['v', 'Normal', '2']);
    expect(row(r.stdout, 's').slice(0, 3)).toEqual(['s', 'Normal', 'scalar']);
    // every latent's shape cell is a shape, never a list that reads as a value
    const latentRows = r.stdout.split('\n').filter((l) => /^ {2}\w+ +Normal /.test(l));
    expect(latentRows.length).toBe(3);
    for (const l of latentRows) expect(l.trim().split(/ {2,}/)[2]).toMatch(/^(scalar|\d+(×\d+)*)$/);
    expect(r.stdout).not.toContain('[]');
  });

  it('sample: the shape of one draw', async () => {
    const r = await runInProcess(['sample', model, '--data', data, '-n', '10']);
    expect(r.code).toBe(0);
    expect(row(r.stdout, 'x')[1]).toBe('2×2×3');
    expect(row(r.stdout, 'v')[1]).toBe('2');
    expect(row(r.stdout, 's')[1]).toBe('scalar');
  });
});

describe('plato sample: Categorical nodes show state frequencies', () => {
  const model = file(
    'cat.plato',
    `model cat {
  size N
  size K
  hyper p: simplex[K]
  z ~ Categorical(p)
  c ~ Bernoulli(0.3)
  plate i in N {
    y[i] ~ Categorical(p)
  }
}
`,
  );
  const data = file('cat.json', '{ "N": 4, "K": 3, "p": [0.2, 0.5, 0.3] }\n');
  const args = ['sample', model, '--data', data, '-n', '400', '--seed', '5'];

  /** How often each state occurs among the values, as the report prints it (3 digits). */
  const frequencies = (values: number[], K: number) =>
    Array.from(
      { length: K },
      (_, k) => `${k}: ${formatNumber(values.filter((v) => v === k).length / values.length, 3)}`,
    ).join(', ');

  it('the text lists the frequency of every state in the draws, not a mean state index', async () => {
    const j = JSON.parse((await runInProcess([...args, '--json'])).stdout);
    const text = await runInProcess(args);
    expect(text.code).toBe(0);
    const z = j.draws.z as number[];
    const y = (j.draws.y as number[][]).flat();
    expect(row(text.stdout, 'z')).toEqual(['z', 'scalar', `freq ${frequencies(z, 3)}`, '-']);
    expect(row(text.stdout, 'y')).toEqual([
      'y',
      '4',
      `freq (all entries) ${frequencies(y, 3)}`,
      '-',
    ]);
    // the frequencies are near p (4 sd of a proportion of 400 draws: ≤ 0.1)
    const f = frequencies(z, 3)
      .split(', ')
      .map((s) => Number(s.split(': ')[1]));
    [0.2, 0.5, 0.3].forEach((p, k) => {
      expect(Math.abs(f[k] - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / 400));
    });
    // the mean state index is nowhere in the z row; a Bernoulli node keeps its mean and sd
    expect(row(text.stdout, 'z').join(' ')).not.toContain(formatNumber(j.summary.z.mean));
    expect(row(text.stdout, 'c')[2]).toBe(formatNumber(j.summary.c.mean));
    // the JSON summary keeps DESIGN §5's mean and sd of every node
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    expect(j.summary.z.mean).toBeCloseTo(mean, 5);
  });

  it('with many states: the most frequent ones and how many states were drawn', async () => {
    const r = await runInProcess([
      'sample',
      join(ROOT, 'examples/lda/lda.plato'),
      '--data',
      join(ROOT, 'examples/lda/lda-sizes.json'),
      '-n',
      '50',
      '--seed',
      '1',
    ]);
    expect(r.code).toBe(0);
    const w = row(r.stdout, 'w');
    expect(w[1]).toBe('10×7..20');
    expect(w[2]).toMatch(/^freq \(all entries\) (\d+: [\d.]+, ){4}… \(\d+ states drawn\)$/);
  });
});

describe('npm run demo', () => {
  it('labels its two parts before their output', async () => {
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn('npm', ['run', '-s', 'demo'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        stdout += s;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    const first = lines.findIndex((l) => /^== 1\. plato infer: /.test(l));
    const second = lines.findIndex((l) => /^== 2\. plato sample: /.test(l));
    expect(first).toBe(0);
    expect(second).toBeGreaterThan(first);
    // each heading comes before its command's own first line
    expect(lines.slice(first, second).some((l) => l.startsWith('engine        exact'))).toBe(true);
    expect(lines.slice(second).some((l) => l.startsWith('sample  n = 200  seed = 1'))).toBe(true);
  }, 60_000);
});
