import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/build.js';
import type { GraphNode, ModelGraph } from '../../src/graph/ir.js';
import { parse } from '../../src/lang/index.js';
import { MODELS } from '../support/models.js';
import { buildDiagnostics, graphOf } from './helpers.js';

/** name → [kind, plates, parents] for every node, in `order`. */
function summary(g: ModelGraph): Record<string, [string, string[], string[]]> {
  return Object.fromEntries(
    g.order.map((n) => [n, [g.nodes[n].kind, [...g.nodes[n].plates], [...g.nodes[n].parents]]]),
  );
}

function node<K extends GraphNode['kind']>(
  g: ModelGraph,
  name: string,
  kind: K,
): Extract<GraphNode, { kind: K }> {
  const n = g.nodes[name];
  expect(n.kind).toBe(kind);
  return n as Extract<GraphNode, { kind: K }>;
}

describe('buildGraph: the reference models', () => {
  it('noisy_or', () => {
    const g = graphOf(MODELS.noisy_or);
    expect(g.name).toBe('noisy_or');
    expect(g.order).toEqual(['K', 'M', 'leak', 'rho', 'W', 'd', 's']);
    expect(summary(g)).toEqual({
      K: ['size', [], []],
      M: ['size', [], []],
      leak: ['hyper', [], []],
      rho: ['param', [], ['K']],
      W: ['param', [], ['K', 'M']],
      d: ['stochastic', ['k'], ['rho']],
      s: ['stochastic', ['j'], ['leak', 'W', 'd']],
    });
    expect(g.plates).toEqual({
      k: { id: 'k', index: 'k', size: 'K', line: 7, column: 3 },
      j: { id: 'j', index: 'j', size: 'M', line: 10, column: 3 },
    });
    const s = node(g, 's', 'stochastic');
    expect(s.distribution).toBe('Bernoulli');
    expect(Object.keys(s.args)).toEqual(['p']);
    expect(s.indices).toEqual(['j']);
    expect([s.line, s.column]).toEqual([11, 5]);
    const W = node(g, 'W', 'param');
    expect(W.type.shape).toEqual(['K', 'M']);
    expect(W.type.base).toBe('real');
    expect(W.type.lower).toMatchObject({ kind: 'num', value: 0 });
    expect(W.type.upper).toBeUndefined();
    expect(W.default).toMatchObject({ kind: 'num', value: 1 });
  });

  it('lda: a ragged plate inside its outer plate', () => {
    const g = graphOf(MODELS.lda);
    expect(g.order).toEqual(['K', 'V', 'D', 'N', 'alpha', 'eta', 'beta', 'theta', 'z', 'w']);
    expect(summary(g)).toMatchObject({
      N: ['size', [], ['D']],
      beta: ['stochastic', ['k'], ['eta', 'V']],
      theta: ['stochastic', ['d'], ['alpha', 'K']],
      z: ['stochastic', ['d', 'n'], ['theta']],
      w: ['stochastic', ['d', 'n'], ['beta', 'z']],
    });
    expect(node(g, 'K', 'size').default).toBe(20);
    expect(node(g, 'V', 'size').default).toBeUndefined();
    expect(node(g, 'N', 'size').raggedOver).toBe('D');
    expect(g.plates.n).toEqual({
      id: 'n',
      index: 'n',
      size: 'N',
      parent: 'd',
      raggedBy: 'd',
      line: 13,
      column: 5,
    });
    expect(g.plates.d.raggedBy).toBeUndefined();
    expect(node(g, 'w', 'stochastic').indices).toEqual(['d', 'n']);
    expect(Object.keys(node(g, 'beta', 'stochastic').args)).toEqual(['alpha']);
  });

  it('coin, blr, gmm, factor_analysis', () => {
    expect(summary(graphOf(MODELS.coin))).toEqual({
      N: ['size', [], []],
      a: ['hyper', [], []],
      b: ['hyper', [], []],
      theta: ['stochastic', [], ['a', 'b']],
      y: ['stochastic', ['i'], ['theta']],
    });
    const blr = graphOf(MODELS.blr);
    expect(blr.order).toEqual(['N', 'P', 'sigma', 'tau', 'X', 'beta', 'y']);
    expect(summary(blr)).toMatchObject({
      X: ['data', [], ['N', 'P']],
      beta: ['stochastic', [], ['P', 'tau']],
      y: ['stochastic', ['i'], ['X', 'beta', 'sigma']],
    });
    expect(Object.keys(node(blr, 'y', 'stochastic').args)).toEqual(['mu', 'sigma']);
    const gmm = graphOf(MODELS.gmm);
    expect(summary(gmm)).toMatchObject({
      pi: ['param', [], ['K']],
      Sigma: ['param', [], ['K', 'D']],
      z: ['stochastic', ['i'], ['pi']],
      x: ['stochastic', ['i'], ['mu', 'z', 'Sigma']],
    });
    expect(Object.keys(node(gmm, 'x', 'stochastic').args)).toEqual(['mu', 'Sigma']);
    expect(node(gmm, 'pi', 'param').type.base).toBe('simplex');
    expect(node(gmm, 'mu', 'param').default).toBeUndefined();
    const fa = graphOf(MODELS.factor_analysis);
    expect(summary(fa)).toMatchObject({
      z: ['stochastic', ['i'], ['K']],
      x: ['stochastic', ['i'], ['W', 'z', 'mu', 'psi']],
    });
  });

  it('vae: a net and the logits parameterisation', () => {
    const g = graphOf(MODELS.vae);
    const dec = node(g, 'decoder', 'net');
    expect(dec.arch).toBe('mlp');
    expect(dec.layers).toEqual(['K', 400, 'P']);
    expect(dec.activation).toBe('relu');
    expect(dec.parents).toEqual(['K', 'P']);
    const x = node(g, 'x', 'stochastic');
    expect(Object.keys(x.args)).toEqual(['logits']);
    expect(x.parents).toEqual(['decoder', 'z']);
    expect(g.order).toEqual(['N', 'P', 'K', 'decoder', 'z', 'x']);
  });

  it('returns a deeply frozen graph', () => {
    const g = graphOf(MODELS.lda);
    expect(Object.isFrozen(g)).toBe(true);
    expect(Object.isFrozen(g.nodes)).toBe(true);
    expect(Object.isFrozen(g.nodes.w)).toBe(true);
    expect(Object.isFrozen(g.nodes.w.parents)).toBe(true);
    expect(Object.isFrozen(g.plates.n)).toBe(true);
    expect(Object.isFrozen(g.order)).toBe(true);
    expect(() => {
      (g.order as string[]).push('x');
    }).toThrow();
  });
});

describe('buildGraph: details', () => {
  it('maps positional and named arguments to canonical names', () => {
    const g = graphOf(`model m {
  size N
  hyper l: real = 0.5
  data n: int(0,)[N]
  plate i in N {
    a[i] ~ Bernoulli(logits = l)
    b[i] ~ Binomial(n[i], logits = l)
    c[i] ~ Binomial(n[i], 0.3)
    e[i] ~ Gamma(rate = 2, shape = 1)
    f[i] ~ Normal(0, sigma = 2)
  }
}`);
    const args = (n: string) => Object.keys(node(g, n, 'stochastic').args).sort();
    expect(args('a')).toEqual(['logits']);
    expect(args('b')).toEqual(['logits', 'n']);
    expect(args('c')).toEqual(['n', 'p']);
    expect(args('e')).toEqual(['rate', 'shape']);
    expect(node(g, 'e', 'stochastic').args.shape).toMatchObject({ kind: 'num', value: 1 });
    expect(args('f')).toEqual(['mu', 'sigma']);
  });

  it('orders nodes topologically with declaration order breaking ties', () => {
    const g = graphOf(`model m {
  y ~ Normal(mu, 1)
  b ~ Normal(0, 1)
  mu = a + b
  a ~ Normal(0, 1)
}`);
    expect(g.order).toEqual(['b', 'a', 'mu', 'y']);
    expect(node(g, 'mu', 'deterministic').parents).toEqual(['a', 'b']);
  });

  it('excludes plate indices from parents but keeps a node named without its index', () => {
    const g = graphOf(MODELS.noisy_or);
    // `d` inside plate j is the node d (the whole array), `j` is an index
    expect(g.nodes.s.parents).toContain('d');
    expect(g.nodes.s.parents).not.toContain('j');
  });

  it('gives each plate statement its own id', () => {
    const g = graphOf(`model m {
  size N
  plate i in N {
    x[i] ~ Normal(0, 1)
  }
  plate i in N {
    y[i] ~ Normal(x[i], 1)
  }
}`);
    expect(Object.keys(g.plates)).toEqual(['i', 'i#2']);
    expect(g.nodes.x.plates).toEqual(['i']);
    expect(g.nodes.y.plates).toEqual(['i#2']);
  });

  it('builds the guide block as graph.guide', () => {
    const src = `model m {
  size N
  plate i in N {
    z[i] ~ Normal(0, 1)
    x[i] ~ Normal(z[i], 1)
  }
}
guide q {
  param m: real[N] = 0
  param s: real(0,)[N] = 1
  plate i in N {
    z[i] ~ Normal(m[i], s[i])
  }
}`;
    const g = graphOf(src);
    expect(g.guide?.name).toBe('q');
    expect(g.guide?.order).toEqual(['m', 's', 'z']);
    expect(g.guide?.nodes.z.parents).toEqual(['m', 's']);
    expect(g.guide?.nodes.m.parents).toEqual(['N']);
    expect(g.guide?.plates.i.size).toBe('N');
    expect(Object.isFrozen(g.guide)).toBe(true);
  });

  it('reports a cycle instead of looping (without the checker)', () => {
    const diags = buildDiagnostics(`model m {
  a ~ Normal(b, 1)
  b ~ Normal(c, 1)
  c ~ Normal(a, 1)
}`);
    expect(diags.map((d) => [d.kind, d.message])).toEqual([
      ['cycle', "'a' depends on itself through c, b (a → c → b → a)"],
    ]);
    expect(diags[0].range?.start.line).toBe(2);
    const self = buildDiagnostics('model m {\n  x ~ Normal(x, 1)\n}');
    expect(self.map((d) => d.message)).toEqual(["'x' depends on itself (x → x)"]);
  });

  it('reports unknown names and distributions (without the checker)', () => {
    const diags = buildDiagnostics('model m {\n  x ~ Normal(thetta, 1)\n  y ~ Normol(0, 1)\n}');
    expect(diags.map((d) => [d.kind, d.message])).toEqual([
      ['unknown-name', "unknown distribution 'Normol'"],
      ['unknown-name', "unknown name 'thetta'"],
    ]);
  });

  it('reports bad arguments (without the checker)', () => {
    const msgs = (src: string) => buildDiagnostics(src).map((d) => d.message);
    expect(msgs('model m {\n  x ~ Bernoulli(q = 0.5)\n}')).toEqual([
      "Bernoulli has no argument 'q' (its arguments: p, logits)",
    ]);
    expect(msgs('model m {\n  x ~ Normal(0)\n}')).toEqual([
      'Normal(mu, sigma) takes 2 arguments, got 1',
    ]);
    expect(msgs('model m {\n  x ~ Bernoulli(p = 0.5, logits = 0)\n}')).toEqual([
      "Bernoulli cannot take 'p' and 'logits' together",
    ]);
  });

  it('requires a ragged plate to use its ragged size over the enclosing plate', () => {
    const msgs = (src: string) => buildDiagnostics(src).map((d) => d.message);
    expect(
      msgs(
        'model m {\n  size D\n  size N[D]\n  plate d in D {\n    plate n in N {\n      x[d, n] ~ Normal(0, 1)\n    }\n  }\n}',
      ),
    ).toEqual([
      "size N is ragged over D: write 'plate n in N[…]' with the index of the plate over D",
    ]);
    expect(
      msgs(
        'model m {\n  size D\n  size N\n  plate d in D {\n    plate n in N[d] {\n      x[d, n] ~ Normal(0, 1)\n    }\n  }\n}',
      ),
    ).toEqual(["size N is not ragged: write 'plate n in N'"]);
  });

  it('every example under examples/ builds', () => {
    const root = join(import.meta.dirname, '../../examples');
    const dirs = readdirSync(root);
    for (const dir of dirs) {
      for (const f of readdirSync(join(root, dir)).filter((x) => x.endsWith('.plato'))) {
        const src = readFileSync(join(root, dir, f), 'utf8');
        const parsed = parse(src, f);
        expect(parsed.diagnostics, f).toEqual([]);
        const built = buildGraph(parsed.program!, src, f);
        expect(built.diagnostics, f).toEqual([]);
        expect(built.graph!.order.length, f).toBe(Object.keys(built.graph!.nodes).length);
      }
    }
  });
});
