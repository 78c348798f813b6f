// The frontend's promise under fuzzing: for any input it returns a program or diagnostics,
// never throws, never reports an internal error, and answers quickly. Inputs are random
// strings, random token soup, and random mutations of every example model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderDiagnostic } from '../../src/diagnostics/diagnostics.js';
import { frontend, parse } from '../../src/lang/index.js';
import { printProgram } from '../../src/lang/print.js';
import { KEYWORDS } from '../../src/lang/signatures.js';
import { exampleFiles, stripRanges } from './helpers.js';

const TIME_LIMIT_MS = 250;

/** Run the frontend; a slow run is retried twice so that a busy machine is not a failure. */
function timed(source: string): { result: ReturnType<typeof frontend>; ms: number } {
  let best = Number.POSITIVE_INFINITY;
  let result: ReturnType<typeof frontend> | undefined;
  for (let attempt = 0; attempt < 3 && best >= TIME_LIMIT_MS; attempt++) {
    const start = performance.now();
    result = frontend(source, 'fuzz.plato');
    best = Math.min(best, performance.now() - start);
  }
  return { result: result!, ms: best };
}

function survives(source: string): void {
  const { result, ms } = timed(source);
  expect(ms, `took ${ms.toFixed(0)} ms`).toBeLessThan(TIME_LIMIT_MS);
  expect(result.program !== undefined || result.diagnostics.length > 0).toBe(true);
  for (const d of result.diagnostics) {
    expect(d.message).not.toMatch(/internal error/);
    expect(d.file).toBe('fuzz.plato');
    if (d.range) {
      expect(d.range.start.line).toBeGreaterThanOrEqual(1);
      expect(d.range.start.column).toBeGreaterThanOrEqual(1);
      expect(d.range.start.offset).toBeLessThanOrEqual(source.length + 1);
      expect(d.range.end.offset).toBeGreaterThanOrEqual(d.range.start.offset);
    }
    expect(typeof renderDiagnostic(d, source, d.file)).toBe('string');
  }
  // whatever parses must print back to the same program
  if (result.program) {
    const again = parse(printProgram(result.program));
    expect(again.diagnostics.map((d) => d.message)).toEqual([]);
    expect(stripRanges(again.program)).toEqual(stripRanges(result.program));
  }
}

const TOKENS = [
  ...KEYWORDS,
  'm',
  'x',
  'N',
  'K',
  'i',
  'theta',
  'Normal',
  'T',
  'StudentT',
  'Bernoulli',
  'Dirichlet',
  'rep',
  'exp',
  'mlp',
  'relu',
  '0',
  '1',
  '2.5',
  '1e-3',
  '.5',
  '+',
  '-',
  '*',
  '/',
  '^',
  '@',
  '~',
  '=',
  ':',
  ',',
  ';',
  '->',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '\n',
  '//c\n',
  '/*c*/',
  '/*',
  '<',
  '$',
  // sequences: conditionals, comparisons, logic, lags
  '?',
  '==',
  '!=',
  '<=',
  '>',
  '>=',
  '&&',
  '||',
  '!',
  't',
  'T',
  'z[t - 1]',
  'plate t in T {',
];

describe('fuzz', () => {
  it('random strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })),
        survives,
      ),
      { seed: 42, numRuns: 400 },
    );
  });

  it('random token sequences', () => {
    const soup = fc
      .array(fc.constantFrom(...TOKENS), { maxLength: 80 })
      .chain((toks) =>
        fc.constantFrom(toks.join(' '), toks.join(''), `model m {\n${toks.join(' ')}\n}`),
      );
    fc.assert(fc.property(soup, survives), { seed: 42, numRuns: 600 });
  });

  it.each(exampleFiles().map(([name, , source]) => [name, source]))(
    'mutations of %s',
    (_, source) => {
      fc.assert(fc.property(mutated(source), survives), { seed: 42, numRuns: 150 });
    },
  );

  it('pathological inputs', () => {
    for (const src of [
      '('.repeat(10_000),
      `model m { x = ${'('.repeat(10_000)}1${')'.repeat(10_000)} }`,
      `model m {\n x = ${'-'.repeat(5_000)}1\n}`,
      `model m {\n x = ${'2 ^ '.repeat(3_000)}1\n}`,
      `model m {\n x = ${'a + '.repeat(3_000)}1\n}`,
      `model m {\n${'plate i in N {\n'.repeat(300)}`,
      '\uFEFFmodel m {\n}\n',
      '\u0000'.repeat(1000),
      '/*'.repeat(1000),
      `model m {\n${'x ~ Normal(0, 1)\n'.repeat(2_000)}}`,
    ]) {
      const start = performance.now();
      const r = frontend(src, 'p.plato');
      expect(performance.now() - start).toBeLessThan(5_000);
      expect(r.diagnostics.some((d) => /internal error/.test(d.message))).toBe(false);
    }
  });
});

// ---------------------------------------------------------------- mutations

type Mutation = (s: string) => string;
const CHARS = fc.constantFrom(...'(){}[],;:=~+-*/^@ \n\tabxzN019.e_#"'.split(''));

const charMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((p) => (s: string) => {
    const i = s.length === 0 ? 0 : p % s.length;
    return s.slice(0, i) + s.slice(i + 1); // delete a character
  }),
  fc.tuple(fc.nat(), CHARS).map(([p, c]) => (s: string) => {
    const i = p % (s.length + 1);
    return s.slice(0, i) + c + s.slice(i); // insert one
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 12 })).map(([p, n]) => (s: string) => {
    const i = s.length === 0 ? 0 : p % s.length;
    return s.slice(0, i + n) + s.slice(i, i + n) + s.slice(i + n); // duplicate a run
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([p, q]) => (s: string) => {
    if (s.length < 2) return s;
    const [i, j] = [p % s.length, q % s.length].sort((a, b) => a - b) as [number, number];
    return s.slice(0, i) + s[j] + s.slice(i + 1, j) + s[i] + s.slice(j + 1); // swap two
  }),
);

const lineMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((p) => (s: string) => {
    const lines = s.split('\n');
    lines.splice(p % lines.length, 1); // delete a line
    return lines.join('\n');
  }),
  fc.nat().map((p) => (s: string) => {
    const lines = s.split('\n');
    const i = p % lines.length;
    lines.splice(i, 0, lines[i]!); // duplicate a line
    return lines.join('\n');
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([p, q]) => (s: string) => {
    const lines = s.split('\n');
    const i = p % lines.length;
    const j = q % lines.length;
    [lines[i], lines[j]] = [lines[j]!, lines[i]!]; // swap two lines
    return lines.join('\n');
  }),
);

function mutated(source: string): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(charMutation, lineMutation), { minLength: 1, maxLength: 5 })
    .map((ms) => ms.reduce((s, m) => m(s), source));
}
