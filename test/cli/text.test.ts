// The text renderers on hand-made result objects: no tensors, no processes.
import { describe, expect, it } from 'vitest';
import { ResultArray, type SampleResult } from '../../src/infer/result.js';
import {
  describeShape,
  flatten,
  formatNumber,
  shapeOf,
  stats,
  summarizeMeanSd,
  summarizeNested,
} from '../../src/report/format.js';
import type {
  CheckResult,
  EnginesReport,
  PosteriorJson,
  SampleJson,
} from '../../src/report/result.js';
import { renderFields, renderTable } from '../../src/report/table.js';
import { checkText, enginesText, inferText, sampleText } from '../../src/report/text.js';

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [-0, '0'],
    [3, '3'],
    [65536, '65536'],
    [-14.250516071648219, '-14.25'],
    [0.123456, '0.1235'],
    [0.5, '0.5'],
    [1234.5, '1235'],
    [99999.5, '100000'],
    [0.00012346, '0.0001235'],
    [2.7453836096908688e-8, '2.745e-08'],
    [-3.2e7 - 0.5, '-3.2e+07'],
    [999999.7, '1e+06'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'inf'],
    [Number.NEGATIVE_INFINITY, '-inf'],
    [null, 'NA'],
  ])('%s → %s', (x, s) => {
    expect(formatNumber(x)).toBe(s);
  });

  it('honours the number of significant digits', () => {
    expect(formatNumber(Math.PI, 2)).toBe('3.1');
    expect(formatNumber(-1234.5678, 6)).toBe('-1234.57');
  });
});

describe('nested arrays', () => {
  const m = [
    [1, 2, 3],
    [4, null, 6],
  ];
  it('reads shapes and flattens row-major', () => {
    expect(shapeOf(7)).toEqual([]);
    expect(shapeOf(m)).toEqual([2, 3]);
    expect(shapeOf([])).toEqual([0]);
    expect(flatten(m)).toEqual([1, 2, 3, 4, null, 6]);
  });

  it('describes ragged shapes by the range of each axis', () => {
    expect(describeShape(3)).toBe('scalar');
    expect(describeShape(m)).toBe('2×3');
    expect(describeShape([[1, 2], [3], [4, 5, 6]])).toBe('3×1..3');
    expect(describeShape([[[1], [2]], [[3]]])).toBe('2×1..2×1');
  });

  it('takes min, mean and max over the finite entries only', () => {
    expect(stats([1, null, 3, Number.NaN])).toEqual({ min: 1, mean: 2, max: 3 });
    expect(stats([null])).toBeNull();
  });

  it('prints scalars and small arrays in full, large ones as head and range', () => {
    expect(summarizeNested(0.25)).toBe('0.25');
    expect(summarizeNested(m)).toBe('[[1, 2, 3], [4, NA, 6]]');
    const big = Array.from({ length: 100 }, (_, i) => i / 100);
    expect(summarizeNested(big)).toBe('[0, 0.01, 0.02, … 97 more] min 0 mean 0.495 max 0.99');
  });

  it('pairs means with sds', () => {
    expect(summarizeMeanSd(0.6818, 0.0971)).toBe('0.6818 ± 0.0971');
    expect(summarizeMeanSd([1, 2], [0.1, 0.2])).toBe('[1 ± 0.1, 2 ± 0.2]');
    expect(summarizeMeanSd([[1], [2]], [[0.1], [0.2]])).toBe('[[1 ± 0.1], [2 ± 0.2]]');
    const mean = [5, 1, 2, 3, 4];
    const sd = [0.5, 0.1, 0.2, 0.3, 0.4];
    expect(summarizeMeanSd(mean, sd)).toBe('[5 ± 0.5, 1 ± 0.1, … 3 more] mean in [1, 5]');
  });
});

describe('tables', () => {
  it('aligns every column to its widest cell and trims trailing space', () => {
    const t = renderTable(
      ['a', 'bb', 'n'],
      [
        ['xxx', '', '1'],
        ['y', 'z', '100'],
      ],
      { align: ['left', 'left', 'right'] },
    );
    expect(t.split('\n')).toEqual(['  a    bb    n', '  xxx        1', '  y    z   100']);
  });

  it('pads field names', () => {
    expect(
      renderFields([
        ['engine', 'exact'],
        ['log evidence', '-1'],
      ]),
    ).toBe('engine        exact\nlog evidence  -1');
  });
});

describe('reports', () => {
  it('check: plates and nodes with kind, distribution, plates, parents and line', () => {
    const r: CheckResult = {
      model: 'coin',
      plates: [{ name: 'i', size: 'N', parent: null }],
      nodes: [
        { name: 'N', kind: 'size', distribution: null, plates: [], parents: [], line: 2 },
        {
          name: 'theta',
          kind: 'stochastic',
          distribution: 'Beta',
          plates: [],
          parents: ['a', 'b'],
          line: 5,
        },
        {
          name: 'y',
          kind: 'stochastic',
          distribution: 'Bernoulli',
          plates: ['i'],
          parents: ['theta'],
          line: 7,
        },
      ],
    };
    expect(checkText(r)).toBe(
      [
        'model coin',
        '',
        'plates',
        '  plate  size  parent',
        '  i      N     -',
        '',
        'nodes',
        '  node   kind        distribution  plates  parents  line',
        '  N      size        -             -       -           2',
        '  theta  stochastic  Beta          -       a, b        5',
        '  y      stochastic  Bernoulli     i       theta       7',
      ].join('\n'),
    );
  });

  it('check: a chain plate says which reads of earlier steps make it one', async () => {
    const { checkResult } = await import('../../src/report/check.js');
    const { compile } = await import('../../src/model.js');
    const m = compile(`model hmm {
  size S
  size T
  hyper init: simplex[S]
  hyper A: simplex[S, S]
  plate t in T {
    z[t] ~ Categorical(t == 0 ? init : A[z[t - 1]])
  }
}`);
    const r = checkResult(m.graph);
    expect(r.plates).toEqual([{ name: 't', size: 'T', parent: null, chain: ['z reads z[t - 1]'] }]);
    expect(checkText(r).split('\n').slice(2, 5)).toEqual([
      'plates',
      '  plate  size  parent  chain',
      '  t      T     -       z reads z[t - 1]',
    ]);
  });

  it('sample: node, the shape of one draw, mean and sd', () => {
    const r: SampleJson = {
      engine: 'sample',
      n: 2,
      seed: 1,
      draws: {
        theta: [0.25, 0.75],
        y: [
          [0, 1, 1, 0, 1],
          [1, 1, 1, 0, 0],
        ],
      },
      summary: {
        theta: { mean: 0.5, sd: 0.25 },
        y: { mean: [0.5, 1, 1, 0, 0.5], sd: [0.5, 0, 0, 0, 0.5] },
      },
    };
    const lines = sampleText(r).split('\n');
    expect(lines[0]).toBe('sample  n = 2  seed = 1');
    expect(lines[2]).toMatch(/^ {2}node +shape +mean +sd$/);
    expect(lines[3]).toMatch(/^ {2}theta +scalar +0\.5 +0\.25$/);
    expect(lines[4]).toBe(
      '  y      5       [0.5, 1, …] min 0 mean 0.6 max 1  [0.5, 0, …] min 0 mean 0.2 max 0.5',
    );
  });

  it('sample: a Categorical node shows its state frequencies, typed or in JSON form', () => {
    // 2 draws of a node in a plate of 3: states 0 ×1, 1 ×3, 2 ×2 over all 6 entries
    const z = [
      [1, 2, 1],
      [0, 1, 2],
    ];
    const json: SampleJson = {
      engine: 'sample',
      n: 2,
      seed: 1,
      draws: { z, s: [4, 4] },
      summary: {
        z: { mean: [0.5, 1.5, 1.5], sd: [0.75, 0.75, 0.75] },
        s: { mean: 4, sd: 0 },
      },
    };
    const typed: SampleResult = {
      ...json,
      draws: {
        z: new ResultArray(Int32Array.from(z.flat()), [2, 3]),
        s: new ResultArray(Int32Array.of(4, 4), [2]),
      },
      summary: {
        z: {
          mean: new ResultArray(Float32Array.of(0.5, 1.5, 1.5), [3]),
          sd: new ResultArray(Float32Array.of(0.75, 0.75, 0.75), [3]),
        },
        s: {
          mean: new ResultArray(Float32Array.of(4), []),
          sd: new ResultArray(Float32Array.of(0), []),
        },
      },
    };
    for (const r of [json, typed]) {
      const lines = sampleText(r, { categorical: ['z', 's'] }).split('\n');
      expect(lines[3]).toBe('  z     3       freq (all entries) 0: 0.167, 1: 0.5, 2: 0.333  -');
      // a scalar node: state 4 drawn twice, states 0 to 3 never
      expect(lines[4]).toBe('  s     scalar  freq 0: 0, 1: 0, 2: 0, 3: 0, 4: 1              -');
      // without the option, the summary's mean and sd
      expect(sampleText(r).split('\n')[3]).toMatch(
        /^ {2}z +3 +\[0\.5, 1\.5, 1\.5\] +\[0\.75, 0\.75, 0\.75\]$/,
      );
    }
  });

  it('infer: run fields, latents with mean, sd and quantiles, then params; large arrays cut', () => {
    const r: PosteriorJson = {
      engine: 'cavi',
      converged: true,
      iterations: 57,
      seconds: 1.2345,
      logEvidence: -1234.56789,
      elbo: [-2000.1, -1500.3, -1234.56789],
      latents: {
        theta: { family: 'Beta', shape: [], params: { a: 15, b: 7 }, mean: 0.6818, sd: 0.0971 },
        z: {
          family: 'Categorical',
          shape: [100],
          params: { p: Array.from({ length: 100 }, () => [0.5, 0.5]) },
          mean: Array.from({ length: 100 }, () => [0.5, 0.5]),
          sd: Array.from({ length: 100 }, () => [0.5, 0.5]),
        },
      },
      params: { rho: [0.05, 0.1] },
    };
    const text = inferText(r);
    expect(text).toContain(
      'engine        cavi\nconverged     yes\niterations    57\nseconds       1.23\n',
    );
    expect(text).toContain('log evidence  -1234.57\n');
    expect(text).toContain('elbo          -2000 → -1235 (3 values)');
    // Beta(15, 7) quantiles, from scipy.stats.beta(15, 7).ppf([.05, .5, .95])
    expect(text).toMatch(
      /\n {2}theta +Beta +scalar +0\.6818 +0\.0971 +0\.5126 +0\.6874 +0\.8318\n/,
    );
    const lines = text.split('\n');
    const z = lines.findIndex((l) => /^ {2}z +Categorical +100$/.test(l));
    expect(lines.slice(z + 1, z + 7).map((l) => l.replace(/ +/g, ' '))).toEqual([
      ' z[0] = 0 0.5 0.5 - - -',
      ' z[0] = 1 0.5 0.5 - - -',
      ' z[1] = 0 0.5 0.5 - - -',
      ' z[1] = 1 0.5 0.5 - - -',
      ' z[2] = 0 0.5 0.5 - - -',
      ' … 195 more; means in [0.5, 0.5]',
    ]);
    expect(text).toMatch(
      /\nparams\n {2}param +shape +value\n {2}rho +2\n {4}rho\[0\] +0\.05\n {4}rho\[1\] +0\.1$/,
    );
  });

  it('infer: small latents are listed entry by entry; a Categorical entry is one state', () => {
    const r: PosteriorJson = {
      engine: 'exact',
      converged: true,
      iterations: 1,
      seconds: 0.01,
      logEvidence: -14.25,
      latents: {
        d: {
          family: 'Bernoulli',
          shape: [2],
          params: { p: [0.1, 0.9] },
          mean: [0.1, 0.9],
          sd: [0.3, 0.3],
        },
        z: {
          family: 'Categorical',
          shape: [],
          params: { p: [0.2, 0.8] },
          mean: [0.2, 0.8],
          sd: [0.4, 0.4],
        },
        x: {
          family: 'Normal',
          shape: [2],
          params: { mu: [1, 2], sigma: [1, 2] },
          mean: [1, 2],
          sd: [1, 2],
        },
      },
      params: {},
    };
    const rows = inferText(r).split('\n').slice(7);
    // Normal quantiles: mu ± 1.6448536269514722 sigma (z_0.95)
    expect(rows).toEqual([
      '  node     family       shape   mean   sd       5%  50%    95%',
      '  d        Bernoulli    2',
      // P(d ≤ 0) = 1 − p: the quantile is 1 once q exceeds it
      '    d[0]                         0.1  0.3        0    0      1',
      '    d[1]                         0.9  0.3        0    1      1',
      '  z        Categorical  scalar',
      '    z = 0                        0.2  0.4        -    -      -',
      '    z = 1                        0.8  0.4        -    -      -',
      '  x        Normal       2',
      '    x[0]                           1    1  -0.6449    1  2.645',
      '    x[1]                           2    2    -1.29    2   5.29',
    ]);
  });

  it('infer with a vocabulary: the top words of each Dirichlet latent over it, largest mean first', () => {
    const vocab = Array.from({ length: 12 }, (_, v) => `w${v}`);
    // topic k puts mean (v + 1) · (k + 1) mod 13 on word v: a known order per topic
    const mean = [0, 1].map((k) => vocab.map((_, v) => ((v + 1) * (k + 1)) % 13));
    const r: PosteriorJson = {
      engine: 'cavi',
      converged: true,
      iterations: 10,
      seconds: 0.1,
      logEvidence: -10,
      latents: {
        beta: { family: 'Dirichlet', shape: [2, 12], params: { alpha: mean }, mean, sd: mean },
        theta: {
          family: 'Dirichlet',
          shape: [3, 2],
          params: {
            alpha: [
              [1, 1],
              [1, 1],
              [1, 1],
            ],
          },
          mean: [
            [0.5, 0.5],
            [0.5, 0.5],
            [0.5, 0.5],
          ],
          sd: [
            [0.1, 0.1],
            [0.1, 0.1],
            [0.1, 0.1],
          ],
        },
      },
      params: {},
    };
    const lines = inferText(r, { vocab }).split('\n');
    const at = lines.indexOf('topics (top 10 words by posterior mean)');
    expect(lines.slice(at + 1)).toEqual([
      '  topic    words',
      '  beta[0]  w11 w10 w9 w8 w7 w6 w5 w4 w3 w2',
      // 2(v + 1) mod 13: v = 5 → 12, 11 → 11, 4 → 10, 10 → 9, 3 → 8, 9 → 7, 2 → 6, 8 → 5, 1 → 4, 7 → 3
      '  beta[1]  w5 w11 w4 w10 w3 w9 w2 w8 w1 w7',
    ]);
    expect(inferText(r)).not.toContain('topics');
  });

  it('infer: exact results without elbo and a null log evidence print as such', () => {
    const r: PosteriorJson = {
      engine: 'em',
      converged: false,
      iterations: 3,
      seconds: 0.01,
      logEvidence: null,
      latents: {},
      params: {},
    };
    const text = inferText(r);
    expect(text).toContain('converged     no');
    expect(text).toContain('log evidence  -');
    expect(text).not.toContain('elbo');
    expect(text).not.toContain('latents');
  });

  it('engines: ✓/✗, the first reason with node and line:column and a count, the auto choice', () => {
    const r: EnginesReport = {
      auto: 'exact',
      engines: [
        { name: 'sample', applies: true, reasons: [] },
        { name: 'exact', applies: true, reasons: [] },
        {
          name: 'em',
          applies: false,
          reasons: [
            { node: 'theta', line: 5, column: 3, message: 'no param to learn' },
            { node: 'y', line: 7, column: 5, message: 'second reason' },
          ],
        },
      ],
    };
    expect(enginesText(r)).toBe(
      [
        '  engine  applies  reasons',
        '  sample  ✓',
        '  exact   ✓',
        '  em      ✗        theta (line 5:3): no param to learn … and 1 more; --verbose',
        '',
        'auto picks: exact',
      ].join('\n'),
    );
    expect(enginesText(r, { verbose: true })).toBe(
      [
        '  engine  applies  reasons',
        '  sample  ✓',
        '  exact   ✓',
        '  em      ✗        theta (line 5:3): no param to learn',
        '                   y (line 7:5): second reason',
        '',
        'auto picks: exact',
      ].join('\n'),
    );
    expect(enginesText({ auto: null, engines: [] })).toContain('auto: no engine applies');
  });
});
