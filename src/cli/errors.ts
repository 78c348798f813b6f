// Errors to text and exit codes (DESIGN.md §6): 1 for a user error (message, never a stack
// trace), 2 for an internal error (message; the stack only with PLATO_DEBUG=1).
import { CommanderError } from 'commander';
import { type Diagnostic, PlatoError, renderDiagnostic } from '../diagnostics/diagnostics.js';
import { CliError } from './io.js';

export const EXIT_OK = 0;
export const EXIT_USER = 1;
export const EXIT_INTERNAL = 2;

/**
 * A PlatoError as text: ranged diagnostics with their code frame and caret
 * (`lda.plato:14:29: error: …`), unranged ones under their file, and errors that belong
 * to no file (a bad option, a missing optional backend) as plain `error: …`.
 */
export function renderPlatoError(e: PlatoError): string {
  if (e.diagnostics.length === 0) return `error: ${e.message}`;
  return e.diagnostics
    .map((d) => {
      const file = fileOf(d, e);
      if (file !== undefined || (d.range && e.source !== undefined)) {
        return renderDiagnostic(d, e.source, file);
      }
      const sev = d.severity === 'warning' ? 'warning' : 'error';
      return [`${sev}: ${d.message}`, ...(d.hints ?? []).map((h) => `  = ${h}`)].join('\n');
    })
    .join('\n\n');
}

/**
 * The file a diagnostic belongs to: its own, else the error's (the model file), except that a
 * data problem with neither range nor file came from data handed over as an object, which is
 * no file at all.
 */
function fileOf(d: Diagnostic, e: PlatoError): string | undefined {
  if (d.file !== undefined) return d.file;
  return d.kind === 'data' && !d.range ? undefined : e.filename;
}

/** What to print on stderr for an error, and the exit code. */
export function describeError(e: unknown, debug: boolean): { text: string; code: number } {
  if (e instanceof PlatoError) return { text: renderPlatoError(e), code: EXIT_USER };
  if (e instanceof CliError) return { text: `error: ${e.message}`, code: EXIT_USER };
  // commander has already printed its own message (unknown option, invalid argument, …)
  if (e instanceof CommanderError)
    return { text: '', code: e.exitCode === 0 ? EXIT_OK : EXIT_USER };
  const message = e instanceof Error ? e.message : String(e);
  const stack = debug && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  const hint = debug ? '' : '\n(set PLATO_DEBUG=1 for the stack trace)';
  return { text: `internal error: ${message}${stack}${hint}`, code: EXIT_INTERNAL };
}
