// Issue 7, through the command line where a user met each problem: data checked against what
// the model means (items 1–3), misspelt keys (4), a binary model file (8), where to give data
// (10), library words in library errors (11), a lagged self-reference (14).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { renderPlatoError } from '../../src/cli/errors.js';
import { compile, PlatoError, sample } from '../../src/index.js';
import { runInProcess, STACK_LINE, spawnCli } from './helpers.js';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'plato-data-checks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function files(name: string, model: string, data?: unknown): { model: string; data: string } {
  const m = join(dir, `${name}.plato`);
  const d = join(dir, `${name}.json`);
  writeFileSync(m, model);
  if (data !== undefined) writeFileSync(d, JSON.stringify(data));
  return { model: m, data: d };
}

const GROUPS = `model groups {
  size N
  size G = 2
  data g: int(0,)[N]
  mu ~ Normal(zeros(G), 10)
  plate i in N {
    y[i] ~ Normal(mu[g[i]], 1)
  }
}
`;

const TABLE = `model table {
  size N
  hyper T: real[2, 3]
  z ~ Bernoulli(0.5)
  plate i in N {
    x[i] ~ Categorical(T[z])
  }
}
`;

describe('item 1: an index from the data outside its plate', () => {
  it('infer and sample exit 1 naming the variable, entry, value and range', async () => {
    const f = files('groups', GROUPS, { g: [0, 1, 2], y: [1, 2, 3] });
    const message =
      'data g[2] = 2 is used as an index of mu (mu[g[i]]) but axis 0 of mu has length G = 2: an index of it must be an integer in 0…1';
    const inferred = await spawnCli(['infer', f.model, '--data', f.data]);
    expect(inferred.code).toBe(1);
    expect(inferred.stderr).toContain(`${f.data}: error: ${message}`);
    expect(inferred.stdout).toBe('');
    const sampled = await runInProcess(['sample', f.model, '--data', f.data, '-n', '3']);
    expect(sampled.code).toBe(1);
    expect(sampled.stderr).toContain(message);
  });
});

describe('item 2: a probability row that is not a simplex', () => {
  it('a row summing to 1.1 is refused, not renormalised', async () => {
    const f = files('simplex', TABLE, {
      T: [
        [0.2, 0.3, 0.6],
        [0.5, 0.3, 0.2],
      ],
      x: [0, 1],
    });
    const r = await spawnCli(['infer', f.model, '--data', f.data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /simplex\.plato:6:24: error: x ~ Categorical: the argument p = T\[z\] reads hyper T\[0\], which is not a simplex: its entries sum to 1\.1/,
    );
    expect(r.stderr).toContain('within 1e-8');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});

describe('item 3: argument domains where a latent selects the row, and in check / engines', () => {
  it('a negative probability in a row z selects: exit 1 at the argument', async () => {
    const f = files('negrow', TABLE, {
      T: [
        [0.2, 0.3, 0.5],
        [0.5, 0.7, -0.2],
      ],
      x: [0, 1],
    });
    for (const cmd of ['infer', 'sample']) {
      const r = await (cmd === 'infer' ? spawnCli : runInProcess)([cmd, f.model, '--data', f.data]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'x ~ Categorical: the argument p = T[z] reads hyper T[1, 2] = -0.2, which is outside its domain: expected p ≥ 0',
      );
      expect(r.stderr).toMatch(/\n\s*\|\s*\^+/);
    }
  });

  it('check and engines refuse Normal(0, -10); engines checks arguments the data fixes', async () => {
    const f = files('negsigma', 'model m {\n  x ~ Normal(0, -10)\n}\n');
    const message =
      'negsigma.plato:2:17: error: x ~ Normal: the argument sigma = -10 is outside its domain: expected sigma > 0';
    for (const cmd of ['check', 'engines']) {
      const r = await runInProcess([cmd, f.model]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    }
    const g = files('hypersigma', 'model m {\n  hyper s: real = 1\n  x ~ Normal(0, s)\n}\n', {
      s: -2,
    });
    const r = await runInProcess(['engines', g.model, '--data', g.data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('x ~ Normal: the argument sigma = -2 is outside its domain');
  });
});

describe('item 4: a misspelt data key', () => {
  const COIN =
    'model coin {\n  size N\n  theta ~ Beta(1, 1)\n  plate i in N {\n    y[i] ~ Bernoulli(theta)\n  }\n}\n';

  it('the warning comes before the error it explains, with the closest name', async () => {
    const f = files('yy', COIN, { yy: [1, 0, 1] });
    const r = await runInProcess(['infer', f.model, '--data', f.data]);
    expect(r.code).toBe(1);
    const warning = r.stderr.indexOf(
      `"yy" is not declared in model coin; ignored; did you mean 'y'?`,
    );
    const error = r.stderr.indexOf('error: size N is not given');
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(error).toBeGreaterThan(warning);
  });

  it('with the size given, the run succeeds but says y got no data and "yy" has its shape', async () => {
    const f = files('yy2', COIN, { N: 3, yy: [1, 0, 1] });
    const r = await runInProcess(['infer', f.model, '--data', f.data]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: y receives no data, so it is latent and reported as unobserved, but the data has the undeclared key "yy" of its shape [3]',
    );
  });
});

describe('item 8: a model file that is not text', () => {
  it('one error, no code frames', async () => {
    const path = join(dir, 'binary.plato');
    writeFileSync(path, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0xff, 0xfe, 10, 0, 1, 2]));
    const r = await spawnCli(['check', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: cannot read model file '${path}': not a text file (it is not UTF-8 text)\n`,
    );
  });
});

describe('item 10: where to give what is missing', () => {
  it('without --data the CLI says --data FILE; the library says the data option', async () => {
    const f = files(
      'nodata',
      'model m {\n  size N\n  plate i in N {\n    x[i] ~ Normal(0, 1)\n  }\n}\n',
    );
    const r = await runInProcess(['sample', f.model, '-n', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('give "N" in a data file (--data FILE)');
    const m = compile('model m {\n  size N\n  plate i in N {\n    x[i] ~ Normal(0, 1)\n  }\n}\n');
    await expect(sample(m, { n: 2 })).rejects.toThrow('give "N" in the data (the `data` option)');
  });
});

describe('item 11: library errors in library words', () => {
  const source = 'model m {\n  size N\n  plate i in N {\n    y[i] ~ Normal(0, 1)\n  }\n}\n';

  it('sample(m, { n: 0 }) names n, and a fractional seed names seed', async () => {
    const m = compile(source, { filename: 'm.plato' });
    const err = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e as PlatoError,
      );
    const n = await err(sample(m, { data: { y: [1] }, n: 0 }));
    expect(n?.message).toBe('n must be a positive integer, got 0');
    const seed = await err(sample(m, { data: { y: [1] }, seed: 0.5 }));
    expect(seed?.message).toBe('seed must be an integer, got 0.5');
  });

  it('bad data passed as an object names no file (neither the model nor an invented one)', async () => {
    const m = compile(source, { filename: 'm.plato' });
    const e = await sample(m, { data: { y: [1, Number.NaN] }, n: 2 }).then(
      () => undefined,
      (x: unknown) => x as PlatoError,
    );
    expect(e).toBeInstanceOf(PlatoError);
    const text = 'error: y[1] = NaN is not a number: write null for a missing value';
    expect(renderPlatoError(e!)).toBe(text);
    expect(e!.render()).toBe(text);
  });
});

describe('item 14: a self-reference with a lag', () => {
  it('without a conditional covering the first step, is an error saying how to write it', async () => {
    const f = files(
      'walk',
      'model walk {\n  size T\n  plate t in T {\n    x[t] ~ Normal(x[t - 1], 1)\n  }\n}\n',
    );
    const r = await runInProcess(['check', f.model]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "error: 'x' is read at 't - 1', which is before the first step when t = 0",
    );
    expect(r.stderr).toContain(
      "= guard the read with a conditional: t == 0 ? (the first step's value) : (an expression reading x[t - 1])",
    );
  });
});
