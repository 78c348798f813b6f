// Adversarial inputs that used to crash, hang or answer wrongly: sizes too large for memory,
// cyclic data, option values the CLI's flag parsers would reject, a model with many statements.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/build.js';
import { MAX_VALUES } from '../../src/graph/limits.js';
import { compile, infer, PlatoError, sample } from '../../src/index.js';
import { frontend } from '../../src/lang/index.js';
import { runInProcess, STACK_LINE } from '../cli/helpers.js';

let dir: string;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const COIN = `model coin {
  size N
  theta ~ Beta(1, 1)
  plate i in N {
    y[i] ~ Bernoulli(theta)
  }
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'plato-robust-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Exit 1, one line per message in `expected`, no stack trace, no "internal error". */
function expectUserError(r: { code: number; stderr: string }, ...expected: string[]): void {
  expect(r.code).toBe(1);
  for (const e of expected) expect(r.stderr).toContain(e);
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stderr).not.toContain('internal error');
}

describe('sizes too large for memory are a user error naming the size', () => {
  it('N = 1e9 in the data (used to hang, then abort out of memory)', async () => {
    const model = file('coin.plato', COIN);
    const data = file('huge.json', '{"N": 1000000000}');
    const r = await runInProcess(['sample', model, '--data', data, '-n', '2']);
    expectUserError(
      r,
      `huge.json: error: size N: N = 1000000000 is too large (given in the data); at most ${MAX_VALUES} values fit in one variable`,
    );
  });

  it('a size default in the model file', async () => {
    const model = file('default.plato', COIN.replace('size N', 'size N = 200000000'));
    const r = await runInProcess(['sample', model, '-n', '1']);
    expectUserError(r, 'size N: N = 200000000 is too large (set in the model file)');
  });

  it('a product of sizes names the variable and its shape', async () => {
    const model = file(
      'blr.plato',
      `model blr {
  size N
  size P
  data X: real[N, P]
  beta ~ Normal(zeros(P), 1)
  plate i in N {
    y[i] ~ Normal(dot(X[i], beta), 1)
  }
}
`,
    );
    const data = file('np.json', '{"N": 100000, "P": 100000}');
    const r = await runInProcess(['sample', model, '--data', data, '-n', '1']);
    expectUserError(r, 'X would hold 10000000000 values ([100000, 100000])');
  });

  it('a ragged size given as one count for every outer element', async () => {
    const model = file(
      'ragged.plato',
      `model r {
  size D
  size N[D]
  plate d in D {
    plate n in N[d] {
      y[d, n] ~ Normal(0, 1)
    }
  }
}
`,
    );
    const data = file('ragged.json', '{"D": 100000, "N": 100000}');
    const r = await runInProcess(['sample', model, '--data', data, '-n', '1']);
    expectUserError(
      r,
      'size N: 100000 for each of D = 100000 makes 10000000000, which is too large',
    );
  });

  it('-n times the values of one draw is bounded, and the message says how many draws fit', async () => {
    const model = file('coin2.plato', COIN);
    const data = file('n30m.json', '{"N": 30000000}');
    const r = await runInProcess(['sample', model, '--data', data, '-n', '10']);
    expectUserError(
      r,
      'error: -n 10 draws of 30000001 values each make 300000010 values',
      'use a smaller -n (at most 3)',
    );
  });
});

describe('library options are checked like the CLI flags', () => {
  const coin = compile(COIN, { filename: 'coin.plato' });
  const data = { N: 2, y: [1, 0] };
  const rejects = async (p: Promise<unknown>, message: string) => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(PlatoError);
    expect((e as PlatoError).message).toContain(message);
  };

  it('a seed that is not an integer', async () => {
    await rejects(sample(coin, { data, n: 2, seed: 1.5 }), 'seed must be an integer, got 1.5');
    await rejects(
      infer(coin, { data, seed: Number.NaN }),
      "option 'seed' must be an integer, got NaN",
    );
  });

  it('options no registered engine reads are unknown options; those of em name it', async () => {
    await rejects(
      infer(coin, { data, sweeps: 0 }),
      "unknown option 'sweeps' for engine 'exact' (the engine auto picked)",
    );
    await rejects(
      infer(coin, { data, engine: 'exact', rtol: 1e-6 }),
      "unknown option 'rtol' for engine 'exact'",
    );
    await rejects(
      infer(coin, { data, iters: 0 }),
      "option 'iters' is read by engines 'em' and 'cavi', not by 'exact' (the engine auto picked)",
    );
  });

  it('a model source that is not a string', () => {
    expect(() => compile(undefined as unknown as string)).toThrow(
      'the model source must be a string, got undefined',
    );
  });

  it('cyclic data from a program (used to abort the process growing an array forever)', async () => {
    const y: unknown[] = [1];
    y.push(y);
    await rejects(
      sample(coin, { data: { N: 2, y } as never, n: 2 }),
      'y: expected int[N] = [2], got [2, 2,',
    );
  });
});

describe('a model with many statements', () => {
  it('builds in time linear in its size (the topological order was quadratic)', () => {
    const k = 40_000;
    // every node ready at once: the old linear scan for the first-declared ready node was O(k²)
    const lines = Array.from({ length: k }, (_, i) => `  x${i} ~ Normal(0, 1)`);
    const source = `model big {\n${lines.join('\n')}\n  y ~ Normal(x${k - 1} + x0, 1)\n}\n`;
    const front = frontend(source, 'big.plato');
    expect(front.program).toBeDefined();
    const t = performance.now();
    const built = buildGraph(front.program!, source, 'big.plato');
    const ms = performance.now() - t;
    // the scan took ~20 s here; the heap takes well under a second
    expect(ms).toBeLessThan(5000);
    const order = built.graph!.order;
    // ties are broken by declaration order, as before
    expect(order).toEqual([...Array.from({ length: k }, (_, i) => `x${i}`), 'y']);
  });
});
