import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlatoError } from '../../src/diagnostics/diagnostics.js';
import { locateJsonError, readDataText } from '../../src/graph/data.js';

function failure(text: string, file: string): PlatoError {
  try {
    readDataText(text, file);
  } catch (e) {
    if (e instanceof PlatoError) return e;
    throw e;
  }
  throw new Error('expected a PlatoError');
}

describe('readDataText: JSON', () => {
  it('reads an object of numbers, nested arrays and nulls', () => {
    expect(readDataText('{"N": 3, "y": [1, null, 0], "X": [[1, 2], [3, 4]]}', 'd.json')).toEqual({
      N: 3,
      y: [1, null, 0],
      X: [
        [1, 2],
        [3, 4],
      ],
    });
  });

  it('turns NaN / Infinity / -Infinity outside strings into non-finite numbers', () => {
    const d = readDataText('{"y": [1, NaN, Infinity, -Infinity], "s": "NaN Infinity"}', 'd.json');
    const y = d.y as number[];
    expect(y[0]).toBe(1);
    expect(Number.isNaN(y[1])).toBe(true);
    expect(y[2]).toBe(Number.POSITIVE_INFINITY);
    expect(y[3]).toBe(Number.NEGATIVE_INFINITY);
    // inside strings the tokens are left alone, escaped quotes included
    expect(d.s).toBe('NaN Infinity');
    expect(readDataText('{"a": "x\\"NaN", "b": NaN}', 'd.json').a).toBe('x"NaN');
  });

  it('reports malformed JSON with the file, line and column', () => {
    const e = failure('{\n  "a": 1,\n  "b": [1, 2,, 3]\n}', 'bad.json');
    expect(e.diagnostics[0].file).toBe('bad.json');
    expect(e.diagnostics[0].kind).toBe('data');
    expect(e.message).toBe('malformed JSON at line 3, column 14: unexpected ","');
  });

  it('maps positions back past rewritten NaN tokens', () => {
    const e = failure('{"a": [NaN, NaN],\n "b": [1 2]}', 'bad.json');
    expect(e.message).toMatch(/^malformed JSON at line 2, column 10: /);
  });

  it('reports a truncated file', () => {
    const e = failure('{"a": [1, 2', 'cut.json');
    expect(e.message).toBe('malformed JSON at line 1, column 12: unexpected end of the file');
    expect(failure('{"a": 1} x', 'a.json').message).toBe(
      'malformed JSON at line 1, column 10: unexpected "x" after the end of the data',
    );
    expect(failure("{'a': 1}", 'a.json').message).toBe(
      'malformed JSON at line 1, column 2: expected a property name in double quotes, found "\'"',
    );
  });

  it('requires an object at the top', () => {
    expect(failure('[1, 2]', 'a.json').message).toBe(
      'the data must be a JSON object keyed by variable name',
    );
  });
});

describe('locateJsonError', () => {
  it('accepts every valid JSON text and finds an error exactly when JSON.parse fails', () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.boolean(), (text, k, insert) => {
        expect(locateJsonError(text)).toBeUndefined();
        // corrupt one character: delete it, or insert a stray one
        const at = text.length ? k % text.length : 0;
        const bad = insert
          ? `${text.slice(0, at)}}${text.slice(at)}`
          : text.slice(0, at) + text.slice(at + 1);
        let parses = true;
        try {
          JSON.parse(bad);
        } catch {
          parses = false;
        }
        const found = locateJsonError(bad);
        expect(found === undefined).toBe(parses);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});

describe('readDataText: CSV', () => {
  it('reads columns of one plate, with empty and NA cells as null', () => {
    const d = readDataText('x,y\n1.5,1\n2,\n-3,NA\n', 'd.csv');
    expect(d).toEqual({ x: [1.5, 2, -3], y: [1, null, null] });
  });

  it('handles quotes, CRLF, a BOM and a missing final newline', () => {
    const d = readDataText('\uFEFF"a","b c"\r\n"1",2\r\n3,"4"', 'd.CSV');
    expect(d).toEqual({ a: [1, 3], 'b c': [2, 4] });
  });

  it('keeps NaN and Inf as non-finite numbers for binding to reject', () => {
    const d = readDataText('y\nNaN\ninf\n-Inf\n', 'd.csv');
    const y = d.y as number[];
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y.slice(1)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it('rejects unreadable CSV naming the file, row and column', () => {
    const e1 = failure('x,y\n1,2\n3\n', 'd.csv');
    expect(e1.message).toBe('unreadable CSV: row 3 has 1 fields but the header has 2');
    expect(e1.diagnostics[0].file).toBe('d.csv');
    expect(failure('x,y\n1,abc\n', 'd.csv').message).toBe(
      "unreadable CSV: row 2, column 'y': 'abc' is not a number",
    );
    expect(failure('x,x\n1,2\n', 'd.csv').message).toBe(
      "unreadable CSV: column 'x' appears twice in the header",
    );
    expect(failure('x\n"1\n', 'd.csv').message).toMatch(/quoted field is not closed/);
  });
});
