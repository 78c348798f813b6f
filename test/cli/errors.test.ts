// Exit codes, error text and flag parsers, in process.
import { CommanderError, InvalidArgumentError, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { describeError, renderPlatoError } from '../../src/cli/errors.js';
import { engineFlags, positiveInt, sharedFlag } from '../../src/cli/flags.js';
import { CliError } from '../../src/cli/io.js';
import { PlatoError, userError } from '../../src/diagnostics/diagnostics.js';
import { SEED } from '../../src/infer/options.js';
import { STACK_LINE } from './helpers.js';

const source = 'model coin {\n  theta ~ Beta(a, bb)\n}\n';
const ranged = new PlatoError(
  [
    {
      kind: 'unknown-name',
      severity: 'error',
      message: "unknown name 'bb'; did you mean 'b'?",
      range: {
        start: { offset: 32, line: 2, column: 19 },
        end: { offset: 34, line: 2, column: 21 },
      },
    },
  ],
  source,
  'coin.plato',
);

describe('renderPlatoError', () => {
  it('shows file:line:col, the line and a caret under the range', () => {
    expect(renderPlatoError(ranged)).toBe(
      [
        "coin.plato:2:19: error: unknown name 'bb'; did you mean 'b'?",
        '  |',
        '2 |   theta ~ Beta(a, bb)',
        '  |                   ^^',
      ].join('\n'),
    );
  });

  it('names the file of an unranged data error, and no file when there is none', () => {
    expect(renderPlatoError(userError('y[1] is NaN', 'data', 'coin.json'))).toBe(
      'coin.json: error: y[1] is NaN',
    );
    expect(renderPlatoError(userError('backend missing', 'unsupported'))).toBe(
      'error: backend missing',
    );
  });
});

describe('describeError', () => {
  it('user errors exit 1 without a stack trace', () => {
    for (const e of [ranged, new CliError("cannot read model file 'x': no such file")]) {
      const { code, text } = describeError(e, true);
      expect(code).toBe(1);
      expect(text).not.toMatch(STACK_LINE);
    }
    expect(describeError(new CliError('no'), false).text).toBe('error: no');
  });

  it("commander's errors exit 1 (already printed), help and version exit 0", () => {
    expect(describeError(new CommanderError(1, 'commander.unknownOption', 'x'), false)).toEqual({
      code: 1,
      text: '',
    });
    expect(describeError(new CommanderError(0, 'commander.helpDisplayed', 'x'), false).code).toBe(
      0,
    );
  });

  it('anything else is internal (exit 2); the stack only with PLATO_DEBUG', () => {
    const e = new TypeError('x is undefined');
    const quiet = describeError(e, false);
    expect(quiet.code).toBe(2);
    expect(quiet.text).toMatch(/^internal error: x is undefined\n/);
    expect(quiet.text).not.toMatch(STACK_LINE);
    expect(describeError(e, true).text).toMatch(STACK_LINE);
  });
});

describe('flag parsers', () => {
  // the parsers of flags built from option declarations: `--seed` (an integer) and a positive
  // number such as an engine's `--tol`
  const parser = (o: Option) => (v: string) => o.parseArg!<unknown>(v, undefined) as number;
  const integer = parser(sharedFlag(SEED));
  const positiveNumber = parser(
    engineFlags([
      {
        name: 'e',
        description: 'stand-in',
        inference: true,
        options: [{ name: 'tol', type: 'number', default: 1, help: 'tol', exclusiveMinimum: 0 }],
      },
    ])[0],
  );

  it('accept what they should', () => {
    expect(positiveInt('1000')).toBe(1000);
    expect(integer('-7')).toBe(-7);
    expect(positiveNumber('1e-6')).toBe(1e-6);
  });

  it.each([
    [positiveInt, ['0', '-3', '2.5', 'x', '', '1e3', '99999999999999999']],
    [integer, ['1.5', 'abc', '']],
    [positiveNumber, ['0', '-1', 'NaN', 'Infinity', 'x', '']],
  ])('%o rejects bad values', (parse, bad) => {
    for (const v of bad) expect(() => parse(v), v).toThrow(InvalidArgumentError);
  });
});
