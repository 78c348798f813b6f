// The checker's symbol table: every name a block declares, with its kind and where. Built in
// one pass over the statements, reporting duplicates as it goes (the second declaration is
// the error; the hint points at the first).

import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import type { Block, PlateStmt, Range, Stmt } from './ast.js';

export type SymbolKind =
  | 'size'
  | 'hyper'
  | 'data'
  | 'param'
  | 'net'
  | 'stochastic'
  | 'deterministic';

export interface Sym {
  readonly name: string;
  readonly kind: SymbolKind;
  /** the name at its declaration */
  readonly range: Range;
  readonly stmt: Stmt;
  readonly block: 'model' | 'guide';
  /** the plates around the declaration, outermost first */
  readonly plates: readonly PlateStmt[];
}

export const KIND_NOUN: Readonly<Record<SymbolKind, string>> = {
  size: 'size',
  hyper: 'hyper',
  data: 'data input',
  param: 'param',
  net: 'net',
  stochastic: 'stochastic node',
  deterministic: 'deterministic node',
};

/** `the hyper 'alpha'` */
export function describeSym(s: Sym): string {
  return `the ${KIND_NOUN[s.kind]} '${s.name}'`;
}

export function at(r: Range): string {
  return `${r.start.line}:${r.start.column}`;
}

const DECLARED: ReadonlySet<SymbolKind> = new Set(['size', 'hyper', 'data', 'param', 'net']);

export interface SymbolTable {
  readonly symbols: Map<string, Sym>;
  /** every plate of the block, in source order */
  readonly plates: PlateStmt[];
}

/**
 * Collect a block's declarations. `outer` holds the model's symbols when collecting the
 * guide: a guide's stochastic node pairs with the model's node of the same name, anything
 * else that reuses a model name is a duplicate.
 */
export function collectSymbols(
  block: Block,
  which: 'model' | 'guide',
  diags: Diagnostic[],
  outer?: ReadonlyMap<string, Sym>,
): SymbolTable {
  const symbols = new Map<string, Sym>();
  const plates: PlateStmt[] = [];

  const declare = (sym: Sym): void => {
    const first = symbols.get(sym.name) ?? outer?.get(sym.name);
    const pairsWithModel =
      first?.block === 'model' &&
      which === 'guide' &&
      sym.kind === 'stochastic' &&
      first.kind === 'stochastic';
    if (first && !pairsWithModel) {
      diags.push(redeclared(sym, first));
      return;
    }
    symbols.set(sym.name, sym);
  };

  const walk = (stmts: readonly Stmt[], around: readonly PlateStmt[]): void => {
    for (const s of stmts) {
      switch (s.kind) {
        case 'size':
        case 'hyper':
        case 'data':
        case 'param':
        case 'net':
          declare({
            name: s.name.name,
            kind: s.kind,
            range: s.name.range,
            stmt: s,
            block: which,
            plates: around,
          });
          break;
        case 'stochastic':
        case 'deterministic':
          declare({
            name: s.target.name.name,
            kind: s.kind,
            range: s.target.name.range,
            stmt: s,
            block: which,
            plates: around,
          });
          break;
        case 'plate':
          plates.push(s);
          walk(s.body, [...around, s]);
          break;
      }
    }
  };
  walk(block.body, []);
  return { symbols, plates };
}

function redeclared(second: Sym, first: Sym): Diagnostic {
  const where =
    first.block === second.block ? `at ${at(first.range)}` : `in the model at ${at(first.range)}`;
  const isNode = second.kind === 'stochastic' || second.kind === 'deterministic';
  if (isNode && DECLARED.has(first.kind) && first.kind !== 'net') {
    const why: Record<string, string> = {
      size: 'a size is a dimension given in the data or by its default',
      hyper: 'a hyper is a fixed constant; to learn it, make it a stochastic node instead',
      data: 'a data input is always supplied, never modelled; to model it, drop the data declaration',
      param:
        'a param is a learned point estimate; to put a prior on it, make it a stochastic node instead',
    };
    return error(
      'type',
      `cannot define ${describeSym(first)} as a node: it is declared ${where}`,
      second.range,
      [why[first.kind]!],
    );
  }
  return error('duplicate', `'${second.name}' is already declared ${where}`, second.range, [
    `${describeSym(first)} is declared ${where}; give this one another name`,
  ]);
}
