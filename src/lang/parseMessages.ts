// Human syntax-error messages for the chevrotain parser ("expected ')' to close the call to
// Normal at 3:14, found newline"). chevrotain hands us the expected token, the offending one
// and the rule; the token vector (set before each parse) lets us find the bracket that a
// missing closer belongs to. Hints ride along after HINT_SEP and are split off by index.ts.
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { EOF, tokenLabel } from './chevrotain.js';
import {
  Comma,
  EqEq,
  Equals,
  Greater,
  GreaterEq,
  Guide,
  Identifier,
  In,
  Int,
  KEYWORD_TOKENS,
  LBracket,
  LCurly,
  Less,
  LessEq,
  LParen,
  Model,
  Newline,
  NotEq,
  NumberLiteral,
  Plate,
  RBracket,
  RCurly,
  Real,
  RParen,
  Sep,
  Simplex,
} from './lexer.js';

export const HINT_SEP = '\n= ';
/** Marks an error after which further syntax errors are only echoes of it. */
const LAST = '\n=!last';

/** How the user should read the token the parser stopped at. */
export function describeToken(t: IToken): string {
  if (t.tokenType === EOF) return 'end of file';
  if (t.tokenType === Newline) return 'newline';
  if (t.tokenType === Identifier) return `name '${t.image}'`;
  if (t.tokenType === NumberLiteral) return `number ${t.image}`;
  if (KEYWORD_TOKENS.has(t.tokenType)) return `keyword '${t.image}'`;
  return `'${t.image}'`;
}

const ENDS_OPERAND = new Set<TokenType>([Identifier, NumberLiteral, RParen, RBracket]);
const STARTS_OPERAND = new Set<TokenType>([Identifier, NumberLiteral, LParen, LBracket]);

const COMPARISONS = new Set<TokenType>([EqEq, NotEq, Less, LessEq, Greater, GreaterEq]);

const OPENER_OF = new Map<TokenType, TokenType>([
  [RParen, LParen],
  [RBracket, LBracket],
  [RCurly, LCurly],
]);
const CLOSER_OF = new Map<TokenType, TokenType>([
  [LParen, RParen],
  [LBracket, RBracket],
  [LCurly, RCurly],
]);

/** What each rule is, and an example of it, for hints. */
const RULE_HINTS: Record<string, string> = {
  sizeStmt: "a size is declared as 'size N', 'size K = 20' or, ragged, 'size N[D]'",
  hyperStmt: "a hyper is declared like 'hyper alpha: real(0,) = 0.1'",
  dataStmt: "a data input is declared like 'data X: real[N, P]'",
  paramStmt: "a param is declared like 'param W: real(0,)[K, M] = 0.5'",
  netStmt: "a net is declared like 'net f = mlp(K -> 400 -> P, act = relu)'",
  namedArg: "a net option is written 'name = value', like 'act = relu'",
  plateStmt: "a plate is written 'plate i in N { … }' or, ragged, 'plate n in N[d] { … }'",
  lvalue: "the left-hand side is a name and the enclosing plates' indices, like 'z[d, n]'",
  nodeStmt: "a stochastic node is written 'x ~ Normal(0, 1)', a deterministic one 'x = expr'",
  distCall: "a distribution is written like 'Normal(mu, sigma)'",
  typeExpr:
    'a type is real, real(lo, hi), int, int(lo, hi) or simplex[K], optionally with a shape: real(0,)[K, M]',
  modelBlock: "a file starts with 'model NAME {' and ends with '}'",
  guideBlock: "a guide is written 'guide NAME { … }' after the model",
};

export class ParseMessages implements IParserErrorMessageProvider {
  private tokenList: IToken[] = [];
  private positions: Map<IToken, number> | undefined;

  /** the token vector being parsed; set by PlatoParser.parseTokens */
  get tokens(): IToken[] {
    return this.tokenList;
  }
  set tokens(tokens: IToken[]) {
    this.tokenList = tokens;
    this.positions = undefined;
  }

  /** The index of a token in the vector (the vector's length for EOF). */
  private indexOf(t: IToken): number {
    if (!this.positions) this.positions = new Map(this.tokenList.map((x, i) => [x, i]));
    return this.positions.get(t) ?? this.tokenList.length;
  }

  /**
   * The token just before `t`. chevrotain's own `previous` is read after recovery has moved
   * on, so it can lie; the token vector cannot.
   */
  private before(t: IToken): IToken | undefined {
    return this.tokenList[this.indexOf(t) - 1];
  }

  buildMismatchTokenMessage(o: {
    expected: TokenType;
    actual: IToken;
    previous: IToken;
    ruleName: string;
  }): string {
    const found = describeToken(o.actual);
    const previous = this.before(o.actual);
    const opener = OPENER_OF.get(o.expected);
    if (o.expected === EOF)
      return this.buildNotAllInputParsedMessage({ firstRedundant: o.actual, ruleName: o.ruleName });
    if (o.ruleName === 'body' && o.expected === RCurly && o.actual.tokenType !== EOF) {
      const prev = previous?.tokenType;
      if (prev && prev !== LCurly && !isSep(prev)) {
        return withHints(`expected a newline or ';' after the statement, found ${found}`, [
          "each statement ends at a newline or ';'",
        ]);
      }
      return withHints(`expected a statement or '}', found ${found}`, [RULE_HINTS.nodeStmt!]);
    }
    if (COMPARISONS.has(o.actual.tokenType) && previous && ENDS_OPERAND.has(previous.tokenType)) {
      // `0 < t < 5`: the second comparison is where the parser stops
      return withHints(`comparisons do not chain: found a second comparison ${found}`, [
        "write each comparison once and join them with '&&', as in 0 < t && t < 5",
      ]);
    }
    if (opener) {
      const at = this.findOpener(o.actual, opener);
      if (at !== undefined) {
        const t = this.tokens[at]!;
        // `f(a b)`: two operands in a row inside brackets usually means a missing comma
        const comma =
          o.expected !== RCurly &&
          previous !== undefined &&
          ENDS_OPERAND.has(previous.tokenType) &&
          STARTS_OPERAND.has(o.actual.tokenType)
            ? "',' or "
            : '';
        return `expected ${comma}${tokenLabel(o.expected)} to close ${this.describeOpener(at)} at ${t.startLine}:${t.startColumn}, found ${found}`;
      }
    }
    const hints = [...keywordHint(o.expected, o.actual), ...ruleHint(o.ruleName)];
    return withHints(`expected ${tokenLabel(o.expected)}${after(previous)}, found ${found}`, hints);
  }

  buildNotAllInputParsedMessage(o: { firstRedundant: IToken; ruleName: string }): string {
    return this.trailing(o.firstRedundant) + LAST;
  }

  /** Text after the last block: everything that follows it would only echo this error. */
  private trailing(t: IToken): string {
    if (t.tokenType === Model) {
      const first = this.tokens.find((x) => x.tokenType === Model);
      return first === t
        ? 'the model block must come first; a guide block follows it'
        : withHints("a file holds one model block; found a second 'model'", [
            'put each model in its own file',
          ]);
    }
    if (t.tokenType === Guide) {
      const hasGuide = this.tokens.some((x) => x.tokenType === Guide && x !== t);
      return hasGuide
        ? "a file holds at most one guide block; found a second 'guide'"
        : "the guide block must come after the model block's closing '}'";
    }
    if (t.tokenType === RCurly) return "unmatched '}': there is no open block to close";
    return withHints(`expected end of file after the closing '}', found ${describeToken(t)}`, [
      "statements go inside 'model NAME { … }'",
    ]);
  }

  buildNoViableAltMessage(o: {
    expectedPathsPerAlt: TokenType[][][];
    actual: IToken[];
    previous: IToken;
    ruleName: string;
  }): string {
    const found = describeToken(o.actual[0]!);
    const previous = this.before(o.actual[0]!);
    switch (o.ruleName) {
      case 'statement':
        return withHints(`expected a statement, found ${found}`, [
          "statements: size, hyper, data, param, net, plate, 'x ~ Dist(…)' and 'x = expr'",
        ]);
      case 'nodeStmt':
        return withHints(`expected '~' or '='${after(previous)}, found ${found}`, [
          ...(o.actual[0]?.tokenType === Less
            ? ["Plato writes a deterministic node with '=' (JAGS's '<-')"]
            : []),
          RULE_HINTS.nodeStmt!,
        ]);
      case 'typeExpr':
        return withHints(`expected a type${after(previous)}, found ${found}`, [
          RULE_HINTS.typeExpr!,
        ]);
      case 'primary':
        return `expected an expression${after(previous)}, found ${found}`;
      case 'index':
        return withHints(`expected an index${after(previous)}, found ${found}`, [
          "an index is an expression or a slice ':', 'lo:hi', 'lo:' or ':hi'",
        ]);
      default: {
        const firsts = o.expectedPathsPerAlt.flatMap((alt) => alt.map((path) => path[0]));
        return `expected ${listOf(firsts)}${after(previous)}, found ${found}`;
      }
    }
  }

  buildEarlyExitMessage(o: {
    expectedIterationPaths: TokenType[][];
    actual: IToken[];
    previous: IToken;
    ruleName: string;
  }): string {
    const found = describeToken(o.actual[0]!);
    const previous = this.before(o.actual[0]!);
    if (o.ruleName === 'netStmt') {
      return withHints(`expected '->' and the next layer${after(previous)}, found ${found}`, [
        "a net needs at least an input and an output layer, as in 'mlp(K -> P)'",
      ]);
    }
    const firsts = o.expectedIterationPaths.map((path) => path[0]);
    return `expected ${listOf(firsts)}${after(previous)}, found ${found}`;
  }

  /** The index of the unclosed `opener` that the token `at` should have closed. */
  private findOpener(at: IToken, opener: TokenType): number | undefined {
    const i = this.indexOf(at);
    const pending: TokenType[] = [];
    // far enough for any real statement; bounded so that error-dense junk stays linear
    for (let j = i - 1; j >= Math.max(0, i - 5000); j--) {
      const type = this.tokens[j]!.tokenType;
      if (OPENER_OF.has(type)) pending.push(type);
      const closer = CLOSER_OF.get(type);
      if (!closer) continue;
      if (pending.length > 0 && pending[pending.length - 1] === closer) pending.pop();
      else if (type === opener) return j;
      else if (type === LCurly) return undefined; // crossed into an enclosing block
    }
    return undefined;
  }

  private describeOpener(j: number): string {
    const t = this.tokens;
    const type = t[j]!.tokenType;
    const prev = t[j - 1];
    if (type === LParen) {
      if (prev?.tokenType === Identifier) return `the call to ${prev.image}`;
      if (prev && (prev.tokenType === Real || prev.tokenType === Int)) {
        return `the bounds of '${prev.image}'`;
      }
      return 'the parenthesis';
    }
    if (type === LBracket) {
      if (prev?.tokenType === Identifier) return `the index of '${prev.image}'`;
      if (
        prev &&
        (prev.tokenType === Real || prev.tokenType === Int || prev.tokenType === Simplex)
      ) {
        return `the shape of '${prev.image}'`;
      }
      if (prev && (prev.tokenType === RBracket || prev.tokenType === RParen)) return 'the index';
      if (prev?.tokenType === Comma || prev?.tokenType === LParen || prev?.tokenType === Equals) {
        return 'the vector';
      }
      return 'the bracket';
    }
    // '{': look back over the block's header
    let k = j - 1;
    while (k >= 0 && t[k]!.tokenType === Newline) k--;
    for (let back = 0; back < 8 && k - back >= 0; back++) {
      const h = t[k - back]!;
      const name = t[k - back + 1];
      if (h.tokenType === Plate) {
        const size = t[k - back + 3];
        return `plate '${name?.image ?? ''} in ${size?.image ?? ''}'`;
      }
      if (h.tokenType === Model) return `the model block '${name?.image ?? ''}'`;
      if (h.tokenType === Guide) return `the guide block '${name?.image ?? ''}'`;
      if (h.tokenType === In && back > 3) break;
    }
    return 'the block';
  }
}

function isSep(type: TokenType): boolean {
  return type === Sep || (type.CATEGORIES ?? []).includes(Sep);
}

function after(previous: IToken | undefined): string {
  if (!previous || previous.tokenType === EOF || isSep(previous.tokenType)) return '';
  if (Number.isNaN(previous.startOffset)) return '';
  return ` after '${previous.image}'`;
}

function listOf(types: readonly (TokenType | undefined)[]): string {
  const labels = [...new Set(types.filter((t): t is TokenType => t !== undefined).map(tokenLabel))];
  if (labels.length === 0) return 'something else';
  if (labels.length === 1) return labels[0]!;
  return `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}`;
}

function keywordHint(expected: TokenType, actual: IToken): string[] {
  if (expected === Identifier && KEYWORD_TOKENS.has(actual.tokenType)) {
    return [`'${actual.image}' is a reserved word and cannot be used as a name`];
  }
  return [];
}

function ruleHint(ruleName: string): string[] {
  const h = RULE_HINTS[ruleName];
  return h ? [h] : [];
}

function withHints(message: string, hints: readonly string[]): string {
  return [message, ...hints].join(HINT_SEP);
}

/** Split a provider message into the message, its hints, and whether it ends the report. */
export function splitHints(text: string): { message: string; hints: string[]; last: boolean } {
  const last = text.endsWith(LAST);
  const [message, ...hints] = (last ? text.slice(0, -LAST.length) : text).split(HINT_SEP);
  return { message: message ?? text, hints, last };
}
