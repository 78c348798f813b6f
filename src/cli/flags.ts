// Parsers for numeric flags, and the flags of engine options built from their declarations
// (src/infer/options.ts). Each parser throws commander's InvalidArgumentError, which commander
// prints as `error: option '-n, --n <count>' argument '-3' is invalid. …` and exits 1.
import { InvalidArgumentError, Option } from 'commander';
import {
  accepts,
  type EngineInfo,
  expectation,
  flagOf,
  kebabCase,
  type OptionSpec,
  type OptionValue,
} from '../infer/options.js';

/** `-n`: 1, 2, 3, … */
export function positiveInt(value: string): number {
  const x = /^\+?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(x) || x < 1)
    throw new InvalidArgumentError('expected a positive integer.');
  return x;
}

/**
 * One flag per option name that any of `engines` declares (`batchSize` → `--batch-size <int>`;
 * a boolean is `--x`, or `--no-x` when it defaults to true). Its help names the engines that
 * read it and their defaults; its parser checks the value against every reader's declaration
 * and accepts it if one of them does: the library checks it again against the engine that runs
 * (under `--engine auto`, the engine auto picks). No commander default: an option the user did
 * not give stays undefined and the engine's own default applies.
 */
export function engineFlags(engines: readonly EngineInfo[]): Option[] {
  const readers = new Map<string, { engine: string; spec: OptionSpec }[]>();
  for (const e of engines)
    for (const spec of e.options) {
      const list = readers.get(spec.name) ?? [];
      list.push({ engine: e.name, spec });
      readers.set(spec.name, list);
    }
  return [...readers.values()].map((list) => {
    const types = new Set(list.map((r) => r.spec.type));
    if (types.size > 1)
      throw new Error(`engines declare '${list[0].spec.name}' with different types`);
    const who = list.map((r) => r.engine).join(', ');
    const defaults = [...new Set(list.map((r) => defaultText(r.spec)))];
    const dflt =
      defaults.length === 1
        ? defaults[0]
        : list.map((r) => `${r.engine} ${defaultText(r.spec)}`).join(', ');
    return specFlag(
      list.map((r) => r.spec),
      `${who}: ${list[0].spec.help} (default ${dflt})`,
    ).helpGroup('Engine options (each engine reads its own):');
  });
}

/** The flag of a shared option such as `seed`. */
export function sharedFlag(spec: OptionSpec): Option {
  return specFlag([spec], `${spec.help} (default ${defaultText(spec)})`);
}

/** A default as `--help` shows it (named values: none given). */
function defaultText(spec: OptionSpec): string {
  return spec.type === 'values' ? 'none' : String(spec.default);
}

const PLACEHOLDER: Record<OptionSpec['type'], string> = {
  int: '<int>',
  number: '<number>',
  string: '<string>',
  boolean: '',
  enum: '<name>',
  values: '<file>',
};

function specFlag(specs: readonly OptionSpec[], help: string): Option {
  const spec = specs[0];
  const flag = flagOf(spec.name);
  if (spec.type === 'boolean') {
    const negated = spec.default === true;
    return new Option(negated ? `--no-${kebabCase(spec.name)}` : flag, help);
  }
  const option = new Option(`${flag} ${PLACEHOLDER[spec.type]}`, help);
  if (spec.type === 'enum') {
    const values = new Set(specs.flatMap((s) => (s.type === 'enum' ? s.values : [])));
    return option.choices([...values]);
  }
  // named values: the flag names a JSON file, which the command reads (readValuesFlags)
  if (spec.type === 'values') return option;
  return option.argParser((text: string) => {
    const value = parseText(spec.type, text);
    if (specs.some((s) => accepts(s, value))) return value;
    const wanted = [...new Set(specs.map(expectation))].join(' or ');
    throw new InvalidArgumentError(`expected ${wanted}.`);
  });
}

/** A flag's text as the value of its type; NaN when it is no number (rejected by `accepts`). */
function parseText(type: 'int' | 'number' | 'string', text: string): OptionValue {
  const t = text.trim();
  if (type === 'string') return text;
  if (type === 'int') return /^[+-]?\d+$/.test(t) ? Number(t) : Number.NaN;
  return t === '' ? Number.NaN : Number(t);
}
