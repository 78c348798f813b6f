import { describe, expect, it } from 'vitest';
import { exprToString } from '../../src/graph/print.js';
import { inferShapes, type ShapeAnalysis, type SizeValues } from '../../src/graph/shapes.js';
import type { Expr } from '../../src/lang/ast.js';
import { MODELS } from '../support/models.js';
import { graphOf, uncheckedGraphOf } from './helpers.js';

/** batch × event of every node, as `[K] x [V]`. */
function nodeShapes(a: ShapeAnalysis): Record<string, string> {
  const show = (s: readonly (string | number)[]) => `[${s.join(', ')}]`;
  return Object.fromEntries(
    Object.entries(a.nodes).map(([n, i]) => [
      n,
      `${show(i.batch)} x ${show(i.event)}${i.states !== undefined ? ` states ${i.states}` : ''}`,
    ]),
  );
}

/** The shape of the expression whose text is `text`. */
function exprShape(a: ShapeAnalysis, text: string): readonly (string | number)[] | undefined {
  for (const [e, s] of a.exprs as Map<Expr, readonly (string | number)[]>)
    if (exprToString(e) === text) return s;
  return undefined;
}

function messages(src: string, sizes?: SizeValues): string[] {
  return inferShapes(uncheckedGraphOf(src), sizes).diagnostics.map((d) => d.message);
}

describe('inferShapes: reference models', () => {
  it('noisy_or: a node named without its plate index is its whole array', () => {
    const a = inferShapes(graphOf(MODELS.noisy_or));
    expect(a.diagnostics).toEqual([]);
    expect(nodeShapes(a)).toEqual({
      leak: '[] x []',
      rho: '[] x [K]',
      W: '[] x [K, M]',
      d: '[K] x [] states 2',
      s: '[M] x [] states 2',
    });
    expect(exprShape(a, 'W[:, j]')).toEqual(['K']);
    expect(exprShape(a, 'd')).toEqual(['K']);
    expect(exprShape(a, 'dot(W[:, j], d)')).toEqual([]);
    expect(exprShape(a, 'rho[k]')).toEqual([]);
  });

  it('lda: beta [K] x [V]; w batch [D, N] event [] over V states', () => {
    const a = inferShapes(graphOf(MODELS.lda));
    expect(a.diagnostics).toEqual([]);
    expect(nodeShapes(a)).toEqual({
      alpha: '[] x []',
      eta: '[] x []',
      beta: '[K] x [V]',
      theta: '[D] x [K]',
      z: '[D, N] x [] states K',
      w: '[D, N] x [] states V',
    });
    expect(exprShape(a, 'beta[z[d, n]]')).toEqual(['V']);
    expect(exprShape(a, 'theta[d]')).toEqual(['K']);
    expect(exprShape(a, 'rep(eta, V)')).toEqual(['V']);
  });

  it('coin, blr, gmm, factor_analysis, vae', () => {
    expect(nodeShapes(inferShapes(graphOf(MODELS.coin)))).toEqual({
      a: '[] x []',
      b: '[] x []',
      theta: '[] x []',
      y: '[N] x [] states 2',
    });
    const blr = inferShapes(graphOf(MODELS.blr));
    expect(nodeShapes(blr)).toMatchObject({ X: '[] x [N, P]', beta: '[] x [P]', y: '[N] x []' });
    expect(exprShape(blr, 'X[i]')).toEqual(['P']);
    const gmm = inferShapes(graphOf(MODELS.gmm));
    expect(nodeShapes(gmm)).toMatchObject({
      pi: '[] x [K]',
      Sigma: '[] x [K, D, D]',
      z: '[N] x [] states K',
      x: '[N] x [D]',
    });
    expect(exprShape(gmm, 'Sigma[z[i]]')).toEqual(['D', 'D']);
    const fa = inferShapes(graphOf(MODELS.factor_analysis));
    expect(nodeShapes(fa)).toMatchObject({ z: '[N] x [K]', x: '[N] x [P]' });
    expect(exprShape(fa, 'W @ z[i] + mu')).toEqual(['P']);
    const vae = inferShapes(graphOf(MODELS.vae));
    expect(nodeShapes(vae)).toEqual({ z: '[N] x [K]', x: '[N] x [P] states 2' });
    expect(exprShape(vae, 'decoder(z[i])')).toEqual(['P']);
    for (const a of [gmm, fa, vae]) expect(a.diagnostics).toEqual([]);
  });
});

describe('inferShapes: expressions', () => {
  const src = `model m {
  size K
  size M
  size D
  data T: real[3, 2, 4]
  data A: real[K, M]
  data v: real[M]
  a ~ Categorical(rep(1.0 / 3, 3))
  sl = rep(0.5, 3)[0:2]
  b ~ Categorical(T[0, :, 0])
  x ~ Categorical(T[a, b])
  e = eye(D)
  o = ones(K, M) * 2
  mm = A @ v
  am = A @ A[0:K, 0:M]
  vec = [1, 2, 3] + 1
  s = sum(A) + softmax(v)
  mv ~ MvNormal(zeros(D), e)
  mult ~ Multinomial(10, softmax(v))
  dir ~ Dirichlet(rep(1, K))
  z: real[K] ~ Normal(0, 1)
}`;
  const a = inferShapes(graphOf(src));

  it('indexing by discrete nodes selects along the leading axes', () => {
    expect(nodeShapes(a)).toMatchObject({
      a: '[] x [] states 3',
      b: '[] x [] states 2',
      x: '[] x [] states 4',
    });
    expect(exprShape(a, 'T[a, b]')).toEqual([4]);
  });

  it('built-ins, slices, @ and broadcasting', () => {
    expect(a.diagnostics.map((d) => d.message)).toEqual([]);
    expect(exprShape(a, 'rep(0.5, 3)[0:2]')).toEqual([2]);
    expect(nodeShapes(a)).toMatchObject({
      e: '[] x [D, D]',
      o: '[] x [K, M]',
      mm: '[] x [K]',
      am: '[] x [K, M]',
      vec: '[] x [3]',
      s: '[] x [M]',
      mv: '[] x [D]',
      mult: '[] x [M]',
      dir: '[] x [K]',
      z: '[] x [K]',
    });
    expect(a.diagnostics).toEqual([]);
  });
});

describe('inferShapes: mismatches', () => {
  it('reports provable mismatches with both shapes', () => {
    expect(messages('model m {\n  x = dot(rep(1, 3), rep(1, 4))\n}')).toEqual([
      'dot of vectors of lengths 3 and 4',
    ]);
    expect(messages('model m {\n  x = rep(1, 3) + rep(1, 4)\n}')).toEqual([
      "'+': shapes [3] and [4] do not broadcast",
    ]);
    expect(messages('model m {\n  x ~ MvNormal(zeros(3), eye(2))\n}')).toEqual([
      'MvNormal: mu has length 3 but Sigma is 2×2',
    ]);
    expect(messages('model m {\n  x = ones(2, 3) @ ones(2)\n}')).toEqual([
      'matrix product of shapes [2, 3] and [2]: inner dimensions 3 and 2 differ',
    ]);
    expect(
      messages('model m {\n  size K\n  y: real[K] ~ Normal(zeros(3), 1)\n  x = y[0, 1]\n}'),
    ).toEqual(['y has 1 axis [K] but is indexed with 2 indices']);
  });

  it('leaves two different size names alone until binding', () => {
    const src =
      'model m {\n  size K\n  size M\n  x = dot(rep(1, K), rep(1, M))\n  y ~ MvNormal(zeros(M), eye(K))\n}';
    expect(messages(src)).toEqual([]);
    expect(messages(src, { K: 3, M: 3 })).toEqual([]);
    expect(messages(src, { K: 3, M: 4 })).toEqual([
      'dot of vectors of lengths K and M (K = 3, M = 4)',
      'MvNormal: mu has length M but Sigma is K×K (M = 4, K = 3)',
    ]);
  });

  it('checks plate indices and discrete indices against the axis they select', () => {
    const src = `model m {
  size K
  size M
  data W: real[K, M]
  pi: real[M] ~ Dirichlet(rep(1, M))
  plate j in M {
    z[j] ~ Categorical(pi)
    y[j] ~ Normal(W[j, z[j]], 1)
  }
}`;
    expect(messages(src)).toEqual([]);
    expect(messages(src, { K: 2, M: 3 })).toEqual([
      'index j runs over M but axis 0 of W has length K (M = 3, K = 2)',
    ]);
  });

  it('checks the width of a net input and declared shapes', () => {
    expect(
      messages('model m {\n  net f = mlp(3 -> 5, act = relu)\n  x ~ Normal(f(zeros(4)), 1)\n}'),
    ).toEqual(['net f takes inputs of width 3, got shape [4]']);
    expect(messages('model m {\n  z: real[3] ~ Normal(zeros(4), 1)\n}')).toEqual([
      'z: the arguments of Normal has shape [4] but must fit [3]',
    ]);
    expect(messages('model m {\n  size K = 3\n  param w: real[K] = [1, 2]\n}', { K: 3 })).toEqual([
      'param w: the default has shape [2] but must fit [K] (K = 3)',
    ]);
  });
});
