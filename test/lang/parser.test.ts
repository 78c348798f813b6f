import { describe, expect, it } from 'vitest';
import type { DeterministicStmt, Expr, Stmt } from '../../src/lang/ast.js';
import { parse } from '../../src/lang/index.js';
import { printExpr } from '../../src/lang/print.js';
import { model, mustParseSyntax, stripRanges } from './helpers.js';

/** The right-hand side of `x = <src>`. */
function expr(src: string): Expr {
  const p = mustParseSyntax(model(`x = ${src}`));
  return (p.model.body[0] as DeterministicStmt).value;
}

/** An expression with every operator parenthesised, to read the tree at a glance. */
function tree(e: Expr): string {
  switch (e.kind) {
    case 'num':
      return String(e.value);
    case 'name':
      return e.name;
    case 'unary':
      return `(${e.op}${tree(e.arg)})`;
    case 'binary':
      return `(${tree(e.left)} ${e.op} ${tree(e.right)})`;
    case 'cond':
      return `(${tree(e.test)} ? ${tree(e.whenTrue)} : ${tree(e.whenFalse)})`;
    case 'vector':
      return `[${e.items.map(tree).join(' ')}]`;
    case 'call':
      return `${e.callee}(${e.args.map((a) => (a.name ? `${a.name}=` : '') + tree(a.value)).join(' ')})`;
    case 'index':
      return `${tree(e.target)}[${e.indices
        .map((i) =>
          i.kind === 'at' ? tree(i.expr) : `${i.lo ? tree(i.lo) : ''}:${i.hi ? tree(i.hi) : ''}`,
        )
        .join(' ')}]`;
  }
}

describe('expressions', () => {
  it.each([
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 - 2 - 3', '((1 - 2) - 3)'],
    ['a / b * c', '((a / b) * c)'],
    ['W @ z + mu', '((W @ z) + mu)'],
    ['2 ^ 3 ^ 2', '(2 ^ (3 ^ 2))'],
    ['-x ^ 2', '(-(x ^ 2))'],
    ['(-x) ^ 2', '((-x) ^ 2)'],
    ['2 ^ -1', '(2 ^ (-1))'],
    ['a ^ -b ^ c', '(a ^ (-(b ^ c)))'],
    ['- -x', '(-(-x))'],
    ['-a * b', '((-a) * b)'],
    ['a * -b', '(a * (-b))'],
    ['+a - -b', '((+a) - (-b))'],
    ['x[i] ^ 2', '(x[i] ^ 2)'],
    ['1 - (1 - leak) * exp(-dot(W[:, j], d))', '(1 - ((1 - leak) * exp((-dot(W[: j] d)))))'],
    ['beta[z[d, n]]', 'beta[z[d n]]'],
    ['x[i, :, 1:3, 2:, :k]', 'x[i : 1:3 2: :k]'],
    ['f(a, b, name = c)', 'f(a b name=c)'],
    ['[a, b + 1, [1, 2]]', '[a (b + 1) [1 2]]'],
    ['rep(1.0 / K, K)[0]', 'rep((1 / K) K)[0]'],
    ['m[1][2]', 'm[1][2]'],
  ])('%s', (src, expected) => {
    expect(tree(expr(src))).toBe(expected);
  });

  it('marks integer literals', () => {
    const ints = ['3', '1.0', '1e3', '.5', '7.'].map((s) => (expr(s) as { isInt: boolean }).isInt);
    expect(ints).toEqual([true, false, false, false, false]);
    expect((expr('1e-3') as { value: number }).value).toBe(0.001);
  });

  it('continues an expression over newlines inside brackets', () => {
    expect(tree(expr('f(a,\n   b) + [1,\n 2]'))).toBe('(f(a b) + [1 2])');
  });

  it('gives exact 1-based ranges, end exclusive', () => {
    const e = expr('alpha + f(b)[2]');
    // line 2 is `x = alpha + f(b)[2]`
    expect(e.range.start).toEqual({ offset: 14, line: 2, column: 5 });
    expect(e.range.end).toEqual({ offset: 29, line: 2, column: 20 });
    if (e.kind !== 'binary' || e.right.kind !== 'index' || e.right.target.kind !== 'call')
      throw new Error();
    expect(e.left.range.start.column).toBe(5);
    expect(e.left.range.end.column).toBe(10);
    expect(e.right.target.calleeRange.start.column).toBe(13);
    expect(e.right.target.range.end.column).toBe(17);
    expect(e.right.range.end.column).toBe(20);
  });

  it('prints every parsed expression back to the same tree', () => {
    for (const src of [
      'a ^ -b ^ c',
      '(a + b) * c',
      '-(a * b)',
      '(2 ^ 3) ^ 4',
      'a - (b - c)',
      '(-a)[1]',
    ]) {
      const e = expr(src);
      expect(stripRanges(expr(printExpr(e)))).toEqual(stripRanges(e));
    }
  });
});

describe('statements', () => {
  const one = (src: string): Stmt => stripRanges(mustParseSyntax(model(src)).model.body[0]!);

  it('size', () => {
    expect(one('size N')).toEqual({ kind: 'size', name: { name: 'N' } });
    expect(one('size K = 20')).toMatchObject({
      kind: 'size',
      value: { kind: 'num', value: 20, isInt: true },
    });
    expect(one('size N[D]')).toMatchObject({
      kind: 'size',
      name: { name: 'N' },
      raggedOver: { name: 'D' },
    });
  });

  it('hyper, data and param with bounds, open bounds and shapes', () => {
    expect(one('hyper a: real(0,) = 0.1')).toMatchObject({
      kind: 'hyper',
      type: { base: 'real', lower: { value: 0 }, shape: [] },
      value: { value: 0.1 },
    });
    expect((one('hyper a: real(0,)') as { type: object }).type).not.toHaveProperty('upper');
    expect(one('data X: real[N, P]')).toMatchObject({
      kind: 'data',
      type: { base: 'real', shape: [{ name: 'N' }, { name: 'P' }] },
    });
    expect(one('param p: int(,5)[3, 2, 4]')).toMatchObject({
      kind: 'param',
      type: { base: 'int', upper: { value: 5 }, shape: [{ value: 3 }, { value: 2 }, { value: 4 }] },
    });
    expect((one('param p: int(,5)') as { type: object }).type).not.toHaveProperty('lower');
    expect(one('param pi: simplex[K] = rep(1.0 / K, K)')).toMatchObject({
      type: { base: 'simplex' },
    });
  });

  it('net', () => {
    expect(one('net f = mlp(K -> 400 -> P, act = relu)')).toEqual({
      kind: 'net',
      name: { name: 'f' },
      arch: { name: 'mlp' },
      layers: [
        { kind: 'name', name: 'K' },
        { kind: 'num', value: 400, isInt: true },
        { kind: 'name', name: 'P' },
      ],
      options: [{ name: 'act', value: { kind: 'name', name: 'relu' } }],
    });
  });

  it('stochastic with and without a type, deterministic', () => {
    expect(one('z[i]: real[K] ~ Normal(0, sigma = 1)')).toMatchObject({
      kind: 'stochastic',
      target: { name: { name: 'z' }, indices: [{ name: 'i' }] },
      type: { base: 'real', shape: [{ name: 'K' }] },
      dist: {
        name: { name: 'Normal' },
        args: [{ value: { value: 0 } }, { name: 'sigma', value: { value: 1 } }],
      },
    });
    expect(one('theta ~ Beta(a, b)')).not.toHaveProperty('type');
    expect(one('mu[d, n] = a + 1')).toMatchObject({
      kind: 'deterministic',
      target: { indices: [{ name: 'd' }, { name: 'n' }] },
    });
  });

  it('plates, ragged plates, nesting, and ; as a separator', () => {
    const p = one(
      'plate d in D {\n  plate n in N[d] { x[d, n] ~ Normal(0, 1); y[d, n] = x[d, n] }\n}',
    );
    expect(p).toMatchObject({
      kind: 'plate',
      index: { name: 'd' },
      size: { name: 'D' },
      body: [
        {
          kind: 'plate',
          index: { name: 'n' },
          size: { name: 'N' },
          sizeIndex: { name: 'd' },
          body: [{ kind: 'stochastic' }, { kind: 'deterministic' }],
        },
      ],
    });
  });

  it('a guide block after the model', () => {
    const p = mustParseSyntax('model m {\n z ~ Normal(0, 1)\n}\nguide q {\n z ~ Normal(0, 2)\n}\n');
    expect(p.guide?.name.name).toBe('q');
    expect(p.guide?.body).toHaveLength(1);
  });

  it('blank lines, comments and ; anywhere between statements', () => {
    const p = mustParseSyntax('\n// head\nmodel m\n{\n\n;; size N ;\n /* c */ size M\n\n}\n\n');
    expect(p.model.body.map((s) => s.kind)).toEqual(['size', 'size']);
  });

  it('statement ranges cover the statement', () => {
    const p = mustParseSyntax('model m {\n  plate i in N {\n    y[i] ~ Bernoulli(theta)\n  }\n}');
    const plate = p.model.body[0]!;
    expect([
      plate.range.start.line,
      plate.range.start.column,
      plate.range.end.line,
      plate.range.end.column,
    ]).toEqual([2, 3, 4, 4]);
    const y = (plate as unknown as { body: Stmt[] }).body[0]!;
    expect([y.range.start.column, y.range.end.column]).toEqual([5, 28]);
  });
});

describe('syntax errors', () => {
  const errs = (src: string) =>
    parse(src, 't.plato').diagnostics.map(
      (d) => `${d.range?.start.line}:${d.range?.start.column} ${d.message}`,
    );

  it('names the bracket to close and where it opened', () => {
    expect(errs('model m {\n  x ~ Normal(0, 1\n  y ~ Normal(x, 1)\n}')).toEqual([
      "2:18 expected ')' to close the call to Normal at 2:13, found newline",
    ]);
    expect(errs('model m {\n  x = [1, 2\n}')).toEqual([
      "2:12 expected ']' to close the vector at 2:7, found newline",
    ]);
    expect(errs('model m {\n  plate i in N {\n    x[i] ~ Normal(0, 1)\n}')).toEqual([
      "4:2 expected '}' to close the model block 'm' at 1:9, found end of file",
    ]);
  });

  it('reports several errors in one run (recovery), at most one per line', () => {
    const r = errs('model m {\n  x ~ Normal(0, 1\n  z = x +\n  hyper a real\n  w = 1\n}');
    expect(r).toEqual([
      "2:18 expected ')' to close the call to Normal at 2:13, found newline",
      "3:10 expected an expression after '+', found newline",
      "4:11 expected ':' after 'a', found keyword 'real'",
    ]);
  });

  it('asks for a separator between two statements on one line', () => {
    expect(errs('model m {\n  x = 1 y = 2\n}')).toEqual([
      "2:9 expected a newline or ';' after the statement, found name 'y'",
    ]);
  });

  it('explains reserved words used as names', () => {
    const d = parse('model m {\n  size in\n}').diagnostics[0]!;
    expect(d.message).toBe("expected a name after 'size', found keyword 'in'");
    expect(d.hints).toContain("'in' is a reserved word and cannot be used as a name");
  });

  it('rejects text after the model and a second model', () => {
    expect(errs('model m {\n}\nx = 1')).toEqual([
      "3:1 expected end of file after the closing '}', found name 'x'",
    ]);
    expect(errs('model m {\n}\nmodel n {\n}')).toEqual([
      "3:1 a file holds one model block; found a second 'model'",
    ]);
  });

  it('empty input and junk do not produce a program', () => {
    expect(errs('')).toEqual(["1:1 expected 'model', found end of file"]);
    expect(parse('model').program).toBeUndefined();
  });

  it('refuses absurdly deep expressions with a diagnostic', () => {
    const r = parse(model(`x = ${'-'.repeat(2000)}1`));
    expect(r.program).toBeUndefined();
    expect(r.diagnostics[0]?.message).toMatch(/nested more than 500 levels/);
    expect(parse('('.repeat(10000)).diagnostics[0]?.message).toMatch(/nested more than 200 deep/);
  });

  it('caps the number of reported errors', () => {
    const src = model(Array.from({ length: 50 }, () => 'x = $').join('\n'));
    const d = parse(src).diagnostics;
    expect(d).toHaveLength(21);
    expect(d[20]!.message).toBe('… and 30 more errors; fix these first');
  });
});
