// A Dirichlet or Multinomial value with some entries null and others given used to be drawn
// entry by entry by `sample --conditional`, leaving the simplex (rows no longer summing to 1).
// The binder now refuses such rows, naming the row; a row null as a whole is still latent.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { compile, PlatoError, sample } from '../../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const model = compile(
  `model pd {
  size N
  size K = 3
  hyper n: int(0,) = 4
  plate i in N {
    th[i] ~ Dirichlet(rep(1, K))
    x[i] ~ Multinomial(n, th[i])
  }
}
`,
  { filename: 'pd.plato' },
);

async function messages(data: Record<string, unknown>): Promise<string[]> {
  try {
    await sample(model, { data, n: 2, conditional: true });
    return [];
  } catch (e) {
    if (!(e instanceof PlatoError)) throw e;
    return e.diagnostics.map((d) => d.message);
  }
}

describe('vector values with some entries missing', () => {
  it('a Dirichlet row with a null entry names the row', async () => {
    expect(
      await messages({
        N: 2,
        th: [
          [0.2, 0.3, 0.5],
          [0.2, null, 0.5],
        ],
      }),
    ).toEqual([
      'th[1] has null entries next to given ones: a Dirichlet value is one vector; give all its entries or write null for the whole row',
    ]);
  });

  it('a Multinomial row likewise', async () => {
    expect(await messages({ N: 1, x: [[1, null, 2]] })).toEqual([
      'x[0] has null entries next to given ones: a Multinomial value is one vector; give all its entries or write null for the whole row',
    ]);
  });

  it('a whole row null is a missing value, and its draws stay on the simplex', async () => {
    const before = tf.memory().numTensors;
    const r = await sample(model, {
      data: { N: 2, th: [null, [0.2, 0.3, 0.5]] },
      n: 3,
      conditional: true,
    });
    const th = r.draws.th.toJSON() as number[][][];
    for (const draw of th) {
      expect(draw[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(draw[1]).toEqual([0.2, 0.3, 0.5]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
