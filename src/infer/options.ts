// Engine options (DESIGN.md §4, §6). Each engine declares the options it reads — name, type,
// default, one line of help, bounds — and everything else is derived from those declarations:
// the checks of the library's `infer(model, { … })`, the flags of `plato infer` (the kebab-case
// of the name: `batchSize` → `--batch-size`) and its `--help`. A few options are shared by
// every engine (`seed`; and the `onProgress` callback, which is no flag).
//
// This module loads no tensors: the command line reads it to build its flags before tfjs.

import { type Diagnostic, PlatoError } from '../diagnostics/diagnostics.js';
import { closest } from '../lang/suggest.js';

/** Named values (`init: { W: [[…]], psi: […] }`): an object keyed by name; its entries are the engine's to check. */
export type NamedValues = { readonly [name: string]: unknown };

export type OptionValue = number | string | boolean | NamedValues;

/** Bounds in JSON Schema's words: minimum ≤ x, exclusiveMinimum < x, x ≤ maximum, x < exclusiveMaximum. */
export interface Bounds {
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
  readonly exclusiveMaximum?: number;
}

interface Declared<T extends string, V> {
  /** camelCase: the library option; the CLI flag is its kebab-case */
  readonly name: string;
  readonly type: T;
  readonly default: V;
  /** one line, for `--help` and the docs */
  readonly help: string;
}

/** A safe integer (`iters`, `restarts`, …). */
export interface IntOption extends Declared<'int', number>, Bounds {}
/** A finite number (`tol`, `lr`, …). */
export interface NumberOption extends Declared<'number', number>, Bounds {}
export interface StringOption extends Declared<'string', string> {}
/** On the command line a flag without a value (`--x`; `--no-x` when the default is true). */
export interface BooleanOption extends Declared<'boolean', boolean> {}
export interface EnumOption extends Declared<'enum', string> {
  readonly values: readonly string[];
}
/**
 * Named values, such as starting values of params: an object keyed by name in the library; on
 * the command line a JSON file (`--init start.json`) read into that object. The engine checks
 * the names and values (each against the model); the default is `{}`.
 */
export interface ValuesOption extends Declared<'values', NamedValues> {}

export type OptionSpec =
  | IntOption
  | NumberOption
  | StringOption
  | BooleanOption
  | EnumOption
  | ValuesOption;

type ValueOf<S extends OptionSpec> = S extends { readonly type: 'int' | 'number' }
  ? number
  : S extends { readonly type: 'boolean' }
    ? boolean
    : S extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
      ? V
      : S extends { readonly type: 'values' }
        ? NamedValues
        : string;

/**
 * The values an engine receives for its declarations, each given or defaulted:
 * `[{ name: 'iters', type: 'int', … }]` → `{ iters: number }`. Over declarations not known
 * statically (`readonly OptionSpec[]`), any name.
 */
export type OptionValues<S extends readonly OptionSpec[]> = string extends S[number]['name']
  ? { readonly [name: string]: unknown }
  : { readonly [P in S[number] as P['name']]: ValueOf<P> };

/** The random seed: initialisation, minibatches, Monte Carlo estimates. Every engine takes it. */
export const SEED = {
  name: 'seed',
  type: 'int',
  default: 0,
  help: 'random seed; the same seed gives the same result',
} as const satisfies IntOption;

/** The options every engine takes, beside its own. */
export const SHARED_OPTIONS = [SEED] as const;

/** What every engine's `run` receives beside its own options. */
/** A learned value by name, row-major with its full shape (a saved fit: `--load`). */
export interface InitialValue {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** Learned values to start from, by the names a result's `params` reports them under. */
export type InitialValues = Readonly<Record<string, InitialValue>>;

export type SharedRunOptions = OptionValues<typeof SHARED_OPTIONS> & {
  /**
   * called with (done, total) for progress bars, and a short status (`ELBO -1234.5`) by
   * engines that have one; never required
   */
  readonly onProgress?: (done: number, total: number, status?: string) => void;
  /** starting values of learned values, by name (avi: params, net weights, guide.…); never required */
  readonly initial?: InitialValues;
  /** non-fatal findings of the run (em: a log-likelihood that decreased); never required */
  readonly onWarning?: (warning: Diagnostic) => void;
};

/** An engine's name and the options it reads: what the command line needs before tfjs loads. */
export interface EngineInfo<S extends readonly OptionSpec[] = readonly OptionSpec[]> {
  readonly name: string;
  readonly description: string;
  /** false for a sampler (`sample`): it draws from the prior, auto never picks it */
  readonly inference: boolean;
  /** the options it reads beside SHARED_OPTIONS; each name is declared once */
  readonly options: S;
}

/** `batchSize` → `batch-size`. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `batchSize` → `--batch-size`. */
export function flagOf(name: string): string {
  return `--${kebabCase(name)}`;
}

function isNumeric(spec: OptionSpec): spec is IntOption | NumberOption {
  return spec.type === 'int' || spec.type === 'number';
}

function inBounds(b: Bounds, x: number): boolean {
  return (
    (b.minimum === undefined || x >= b.minimum) &&
    (b.exclusiveMinimum === undefined || x > b.exclusiveMinimum) &&
    (b.maximum === undefined || x <= b.maximum) &&
    (b.exclusiveMaximum === undefined || x < b.exclusiveMaximum)
  );
}

/** Is `value` a value of this option (type, bounds, enum)? */
export function accepts(spec: OptionSpec, value: unknown): boolean {
  switch (spec.type) {
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) && inBounds(spec, value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && inBounds(spec, value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value);
    case 'values':
      return isNamedValues(value);
  }
}

/** A plain object (not an array, not null): what a `values` option takes. */
export function isNamedValues(value: unknown): value is NamedValues {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `a positive integer`, `a number in (0, 1]`, `one of 'a', 'b'`: what `accepts` wants. */
export function expectation(spec: OptionSpec): string {
  if (!isNumeric(spec)) {
    if (spec.type === 'string') return 'a string';
    if (spec.type === 'boolean') return 'true or false';
    if (spec.type === 'values') return 'an object keyed by name';
    return `one of ${spec.values.map((v) => `'${v}'`).join(', ')}`;
  }
  const what = spec.type === 'int' ? 'an integer' : 'a number';
  const lo =
    spec.exclusiveMinimum !== undefined
      ? { x: spec.exclusiveMinimum, open: true }
      : spec.minimum !== undefined
        ? { x: spec.minimum, open: false }
        : undefined;
  const hi =
    spec.exclusiveMaximum !== undefined
      ? { x: spec.exclusiveMaximum, open: true }
      : spec.maximum !== undefined
        ? { x: spec.maximum, open: false }
        : undefined;
  if (lo && hi) return `${what} in ${lo.open ? '(' : '['}${lo.x}, ${hi.x}${hi.open ? ')' : ']'}`;
  if (hi) return `${what} ${hi.open ? '<' : '≤'} ${hi.x}`;
  if (!lo) return what;
  const positive = spec.type === 'int' ? lo.x === (lo.open ? 0 : 1) : lo.open && lo.x === 0;
  if (positive) return spec.type === 'int' ? 'a positive integer' : 'a positive number';
  return `${what} ${lo.open ? '>' : '≥'} ${lo.x}`;
}

/** A value as a message shows it: `0`, `NaN`, `"abc"`, `null`, `an object`. */
export function showValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** What is wrong with an option, in terms that can be spelt as library options or as flags. */
export type OptionProblem =
  | {
      readonly kind: 'unknown';
      readonly option: string;
      readonly engine: string;
      readonly auto: boolean;
      /** the chosen engine's options (shared ones first) */
      readonly options: readonly string[];
      /** the other names the caller takes (`data`, `engine`, …), not flags */
      readonly accepted: readonly string[];
    }
  | {
      readonly kind: 'other-engine';
      readonly option: string;
      readonly engine: string;
      readonly auto: boolean;
      /** the registered engines that read it */
      readonly readers: readonly string[];
      readonly options: readonly string[];
      readonly accepted: readonly string[];
    }
  | {
      readonly kind: 'value';
      readonly option: string;
      readonly value: unknown;
      readonly expected: string;
    };

/** `the options of engine 'exact': seed (infer also takes data, …)` */
function listOptions(
  p: { engine: string; options: readonly string[]; accepted: readonly string[] },
  spell: (name: string) => string,
): string {
  const also = p.accepted.length > 0 ? ` (infer also takes ${p.accepted.join(', ')})` : '';
  return `the options of engine '${p.engine}': ${p.options.map(spell).join(', ')}${also}`;
}

/**
 * The message for a problem, in the library's words (`'iters'`, and the other options infer
 * takes) or the command line's (`'--iters'`, flags only).
 */
export function describeOptionProblem(
  p: OptionProblem,
  words: 'library' | 'flags' = 'library',
): string {
  const spell = words === 'flags' ? flagOf : (n: string) => n;
  const o = `'${spell(p.option)}'`;
  if (p.kind === 'value') return `option ${o} must be ${p.expected}, got ${showValue(p.value)}`;
  const known = { ...p, accepted: words === 'flags' ? [] : p.accepted };
  const chosen = p.auto ? `'${p.engine}' (the engine auto picked)` : `'${p.engine}'`;
  if (p.kind === 'other-engine') {
    const names = p.readers.map((r) => `'${r}'`);
    const readers =
      names.length === 1
        ? `engine ${names[0]}`
        : `engines ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    return `option ${o} is read by ${readers}, not by ${chosen}; ${listOptions(known, spell)}`;
  }
  const near = closest(p.option, [...known.accepted, ...p.options]);
  const hint = near === undefined ? '' : `; did you mean '${spell(near)}'?`;
  return `unknown option ${o} for engine ${chosen}${hint}; ${listOptions(known, spell)}`;
}

/** A bad option: a user error (exit 1) that keeps its problem, to be spelt as flags by the CLI. */
export class OptionError extends PlatoError {
  readonly problem: OptionProblem;

  constructor(problem: OptionProblem) {
    super([{ kind: 'unsupported', severity: 'error', message: describeOptionProblem(problem) }]);
    this.problem = problem;
  }
}

export interface OptionContext {
  /** every registered engine: says which one reads an option the chosen engine does not */
  readonly registered: readonly EngineInfo[];
  /** names the caller takes itself (`data`, `engine`, …), listed in messages */
  readonly accepted?: readonly string[];
  /** was the engine picked by `auto`? (messages say so) */
  readonly auto?: boolean;
}

/**
 * The options `engine` runs with: every shared and declared option, given or defaulted. A name
 * it does not declare, or a value of the wrong type or out of bounds, is an OptionError naming
 * the option. `undefined` counts as not given.
 */
export function resolveOptions(
  engine: EngineInfo,
  given: Readonly<Record<string, unknown>>,
  context: OptionContext,
): Record<string, OptionValue> {
  const own: readonly OptionSpec[] = [...SHARED_OPTIONS, ...engine.options];
  const out: Record<string, OptionValue> = {};
  for (const s of own) out[s.name] = s.default;
  const where = {
    engine: engine.name,
    auto: context.auto ?? false,
    options: own.map((s) => s.name),
    accepted: context.accepted ?? [],
  };
  for (const [option, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const spec = own.find((s) => s.name === option);
    if (!spec) {
      const readers = context.registered
        .filter((e) => e.name !== engine.name && e.options.some((s) => s.name === option))
        .map((e) => e.name);
      throw new OptionError(
        readers.length > 0
          ? { kind: 'other-engine', option, readers, ...where }
          : { kind: 'unknown', option, ...where },
      );
    }
    if (!accepts(spec, value))
      throw new OptionError({ kind: 'value', option, value, expected: expectation(spec) });
    out[option] = value as OptionValue;
  }
  return out;
}
