// The JSON results of DESIGN.md §5: the exact objects `--json` prints. Engines and the sampler
// return typed results (src/infer/result.ts) whose JSON.stringify is PosteriorJson / SampleJson.
import type { Reason } from '../diagnostics/reason.js';
import type { Nested } from '../util/nested.js';

export type { Nested } from '../util/nested.js';

/** A latent's posterior as JSON: LatentPosterior with nested arrays. */
export interface LatentJson {
  family: string;
  shape: number[];
  params: Record<string, Nested>;
  mean: Nested;
  sd: Nested;
}

/** What `plato infer --json` prints: `JSON.stringify` of a Posterior. */
export interface PosteriorJson {
  engine: string;
  converged: boolean;
  iterations: number;
  seconds: number;
  logEvidence: number | null;
  elbo?: (number | null)[];
  latents: Record<string, LatentJson>;
  params: Record<string, Nested>;
}

/** What `plato sample --json` prints: `JSON.stringify` of a SampleResult. */
export interface SampleJson {
  engine: 'sample';
  n: number;
  seed: number;
  draws: Record<string, Nested>;
  summary: Record<string, { mean: Nested; sd: Nested }>;
}

/** What `plato check --json` prints. */
export interface CheckResult {
  model: string;
  plates: {
    name: string;
    size: string;
    parent: string | null;
    /** a chain plate's reads of earlier steps, e.g. `z reads z[t - 1]` (absent otherwise) */
    chain?: string[];
  }[];
  nodes: {
    name: string;
    kind: string;
    distribution: string | null;
    /** a truncated node's bounds as written, `T[0, ]` (absent otherwise) */
    truncation?: string;
    plates: string[];
    parents: string[];
    line: number;
  }[];
}

/** What `plato engines --json` prints. */
export interface EnginesReport {
  auto: string | null;
  /** notes: how an applying engine treats parts of the model, when it says */
  engines: { name: string; applies: boolean; reasons: Reason[]; notes?: string[] }[];
}
