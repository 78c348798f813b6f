// Stochastic variational inference (Hoffman, Blei, Wang & Paisley 2013, Algorithm 1) over the
// outermost plate: the latents inside that plate are local (θ_d, z_dn of LDA: one document's),
// the others global (β). Per step t, with a minibatch S_t of B of the plate's N elements:
//   1. the local factors of S_t are fitted given the global factors λ by CAVI sweeps (the batch
//      engine's updates, run.ts, on a model bound to the minibatch alone) until the minibatch
//      ELBO changes by less than `tol` (relative) or `localIters` sweeps;
//   2. the intermediate global parameters are the global update as if S_t were replicated N/B
//      times: λ̂ = η_prior + (N/B) Σ_{terms inside the plate} msgs + Σ_{terms outside} msgs;
//   3. λ ← (1 − ρ_t) λ + ρ_t λ̂ with ρ_t = (τ₀ + t)^(−κ), t = 0, 1, … (so the first step
//      replaces the starting λ = η_prior), κ ∈ (0.5, 1] (Robbins–Monro).
// The minibatch is bound through the ordinary binder (graph/minibatch.ts: the plate's size set
// to B), so the terms, messages and ELBO parts are the batch engine's own.
//
// Minibatches: data in memory are shuffled each epoch (a seeded permutation, then consecutive
// blocks of B); a stream (a JSON-lines file, one element per line) is read in file order in
// blocks of B, holding at most B lines (shuffle the file once if it is sorted).
//
// ELBO: `elbo` has one value per epoch, the mean over its steps of the minibatch estimate
//   L̂_t = Σ_{outside} parts + (N/B) Σ_{inside} parts   (each part as in run.ts),
// an unbiased estimate of the ELBO at λ_{t−1} with locally optimised local factors;
// `logEvidence` is the full-data ELBO at the final λ, from one more pass (in blocks of B, bounded
// memory) that fits every element's local factors given λ and sums their parts exactly.
import * as tf from '@tensorflow/tfjs';
import { ExprEvaluator } from '../../compile/evaluator.js';
import { userError } from '../../diagnostics/diagnostics.js';
import { Rng } from '../../distributions/rng.js';
import { bind } from '../../graph/bind.js';
import type { BoundModel, DataInput } from '../../graph/bound.js';
import { metaOf, minibatchData, type OuterRecord, recordOf } from '../../graph/minibatch.js';
import { readRecord } from '../../graph/stream.js';
import { countLines, lineBlocks, type ReaderStats } from '../../util/jsonl.js';
import { tick } from '../../util/tick.js';
import type { RunOptions } from '../engine.js';
import { knownLogProb } from '../exact/conjugate.js';
import type { Posterior } from '../result.js';
import type { caviInfo } from './info.js';
import type { CaviPlan } from './plan.js';
import { Cavi, segmentSum64, summaries } from './run.js';
import { outerSplit, type SviSplit } from './split.js';
import { type ContinuousQ, type DiscreteQ, negKl, type Q, setEta } from './state.js';

/** The outermost plate's split (split.ts), or a PlatoError saying why SVI cannot run. */
export function sviSplit(bound: BoundModel, plan: CaviPlan): SviSplit {
  const s = outerSplit(bound, plan);
  if (typeof s === 'string') throw userError(s, 'unsupported');
  return s;
}

/** Where the plate's elements come from: the bound data, or a JSON-lines file. */
interface Source {
  readonly N: number;
  /** the minibatches of one epoch (records and their element indices when known) */
  batches(rng: Rng, B: number, shuffle: boolean): AsyncGenerator<OuterRecord[]>;
}

function memorySource(bound: BoundModel, plate: string): Source {
  const N = bound.sizes[bound.graph.plates[plate].size] as number;
  return {
    N,
    async *batches(rng, B, shuffle) {
      const order = Array.from({ length: N }, (_, i) => i);
      if (shuffle)
        for (let i = N - 1; i > 0; i--) {
          // Fisher–Yates with the seeded stream (nextUint32 / 2^32 < 1)
          const j = Math.floor((rng.nextUint32() / 4294967296) * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
      for (let s = 0; s < N; s += B)
        yield order.slice(s, s + B).map((i) => recordOf(bound, plate, i));
    },
  };
}

async function streamSource(
  bound: BoundModel,
  plate: string,
  path: string,
  stats?: ReaderStats,
): Promise<Source> {
  const N = await countLines(path);
  return {
    N,
    async *batches(_rng, B) {
      for await (const block of lineBlocks(path, B, stats))
        yield block.map((l) => readRecord(bound.graph, plate, l, path));
    },
  };
}

/** A minibatch's fitted local factors, with the batch engine's state on it. */
interface Fitted {
  readonly c: Cavi;
  readonly ev: ExprEvaluator;
  readonly B: number;
  readonly sweeps: number;
}

class Svi {
  /** the global factors' natural parameters (float64), undefined until the first step */
  lambda = new Map<string, Float64Array[]>();
  readonly meta: DataInput;
  /** sweeps of the local latents, over all minibatches (for the report) */
  sweeps = 0;
  /** each global's factor without its tensors (family, layout, η_prior): for the summary */
  readonly templates = new Map<string, ContinuousQ>();

  constructor(
    readonly bound: BoundModel,
    readonly plan: CaviPlan,
    readonly split: SviSplit,
    readonly options: RunOptions<typeof caviInfo.options>,
  ) {
    this.meta = metaOf(bound, split.plate);
  }

  private inside(name: string): boolean {
    return this.bound.graph.nodes[name].plates[0] === this.split.plate;
  }

  /** Bind the minibatch, set the globals to λ, fit the locals by CAVI sweeps. */
  fit(records: readonly OuterRecord[], seed: number): Fitted {
    const g = this.bound.graph;
    const mb = bind(g, minibatchData(g, this.split.plate, this.meta, records), {
      dataWhere: 'the stream',
    });
    const ev = new ExprEvaluator(mb);
    let c: Cavi | undefined;
    try {
      c = new Cavi(this.plan, ev, seed);
      for (const name of this.split.globals) {
        const q = c.qs.get(name) as ContinuousQ;
        const lam = this.lambda.get(name);
        if (lam)
          setEta(
            q,
            lam.map((e) => Float64Array.from(e)),
          );
        c.parts.set(name, negKl(q));
        this.templates.set(name, { ...q, moments: [] });
      }
      c.recomputeParts();
      const local = () => this.localPart(c as Cavi);
      let current = local();
      let sweeps = 0;
      while (sweeps < this.options.localIters && this.split.locals.length > 0) {
        sweeps++;
        for (const l of this.split.locals) c.update(l);
        const next = local();
        const done = Math.abs(next - current) < this.options.tol * Math.abs(next);
        current = next;
        if (done) break;
      }
      this.sweeps += sweeps;
      return { c, ev, B: records.length, sweeps };
    } catch (e) {
      c?.dispose();
      ev.dispose();
      throw e;
    }
  }

  /** Σ of the ELBO parts of nodes inside the plate (terms, local factors' −KL). */
  private localPart(c: Cavi): number {
    // the parts of the terms an update left out of date (Cavi keeps them stale until asked)
    c.refresh();
    let s = 0;
    for (const [name, v] of c.parts) if (this.inside(name)) s += v;
    return s;
  }

  /** The parts outside the plate and inside it, known terms included. */
  parts(f: Fitted): { outside: number; inside: number } {
    f.c.refresh();
    let outside = 0;
    let inside = 0;
    for (const [name, v] of f.c.parts) {
      if (this.inside(name)) inside += v;
      else outside += v;
    }
    for (const k of this.plan.known) {
      const v = knownLogProb(k, f.ev);
      if (this.inside(k)) inside += v;
      else outside += v;
    }
    return { outside, inside };
  }

  /** λ̂ of one global: η_prior + Σ_terms scale · Σ_rows W η_msg (scale N/B inside the plate). */
  private intermediate(f: Fitted, name: string, N: number): Float64Array[] {
    const q = f.c.qs.get(name) as ContinuousQ;
    const out = q.eta0.map((e) => Float64Array.from(e));
    for (const t of f.c.terms) {
      const scale = this.inside(t.node.name) ? N / f.B : 1;
      const inc64 = t.increments64(name, f.c.qs);
      if (inc64) {
        inc64.forEach((b, i) => {
          for (let j = 0; j < b.length; j++) out[i][j] += scale * b[j];
        });
        continue;
      }
      const inc = t.increments(name, f.c.qs);
      if (inc.length === 0) continue;
      inc.forEach((b, i) => {
        const sums = new Float64Array(out[i].length);
        segmentSum64(b.value, b.at, b.size, sums);
        for (let j = 0; j < sums.length; j++) out[i][j] += scale * sums[j];
      });
      // `at` is the term's own (kept) tensor
      tf.dispose(inc.map((b) => b.value));
    }
    return out;
  }

  /** λ ← (1 − ρ) λ + ρ λ̂ for every global. */
  step(f: Fitted, N: number, rho: number): void {
    for (const name of this.split.globals) {
      const next = this.intermediate(f, name, N);
      const lam = this.lambda.get(name);
      if (lam)
        next.forEach((b, i) => {
          for (let j = 0; j < b.length; j++) b[j] = (1 - rho) * lam[i][j] + rho * b[j];
        });
      this.lambda.set(name, next);
    }
  }
}

function release(f: Fitted): void {
  f.c.dispose();
  f.ev.dispose();
}

/** Test hooks: what the stream reader held at most. */
export interface SviProbe {
  readonly reader?: ReaderStats;
}

export async function runSvi(
  bound: BoundModel,
  plan: CaviPlan,
  options: RunOptions<typeof caviInfo.options>,
  probe: SviProbe = {},
): Promise<Posterior> {
  const start = performance.now();
  const split = sviSplit(bound, plan);
  const B = options.batchSize;
  const streaming = options.stream !== '';
  const source = streaming
    ? await streamSource(bound, split.plate, options.stream, probe.reader)
    : memorySource(bound, split.plate);
  const N = source.N;
  const svi = new Svi(bound, plan, split, options);
  const rng = new Rng(options.seed);
  const steps = Math.ceil(N / B);
  const total = options.epochs * steps + steps;
  const trace: number[] = [];
  let t = 0;
  let converged = false;
  let epoch = 0;
  while (epoch < options.epochs) {
    epoch++;
    let sum = 0;
    let count = 0;
    for await (const records of source.batches(rng, B, true)) {
      const f = svi.fit(records, rng.nextSeed());
      try {
        const p = svi.parts(f);
        sum += p.outside + (N / f.B) * p.inside;
        count++;
        svi.step(f, N, (options.tau0 + t) ** -options.kappa);
      } finally {
        release(f);
      }
      t++;
      options.onProgress?.(t, total);
      await tick();
    }
    const prev = trace[trace.length - 1];
    const est = sum / count;
    trace.push(est);
    if (prev !== undefined && Math.abs(est - prev) < options.tol * Math.abs(est)) {
      converged = true;
      break;
    }
  }
  // the full-data ELBO at the final λ: every element's local factors fitted given λ, in order
  let outside: number | undefined;
  let inside = 0;
  const kept: Map<string, LocalParts> | undefined = streaming ? undefined : new Map();
  let done = t;
  for await (const records of source.batches(rng, B, false)) {
    const f = svi.fit(records, rng.nextSeed());
    try {
      const p = svi.parts(f);
      outside ??= p.outside;
      inside += p.inside;
      if (kept) keepLocals(kept, f, split.locals);
    } finally {
      release(f);
    }
    options.onProgress?.(++done, total);
    await tick();
  }
  options.onProgress?.(total, total);
  const logEvidence = (outside ?? 0) + inside;
  return {
    engine: 'cavi',
    converged,
    iterations: epoch,
    seconds: (performance.now() - start) / 1000,
    logEvidence,
    elbo: trace,
    latents: latentSummaries(bound, svi, kept),
    params: {},
  };
}

/** A local latent's factors over the whole plate, gathered block by block (in memory only). */
interface LocalParts {
  readonly template: Q;
  readonly chunks: Float64Array[][];
}

function keepLocals(kept: Map<string, LocalParts>, f: Fitted, locals: readonly string[]): void {
  for (const name of locals) {
    const q = f.c.qs.get(name) as Q;
    const entry = kept.get(name) ?? { template: q, chunks: [] };
    entry.chunks.push(
      q.kind === 'continuous'
        ? q.eta.map((e) => Float64Array.from(e))
        : [new Float64Array(q.q.dataSync())],
    );
    kept.set(name, entry);
  }
}

function concat(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The variational factors as DESIGN.md §5 reports them: the globals at λ; the locals of every
 * element (from the final pass) when the data are in memory — a stream's are not kept.
 */
function latentSummaries(
  bound: BoundModel,
  svi: Svi,
  kept: Map<string, LocalParts> | undefined,
): Posterior['latents'] {
  const qs = new Map<string, Q>();
  const owned: tf.Tensor[] = [];
  for (const [name, lam] of svi.lambda) {
    const l = svi.plan.latents.find((x) => x.name === name);
    if (l?.kind !== 'continuous') continue;
    const q = svi.templates.get(name) as ContinuousQ;
    qs.set(name, { ...q, eta: lam, moments: [] });
  }
  for (const [name, e] of kept ?? []) {
    const tq = e.template;
    if (tq.kind === 'continuous') {
      const eta = tq.eta.map((_, i) => concat(e.chunks.map((c) => c[i])));
      const M = eta[0].length / (tq.eta[0].length / tq.M);
      qs.set(name, { ...tq, M, eta, moments: [] });
    } else {
      const p = concat(e.chunks.map((c) => c[0]));
      const M = p.length / tq.S;
      const q = tf.tensor2d(Float32Array.from(p), [M, tq.S]);
      owned.push(q);
      qs.set(name, { ...tq, M, q } as DiscreteQ);
    }
  }
  try {
    return summaries(bound, { qs });
  } finally {
    tf.dispose(owned);
  }
}
