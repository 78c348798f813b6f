// Engine options (src/infer/options.ts): the declarations → the library's checks of
// infer(model, { … }) and → the flags of `plato infer`. Stand-in engines with options are
// registered here (em, cavi and avi are not built yet); they record what `run` receives.
import { InvalidArgumentError, type Option } from 'commander';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { engineFlags, sharedFlag } from '../../src/cli/flags.js';
import { compile, infer, PlatoError } from '../../src/index.js';
import type { Engine } from '../../src/infer/engine.js';
import { listEngines, registerEngine } from '../../src/infer/engines.js';
import {
  type EngineInfo,
  expectation,
  flagOf,
  kebabCase,
  OptionError,
  type OptionSpec,
  SEED,
} from '../../src/infer/options.js';
import { MODELS } from '../support/models.js';

/** Thrown by a stand-in's run, carrying the options it was given. */
class Ran extends Error {
  constructor(readonly options: Record<string, unknown>) {
    super('stand-in ran');
  }
}

function standIn(info: EngineInfo): Engine {
  return {
    ...info,
    applicability: () => ({ ok: true }),
    run: (_model, options) => Promise.reject(new Ran({ ...options })),
  };
}

const CAVI = [
  { name: 'sweeps', type: 'int', default: 100, help: 'at most this many iterations', minimum: 1 },
  {
    name: 'rtol',
    type: 'number',
    default: 1e-6,
    help: 'stop below this relative change',
    exclusiveMinimum: 0,
  },
] as const satisfies readonly OptionSpec[];
const AVI = [
  { name: 'sweeps', type: 'int', default: 1000, help: 'at most this many steps', minimum: 1 },
  { name: 'batchSize', type: 'int', default: 64, help: 'minibatch size', minimum: 1 },
  { name: 'particles', type: 'int', default: 1, help: 'samples per estimate', minimum: 1 },
] as const satisfies readonly OptionSpec[];

const caviInfo: EngineInfo = {
  name: 'cavi',
  description: 'stand-in',
  inference: true,
  options: CAVI,
};
const aviInfo: EngineInfo = { name: 'avi', description: 'stand-in', inference: true, options: AVI };

const coin = compile(MODELS.coin, { filename: 'coin.plato' });
const coinData = { N: 2, y: [1, 0] };
/** the VAE has a net to learn: auto tries em (which does not learn nets), then cavi */
const vae = compile(MODELS.vae, { filename: 'vae.plato' });
const vaeData = { N: 2, P: 1, x: [[0], [1]] };

/** What `run` received, or the error infer threw before running. */
async function outcome(
  p: Promise<unknown>,
): Promise<{ ran: Record<string, unknown> } | { error: unknown }> {
  try {
    await p;
  } catch (e) {
    return e instanceof Ran ? { ran: e.options } : { error: e };
  }
  throw new Error('the stand-in engine always throws');
}

async function rejected(p: Promise<unknown>): Promise<PlatoError> {
  const r = await outcome(p);
  if (!('error' in r)) throw new Error(`expected an error, ran with ${JSON.stringify(r.ran)}`);
  expect(r.error).toBeInstanceOf(PlatoError);
  return r.error as PlatoError;
}

beforeAll(async () => {
  await initBackend('wasm');
  registerEngine(standIn(caviInfo));
  registerEngine(standIn(aviInfo));
});

describe('option names', () => {
  it('the flag is the kebab-case of the camelCase name', () => {
    expect(kebabCase('batchSize')).toBe('batch-size');
    expect(flagOf('iters')).toBe('--iters');
    expect(flagOf('maxTreeDepth')).toBe('--max-tree-depth');
  });

  it('expectations in words', () => {
    const n = { name: 'x', help: '' } as const;
    expect(expectation({ ...n, type: 'int', default: 1, minimum: 1 })).toBe('a positive integer');
    expect(expectation({ ...n, type: 'int', default: 0 })).toBe('an integer');
    expect(expectation({ ...n, type: 'int', default: 2, minimum: 2 })).toBe('an integer ≥ 2');
    expect(expectation({ ...n, type: 'number', default: 1, exclusiveMinimum: 0 })).toBe(
      'a positive number',
    );
    expect(expectation({ ...n, type: 'number', default: 1, exclusiveMinimum: 0, maximum: 1 })).toBe(
      'a number in (0, 1]',
    );
    expect(expectation({ ...n, type: 'enum', default: 'a', values: ['a', 'b'] })).toBe(
      "one of 'a', 'b'",
    );
    expect(expectation({ ...n, type: 'boolean', default: false })).toBe('true or false');
  });

  it('registering an engine checks its declarations', () => {
    const bad = (options: readonly OptionSpec[]) => () =>
      registerEngine(standIn({ name: 'bad', description: '', inference: true, options }));
    const o = { type: 'int', default: 1, help: '' } as const;
    expect(bad([{ ...o, name: 'batch-size' }])).toThrow(/not camelCase/);
    expect(bad([{ ...o, name: 'seed' }])).toThrow(/declared twice/);
    expect(bad([{ ...o, name: 'x', minimum: 2 }])).toThrow(/default outside its bounds/);
    expect(listEngines().map((e) => e.name)).not.toContain('bad');
  });
});

describe('infer checks the options against the engine that runs', () => {
  it('a named engine gets its declared options, given or defaulted, and the seed', async () => {
    const r = await outcome(infer(coin, { data: coinData, engine: 'cavi', sweeps: 7 }));
    expect(r).toEqual({ ran: { seed: 0, sweeps: 7, rtol: 1e-6 } });
  });

  it('an option another registered engine reads names that engine', async () => {
    const e = await rejected(infer(coin, { data: coinData, engine: 'cavi', particles: 2 }));
    expect(e).toBeInstanceOf(OptionError);
    expect(e.message).toBe(
      "option 'particles' is read by engine 'avi', not by 'cavi'; the options of engine 'cavi': " +
        'seed, sweeps, rtol (infer also takes data, dataFile, dataWhere, backend, onWarning, engine, onProgress, initial, initialFile)',
    );
  });

  it('an option no engine reads is unknown, with the options that exist and a suggestion', async () => {
    const e = await rejected(infer(coin, { data: coinData, engine: 'cavi', sweep: 5 }));
    expect(e.message).toMatch(
      /^unknown option 'sweep' for engine 'cavi'; did you mean 'sweeps'\?; the options of engine 'cavi': seed, sweeps, rtol/,
    );
    expect(e.message).not.toContain('--');
  });

  it('a wrong type or a value out of bounds names the option, the value and what it must be', async () => {
    const bad = async (options: Record<string, unknown>) =>
      (await rejected(infer(coin, { data: coinData, engine: 'cavi', ...options }))).message;
    expect(await bad({ sweeps: 0 })).toBe("option 'sweeps' must be a positive integer, got 0");
    expect(await bad({ sweeps: '5' })).toBe(
      'option \'sweeps\' must be a positive integer, got "5"',
    );
    expect(await bad({ rtol: Number.NaN })).toBe(
      "option 'rtol' must be a positive number, got NaN",
    );
    expect(await bad({ seed: 1.5 })).toBe("option 'seed' must be an integer, got 1.5");
    expect(await bad({ rtol: null })).toBe("option 'rtol' must be a positive number, got null");
  });

  it('under auto, against the engine auto picks', async () => {
    // exact takes coin: cavi's options are not exact's
    const coinAuto = await rejected(infer(coin, { data: coinData, sweeps: 5 }));
    expect(coinAuto.message).toMatch(
      /^option 'sweeps' is read by engines 'cavi' and 'avi', not by 'exact' \(the engine auto picked\)/,
    );
    // the VAE has a net to learn: em refuses it, auto picks cavi
    expect(await outcome(infer(vae, { data: vaeData, rtol: 0.01 }))).toEqual({
      ran: { seed: 0, sweeps: 100, rtol: 0.01 },
    });
    const e = await rejected(infer(vae, { data: vaeData, batchSize: 8 }));
    expect(e.message).toMatch(
      /^option 'batchSize' is read by engine 'avi', not by 'cavi' \(the engine auto picked\)/,
    );
  });
});

// ---- property: random declarations and random option objects --------------------------------

/** Independent of accepts(): what a value of each declared type is. */
function isValid(spec: OptionSpec, v: unknown): boolean {
  const within = (x: number) =>
    !('minimum' in spec && spec.minimum !== undefined && x < spec.minimum) &&
    !(
      'exclusiveMinimum' in spec &&
      spec.exclusiveMinimum !== undefined &&
      x <= spec.exclusiveMinimum
    ) &&
    !('maximum' in spec && spec.maximum !== undefined && x > spec.maximum) &&
    !(
      'exclusiveMaximum' in spec &&
      spec.exclusiveMaximum !== undefined &&
      x >= spec.exclusiveMaximum
    );
  switch (spec.type) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 53 && within(v);
    case 'number':
      return typeof v === 'number' && v - v === 0 && within(v); // v - v is NaN for ±Infinity
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return v === true || v === false;
    case 'enum':
      return spec.values.some((x) => x === v);
    case 'values':
      return (
        typeof v === 'object' &&
        v !== null &&
        !Array.isArray(v) &&
        [Object.prototype, null].includes(Object.getPrototypeOf(v))
      );
  }
}

const NAMES = ['alpha', 'maxSteps', 'stepSize', 'warmup', 'method', 'verboseTrace', 'label'];

/** One declaration: bounds drawn so that the default lies inside them. */
function specArb(name: string): fc.Arbitrary<OptionSpec> {
  const help = `the ${name}`;
  const intSpec = fc
    .record({
      lo: fc.option(fc.integer({ min: -5, max: 5 })),
      span: fc.integer({ min: 0, max: 10 }),
      hasHi: fc.boolean(),
      openLo: fc.boolean(),
      openHi: fc.boolean(),
    })
    .map(({ lo, span, hasHi, openLo, openHi }): OptionSpec => {
      const hi = hasHi ? (lo ?? 0) + span : undefined;
      return {
        name,
        type: 'int',
        help,
        default: lo ?? hi ?? 0,
        ...(lo === null ? {} : openLo ? { exclusiveMinimum: lo - 1 } : { minimum: lo }),
        ...(hi === undefined ? {} : openHi ? { exclusiveMaximum: hi + 1 } : { maximum: hi }),
      };
    });
  const numberSpec = fc
    .record({
      lo: fc.option(fc.double({ min: -10, max: 10, noNaN: true })),
      span: fc.double({ min: 0.5, max: 10, noNaN: true }),
      hasHi: fc.boolean(),
      openLo: fc.boolean(),
      openHi: fc.boolean(),
    })
    .map(({ lo, span, hasHi, openLo, openHi }): OptionSpec => {
      const hi = hasHi ? (lo ?? 0) + span : undefined;
      const mid =
        lo !== null && hi !== undefined ? (lo + hi) / 2 : lo !== null ? lo + 1 : (hi ?? 1) - 1;
      return {
        name,
        type: 'number',
        help,
        default: mid,
        ...(lo === null ? {} : openLo ? { exclusiveMinimum: lo } : { minimum: lo }),
        ...(hi === undefined ? {} : openHi ? { exclusiveMaximum: hi } : { maximum: hi }),
      };
    });
  return fc.oneof(
    intSpec,
    numberSpec,
    fc.string().map((d): OptionSpec => ({ name, type: 'string', help, default: d })),
    fc.boolean().map((d): OptionSpec => ({ name, type: 'boolean', help, default: d })),
    fc
      .uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 3 })
      .map((values): OptionSpec => ({ name, type: 'enum', help, values, default: values[0] })),
    fc.constant<OptionSpec>({ name, type: 'values', help, default: {} }),
  );
}

/** A value that fits the declaration. */
function validArb(spec: OptionSpec): fc.Arbitrary<unknown> {
  switch (spec.type) {
    case 'int': {
      const lo =
        spec.minimum ?? (spec.exclusiveMinimum !== undefined ? spec.exclusiveMinimum + 1 : -1e6);
      const hi =
        spec.maximum ?? (spec.exclusiveMaximum !== undefined ? spec.exclusiveMaximum - 1 : 1e6);
      return fc.integer({ min: lo, max: hi });
    }
    case 'number': {
      const lo = spec.minimum ?? spec.exclusiveMinimum ?? -1e6;
      const hi = spec.maximum ?? spec.exclusiveMaximum ?? 1e6;
      return fc.double({
        min: lo,
        max: hi,
        minExcluded: spec.exclusiveMinimum !== undefined,
        maxExcluded: spec.exclusiveMaximum !== undefined,
        noNaN: true,
      });
    }
    case 'string':
      return fc.string();
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return fc.constantFrom(...spec.values);
    case 'values':
      return fc.dictionary(fc.string(), fc.array(fc.double()));
  }
}

/** A value that does not fit: mostly just outside a bound; a fraction for an int; the wrong type. */
function invalidArb(spec: OptionSpec): fc.Arbitrary<unknown> {
  const wrongType = fc.constantFrom<unknown>(
    ...(spec.type === 'string' || spec.type === 'enum'
      ? [1, true]
      : ['1', spec.type === 'boolean' ? 1 : true]),
    null,
    spec.type === 'values' ? [] : {},
  );
  if (spec.type !== 'int' && spec.type !== 'number') return wrongType;
  const outside: number[] = [];
  const { minimum: lo, exclusiveMinimum: xlo, maximum: hi, exclusiveMaximum: xhi } = spec;
  if (lo !== undefined) outside.push(lo - 1, lo - 1e-9 * Math.max(1, Math.abs(lo)));
  if (xlo !== undefined) outside.push(xlo);
  if (hi !== undefined) outside.push(hi + 1, hi + 1e-9 * Math.max(1, Math.abs(hi)));
  if (xhi !== undefined) outside.push(xhi);
  if (spec.type === 'int') outside.push(spec.default + 0.5, 2 ** 53);
  return fc.oneof(
    { weight: 1, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY) },
    { weight: outside.length > 0 ? 4 : 0, arbitrary: fc.constantFrom(0, ...outside) },
  );
}

/** The edges of a numeric declaration that are still inside it. */
function edges(spec: OptionSpec): number[] {
  if (spec.type !== 'int' && spec.type !== 'number') return [];
  const step = (x: number) => (spec.type === 'int' ? 1 : 1e-9 * Math.max(1, Math.abs(x)));
  const out = [spec.default];
  if (spec.minimum !== undefined) out.push(spec.minimum);
  if (spec.exclusiveMinimum !== undefined)
    out.push(spec.exclusiveMinimum + step(spec.exclusiveMinimum));
  if (spec.maximum !== undefined) out.push(spec.maximum);
  if (spec.exclusiveMaximum !== undefined)
    out.push(spec.exclusiveMaximum - step(spec.exclusiveMaximum));
  return out;
}

/** Anything a program might pass, right or wrong. */
const anything: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -20, max: 20 }),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 0.5, -0),
  fc.string({ maxLength: 3 }),
  fc.constantFrom('a', 'b', 'e'),
  fc.boolean(),
  fc.constantFrom(null, undefined, {}, [1]),
);

const caseArb = fc
  .uniqueArray(fc.constantFrom(...NAMES), { minLength: 0, maxLength: 5 })
  .chain((names) => fc.tuple(...names.map(specArb)))
  .chain((specs) => {
    const all: readonly OptionSpec[] = [SEED, ...specs];
    const entries = all.map((s) =>
      fc.option(
        fc.oneof(
          { weight: 8, arbitrary: validArb(s) },
          { weight: edges(s).length > 0 ? 3 : 0, arbitrary: fc.constantFrom(0, ...edges(s)) },
          { weight: 2, arbitrary: invalidArb(s) },
          { weight: 1, arbitrary: anything },
        ),
        {
          nil: undefined,
          freq: 3,
        },
      ),
    );
    // rarely, an option this engine does not declare: unknown, or read by cavi
    const extra = fc.oneof(
      { weight: 6, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom('bogus', 'rtol', 'iterz') },
    );
    return fc.tuple(fc.constant(specs), fc.tuple(...entries), extra, anything);
  })
  .map(([specs, values, extra, extraValue]) => {
    const all: readonly OptionSpec[] = [SEED, ...specs];
    const given: Record<string, unknown> = {};
    all.forEach((s, i) => {
      if (values[i] !== undefined || i % 2 === 0) given[s.name] = values[i];
    });
    if (extra !== null) given[extra] = extraValue;
    return { specs, given };
  });

describe('property: random declarations, random options', () => {
  it('valid objects run with defaults filled in; invalid ones name the first bad option', async () => {
    const seen = { ran: 0, value: 0, unknown: 0, other: 0 };
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ specs, given }) => {
        registerEngine(
          standIn({ name: 'hmc', description: 'stand-in', inference: true, options: specs }),
        );
        const declared = [SEED, ...specs];
        // the first offending option, in the object's order (undefined counts as not given)
        const bad = Object.entries(given).find(([k, v]) => {
          if (v === undefined) return false;
          const spec = declared.find((s) => s.name === k);
          return spec === undefined || !isValid(spec, v);
        });
        const r = await outcome(infer(coin, { data: coinData, engine: 'hmc', ...given }));
        if (bad === undefined) {
          const expected: Record<string, unknown> = {};
          for (const s of declared) expected[s.name] = given[s.name] ?? s.default;
          expect(r).toEqual({ ran: expected });
          seen.ran++;
          return;
        }
        expect('error' in r).toBe(true);
        const e = (r as { error: unknown }).error;
        expect(e).toBeInstanceOf(OptionError);
        const message = (e as OptionError).message;
        const [name] = bad;
        if (!declared.some((s) => s.name === name)) {
          seen[name === 'rtol' ? 'other' : 'unknown']++;
          expect(message).toMatch(
            name === 'rtol'
              ? /^option 'rtol' is read by engine 'cavi', not by 'hmc'/
              : new RegExp(`^unknown option '${name}' for engine 'hmc'`),
          );
        } else {
          seen.value++;
          expect(message).toMatch(new RegExp(`^option '${name}' must be .*, got `));
        }
      }),
      { numRuns: 500, seed: 20261204 },
    );
    // every outcome was exercised
    expect(seen.ran).toBeGreaterThan(100);
    expect(seen.value).toBeGreaterThan(100);
    expect(Math.min(seen.unknown, seen.other)).toBeGreaterThan(5);
  });
});

describe('declarations → commander flags', () => {
  const parse = (o: Option, text: string) => o.parseArg!<unknown>(text, undefined);

  it('one flag per name, its help naming the engines that read it and their defaults', () => {
    const flags = engineFlags([caviInfo, aviInfo]);
    expect(flags.map((f) => f.flags)).toEqual([
      '--sweeps <int>',
      '--rtol <number>',
      '--batch-size <int>',
      '--particles <int>',
    ]);
    expect(flags.map((f) => f.attributeName())).toEqual([
      'sweeps',
      'rtol',
      'batchSize',
      'particles',
    ]);
    expect(flags[0].description).toBe(
      'cavi, avi: at most this many iterations (default cavi 100, avi 1000)',
    );
    expect(flags[2].description).toBe('avi: minibatch size (default 64)');
    expect(
      flags.every((f) => f.helpGroupHeading === 'Engine options (each engine reads its own):'),
    ).toBe(true);
    expect(sharedFlag(SEED).flags).toBe('--seed <int>');
  });

  it('booleans and enums', () => {
    const info: EngineInfo = {
      name: 'x',
      description: '',
      inference: true,
      options: [
        { name: 'fast', type: 'boolean', default: false, help: 'go fast' },
        { name: 'warmStart', type: 'boolean', default: true, help: 'start warm' },
        { name: 'method', type: 'enum', default: 'a', values: ['a', 'b'], help: 'which' },
      ],
    };
    const [fast, warm, method] = engineFlags([info]);
    expect(fast.flags).toBe('--fast');
    expect(warm.flags).toBe('--no-warm-start');
    expect(warm.attributeName()).toBe('warmStart');
    expect(method.argChoices).toEqual(['a', 'b']);
  });

  it('property: a flag parses exactly the texts of valid values', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom('x', 'y')
          .chain((n) => specArb(n))
          .filter((s) => s.type === 'int' || s.type === 'number'),
        fc.oneof(
          fc.integer({ min: -30, max: 30 }).map(String),
          fc.double().map(String),
          fc.string({ maxLength: 4 }),
        ),
        (spec, text) => {
          const [flag] = engineFlags([
            { name: 'e', description: '', inference: true, options: [spec] },
          ]);
          const t = text.trim();
          const value =
            spec.type === 'int' && !/^[+-]?\d+$/.test(t)
              ? Number.NaN
              : t === ''
                ? Number.NaN
                : Number(t);
          if (isValid(spec, value)) expect(parse(flag, text)).toBe(value);
          else expect(() => parse(flag, text)).toThrow(InvalidArgumentError);
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });
});
