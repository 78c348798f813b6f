// What cavi refuses, with the node and line `plato engines` shows: non-conjugate edges, families
// with no variational factor here, hierarchies, missing entries of a continuous node.
import { describe, expect, it } from 'vitest';
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
});
