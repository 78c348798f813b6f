// Every example under examples/ with its data file and the inference engines that apply to it
// (as `plato engines` reports them), for the diagram, plot and report tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataInput } from '../../src/graph/bound.js';
import { ROOT } from '../cli/helpers.js';

export interface Example {
  readonly name: string;
  readonly model: string;
  readonly data: string;
  readonly engines: readonly string[];
  /** engines `plato engines` says apply but whose run fails, each with its error (a bug to fix) */
  readonly failing: Readonly<Record<string, RegExp>>;
}

const DATA: Record<string, { data: string; engines: string[]; failing?: Record<string, RegExp> }> =
  {
    asia: { data: 'asia.json', engines: ['exact', 'avi'] },
    blr: { data: 'blr.json', engines: ['exact', 'cavi', 'avi'] },
    coin: { data: 'coin.json', engines: ['exact', 'cavi', 'avi'] },
    factor_analysis: { data: 'fa.json', engines: ['em', 'avi'] },
    gmm: { data: 'gmm.json', engines: ['em', 'cavi', 'avi'] },
    hmm: { data: 'hmm.json', engines: ['exact', 'em'] },
    kalman: { data: 'kalman.json', engines: ['exact', 'avi'] },
    lda: { data: 'lda-small.json', engines: ['cavi'] },
    noisy_or: { data: 'noisy_or.json', engines: ['exact', 'avi'] },
    noisy_or_cases: { data: 'noisy_or_cases.json', engines: ['exact', 'em'] },
    trend: { data: 'trend.json', engines: ['exact', 'avi'] },
    vae: { data: 'digits-small.json', engines: ['avi'] },
  };

/** Every example directory, so a new example without an entry above fails the tests. */
export const EXAMPLES: readonly Example[] = readdirSync(join(ROOT, 'examples'), {
  withFileTypes: true,
})
  .filter((d) => d.isDirectory())
  .map((d) => {
    const entry = DATA[d.name];
    if (!entry) throw new Error(`examples/${d.name}: add it to test/report/examples.ts`);
    return {
      name: d.name,
      model: `examples/${d.name}/${d.name}.plato`,
      data: `examples/${d.name}/${entry.data}`,
      engines: entry.engines,
      failing: entry.failing ?? {},
    };
  });

export const readExample = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
export const readData = (path: string): DataInput => JSON.parse(readExample(path)) as DataInput;
