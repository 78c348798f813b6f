// Plato's tokens (chevrotain) and the lexing step. Comments and blanks are skipped; newlines
// are tokens because they end statements. Which newlines survive is decided afterwards by
// `layoutNewlines` (newlines.ts), which drops those inside ( ) and [ ].
import type { ILexingError, IToken, TokenType } from 'chevrotain';
import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import type { Pos, Range } from './ast.js';
import { createToken, Lexer } from './chevrotain.js';

/** A statement separator: newline or ';' (a token category, never produced by itself). */
export const Sep = createToken({ name: 'Sep', label: "a newline or ';'", pattern: Lexer.NA });

export const Identifier = createToken({
  name: 'Identifier',
  label: 'a name',
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
});

const keyword = (word: string): TokenType =>
  createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    label: `'${word}'`,
    pattern: new RegExp(word),
    longer_alt: Identifier,
  });

export const Model = keyword('model');
export const Guide = keyword('guide');
export const Size = keyword('size');
export const Hyper = keyword('hyper');
export const Data = keyword('data');
export const Param = keyword('param');
export const Net = keyword('net');
export const Plate = keyword('plate');
export const In = keyword('in');
export const Real = keyword('real');
export const Int = keyword('int');
export const Simplex = keyword('simplex');

/** Keywords that can only begin a statement or a block: never legal inside ( ) or [ ]. */
export const STATEMENT_KEYWORDS: readonly TokenType[] = [
  Model,
  Guide,
  Size,
  Hyper,
  Data,
  Param,
  Net,
  Plate,
  In,
];

export const KEYWORD_TOKENS: ReadonlySet<TokenType> = new Set([
  ...STATEMENT_KEYWORDS,
  Real,
  Int,
  Simplex,
]);

/** `12`, `1.5`, `.5`, `1e-3`, `2.5E+4` */
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  label: 'a number',
  pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
});

const punct = (name: string, image: string): TokenType =>
  createToken({
    name,
    label: `'${image}'`,
    pattern: new RegExp(image.replace(/[-[\]{}()*+?.,\\^$|#]/g, '\\$&')),
  });

export const Arrow = punct('Arrow', '->');
// comparisons and logic (conditional expressions); two-character operators are listed before
// their one-character prefixes in allTokens
export const EqEq = punct('EqEq', '==');
export const NotEq = punct('NotEq', '!=');
export const LessEq = punct('LessEq', '<=');
export const GreaterEq = punct('GreaterEq', '>=');
export const Less = punct('Less', '<');
export const Greater = punct('Greater', '>');
export const AndAnd = punct('AndAnd', '&&');
export const OrOr = punct('OrOr', '||');
export const Bang = punct('Bang', '!');
export const Question = punct('Question', '?');
export const Plus = punct('Plus', '+');
export const Minus = punct('Minus', '-');
export const Star = punct('Star', '*');
export const Slash = punct('Slash', '/');
export const Caret = punct('Caret', '^');
export const At = punct('At', '@');
export const Tilde = punct('Tilde', '~');
export const Equals = punct('Equals', '=');
export const Colon = punct('Colon', ':');
export const Comma = punct('Comma', ',');
export const Semicolon = createToken({
  name: 'Semicolon',
  label: "';'",
  pattern: /;/,
  categories: [Sep],
});
export const LParen = punct('LParen', '(');
export const RParen = punct('RParen', ')');
export const LBracket = punct('LBracket', '[');
export const RBracket = punct('RBracket', ']');
export const LCurly = punct('LCurly', '{');
export const RCurly = punct('RCurly', '}');

export const Newline = createToken({
  name: 'Newline',
  label: 'a newline',
  pattern: /\r\n|\r|\n/,
  line_breaks: true,
  categories: [Sep],
});

const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\f\v]+/, group: Lexer.SKIPPED });
const LineComment = createToken({
  name: 'LineComment',
  pattern: /\/\/[^\r\n]*/,
  group: Lexer.SKIPPED,
});
const BlockComment = createToken({
  name: 'BlockComment',
  pattern: /\/\*[\s\S]*?\*\//,
  line_breaks: true,
  group: Lexer.SKIPPED,
});
/** `/*` without its `*\/`: matched only to report it, never passed to the parser. */
const UnterminatedComment = createToken({
  name: 'UnterminatedComment',
  pattern: /\/\*[\s\S]*/,
  line_breaks: true,
  group: 'unterminated',
});

export const allTokens: readonly TokenType[] = [
  Sep,
  WhiteSpace,
  Newline,
  LineComment,
  BlockComment,
  UnterminatedComment,
  Model,
  Guide,
  Size,
  Hyper,
  Data,
  Param,
  Net,
  Plate,
  Int, // before In, or 'int' would lex as In + longer_alt
  In,
  Real,
  Simplex,
  Identifier,
  NumberLiteral,
  Arrow,
  EqEq,
  NotEq,
  LessEq,
  GreaterEq,
  Less,
  Greater,
  AndAnd,
  OrOr,
  Bang,
  Question,
  Plus,
  Minus,
  Star,
  Slash,
  Caret,
  At,
  Tilde,
  Equals,
  Colon,
  Comma,
  Semicolon,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LCurly,
  RCurly,
];

const lexer = new Lexer(allTokens as TokenType[], {
  positionTracking: 'full',
  ensureOptimizations: true,
});

// ---------------------------------------------------------------- ranges

/** The half-open source range of one token (chevrotain's ends are inclusive). */
export function tokenRange(t: IToken): Range {
  const start: Pos = { offset: t.startOffset, line: t.startLine ?? 1, column: t.startColumn ?? 1 };
  if (t.tokenType === Newline) {
    // a newline renders as a caret just past the end of its line
    return { start, end: { ...start, offset: start.offset + 1, column: start.column + 1 } };
  }
  const end: Pos = {
    offset: (t.endOffset ?? t.startOffset) + 1,
    line: t.endLine ?? start.line,
    column: (t.endColumn ?? start.column) + 1,
  };
  return { start, end };
}

/** The position just past the last character of `source` (where "end of file" is reported). */
export function endOfSource(source: string): Pos {
  const lines = source.split(/\r\n|\r|\n/);
  const last = lines[lines.length - 1] ?? '';
  return { offset: source.length, line: lines.length, column: last.length + 1 };
}

/** A position from a 0-based offset, counting lines as the lexer does. */
export function posAt(source: string, offset: number): Pos {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 || (c === 13 && source.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

// ---------------------------------------------------------------- lexing

export interface LexResult {
  /** every token including newlines, comments and blanks removed */
  readonly tokens: IToken[];
  readonly diagnostics: Diagnostic[];
  /** where an unterminated comment swallowed the rest of the file, if one did */
  readonly unterminatedAt?: number;
}

function describeChars(text: string): string {
  const shown = [...text].slice(0, 10).join('');
  const escaped = JSON.stringify(shown).slice(1, -1);
  return [...text].length === 1
    ? `unexpected character '${escaped}'`
    : `unexpected characters '${escaped}${[...text].length > 10 ? '…' : ''}'`;
}

function lexErrorHints(text: string): string[] {
  if (text.startsWith('.'))
    return ["a number needs a digit after the point ('.5'); '.' is not an operator"];
  if (text.startsWith('#')) return ["comments are written '// …' or '/* … */'"];
  if (text.startsWith('"') || text.startsWith("'")) return ['Plato has no strings'];
  return [];
}

function lexError(source: string, e: ILexingError): Diagnostic {
  const text = source.slice(e.offset, e.offset + e.length);
  const start = { offset: e.offset, line: e.line ?? 1, column: e.column ?? 1 };
  const range: Range = {
    start,
    end: { offset: e.offset + e.length, line: start.line, column: start.column + e.length },
  };
  return error('lex', describeChars(text), range, lexErrorHints(text));
}

export function lex(source: string): LexResult {
  const result = lexer.tokenize(source);
  const diagnostics = result.errors.map((e) => lexError(source, e));
  for (const t of result.groups.unterminated ?? []) {
    const r = tokenRange(t);
    diagnostics.push(
      error('lex', "unterminated comment: '/*' has no closing '*/'", {
        start: r.start,
        end: { offset: r.start.offset + 2, line: r.start.line, column: r.start.column + 2 },
      }),
    );
  }
  diagnostics.sort((a, b) => (a.range?.start.offset ?? 0) - (b.range?.start.offset ?? 0));
  const unterminatedAt = result.groups.unterminated?.[0]?.startOffset;
  return {
    tokens: result.tokens,
    diagnostics,
    ...(unterminatedAt === undefined ? {} : { unterminatedAt }),
  };
}
