// The Plato grammar as a chevrotain CstParser: grammar only, no semantic actions (the AST is
// built by the CST visitor in toAst.ts). Recovery is on so that one run reports several
// syntax errors. The statement separators (newline or ';') come from newlines.ts, which has
// already removed the newlines inside ( ) and [ ].
import type { IToken, TokenType } from 'chevrotain';
import { CstParser } from './chevrotain.js';
import {
  AndAnd,
  Arrow,
  At,
  allTokens,
  Bang,
  Caret,
  Colon,
  Comma,
  Data,
  EqEq,
  Equals,
  Greater,
  GreaterEq,
  Guide,
  Hyper,
  Identifier,
  In,
  Int,
  LBracket,
  LCurly,
  Less,
  LessEq,
  LParen,
  Minus,
  Model,
  Net,
  Newline,
  NotEq,
  NumberLiteral,
  OrOr,
  Param,
  Plate,
  Plus,
  Question,
  RBracket,
  RCurly,
  Real,
  RParen,
  Sep,
  Simplex,
  Size,
  Slash,
  Star,
  Tilde,
} from './lexer.js';
import { ParseMessages } from './parseMessages.js';

export class PlatoParser extends CstParser {
  readonly messages: ParseMessages;

  constructor(messages = new ParseMessages()) {
    super(allTokens as TokenType[], {
      recoveryEnabled: true,
      nodeLocationTracking: 'full',
      maxLookahead: 3,
      // the grammar's self-checks cost ~0.3 s at start-up; they run under the test suite
      skipValidations: process.env.VITEST === undefined,
      errorMessageProvider: messages,
    });
    this.messages = messages;
    this.performSelfAnalysis();
  }

  // ------------------------------------------------------------ file and blocks

  program = this.RULE('program', () => {
    this.MANY(() => this.CONSUME(Sep));
    this.SUBRULE(this.modelBlock);
    this.MANY2(() => this.CONSUME2(Sep));
    this.OPTION(() => {
      this.SUBRULE(this.guideBlock);
      this.MANY3(() => this.CONSUME3(Sep));
    });
  });

  modelBlock = this.RULE('modelBlock', () => {
    this.CONSUME(Model);
    this.CONSUME(Identifier);
    this.MANY(() => this.CONSUME(Newline));
    this.SUBRULE(this.body);
  });

  guideBlock = this.RULE('guideBlock', () => {
    this.CONSUME(Guide);
    this.CONSUME(Identifier);
    this.MANY(() => this.CONSUME(Newline));
    this.SUBRULE(this.body);
  });

  /** `{ stmt (sep+ stmt)* }` with separators allowed anywhere between statements */
  body = this.RULE('body', () => {
    this.CONSUME(LCurly);
    this.MANY(() => this.CONSUME(Sep));
    this.OPTION(() => {
      this.SUBRULE(this.statement);
      this.MANY2(() => {
        this.AT_LEAST_ONE(() => this.CONSUME2(Sep));
        this.OPTION2(() => this.SUBRULE2(this.statement));
      });
    });
    this.CONSUME(RCurly);
  });

  // ------------------------------------------------------------ statements

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.sizeStmt) },
      { ALT: () => this.SUBRULE(this.hyperStmt) },
      { ALT: () => this.SUBRULE(this.dataStmt) },
      { ALT: () => this.SUBRULE(this.paramStmt) },
      { ALT: () => this.SUBRULE(this.netStmt) },
      { ALT: () => this.SUBRULE(this.plateStmt) },
      { ALT: () => this.SUBRULE(this.nodeStmt) },
    ]);
  });

  /** `size N`, `size K = 20`, `size N[D]` */
  sizeStmt = this.RULE('sizeStmt', () => {
    this.CONSUME(Size);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(LBracket);
      this.CONSUME2(Identifier, { LABEL: 'over' });
      this.CONSUME(RBracket);
    });
    this.OPTION2(() => {
      this.CONSUME(Equals);
      this.SUBRULE(this.expression);
    });
  });

  hyperStmt = this.RULE('hyperStmt', () => {
    this.CONSUME(Hyper);
    this.CONSUME(Identifier);
    this.CONSUME(Colon);
    this.SUBRULE(this.typeExpr);
    this.OPTION(() => {
      this.CONSUME(Equals);
      this.SUBRULE(this.expression);
    });
  });

  dataStmt = this.RULE('dataStmt', () => {
    this.CONSUME(Data);
    this.CONSUME(Identifier);
    this.CONSUME(Colon);
    this.SUBRULE(this.typeExpr);
  });

  paramStmt = this.RULE('paramStmt', () => {
    this.CONSUME(Param);
    this.CONSUME(Identifier);
    this.CONSUME(Colon);
    this.SUBRULE(this.typeExpr);
    this.OPTION(() => {
      this.CONSUME(Equals);
      this.SUBRULE(this.expression);
    });
  });

  /** `net f = mlp(K -> 400 -> P, act = relu)` */
  netStmt = this.RULE('netStmt', () => {
    this.CONSUME(Net);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Equals);
    this.CONSUME2(Identifier, { LABEL: 'arch' });
    this.CONSUME(LParen);
    this.SUBRULE(this.expression, { LABEL: 'layer' });
    this.AT_LEAST_ONE(() => {
      this.CONSUME(Arrow);
      this.SUBRULE2(this.expression, { LABEL: 'layer' });
    });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE(this.namedArg);
    });
    this.CONSUME(RParen);
  });

  namedArg = this.RULE('namedArg', () => {
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression);
  });

  /** `plate i in N { … }`, `plate n in N[d] { … }` */
  plateStmt = this.RULE('plateStmt', () => {
    this.CONSUME(Plate);
    this.CONSUME(Identifier, { LABEL: 'index' });
    this.CONSUME(In);
    this.CONSUME2(Identifier, { LABEL: 'size' });
    this.OPTION(() => {
      this.CONSUME(LBracket);
      this.CONSUME3(Identifier, { LABEL: 'sizeIndex' });
      this.CONSUME(RBracket);
    });
    this.MANY(() => this.CONSUME(Newline));
    this.SUBRULE(this.body);
  });

  /** `x[i] ~ Dist(…)`, `z[i]: real[K] ~ Dist(…)`, `mu[i] = expr` */
  nodeStmt = this.RULE('nodeStmt', () => {
    this.SUBRULE(this.lvalue);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Colon);
          this.SUBRULE(this.typeExpr);
          this.CONSUME(Tilde);
          this.SUBRULE(this.distCall);
        },
      },
      {
        ALT: () => {
          this.CONSUME2(Tilde);
          this.SUBRULE2(this.distCall);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Equals);
          this.SUBRULE(this.expression);
        },
      },
    ]);
  });

  lvalue = this.RULE('lvalue', () => {
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(LBracket);
      this.CONSUME2(Identifier, { LABEL: 'index' });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.CONSUME3(Identifier, { LABEL: 'index' });
      });
      this.CONSUME(RBracket);
    });
  });

  distCall = this.RULE('distCall', () => {
    this.CONSUME(Identifier);
    this.CONSUME(LParen);
    this.OPTION(() => this.SUBRULE(this.argList));
    this.CONSUME(RParen);
    // a name directly followed by '[' (`T[0, ]`); any other name is the next statement's start
    this.OPTION2({
      GATE: () => this.LA(2).tokenType === LBracket,
      DEF: () => this.SUBRULE(this.truncation),
    });
  });

  /** `T[lo, hi]`, `T[lo, ]`, `T[, hi]` after a distribution (the checker requires the name T) */
  truncation = this.RULE('truncation', () => {
    this.CONSUME(Identifier, { LABEL: 'marker' });
    this.CONSUME(LBracket);
    this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'lower' }));
    this.CONSUME(Comma);
    this.OPTION2(() => this.SUBRULE2(this.expression, { LABEL: 'upper' }));
    this.CONSUME(RBracket);
  });

  /** `real`, `real(0,)`, `int(, 5)`, `simplex[K]`, `real(0, 1)[K, M]` */
  typeExpr = this.RULE('typeExpr', () => {
    this.OR([
      { ALT: () => this.CONSUME(Real) },
      { ALT: () => this.CONSUME(Int) },
      { ALT: () => this.CONSUME(Simplex) },
    ]);
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => this.SUBRULE(this.expression, { LABEL: 'lower' }));
      this.CONSUME(Comma);
      this.OPTION3(() => this.SUBRULE2(this.expression, { LABEL: 'upper' }));
      this.CONSUME(RParen);
    });
    this.OPTION4(() => {
      this.CONSUME(LBracket);
      this.SUBRULE3(this.expression, { LABEL: 'dim' });
      this.MANY(() => {
        this.CONSUME2(Comma);
        this.SUBRULE4(this.expression, { LABEL: 'dim' });
      });
      this.CONSUME(RBracket);
    });
  });

  // ------------------------------------------------------------ expressions
  // precedence, loosest first: c ? a : b (right-assoc)  <  ||  <  &&  <  comparisons
  // (non-associative)  <  + -  <  * / @  <  unary + - !  <  ^ (right-assoc)  <  postfix [ ]
  // Sign runs and ^ chains are iterations, not recursion, so they cannot exhaust the stack.

  /** `test ? then : otherwise`; the branches nest to the right (`a ? b : c ? d : e`) */
  expression = this.RULE('expression', () => {
    this.SUBRULE(this.disjunction, { LABEL: 'test' });
    this.OPTION(() => {
      this.CONSUME(Question);
      this.SUBRULE(this.expression, { LABEL: 'then' });
      this.CONSUME(Colon);
      this.SUBRULE2(this.expression, { LABEL: 'otherwise' });
    });
  });

  disjunction = this.RULE('disjunction', () => {
    this.SUBRULE(this.conjunction, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(OrOr, { LABEL: 'operator' });
      this.SUBRULE2(this.conjunction, { LABEL: 'operand' });
    });
  });

  conjunction = this.RULE('conjunction', () => {
    this.SUBRULE(this.comparison, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(AndAnd, { LABEL: 'operator' });
      this.SUBRULE2(this.comparison, { LABEL: 'operand' });
    });
  });

  /** at most one comparison: `a < b < c` is an error rather than a surprise */
  comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.sum, { LABEL: 'operand' });
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(EqEq, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(NotEq, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(LessEq, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(GreaterEq, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(Less, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(Greater, { LABEL: 'operator' }) },
      ]);
      this.SUBRULE2(this.sum, { LABEL: 'operand' });
    });
  });

  sum = this.RULE('sum', () => {
    this.SUBRULE(this.term, { LABEL: 'operand' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Plus, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(Minus, { LABEL: 'operator' }) },
      ]);
      this.SUBRULE2(this.term, { LABEL: 'operand' });
    });
  });

  term = this.RULE('term', () => {
    this.SUBRULE(this.unary, { LABEL: 'operand' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Star, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(Slash, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(At, { LABEL: 'operator' }) },
      ]);
      this.SUBRULE2(this.unary, { LABEL: 'operand' });
    });
  });

  unary = this.RULE('unary', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Plus, { LABEL: 'sign' }) },
        { ALT: () => this.CONSUME(Minus, { LABEL: 'sign' }) },
        { ALT: () => this.CONSUME(Bang, { LABEL: 'sign' }) },
      ]);
    });
    this.SUBRULE(this.power);
  });

  /** `a ^ b ^ -c` = a^(b^(-c)); `-a^2` = -(a^2) because unary sits below ^ */
  power = this.RULE('power', () => {
    this.SUBRULE(this.postfix, { LABEL: 'base' });
    this.MANY(() => {
      this.CONSUME(Caret);
      this.SUBRULE(this.exponent);
    });
  });

  exponent = this.RULE('exponent', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Plus, { LABEL: 'sign' }) },
        { ALT: () => this.CONSUME(Minus, { LABEL: 'sign' }) },
        { ALT: () => this.CONSUME(Bang, { LABEL: 'sign' }) },
      ]);
    });
    this.SUBRULE(this.postfix);
  });

  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.primary);
    this.MANY(() => this.SUBRULE(this.indexSuffix));
  });

  indexSuffix = this.RULE('indexSuffix', () => {
    this.CONSUME(LBracket);
    this.SUBRULE(this.index);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.index);
    });
    this.CONSUME(RBracket);
  });

  /** `i`, `:`, `:hi`, `lo:`, `lo:hi` */
  index = this.RULE('index', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Colon);
          this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'hi' }));
        },
      },
      {
        ALT: () => {
          this.SUBRULE2(this.expression, { LABEL: 'lo' });
          this.OPTION2(() => {
            this.CONSUME2(Colon);
            this.OPTION3(() => this.SUBRULE3(this.expression, { LABEL: 'hi' }));
          });
        },
      },
    ]);
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.nameOrCall) },
      { ALT: () => this.CONSUME(NumberLiteral) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.vectorLit) },
    ]);
  });

  nameOrCall = this.RULE('nameOrCall', () => {
    this.CONSUME(Identifier);
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => this.SUBRULE(this.argList));
      this.CONSUME(RParen);
    });
  });

  parenExpr = this.RULE('parenExpr', () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(RParen);
  });

  vectorLit = this.RULE('vectorLit', () => {
    this.CONSUME(LBracket);
    this.SUBRULE(this.expression, { LABEL: 'item' });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.expression, { LABEL: 'item' });
    });
    this.CONSUME(RBracket);
  });

  argList = this.RULE('argList', () => {
    this.SUBRULE(this.arg);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.arg);
    });
  });

  /** positional `x` or named `logits = x` */
  arg = this.RULE('arg', () => {
    this.OPTION(() => {
      this.CONSUME(Identifier, { LABEL: 'name' });
      this.CONSUME(Equals);
    });
    this.SUBRULE(this.expression);
  });

  /** Parse a token vector (after `layoutNewlines`); errors are left in `this.errors`. */
  parseTokens(tokens: IToken[]) {
    this.messages.tokens = tokens;
    this.input = tokens;
    return this.program();
  }
}

let shared: PlatoParser | undefined;

/** The parser is expensive to build (grammar analysis) and reusable: build it once. */
export function platoParser(): PlatoParser {
  shared ??= new PlatoParser();
  return shared;
}
