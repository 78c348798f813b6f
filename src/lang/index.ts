// The language frontend: source text → AST → checked AST, as values. For any input string
// these functions return diagnostics; they do not throw and do not hang.
import type { IRecognitionException, IToken } from 'chevrotain';
import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import type { Program, Range } from './ast.js';
import { checkProgram as checkAst } from './checker.js';
import { EOF } from './chevrotain.js';
import { tooDeep } from './depth.js';
import { endOfSource, lex, tokenRange } from './lexer.js';
import { layoutNewlines, MAX_NESTING } from './newlines.js';
import { splitHints } from './parseMessages.js';
import { platoParser } from './parser.js';
import { toAst } from './toAst.js';

export {
  type Diagnostic,
  type DiagnosticKind,
  PlatoError,
  renderDiagnostic,
} from '../diagnostics/diagnostics.js';
export type { Program } from './ast.js';
export { printProgram } from './print.js';

/** At most this many diagnostics are reported per stage; the rest are summarised. */
export const MAX_ERRORS = 20;
/** Expressions nested deeper than this are refused (see depth.ts). */
export const MAX_EXPR_DEPTH = 500;

export interface FrontendResult {
  /** present whenever the source parsed; check `diagnostics` for errors before using it */
  readonly program?: Program;
  readonly diagnostics: Diagnostic[];
}

/** Lex, parse and build the AST. `program` is present iff there were no lexical or syntax errors. */
export function parse(source: string, filename?: string): FrontendResult {
  return guarded(filename, () => parseUnguarded(source), 'parsing');
}

/** Semantic checks of a parsed program (names, plates, arity, cycles, static shapes). */
export function checkProgram(program: Program, filename?: string): Diagnostic[] {
  return guarded(filename, () => ({ diagnostics: capped(checkAst(program)) }), 'checking')
    .diagnostics;
}

/** Parse and, if that succeeded, check. */
export function frontend(source: string, filename?: string): FrontendResult {
  const parsed = parse(source, filename);
  if (!parsed.program) return parsed;
  return { program: parsed.program, diagnostics: checkProgram(parsed.program, filename) };
}

/** True if any diagnostic is an error (warnings do not stop a model from running). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

function parseUnguarded(source: string): FrontendResult {
  const lexed = lex(source);
  const layout = layoutNewlines(lexed.tokens, MAX_NESTING);
  if (layout.diagnostic) return { diagnostics: capped([...lexed.diagnostics, layout.diagnostic]) };

  const parser = platoParser();
  const cst = parser.parseTokens(layout.tokens);
  const lexLines = new Set(lexed.diagnostics.map((d) => d.range?.start.line));
  const cut = lexed.unterminatedAt ?? Number.POSITIVE_INFINITY;
  const syntax = syntaxDiagnostics(parser.errors, source).filter(
    // a bad character usually derails the parse of its line, and an unterminated comment
    // the rest of the file: report only the lexical error
    (d) => !lexLines.has(d.range?.start.line) && (d.range?.start.offset ?? 0) < cut,
  );
  const diagnostics = [...lexed.diagnostics, ...syntax].sort(byPosition);
  if (diagnostics.length > 0) return { diagnostics: capped(diagnostics) };

  const program = toAst(cst);
  const deep = tooDeep(program, MAX_EXPR_DEPTH);
  if (deep) {
    return {
      diagnostics: [
        error(
          'syntax',
          `this expression is nested more than ${MAX_EXPR_DEPTH} levels deep`,
          deep.range,
          ['split it into several deterministic nodes'],
        ),
      ],
    };
  }
  return { program, diagnostics: [] };
}

/** One diagnostic per syntax error, at most one per line (the rest are usually echoes). */
function syntaxDiagnostics(errors: readonly IRecognitionException[], source: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lines = new Set<number>();
  for (const e of errors) {
    const range = errorRange(e.token, source);
    if (lines.has(range.start.line)) continue;
    lines.add(range.start.line);
    const { message, hints, last } = splitHints(e.message);
    out.push(error('syntax', message, range, hints));
    if (last) break;
  }
  return out;
}

function errorRange(t: IToken, source: string): Range {
  if (t.tokenType === EOF || Number.isNaN(t.startOffset)) {
    const end = endOfSource(source);
    return { start: end, end: { ...end, offset: end.offset + 1, column: end.column + 1 } };
  }
  return tokenRange(t);
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return (
    (a.range?.start.offset ?? Number.POSITIVE_INFINITY) -
    (b.range?.start.offset ?? Number.POSITIVE_INFINITY)
  );
}

function capped(diags: Diagnostic[]): Diagnostic[] {
  if (diags.length <= MAX_ERRORS) return diags;
  return [
    ...diags.slice(0, MAX_ERRORS),
    error(
      diags[MAX_ERRORS]!.kind,
      `… and ${diags.length - MAX_ERRORS} more errors; fix these first`,
    ),
  ];
}

/** The frontend's promise: for any input, diagnostics, never an exception. */
function guarded(
  filename: string | undefined,
  run: () => FrontendResult,
  stage: string,
): FrontendResult {
  let result: FrontendResult;
  try {
    result = run();
  } catch (e) {
    // a bug in the frontend, not a user mistake: still a value, clearly labelled
    const why = e instanceof Error ? e.message : String(e);
    result = {
      diagnostics: [
        error('unsupported', `internal error while ${stage}: ${why} (please report this)`),
      ],
    };
  }
  if (filename === undefined) return result;
  return { ...result, diagnostics: result.diagnostics.map((d) => ({ ...d, file: filename })) };
}
