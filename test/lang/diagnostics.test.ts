// One test per kind of diagnostic the frontend reports: its kind, message, line and column.
import { describe, expect, it } from 'vitest';
import type { DiagnosticKind } from '../../src/diagnostics/diagnostics.js';
import { renderDiagnostic } from '../../src/diagnostics/diagnostics.js';
import { frontend } from '../../src/lang/index.js';
import { MODELS } from '../support/models.js';
import { diagnose, FRONTEND_KINDS, model } from './helpers.js';

interface Case {
  readonly source: string;
  readonly kind: DiagnosticKind;
  readonly message: string;
  readonly line: number;
  readonly column: number;
  /** length of the caret (end column - start column) */
  readonly width?: number;
  readonly hint?: RegExp;
}

/** The LDA reference model with `thetaUse` as the argument of z's Categorical. */
const LDA = (thetaUse: string): string =>
  MODELS.lda.replace('Categorical(theta[d])', () => `Categorical(${thetaUse})`);

const cases: Record<string, Case> = {
  'lex: a character that starts no token': {
    source: model('  x = 3 $ 4'),
    kind: 'lex',
    message: "unexpected character '$'",
    line: 2,
    column: 9,
  },
  'syntax: an unclosed call': {
    source: model('  x ~ Normal(0, 1\n  y ~ Normal(x, 1)'),
    kind: 'syntax',
    message: "expected ')' to close the call to Normal at 2:13, found newline",
    line: 2,
    column: 18,
  },
  'syntax: a declaration inside a plate': {
    source: model('  size N\n  plate i in N {\n    hyper a: real = 1\n  }'),
    kind: 'syntax',
    message: 'a hyper declaration cannot be inside a plate',
    line: 4,
    column: 5,
    hint: /move it above 'plate i in N'/,
  },
  'unknown-name: a misspelt node, with did-you-mean': {
    source: LDA('thetta[d]'),
    kind: 'unknown-name',
    message: "unknown name 'thetta'; did you mean 'theta'?",
    line: 14,
    column: 29,
    width: 6,
  },
  'unknown-name: a distribution': {
    source: model('  x ~ Norml(0, 1)'),
    kind: 'unknown-name',
    message: "unknown distribution 'Norml'; did you mean 'Normal'?",
    line: 2,
    column: 7,
  },
  'unknown-name: a function': {
    source: model('  x = sofmax([1, 2])'),
    kind: 'unknown-name',
    message: "unknown function 'sofmax'; did you mean 'softmax'?",
    line: 2,
    column: 7,
  },
  'unknown-name: a size that a ragged size is ragged over': {
    source: model('  size N[D]'),
    kind: 'unknown-name',
    message: "unknown size 'D' in 'size N[D]'",
    line: 2,
    column: 10,
  },
  'unknown-name: a guide node that is not in the model': {
    source: 'model m {\n  theta ~ Beta(1, 1)\n}\nguide q {\n  thetta ~ Beta(2, 2)\n}',
    kind: 'unknown-name',
    message:
      "the guide's node 'thetta' is not a stochastic node of the model; did you mean 'theta'?",
    line: 5,
    column: 3,
  },
  'duplicate: a name defined twice points at the second': {
    source: model('  x ~ Normal(0, 1)\n  x ~ Normal(0, 2)'),
    kind: 'duplicate',
    message: "'x' is already declared at 2:3",
    line: 3,
    column: 3,
    hint: /the stochastic node 'x' is declared at 2:3/,
  },
  'cycle: nodes that depend on each other': {
    source: model('  a = b + 1\n  b = c * 2\n  c ~ Normal(a, 1)'),
    kind: 'cycle',
    message: "cycle: 'a' depends on itself (a -> b -> c -> a)",
    line: 2,
    column: 7,
  },
  'cycle: a node defined from itself': {
    source: model('  x ~ Normal(x, 1)'),
    kind: 'cycle',
    message: "cycle: 'x' is defined from itself",
    line: 2,
    column: 14,
  },
  'plate-index: an index used outside its plate': {
    source: model(
      '  size N\n  plate i in N {\n    x[i] ~ Normal(0, 1)\n  }\n  y ~ Normal(x[i], 1)',
    ),
    kind: 'plate-index',
    message: "plate index 'i' is used outside its plate",
    line: 6,
    column: 16,
  },
  'plate-index: indices out of order': {
    source: model(
      '  size D\n  size N\n  plate d in D {\n    plate n in N {\n      z[n, d] ~ Normal(0, 1)\n    }\n  }',
    ),
    kind: 'plate-index',
    message: "the indices of 'z' must follow the enclosing plates in order: z[d, n]",
    line: 6,
    column: 7,
    width: 7,
  },
  'plate-index: too few indices': {
    source: model(
      '  size D\n  size N\n  plate d in D {\n    plate n in N {\n      z[d] ~ Normal(0, 1)\n    }\n  }',
    ),
    kind: 'plate-index',
    message: "'z' is inside plates d, n, so it must be written z[d, n]",
    line: 6,
    column: 7,
  },
  'plate-index: ragged plate indexed by a non-enclosing index': {
    source: model('  size D\n  size N[D]\n  plate d in D {\n  }\n  plate n in N[d] {\n  }'),
    kind: 'plate-index',
    message: "'d' in 'N[d]' is not the index of an enclosing plate",
    line: 6,
    column: 16,
  },
  'arity: a distribution with too many arguments': {
    source: model('  x ~ Normal(0, 1, 2)'),
    kind: 'arity',
    message: 'Normal takes 2 arguments (mu, sigma), got 3',
    line: 2,
    column: 20,
  },
  'arity: a distribution with too few arguments': {
    source: model('  x ~ Gamma(2)'),
    kind: 'arity',
    message: 'Gamma takes 2 arguments (shape, rate), got 1',
    line: 2,
    column: 7,
    hint: /missing: rate/,
  },
  'arity: a function': {
    source: model('  x = exp(1, 2)'),
    kind: 'arity',
    message: 'exp takes 1 argument, got 2',
    line: 2,
    column: 7,
  },
  'arity: a net called with two inputs': {
    source: model('  size K\n  net f = mlp(K -> 3)\n  z ~ Normal(0, 1)\n  x ~ Normal(f(z, z), 1)'),
    kind: 'arity',
    message: "the net 'f' takes 1 input, got 2",
    line: 5,
    column: 14,
  },
  'unknown-argument: a misspelt named argument': {
    source: model('  x ~ Bernoulli(logit = 0.5)'),
    kind: 'unknown-argument',
    message: "Bernoulli has no argument 'logit'; did you mean 'logits'?",
    line: 2,
    column: 17,
    hint: /Bernoulli takes 1 argument \(p\) or \(logits\)/,
  },
  'shape: MvNormal with a scalar covariance': {
    source: model('  x ~ MvNormal([0, 0], 2)'),
    kind: 'shape',
    message: "MvNormal's Sigma must be a D×D covariance matrix, but it is a scalar",
    line: 2,
    column: 24,
  },
  'shape: a vector literal that does not fit the annotation': {
    source: model('  x: real[3] ~ Dirichlet([1, 1])'),
    kind: 'shape',
    message: "Dirichlet's alpha has shape [2], which does not fit the declared shape [3]",
    line: 2,
    column: 26,
  },
  'size-order: a size used before it is declared': {
    source: model('  param w: real[K]\n  size K = 3'),
    kind: 'size-order',
    message: "size 'K' is used before it is known",
    line: 2,
    column: 17,
    hint: /'size K' is declared at 3:8/,
  },
  'type: assigning to a hyper': {
    source: model('  hyper alpha: real(0,) = 1\n  alpha ~ Gamma(1, 1)'),
    kind: 'type',
    message: "cannot define the hyper 'alpha' as a node: it is declared at 2:9",
    line: 3,
    column: 3,
  },
  'type: a value node used as a function': {
    source: model('  theta ~ Beta(1, 1)\n  x = theta(3)'),
    kind: 'type',
    message: "'theta' is a stochastic node, not a function",
    line: 3,
    column: 7,
    hint: /theta\[…\]/,
  },
  'type: a ragged plate over a size that is not ragged': {
    source: model('  size D\n  size N\n  plate d in D {\n    plate n in N[d] {\n    }\n  }'),
    kind: 'type',
    message: "size 'N' is not ragged, so it takes no index",
    line: 5,
    column: 18,
  },
  'unsupported: ragged over a ragged size': {
    source: model('  size D\n  size N[D]\n  size M[N]'),
    kind: 'unsupported',
    message: "'N' is itself ragged; a size can only be ragged over a plain size",
    line: 4,
    column: 10,
  },
};

describe('diagnostics', () => {
  it.each(Object.entries(cases))('%s', (_, c) => {
    const all = diagnose(c.source);
    const d = all.find((x) => x.message === c.message);
    expect(d, `got: ${all.map((x) => `[${x.kind}] ${x.message}`).join(' | ')}`).toBeDefined();
    expect(d!.kind).toBe(c.kind);
    expect([d!.range?.start.line, d!.range?.start.column]).toEqual([c.line, c.column]);
    if (c.width !== undefined) expect(d!.range!.end.column - d!.range!.start.column).toBe(c.width);
    if (c.hint) expect(d!.hints?.join('\n')).toMatch(c.hint);
    expect(d!.file).toBe('test.plato');
  });

  it('covers every kind the frontend can report', () => {
    const kinds = new Set(Object.values(cases).map((c) => c.kind));
    for (const k of FRONTEND_KINDS) expect(kinds).toContain(k);
  });

  it('renders the DESIGN example exactly', () => {
    const source = LDA('thetta[d]');
    const [d] = frontend(source, 'lda.plato').diagnostics;
    expect(renderDiagnostic(d!, source, d!.file)).toBe(
      [
        "lda.plato:14:29: error: unknown name 'thetta'; did you mean 'theta'?",
        '   |',
        '14 |       z[d, n] ~ Categorical(thetta[d])',
        '   |                             ^^^^^^',
      ].join('\n'),
    );
  });

  it('the reference examples check without any diagnostic', () => {
    expect(diagnose(LDA('theta[d]'))).toEqual([]);
  });

  it('reports several semantic errors in one run, in source order', () => {
    const d = diagnose(model('  x ~ Normal(mu, 1)\n  y ~ Normal(0, sigm)'));
    expect(d.map((x) => [x.range?.start.line, x.message])).toEqual([
      [2, "unknown name 'mu'"],
      [3, "unknown name 'sigm'"],
    ]);
  });
});

describe('did you mean', () => {
  it('suggests close names only', async () => {
    const { closest, editDistance } = await import('../../src/lang/suggest.js');
    expect(editDistance('thetta', 'theta')).toBe(1);
    expect(editDistance('teh', 'the')).toBe(1); // a transposition is one edit
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('thetta', ['beta', 'theta', 'alpha'])).toBe('theta');
    expect(closest('normal', ['Normal', 'MvNormal'])).toBe('Normal');
    expect(closest('x', ['y', 'z'])).toBeUndefined();
    expect(closest('sigm', ['sigma', 'mu'])).toBe('sigma');
    expect(closest('completely', ['different'])).toBeUndefined();
  });
});
