import { describe, expect, it } from 'vitest';
import { broadcastTo, ConstEvalError, evalConst, scalar } from '../../src/graph/evaluate.js';
import type { Expr } from '../../src/lang/ast.js';
import { parse } from '../../src/lang/index.js';
import { broadcastShapes } from '../../src/util/shape.js';

/** Parse `x = <text>` inside a model and return the expression. */
function expr(text: string): Expr {
  const p = parse(`model m {\n  x = ${text}\n}`).program!;
  const s = p.model.body[0];
  if (s.kind !== 'deterministic') throw new Error('expected a deterministic statement');
  return s.value;
}

const env = {
  sizes: { K: 3, D: 2, R: [1, 2] },
  values: { h: { shape: [2], data: Float64Array.of(1, 2) } },
};
const ev = (text: string) => {
  const v = evalConst(expr(text), env);
  return { shape: v.shape, data: Array.from(v.data) };
};

describe('evalConst', () => {
  it('evaluates numbers, names, arithmetic with broadcasting and vector literals', () => {
    expect(ev('1.0 / K')).toEqual({ shape: [], data: [1 / 3] });
    expect(ev('-h * 2 + 1')).toEqual({ shape: [2], data: [-1, -3] });
    expect(ev('2 ^ 3 ^ 2')).toEqual({ shape: [], data: [512] });
    expect(ev('[1, 2, K]')).toEqual({ shape: [3], data: [1, 2, 3] });
    expect(ev('[h, [3, 4]]')).toEqual({ shape: [2, 2], data: [1, 2, 3, 4] });
    expect(ev('[[1], [2]] + h')).toEqual({ shape: [2, 2], data: [2, 3, 3, 4] });
  });

  it('evaluates the constant built-ins', () => {
    expect(ev('rep(0.5, K)')).toEqual({ shape: [3], data: [0.5, 0.5, 0.5] });
    expect(ev('rep(h, 2)')).toEqual({ shape: [2, 2], data: [1, 2, 1, 2] });
    expect(ev('zeros(D, K)')).toEqual({ shape: [2, 3], data: [0, 0, 0, 0, 0, 0] });
    expect(ev('ones(D)')).toEqual({ shape: [2], data: [1, 1] });
    expect(ev('eye(D)')).toEqual({ shape: [2, 2], data: [1, 0, 0, 1] });
    expect(ev('eye(D) @ h')).toEqual({ shape: [2], data: [1, 2] });
    expect(ev('h @ [[1, 2], [3, 4]]')).toEqual({ shape: [2], data: [7, 10] });
    expect(ev('dot(h, h)')).toEqual({ shape: [], data: [5] });
    expect(ev('sum(eye(K))')).toEqual({ shape: [], data: [3] });
    expect(ev('max(h, 1.5)')).toEqual({ shape: [2], data: [1.5, 2] });
    expect(ev('exp(log(h))').data[1]).toBeCloseTo(2, 14);
    const s = ev('softmax([0, log(3)])').data;
    expect(s[0]).toBeCloseTo(0.25, 14);
    expect(s[1]).toBeCloseTo(0.75, 14);
  });

  it('refuses what is not a constant', () => {
    expect(() => ev('y')).toThrow(
      new ConstEvalError("'y' is not a constant known here", expr('y')),
    );
    expect(() => ev('R')).toThrow('ragged size R is not a single number');
    expect(() => ev('h[0]')).toThrow('indexing is not supported in a constant (h[0])');
    expect(() => ev('rep(1, 2.5)')).toThrow('rep needs a non-negative integer length, got 2.5');
    expect(() => ev('rep(1, 3) + h')).toThrow('cannot broadcast shapes [3] and [2]');
    expect(() => ev('dot(h, rep(1, 3))')).toThrow('dot of shapes [2] and [3]');
  });
});

describe('broadcasting helpers', () => {
  it('follows NumPy rules', () => {
    expect(broadcastShapes([3, 1], [4])).toEqual([3, 4]);
    expect(broadcastShapes([], [2, 2])).toEqual([2, 2]);
    expect(broadcastShapes([3], [4])).toBeUndefined();
    expect(
      Array.from(broadcastTo({ shape: [2, 1], data: Float64Array.of(1, 2) }, [2, 3])!.data),
    ).toEqual([1, 1, 1, 2, 2, 2]);
    expect(Array.from(broadcastTo(scalar(7), [2])!.data)).toEqual([7, 7]);
    // broadcasting only widens to the target, never beyond it
    expect(broadcastTo({ shape: [2], data: Float64Array.of(1, 2) }, [])).toBeUndefined();
    expect(broadcastTo({ shape: [3], data: new Float64Array(3) }, [2, 3])?.shape).toEqual([2, 3]);
  });
});
