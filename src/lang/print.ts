// Prints an AST back to Plato source with the fewest parentheses that preserve its structure:
// parse(print(ast)) equals ast up to source ranges (tested as a property).
import type {
  Arg,
  BinaryOp,
  Block,
  Expr,
  IndexArg,
  LValue,
  NumberLit,
  Program,
  Stmt,
  TypeExpr,
} from './ast.js';

// binding strength, loosest first; an operand printed where a tighter one is required gets ( )
const CONDITIONAL = 1;
const OR = 2;
const AND = 3;
const COMPARISON = 4;
const ADDITIVE = 5;
const MULTIPLICATIVE = 6;
const UNARY = 7;
const POWER = 8;
const POSTFIX = 9;

const BINARY_PRECEDENCE: Record<BinaryOp, number> = {
  '||': OR,
  '&&': AND,
  '==': COMPARISON,
  '!=': COMPARISON,
  '<': COMPARISON,
  '<=': COMPARISON,
  '>': COMPARISON,
  '>=': COMPARISON,
  '+': ADDITIVE,
  '-': ADDITIVE,
  '*': MULTIPLICATIVE,
  '/': MULTIPLICATIVE,
  '@': MULTIPLICATIVE,
  '^': POWER,
};

function precedence(e: Expr): number {
  switch (e.kind) {
    case 'cond':
      return CONDITIONAL;
    case 'binary':
      return BINARY_PRECEDENCE[e.op];
    case 'unary':
      return UNARY;
    default:
      return POSTFIX;
  }
}

export function printNumber(n: NumberLit): string {
  if (!Number.isFinite(n.value)) return '1e999';
  if (n.isInt && Number.isInteger(n.value)) return BigInt(n.value).toString();
  const s = String(n.value);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

export function printExpr(e: Expr, minPrecedence = 0): string {
  const text = printBare(e);
  return precedence(e) < minPrecedence ? `(${text})` : text;
}

function printBare(e: Expr): string {
  switch (e.kind) {
    case 'num':
      return printNumber(e);
    case 'name':
      return e.name;
    case 'vector':
      return `[${e.items.map((i) => printExpr(i)).join(', ')}]`;
    case 'unary':
      // a sign applies to a power (or another sign): -x ^ 2 is -(x ^ 2)
      return `${e.op}${printExpr(e.arg, UNARY)}`;
    case 'binary': {
      if (e.op === '^') {
        // right-associative; the exponent may carry its own signs: a ^ -b
        return `${printExpr(e.left, POSTFIX)} ^ ${printExpr(e.right, UNARY)}`;
      }
      const p = precedence(e);
      // comparisons do not chain: both operands must bind tighter
      const left = p === COMPARISON ? p + 1 : p;
      return `${printExpr(e.left, left)} ${e.op} ${printExpr(e.right, p + 1)}`;
    }
    case 'cond':
      // the test binds tighter than ?: ; the branches nest to the right
      return `${printExpr(e.test, OR)} ? ${printExpr(e.whenTrue)} : ${printExpr(e.whenFalse)}`;
    case 'index':
      return `${printExpr(e.target, POSTFIX)}[${e.indices.map(printIndex).join(', ')}]`;
    case 'call':
      return `${e.callee}(${e.args.map(printArg).join(', ')})`;
  }
}

function printIndex(i: IndexArg): string {
  if (i.kind === 'at') return printExpr(i.expr);
  return `${i.lo ? printExpr(i.lo) : ''}:${i.hi ? printExpr(i.hi) : ''}`;
}

function printArg(a: Arg): string {
  return a.name === undefined ? printExpr(a.value) : `${a.name} = ${printExpr(a.value)}`;
}

export function printType(t: TypeExpr): string {
  let s: string = t.base;
  if (t.lower || t.upper) {
    s += `(${t.lower ? printExpr(t.lower) : ''},${t.upper ? ` ${printExpr(t.upper)}` : ''})`;
  }
  if (t.shape.length > 0) s += `[${t.shape.map((d) => printExpr(d)).join(', ')}]`;
  return s;
}

function printTarget(t: LValue): string {
  return t.indices.length === 0
    ? t.name.name
    : `${t.name.name}[${t.indices.map((i) => i.name).join(', ')}]`;
}

export function printStmt(s: Stmt, indent = ''): string {
  const initial = (v: Expr | undefined): string => (v ? ` = ${printExpr(v)}` : '');
  switch (s.kind) {
    case 'size':
      return `${indent}size ${s.name.name}${s.raggedOver ? `[${s.raggedOver.name}]` : ''}${initial(s.value)}`;
    case 'hyper':
      return `${indent}hyper ${s.name.name}: ${printType(s.type)}${initial(s.value)}`;
    case 'data':
      return `${indent}data ${s.name.name}: ${printType(s.type)}`;
    case 'param':
      return `${indent}param ${s.name.name}: ${printType(s.type)}${initial(s.value)}`;
    case 'net': {
      const layers = s.layers.map((l) => printExpr(l)).join(' -> ');
      const options = s.options.map((o) => `, ${printArg(o)}`).join('');
      return `${indent}net ${s.name.name} = ${s.arch.name}(${layers}${options})`;
    }
    case 'stochastic': {
      const type = s.type ? `: ${printType(s.type)}` : '';
      const t = s.dist.truncation;
      const trunc = t
        ? ` ${t.marker.name}[${t.lower ? printExpr(t.lower) : ''}, ${t.upper ? printExpr(t.upper) : ''}]`
        : '';
      return `${indent}${printTarget(s.target)}${type} ~ ${s.dist.name.name}(${s.dist.args.map(printArg).join(', ')})${trunc}`;
    }
    case 'deterministic':
      return `${indent}${printTarget(s.target)} = ${printExpr(s.value)}`;
    case 'plate': {
      const size = s.sizeIndex ? `${s.size.name}[${s.sizeIndex.name}]` : s.size.name;
      const body = s.body.map((b) => `${printStmt(b, `${indent}  `)}\n`).join('');
      return `${indent}plate ${s.index.name} in ${size} {\n${body}${indent}}`;
    }
  }
}

function printBlock(keyword: string, b: Block): string {
  return `${keyword} ${b.name.name} {\n${b.body.map((s) => `${printStmt(s, '  ')}\n`).join('')}}\n`;
}

/** The program as Plato source. */
export function printProgram(p: Program): string {
  return printBlock('model', p.model) + (p.guide ? `\n${printBlock('guide', p.guide)}` : '');
}
