// Collects the problems binding finds, so that one run reports all of them (not the first),
// while a million bad entries of one variable do not become a million messages.
import { type Diagnostic, PlatoError } from '../diagnostics/diagnostics.js';
import type { ModelGraph } from './ir.js';

/** At most this many messages per variable; the rest are counted in one summary line. */
const PER_VARIABLE = 5;

export class Problems {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  private readonly counts = new Map<string, number>();
  private readonly seen = new Set<string>();

  /**
   * `file`: the data file's name; `where`: how messages name the place data is given
   * (`give "N" in the data file`), by default the data file, else the library's `data` option.
   */
  constructor(
    readonly file: string | undefined,
    readonly where = file !== undefined ? 'the data file' : 'the data (the `data` option)',
  ) {}

  /** `give "N" in the data file` */
  giveIn(name: string): string {
    return `give "${name}" in ${this.where}`;
  }

  /** A data error; `variable` groups messages for the per-variable cap. */
  error(message: string, variable?: string): void {
    // the same message twice says nothing new (a broadcast scalar checked at every entry)
    if (this.seen.has(message)) return;
    this.seen.add(message);
    if (variable !== undefined) {
      const n = (this.counts.get(variable) ?? 0) + 1;
      this.counts.set(variable, n);
      if (n > PER_VARIABLE) return;
    }
    this.errors.push({ kind: 'data', severity: 'error', message, file: this.file });
  }

  warning(message: string): void {
    this.warnings.push({ kind: 'data', severity: 'warning', message, file: this.file });
  }

  /** Model-side diagnostics found at binding (a shape mismatch once sizes are known). */
  add(d: Diagnostic): void {
    this.errors.push(d);
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  /** Throw everything found so far, if anything. */
  throwIfAny(graph: ModelGraph): void {
    if (!this.errors.length) return;
    // warnings first: a misspelt key explains the error that follows it
    const all = [...this.warnings, ...this.errors];
    for (const [v, n] of this.counts) {
      if (n > PER_VARIABLE) {
        all.push({
          kind: 'data',
          severity: 'error',
          message: `… and ${n - PER_VARIABLE} more problem${n - PER_VARIABLE === 1 ? '' : 's'} with ${v}`,
          file: this.file,
        });
      }
    }
    throw new PlatoError(all, graph.source, graph.filename);
  }
}
