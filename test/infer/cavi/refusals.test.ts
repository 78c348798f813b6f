// What cavi refuses, with the node and line `plato engines` shows: non-conjugate edges, families
// with no variational factor here, hierarchies, missing entries of a continuous node.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../../cli/helpers.js';
import { caviRefusal } from './helpers.js';

describe('cavi refusals name the node and line', () => {
  it('a non-conjugate edge (a Normal latent inside exp)', () => {
    const r = caviRefusal(
      `model m {
  size N
  mu ~ Normal(0, 1)
  plate i in N { y[i] ~ Poisson(exp(mu)) }
}`,
      { y: [1, 2] },
    );
    expect(r).toHaveLength(1);
    expect(r[0].node).toBe('y');
    expect(r[0].line).toBe(4);
    expect(r[0].message).toMatch(/no conjugate pair|not a known multiple|non-conjugate/);
  });

  it('a LogNormal latent and a hierarchy (a param without value is learned, not refused)', () => {
    const r = caviRefusal(
      `model m {
  size N
  param s: real(0,)
  a ~ LogNormal(0, 1)
  b ~ Gamma(2, a)
  plate i in N { y[i] ~ Normal(0, s) }
}`,
      { y: [1, 2] },
    );
    const nodes = r.map((x) => `${x.node}:${x.line}`);
    expect(nodes).not.toContain('s:3');
    expect(nodes).toContain('a:4');
    expect(nodes).toContain('b:5');
    expect(r.find((x) => x.node === 'b')?.message).toMatch(/hierarchy/);
  });

  it('`plato engines` prints the non-conjugate edge with its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plato-cavi-'));
    const model = join(dir, 'm.plato');
    const data = join(dir, 'm.json');
    writeFileSync(
      model,
      'model m {\n  size N\n  mu ~ Normal(0, 1)\n  plate i in N { y[i] ~ Poisson(exp(mu)) }\n}\n',
    );
    writeFileSync(data, JSON.stringify({ N: 2, y: [1, 2] }));
    const r = await runInProcess(['engines', model, '--data', data]);
    const line = r.stdout.split('\n').find((l) => l.trim().startsWith('cavi'));
    expect(line).toMatch(/cavi\s+✗\s+y \(line 4:18\): .*non-conjugate edge/);
  });

  it('missing entries of a continuous node', () => {
    const r = caviRefusal(
      `model m {
  size N
  mu ~ Normal(0, 1)
  plate i in N { y[i] ~ Normal(mu, 1) }
}`,
      { y: [1, null, 2] },
    );
    expect(r).toEqual([
      {
        node: 'y',
        line: 4,
        message: expect.stringMatching(
          /missing entries: cavi fills in missing entries of discrete nodes/,
        ),
      },
    ]);
  });

  it('a linear-Gaussian mean reading two latents, and per-group coefficients', () => {
    const two = caviRefusal(
      `model m {
  size N
  size P
  data X: real[N, P]
  w ~ Normal(zeros(P), 1)
  b ~ Normal(0, 1)
  plate i in N { y[i] ~ Normal(dot(X[i], w) + b, 1) }
}`,
      {
        N: 2,
        P: 2,
        X: [
          [1, 0],
          [0, 1],
        ],
        y: [1, 2],
      },
    );
    expect(two.map((r) => `${r.node}:${r.line}`)).toContain('y:7');
    expect(two.find((r) => r.node === 'y')?.message).toMatch(/reads the latents w and b/);
    const groups = caviRefusal(
      `model m {
  size G
  size N
  size P
  data X: real[G, N, P]
  plate g in G {
    w[g] ~ Normal(zeros(P), 1)
    plate i in N { y[g, i] ~ Normal(dot(X[g, i], w[g]), 1) }
  }
}`,
      {
        G: 1,
        N: 2,
        P: 2,
        X: [
          [
            [1, 0],
            [0, 1],
          ],
        ],
        y: [[1, 2]],
      },
    );
    expect(groups[0]).toMatchObject({ node: 'w', line: 7 });
    expect(groups[0].message).toMatch(/has plates/);
  });
});
