// Diagnostics are values, never exceptions thrown from deep inside the frontend (stanc3 style).
// One renderer turns them into `file:line:col: message` with a code frame and a caret.
import type { Range } from './range.js';

export type DiagnosticKind =
  | 'lex' // a character that starts no token
  | 'syntax' // the parser expected something else
  | 'unknown-name' // a name that is not declared (with a did-you-mean hint)
  | 'duplicate' // a name declared twice
  | 'cycle' // a node depends on itself
  | 'plate-index' // plate index outside its plate, wrong number or order of indices
  | 'arity' // wrong number of arguments to a distribution or function
  | 'unknown-argument' // a named argument the distribution does not take
  | 'shape' // statically known shape mismatch
  | 'size-order' // a size used before it is known
  | 'type' // wrong kind of thing in a place (a distribution used as a value, …)
  | 'data' // data binding: wrong shape, NaN, value outside the support, missing size
  | 'unsupported'; // legal language that this version cannot run yet

export interface Diagnostic {
  readonly kind: DiagnosticKind;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** where in the model source; absent for data errors, which name variable and index instead */
  readonly range?: Range;
  /** the file the range refers to (a model file, or a data file for data errors) */
  readonly file?: string;
  readonly hints?: readonly string[];
}

export function error(
  kind: DiagnosticKind,
  message: string,
  range?: Range,
  hints?: readonly string[],
): Diagnostic {
  return { kind, severity: 'error', message, range, hints };
}

export function warning(kind: DiagnosticKind, message: string, range?: Range): Diagnostic {
  return { kind, severity: 'warning', message, range };
}

/** A user error: bad model, bad data, bad options. The CLI prints it and exits 1. */
export class PlatoError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  readonly source?: string;
  readonly filename?: string;

  constructor(diagnostics: readonly Diagnostic[], source?: string, filename?: string) {
    super(diagnostics.map((d) => d.message).join('\n'));
    this.name = 'PlatoError';
    this.diagnostics = diagnostics;
    this.source = source;
    this.filename = filename;
  }

  /** The full human-readable text, with code frames where there is a range. */
  render(): string {
    // a data problem with neither range nor file came from an object, not from the model file
    const fileOf = (d: Diagnostic) =>
      d.file ?? (d.kind === 'data' && !d.range ? undefined : this.filename);
    return this.diagnostics.map((d) => renderDiagnostic(d, this.source, fileOf(d))).join('\n\n');
  }
}

/** A plain user error with no source position (bad option, unreadable file, …). */
export function userError(
  message: string,
  kind: DiagnosticKind = 'data',
  file?: string,
): PlatoError {
  return new PlatoError([{ kind, severity: 'error', message, file }]);
}

/**
 * `lda.plato:14:29: error: unknown name 'thetta'; did you mean 'theta'?`
 *    14 |       w[d, n] ~ Categorical(beta[thetta])
 *       |                             ^^^^^^
 */
export function renderDiagnostic(d: Diagnostic, source?: string, filename?: string): string {
  const file = filename ?? d.file;
  const sev = d.severity === 'warning' ? 'warning' : 'error';
  if (!d.range || source === undefined) {
    const head = `${file === undefined ? '' : `${file}: `}${sev}: ${d.message}`;
    return [head, ...(d.hints ?? []).map((h) => `  = ${h}`)].join('\n');
  }
  const { start, end } = d.range;
  const lines = source.split(/\r\n|\r|\n/);
  const text = lines[start.line - 1] ?? '';
  const gutter = String(start.line).length;
  const caretLen =
    end.line === start.line
      ? Math.max(1, end.column - start.column)
      : Math.max(1, text.length - start.column + 1);
  const pad = ' '.repeat(gutter);
  const frame = [
    `${file ?? '<input>'}:${start.line}:${start.column}: ${sev}: ${d.message}`,
    `${pad} |`,
    `${start.line} | ${text.replace(/\t/g, ' ')}`,
    `${pad} | ${' '.repeat(Math.max(0, start.column - 1))}${'^'.repeat(caretLen)}`,
  ];
  for (const h of d.hints ?? []) frame.push(`${pad} = ${h}`);
  return frame.join('\n');
}
