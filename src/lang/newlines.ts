// The layout pass between lexer and parser: a newline ends a statement except inside ( ) or
// [ ], where it is dropped. Tracking bracket depth here keeps the grammar free of newline
// noise. Two extra jobs fall out of the same scan:
//  - an unclosed ( or [ would otherwise swallow every following line; when a token that can
//    never occur inside brackets arrives (`~`, `;`, `{`, `}`, a statement keyword), the
//    brackets are taken as unclosed and the last swallowed newline is put back, so the parser
//    reports "expected ')' …, found newline" where the user forgot it. Two operands on either
//    side of a swallowed newline (`Normal(0, 1⏎ z = …`) are treated the same way: such
//    juxtaposition is never legal, and the newline is the likeliest place of the mistake;
//  - nesting deeper than `maxDepth` is refused before the (recursive-descent) parser sees it.
import type { IToken, TokenType } from 'chevrotain';
import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import {
  Identifier,
  LBracket,
  LCurly,
  LParen,
  Newline,
  NumberLiteral,
  RBracket,
  RCurly,
  RParen,
  Semicolon,
  STATEMENT_KEYWORDS,
  Tilde,
  tokenRange,
} from './lexer.js';

export const MAX_NESTING = 200;

const STATEMENT_ONLY = new Set<TokenType>([
  Tilde,
  Semicolon,
  LCurly,
  RCurly,
  ...STATEMENT_KEYWORDS,
]);
const ENDS_OPERAND = new Set<TokenType>([Identifier, NumberLiteral, RParen, RBracket]);
const STARTS_OPERAND = new Set<TokenType>([Identifier, NumberLiteral]);
const OPENER_OF = new Map<TokenType, TokenType>([
  [RParen, LParen],
  [RBracket, LBracket],
  [RCurly, LCurly],
]);

interface Open {
  readonly type: TokenType;
  /** index in the output where the opener sits */
  readonly at: number;
}

export interface LayoutResult {
  readonly tokens: IToken[];
  readonly diagnostic?: Diagnostic;
}

export function layoutNewlines(tokens: readonly IToken[], maxDepth = MAX_NESTING): LayoutResult {
  const out: IToken[] = [];
  const stack: Open[] = [];
  let dropped: { token: IToken; at: number; after?: TokenType } | undefined;
  const inBrackets = (): boolean => {
    const top = stack[stack.length - 1];
    return top !== undefined && top.type !== LCurly;
  };

  for (const t of tokens) {
    const type = t.tokenType;
    if (type === Newline) {
      if (inBrackets())
        dropped = { token: t, at: out.length, after: out[out.length - 1]?.tokenType };
      else out.push(t);
      continue;
    }
    const juxtaposed =
      dropped !== undefined &&
      dropped.at === out.length &&
      dropped.after !== undefined &&
      ENDS_OPERAND.has(dropped.after) &&
      STARTS_OPERAND.has(type);
    if (inBrackets() && (STATEMENT_ONLY.has(type) || juxtaposed)) {
      // the open brackets were never closed: end the statement at the last line break
      let outermost = out.length;
      while (inBrackets()) outermost = stack.pop()!.at;
      if (dropped && dropped.at > outermost) out.splice(dropped.at, 0, dropped.token);
      dropped = undefined;
    }
    if (type === LParen || type === LBracket || type === LCurly) {
      stack.push({ type, at: out.length });
      if (stack.length > maxDepth) {
        return {
          tokens: [],
          diagnostic: error(
            'syntax',
            `brackets are nested more than ${maxDepth} deep`,
            tokenRange(t),
            ['split the expression into several deterministic nodes'],
          ),
        };
      }
    } else {
      const opener = OPENER_OF.get(type);
      if (opener) closeTo(stack, opener);
    }
    out.push(t);
  }
  return { tokens: out };
}

/** Pop to the matching opener if there is one in the current brace level; else leave it. */
function closeTo(stack: Open[], opener: TokenType): void {
  for (let i = stack.length - 1; i >= 0; i--) {
    const type = stack[i]!.type;
    if (type === opener) {
      stack.length = i;
      return;
    }
    if (type === LCurly) return;
  }
}
