// The JSON results of DESIGN.md §5. These are the exact objects `--json` prints.
import type { Reason } from '../diagnostics/reason.js';

/** A nested array of numbers, of any rank (a scalar is a number). */
export type Nested = number | null | Nested[];

export interface LatentSummary {
  /** the posterior (or variational) family, e.g. 'Beta', 'Normal', 'Bernoulli' */
  family: string;
  /** the node's full shape (batch then event) */
  shape: number[];
  /** the family's parameters under the argument names of DESIGN.md §2 */
  params: Record<string, Nested>;
  mean: Nested;
  sd: Nested;
}

/** What `plato infer --json` prints. */
export interface Posterior {
  engine: string;
  converged: boolean;
  iterations: number;
  seconds: number;
  logEvidence: number | null;
  elbo?: number[];
  latents: Record<string, LatentSummary>;
  params: Record<string, Nested>;
}

/** What `plato sample --json` prints. */
export interface SampleResult {
  engine: 'sample';
  n: number;
  seed: number;
  draws: Record<string, Nested>;
  summary: Record<string, { mean: Nested; sd: Nested }>;
}

/** What `plato check --json` prints. */
export interface CheckResult {
  model: string;
  plates: { name: string; size: string; parent: string | null }[];
  nodes: {
    name: string;
    kind: string;
    distribution: string | null;
    plates: string[];
    parents: string[];
    line: number;
  }[];
}

/** What `plato engines --json` prints. */
export interface EnginesReport {
  auto: string | null;
  engines: { name: string; applies: boolean; reasons: Reason[] }[];
}
