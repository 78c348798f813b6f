import { describe, expect, it } from 'vitest';
import { lex } from '../../src/lang/lexer.js';
import { layoutNewlines } from '../../src/lang/newlines.js';

const names = (src: string): string[] => lex(src).tokens.map((t) => t.tokenType.name);
const images = (src: string): string[] =>
  layoutNewlines(lex(src).tokens).tokens.map((t) => t.image);

describe('lexer', () => {
  it('keywords are whole words: longer names that start with one are identifiers', () => {
    expect(names('in inside int interval size sizes data dataset real reals net nets')).toEqual([
      'In',
      'Identifier',
      'Int',
      'Identifier',
      'Size',
      'Identifier',
      'Data',
      'Identifier',
      'Real',
      'Identifier',
      'Net',
      'Identifier',
    ]);
  });

  it('reads integers, decimals and exponents as single numbers', () => {
    const toks = lex('12 1.5 .5 1e-3 2.5E+4 7. 1:3').tokens;
    expect(toks.map((t) => [t.tokenType.name, t.image])).toEqual([
      ['NumberLiteral', '12'],
      ['NumberLiteral', '1.5'],
      ['NumberLiteral', '.5'],
      ['NumberLiteral', '1e-3'],
      ['NumberLiteral', '2.5E+4'],
      ['NumberLiteral', '7.'],
      ['NumberLiteral', '1'],
      ['Colon', ':'],
      ['NumberLiteral', '3'],
    ]);
  });

  it('reads every operator, with -> as one token', () => {
    expect(names('+ - * / ^ @ ~ = : , ; -> ( ) [ ] { }')).toEqual([
      'Plus',
      'Minus',
      'Star',
      'Slash',
      'Caret',
      'At',
      'Tilde',
      'Equals',
      'Colon',
      'Comma',
      'Semicolon',
      'Arrow',
      'LParen',
      'RParen',
      'LBracket',
      'RBracket',
      'LCurly',
      'RCurly',
    ]);
  });

  it('skips line and block comments but keeps the newline after a line comment', () => {
    expect(names('a // note\nb /* x\ny */ c')).toEqual([
      'Identifier',
      'Newline',
      'Identifier',
      'Identifier',
    ]);
  });

  it('reports an unterminated block comment once, at its start', () => {
    const r = lex('a\n  /* never closed\nb');
    expect(
      r.diagnostics.map((d) => [d.message, d.range?.start.line, d.range?.start.column]),
    ).toEqual([["unterminated comment: '/*' has no closing '*/'", 2, 3]]);
  });

  it('reports unknown characters with their position and a hint', () => {
    const r = lex('x # 3');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.message).toBe("unexpected character '#'");
    expect(r.diagnostics[0]!.range?.start).toEqual({ offset: 2, line: 1, column: 3 });
    expect(r.diagnostics[0]!.hints?.[0]).toMatch(/comments/);
  });

  it('lexes comparison and logical operators, longest first', () => {
    const images = lex('a<=b>=c==d!=e<f>g&&h||!i?j:k')
      .tokens.map((t) => t.tokenType.name)
      .filter((n) => n !== 'Identifier');
    expect(images).toEqual([
      'LessEq',
      'GreaterEq',
      'EqEq',
      'NotEq',
      'Less',
      'Greater',
      'AndAnd',
      'OrOr',
      'Bang',
      'Question',
      'Colon',
    ]);
  });

  it('tracks 1-based lines and columns across \\n, \\r\\n and \\r', () => {
    const toks = lex('a\r\nb\rc\nd').tokens.filter((t) => t.image.trim() !== '');
    expect(toks.map((t) => [t.image, t.startLine, t.startColumn])).toEqual([
      ['a', 1, 1],
      ['b', 2, 1],
      ['c', 3, 1],
      ['d', 4, 1],
    ]);
  });
});

describe('newline layout', () => {
  it('drops newlines inside ( ) and [ ] but keeps them inside { }', () => {
    expect(images('f(a,\n b)\n[1,\n2]\n{\nx\n}')).toEqual([
      'f',
      '(',
      'a',
      ',',
      'b',
      ')',
      '\n',
      '[',
      '1',
      ',',
      '2',
      ']',
      '\n',
      '{',
      '\n',
      'x',
      '\n',
      '}',
    ]);
  });

  it('puts back the last newline of an unclosed bracket when a statement-only token follows', () => {
    // "x ~ N(0, 1" then a new statement: the newline after 1 must end the broken statement
    expect(images('x ~ N(0, 1\ny ~ N(0, 1)')).toEqual([
      'x',
      '~',
      'N',
      '(',
      '0',
      ',',
      '1',
      '\n',
      'y',
      '~',
      'N',
      '(',
      '0',
      ',',
      '1',
      ')',
    ]);
    expect(images('x = f(1,\n2\n}')).toEqual(['x', '=', 'f', '(', '1', ',', '2', '\n', '}']);
  });

  it('does not resurrect a newline from an earlier, closed bracket', () => {
    expect(images('f(a,\nb) g( ~')).toEqual(['f', '(', 'a', ',', 'b', ')', 'g', '(', '~']);
  });

  it('refuses nesting deeper than the limit before parsing', () => {
    const r = layoutNewlines(lex('('.repeat(30)).tokens, 25);
    expect(r.diagnostic?.message).toBe('brackets are nested more than 25 deep');
    expect(r.diagnostic?.range?.start.column).toBe(26);
    expect(layoutNewlines(lex('('.repeat(25)).tokens, 25).diagnostic).toBeUndefined();
  });
});

describe('newline layout: juxtaposed operands', () => {
  it('ends an unclosed call at a newline between two operands', () => {
    expect(images('x ~ N(0, 1\nz = x')).toEqual([
      'x',
      '~',
      'N',
      '(',
      '0',
      ',',
      '1',
      '\n',
      'z',
      '=',
      'x',
    ]);
  });

  it('keeps continuation lines that start with an operator, comma or bracket', () => {
    expect(images('f(a\n, b\n+ c\n[1])')).toEqual([
      'f',
      '(',
      'a',
      ',',
      'b',
      '+',
      'c',
      '[',
      '1',
      ']',
      ')',
    ]);
  });
});
