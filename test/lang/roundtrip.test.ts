// parse → print → parse gives the same AST (ranges aside), for every statement kind, every
// example, and random ASTs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Arg, DistCall, Expr, IndexArg, Program, Stmt, TypeExpr } from '../../src/lang/ast.js';
import { parse } from '../../src/lang/index.js';
import { printProgram } from '../../src/lang/print.js';
import { KEYWORDS } from '../../src/lang/signatures.js';
import { exampleFiles, mustParseSyntax, stripRanges } from './helpers.js';

function roundTrip(source: string): void {
  const first = mustParseSyntax(source);
  const printed = printProgram(first);
  const second = mustParseSyntax(printed);
  expect(stripRanges(second)).toEqual(stripRanges(first));
  expect(printProgram(second)).toBe(printed); // printing is a fixed point
}

const EVERY_KIND = `
model every {
  size N
  size K = 20
  size D
  size L[D]
  hyper alpha: real(0,) = 0.1
  hyper beta: real(,1)[K] = rep(0.5, K)
  hyper lims: int(-3, 3)
  data X: real[N, 3]
  param W: real(0,)[K, D] = 0.5
  param pi: simplex[K] = rep(1.0 / K, K)
  param C: int[2, 2]
  net f = mlp(K -> 400 -> 3, act = relu)
  net g = mlp(3 -> K)
  plate i in N {
    z[i]: real[K] ~ Normal(zeros(K), 1)
    m[i] = W[:, 0] @ z[i] + -alpha ^ -2 ^ 3
    y[i] ~ Bernoulli(logits = f(z[i])[0])
    s[i] = X[i, 1:3] * [1, 2]
    c[i] = i == 0 || !(alpha > 1) && i != K - 1 ? alpha : i <= 2 ? -1 : s[i - 1][0] >= 0
  }
  plate d in D {
    plate l in L[d] {
      w[d, l] ~ Categorical(pi)
    }
  }
  t ~ Gamma(shape = 2, rate = (1 + alpha) / 2)
  u ~ Normal(0, 1) T[0, ]
  v ~ Normal(u, 2) T[, u + 1]
  w ~ Uniform(0, 4) T[1, 3]
}
guide q {
  param mu: real[N, K]
  plate i in N {
    z[i] ~ Normal(mu[i], 1)
  }
}
`;

describe('round trip', () => {
  it('every statement kind', () => roundTrip(EVERY_KIND));

  it.each(exampleFiles().map(([name, , source]) => [name, source]))('example %s', (_, source) =>
    roundTrip(source),
  );

  it('random ASTs print to source that parses back to them', () => {
    fc.assert(
      fc.property(programArb, (program) => {
        const printed = printProgram(program);
        const r = parse(printed);
        expect(r.diagnostics.map((d) => d.message)).toEqual([]);
        expect(stripRanges(r.program)).toEqual(stripRanges(program));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------- generators (ranges omitted)

const keywords = new Set<string>(KEYWORDS);
const nameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/).filter((s) => !keywords.has(s));
const identArb = nameArb.map((name) => ({ name }));

const numArb = fc.oneof(
  fc.integer({ min: 0, max: 1_000_000_000 }).map((value) => ({ kind: 'num', value, isInt: true })),
  fc
    .double({ min: 0, max: 1e12, noNaN: true, noDefaultInfinity: true })
    .map((value) => ({ kind: 'num', value, isInt: false })),
);

const { expr } = fc.letrec<{ expr: Expr; arg: Arg; index: IndexArg }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numArb as fc.Arbitrary<Expr>,
    nameArb.map((name) => ({ kind: 'name', name }) as unknown as Expr),
    fc
      .array(tie('expr'), { minLength: 1, maxLength: 3 })
      .map((items) => ({ kind: 'vector', items }) as unknown as Expr),
    fc
      .record({ op: fc.constantFrom('-', '+', '!'), arg: tie('expr') })
      .map((r) => ({ kind: 'unary', ...r }) as unknown as Expr),
    fc
      .record({
        op: fc.constantFrom(
          '+',
          '-',
          '*',
          '/',
          '^',
          '@',
          '==',
          '!=',
          '<',
          '<=',
          '>',
          '>=',
          '&&',
          '||',
        ),
        left: tie('expr'),
        right: tie('expr'),
      })
      .map((r) => ({ kind: 'binary', ...r }) as unknown as Expr),
    fc
      .record({
        target: tie('expr'),
        indices: fc.array(tie('index'), { minLength: 1, maxLength: 3 }),
      })
      .map((r) => ({ kind: 'index', ...r }) as unknown as Expr),
    fc
      .record({ callee: nameArb, args: fc.array(tie('arg'), { maxLength: 3 }) })
      .map((r) => ({ kind: 'call', ...r }) as unknown as Expr),
    fc
      .record({ test: tie('expr'), whenTrue: tie('expr'), whenFalse: tie('expr') })
      .map((r) => ({ kind: 'cond', ...r }) as unknown as Expr),
  ),
  arg: fc.oneof(
    tie('expr').map((value) => ({ value }) as unknown as Arg),
    fc.record({ name: nameArb, value: tie('expr') }) as fc.Arbitrary<Arg>,
  ),
  index: fc.oneof(
    tie('expr').map((e) => ({ kind: 'at', expr: e }) as unknown as IndexArg),
    fc
      .record({ lo: tie('expr'), hi: tie('expr') }, { requiredKeys: [] })
      .map((r) => ({ kind: 'slice', ...r }) as unknown as IndexArg),
  ),
}));

const typeArb: fc.Arbitrary<TypeExpr> = fc
  .record(
    {
      base: fc.constantFrom('real', 'int', 'simplex'),
      lower: expr,
      upper: expr,
      shape: fc.array(expr, { maxLength: 3 }),
    },
    { requiredKeys: ['base', 'shape'] },
  )
  .map((t) => t as unknown as TypeExpr);

const lvalueArb = fc.record({ name: identArb, indices: fc.array(identArb, { maxLength: 3 }) });
const truncationArb = fc
  .record(
    { marker: fc.constant({ name: 'T' }), lower: expr, upper: expr },
    { requiredKeys: ['marker'] },
  )
  .map((t) => t as unknown as NonNullable<DistCall['truncation']>);
const distArb = fc.record(
  {
    name: identArb,
    args: fc.array(
      expr.chain((value) => fc.constant({ value })),
      { maxLength: 3 },
    ),
    truncation: truncationArb,
  },
  { requiredKeys: ['name', 'args'] },
);

const leafStmtArb: fc.Arbitrary<Stmt> = fc.oneof(
  fc
    .record({ name: identArb, raggedOver: identArb, value: expr }, { requiredKeys: ['name'] })
    .map((s) => ({ kind: 'size', ...s }) as unknown as Stmt),
  fc
    .record({ name: identArb, type: typeArb, value: expr }, { requiredKeys: ['name', 'type'] })
    .map((s) => ({ kind: 'hyper', ...s }) as unknown as Stmt),
  fc
    .record({ name: identArb, type: typeArb })
    .map((s) => ({ kind: 'data', ...s }) as unknown as Stmt),
  fc
    .record({ name: identArb, type: typeArb, value: expr }, { requiredKeys: ['name', 'type'] })
    .map((s) => ({ kind: 'param', ...s }) as unknown as Stmt),
  fc
    .record({
      name: identArb,
      arch: identArb,
      layers: fc.array(expr, { minLength: 2, maxLength: 4 }),
      options: fc.array(fc.record({ name: nameArb, value: expr }), { maxLength: 2 }),
    })
    .map((s) => ({ kind: 'net', ...s }) as unknown as Stmt),
  fc
    .record(
      { target: lvalueArb, type: typeArb, dist: distArb },
      { requiredKeys: ['target', 'dist'] },
    )
    .map((s) => ({ kind: 'stochastic', ...s }) as unknown as Stmt),
  fc
    .record({ target: lvalueArb, value: expr })
    .map((s) => ({ kind: 'deterministic', ...s }) as unknown as Stmt),
);

const { stmt } = fc.letrec<{ stmt: Stmt }>((tie) => ({
  stmt: fc.oneof(
    { depthSize: 'small' },
    leafStmtArb,
    fc
      .record(
        {
          index: identArb,
          size: identArb,
          sizeIndex: identArb,
          body: fc.array(tie('stmt'), { maxLength: 3 }),
        },
        { requiredKeys: ['index', 'size', 'body'] },
      )
      .map((s) => ({ kind: 'plate', ...s }) as unknown as Stmt),
  ),
}));

const blockArb = fc.record({ name: identArb, body: fc.array(stmt, { maxLength: 5 }) });
const programArb = fc
  .record({ model: blockArb, guide: blockArb }, { requiredKeys: ['model'] })
  .map((p) => p as unknown as Program);
