// Ancestral (forward) sampling: every node in topological order, vectorised over samples AND
// plates — one distribution and one sample call per node, never a loop over samples or
// plate elements. Prior predictive by default; `conditional` clamps observed nodes to the
// data (a partially observed node draws only its missing entries) and draws the rest given
// them, i.e. ancestral sampling in the mutilated graph (not the posterior). Params without a
// value and net weights are initialised (init.ts) unless `fixed` gives them (a trained model).
import * as tf from '@tensorflow/tfjs';
import { cellsKey, stepIndexKey, stepKey } from '../../compile/context.js';
import { planError } from '../../compile/errors.js';
import { compileModel, type ModelPlan, type StepPlan } from '../../compile/model.js';
import { userError } from '../../diagnostics/diagnostics.js';
import { Rng } from '../../distributions/rng.js';
import type { BoundModel } from '../../graph/bound.js';
import {
  type Chain,
  type StepLayout,
  schedule,
  splitChain,
  stepLayout,
  stepsOf,
} from '../../graph/chains.js';
import { countText, MAX_VALUES } from '../../graph/limits.js';
import { prod } from '../../util/shape.js';
import { initParams } from '../init.js';
import { GUIDE_PREFIX } from '../initial.js';
import type { InitialValues, SavedLatents } from '../options.js';
import { drawPosterior } from './posterior.js';

export interface ForwardOptions {
  /** the number of joint draws */
  readonly n: number;
  readonly seed: number;
  /** clamp observed nodes to their data (default false: everything is drawn) */
  readonly conditional?: boolean;
  /**
   * Values that params and net weights take instead of their initialisation (a saved fit's,
   * `plato sample --load`), at their full shapes and checked against the model
   * (src/infer/initial.ts); other names (a guide's values) are not the sampler's and are skipped.
   */
  readonly fixed?: InitialValues;
  /**
   * A saved fit's posteriors of latents (checked by posterior.ts `checkPosterior`): those nodes
   * are drawn from them and everything else from the model given them (posterior predictive).
   */
  readonly posterior?: SavedLatents;
  /** the file the fixed values and posteriors came from, for messages */
  readonly file?: string;
}

/**
 * n joint draws of every stochastic and deterministic node: name → [n, ...batch, ...event]
 * float32 (the caller disposes them). The same seed gives identical draws: the seed's stream
 * is forked once for param initialisation and once per node, in graph order.
 */
export function forwardSample(
  model: BoundModel,
  options: ForwardOptions,
): Record<string, tf.Tensor> {
  const { n, seed } = options;
  const conditional = options.conditional ?? false;
  checkSampleSize(model, n);
  const plan = compileModel(model);
  const root = new Rng(seed);
  const initRng = root.fork();
  const drawRng = root.fork();
  const env: Record<string, tf.Tensor> = {};
  const out: Record<string, tf.Tensor> = {};
  try {
    Object.assign(env, initParams(model, initRng));
    // loaded values replace the initial ones; the init stream is drawn all the same, so the
    // draws of everything else are those of the same seed without them
    for (const [name, v] of Object.entries(options.fixed ?? {})) {
      if (name.startsWith(GUIDE_PREFIX)) continue;
      env[name]?.dispose();
      env[name] = tf.tensor(Float32Array.from(v.data), [1, ...v.shape]);
    }
    const draw = (name: string, rng: Rng): tf.Tensor => {
      const q = options.posterior?.[name];
      if (q) return drawPosterior(model, name, q, n, rng, options.file);
      const obs = model.observation[name];
      if (conditional && obs?.kind === 'observed') return tf.clone(plan.nodeValue(name, {}));
      const x = plan.sample(name, env, n, rng);
      if (!(conditional && obs?.kind === 'partial')) return x;
      const out = tf.tidy(() =>
        tf.where(plan.maskTensor(name, obs.mask), plan.nodeValue(name, {}), x),
      );
      x.dispose();
      return out;
    };
    // a node over every plate element at once: a deterministic one evaluated, a stochastic drawn
    const visit = (name: string, rng: Rng): void => {
      const node = model.graph.nodes[name];
      if (node.kind === 'deterministic') {
        env[name] = plan.deterministic(name, env);
        checkNotNaN(model, name, env[name]);
      } else if (node.kind === 'stochastic') env[name] = draw(name, rng.fork());
    };
    // clamped to the data or drawn from a saved posterior: no chain member's draw changes them
    const fixed = new Set(
      Object.keys(model.graph.nodes).filter(
        (name) =>
          options.posterior?.[name] !== undefined ||
          (conditional && model.observation[name]?.kind === 'observed'),
      ),
    );
    const partial = (name: string) =>
      conditional && model.observation[name]?.kind === 'partial' && !options.posterior?.[name];
    for (const item of schedule(model.graph, plan.order)) {
      if ('chain' in item) {
        sampleChain(plan, item.chain, env, n, drawRng, { draw, visit, fixed, partial });
        continue;
      }
      visit(item.node, drawRng);
    }
    for (const name of plan.order) {
      const kind = model.graph.nodes[name].kind;
      if (kind !== 'stochastic' && kind !== 'deterministic') continue;
      const v = env[name];
      out[name] = v.shape[0] === n ? v : tf.tidy(() => tf.broadcastTo(v, [n, ...v.shape.slice(1)]));
      if (out[name] !== v) v.dispose();
      delete env[name];
    }
    return out;
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  } finally {
    for (const t of Object.values(env)) t.dispose();
    plan.dispose();
  }
}

/** How the sampler draws a node; what sampleChain needs of forwardSample's state. */
interface Drawing {
  /** a stochastic node over all its elements (posterior, clamped data, partial merge) */
  readonly draw: (name: string, rng: Rng) => tf.Tensor;
  /** evaluate or draw a node over all its elements into the env */
  readonly visit: (name: string, rng: Rng) => void;
  /** nodes no chain draw changes (clamped to data, drawn from a saved posterior) */
  readonly fixed: ReadonlySet<string>;
  /** partially observed nodes clamped to their observed entries */
  readonly partial: (name: string) => boolean;
}

/**
 * A chain (a plate whose nodes read earlier steps; DESIGN §2 "Sequences") as a scan over its
 * steps t = 0, 1, …. Only the members on a lag cycle are scanned (graph/chains.ts splitChain):
 * members no earlier-step draw reaches are drawn over all steps before the scan, members no
 * earlier-step read reaches after it (an HMM's emissions). Each step evaluates the scanned
 * members at that step's cells only, one per sequence, for all sequences and samples at once
 * (compile ModelPlan.stepPlan), reading the steps t − k it needs from the history of
 * step values: a step costs O(sequences · samples), the scan O(T · sequences · samples). The
 * steps' values are put back in the members' layouts by one concat and one gather. A chain
 * whose expressions read a scanned member in a way a step cannot evaluate falls back to
 * drawing every member over all steps at each step and keeping step t's entries (O(T²)).
 */
function sampleChain(
  plan: ModelPlan,
  chain: Chain,
  env: Record<string, tf.Tensor>,
  n: number,
  drawRng: Rng,
  how: Drawing,
): void {
  const model = plan.model;
  const plate = chain.plate.id;
  const rngs = new Map(chain.members.map((m) => [m, drawRng.fork()]));
  const split = splitChain(model.graph, chain, how.fixed);
  const layout = split.scan.length > 0 ? stepLayout(model, plate, split.scan) : undefined;
  const step = layout && plan.stepPlan(plate, split.scan, new Set(split.scan), layout.width);
  if (split.scan.length > 0 && !(layout && step)) {
    sampleEveryStep(plan, chain, env, n, rngs, how.draw);
    return;
  }
  for (const m of split.pre) how.visit(m, rngs.get(m)!);
  if (layout && step) scan(plan, split.scan, layout, step, env, n, rngs, how);
  for (const m of split.post) how.visit(m, rngs.get(m)!);
}

/** The scan of `members` (sampleChain): each one's step values, then its full value in env. */
function scan(
  plan: ModelPlan,
  members: readonly string[],
  layout: StepLayout,
  step: StepPlan,
  env: Record<string, tf.Tensor>,
  n: number,
  rngs: ReadonlyMap<string, Rng>,
  how: Drawing,
): void {
  const model = plan.model;
  const { width, steps, element } = layout;
  const carried = new Set(members);
  const axisOf = (m: string) =>
    (model.axes[m] ?? []).findIndex((a) => a.plates.join(',') === layout.plates.join(','));
  const stepShape = (m: string) => {
    const s = model.shapes[m]!;
    return s.batch.map((d, i) => (i === axisOf(m) ? width : d)).concat(s.event);
  };
  const history = new Map<string, tf.Tensor[]>(members.map((m) => [m, []]));
  // the value read before the first step: the conditional around the read discards it
  const before = new Map<string, tf.Tensor>();
  // step t's cells are always given: a partially observed member merges its data at them
  const cellLags = new Set<number>([0]);
  for (const [name, ks] of step.reads) {
    if (!carried.has(name)) for (const k of ks) cellLags.add(k);
    else if ([...ks].some((k) => k > 0)) before.set(name, tf.zeros([1, ...stepShape(name)]));
  }
  const cells = (arr: Int32Array, t: number) =>
    tf.tensor1d(arr.subarray(t * width, (t + 1) * width), 'int32');
  try {
    for (let t = 0; t < steps; t++) {
      const own: tf.Tensor[] = [];
      const at: Record<string, tf.Tensor> = { ...env };
      try {
        const give = (key: string, x: tf.Tensor) => {
          at[key] = x;
          own.push(x);
        };
        for (const [p, idx] of layout.index) give(stepIndexKey(p), cells(idx, t));
        for (const k of cellLags) give(cellsKey(k), cells(element, Math.max(t - k, 0)));
        for (const [name, ks] of step.reads) {
          if (!carried.has(name)) continue;
          for (const k of ks)
            if (k > 0)
              at[stepKey(name, k)] = t >= k ? history.get(name)![t - k]! : before.get(name)!;
        }
        for (const m of members) {
          const node = model.graph.nodes[m]!;
          let x =
            node.kind === 'deterministic'
              ? step.deterministic(m, at)
              : step.sample(m, at, n, rngs.get(m)!.fork());
          if (how.partial(m)) {
            const drawn = x;
            x = tf.tidy(() => {
              // the data at the step's cells: NaN where missing
              const data = tf.gather(plan.nodeValue(m, {}), at[cellsKey(0)]!, 1 + axisOf(m));
              return tf.where(tf.isNaN(data), drawn, data);
            });
            drawn.dispose();
          }
          history.get(m)!.push(x);
          at[stepKey(m, 0)] = x;
        }
      } finally {
        for (const x of own) x.dispose();
      }
    }
    for (const m of members) {
      env[m]?.dispose();
      env[m] = assemble(history.get(m)!, layout, axisOf(m), n);
      if (model.graph.nodes[m]!.kind === 'deterministic') checkNotNaN(model, m, env[m]!);
    }
  } finally {
    for (const h of history.values()) for (const x of h) x.dispose();
    for (const x of before.values()) x.dispose();
  }
}

/**
 * A member's step values [s, ...step batch, ...event] (s = 1 or n), step after step, in its
 * layout [n, ...batch, ...event]: concatenated along the chain axis (cell c of step t at t ·
 * width + c) and, when the axis is ragged, gathered to the elements' order (padding dropped).
 */
function assemble(parts: readonly tf.Tensor[], layout: StepLayout, axis: number, n: number) {
  return tf.tidy(() => {
    const full = parts.map((p) =>
      p.shape[0] === n ? p : tf.broadcastTo(p, [n, ...p.shape.slice(1)]),
    );
    // in blocks: one concat of thousands of inputs is slow on some backends
    let all = full;
    while (all.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < all.length; i += CONCAT_BLOCK)
        next.push(tf.concat(all.slice(i, i + CONCAT_BLOCK), 1 + axis));
      all = next;
    }
    const joined = all[0]!;
    if (layout.width === 1) return joined;
    const { element, live } = layout;
    const pos = new Int32Array(joined.shape[1 + axis]!);
    let count = 0;
    for (let c = 0; c < element.length; c++)
      if (live[c]) {
        pos[element[c]!] = c;
        count++;
      }
    return tf.gather(joined, tf.tensor1d(pos.subarray(0, count), 'int32'), 1 + axis);
  });
}

const CONCAT_BLOCK = 256;

/**
 * The O(T²) scan, for chains a step cannot evaluate (sampleChain): at each step every member
 * is drawn (or evaluated) over all steps, and only the entries of step t are kept; the later
 * steps' entries are overwritten when their turn comes.
 */
function sampleEveryStep(
  plan: ModelPlan,
  chain: Chain,
  env: Record<string, tf.Tensor>,
  n: number,
  rngs: ReadonlyMap<string, Rng>,
  draw: (name: string, rng: Rng) => tf.Tensor,
): void {
  const model = plan.model;
  const steps = new Map<string, tf.Tensor>();
  let count = 0;
  try {
    for (const m of chain.members) {
      const s = model.shapes[m]!;
      const at = stepsOf(model, m, chain.plate.id);
      count = Math.max(count, at.count);
      const shape = [1, ...s.batch, ...s.event.map(() => 1)];
      steps.set(m, tf.tensor(at.steps, shape, 'int32'));
      env[m] = tf.zeros([n, ...s.batch, ...s.event]);
    }
    for (let t = 0; t < count; t++) {
      for (const m of chain.members) {
        const node = model.graph.nodes[m]!;
        const value =
          node.kind === 'deterministic' ? plan.deterministic(m, env) : draw(m, rngs.get(m)!.fork());
        // tf.where broadcasts its operands: tfjs-wasm's broadcastTo was most of a step's time
        const next = tf.tidy(() => tf.where(tf.equal(steps.get(m)!, t), value, env[m]!));
        value.dispose();
        env[m]!.dispose();
        env[m] = next;
      }
    }
  } finally {
    for (const s of steps.values()) s.dispose();
  }
}

/** NaN (log of a negative number, 0 / 0) would reach the result as null. */
function checkNotNaN(model: BoundModel, name: string, value: tf.Tensor): void {
  if (!tf.tidy(() => tf.any(tf.isNaN(value)).dataSync()[0])) return;
  const node = model.graph.nodes[name]!;
  throw planError(
    model,
    node.kind === 'deterministic' ? node.value.range : node.range,
    `${name} is NaN (not a number) in some draws: its definition is undefined for the values drawn`,
    'data',
  );
}

/** Every draw of every node is returned (and often written as JSON): bound it before drawing. */
function checkSampleSize(model: BoundModel, n: number): void {
  const perDraw = Object.entries(model.shapes)
    .filter(([name]) => {
      const kind = model.graph.nodes[name]?.kind;
      return kind === 'stochastic' || kind === 'deterministic';
    })
    .reduce((a, [, s]) => a + prod(s.batch) * prod(s.event), 0);
  if (perDraw > MAX_VALUES) {
    throw userError(
      `one draw of every node holds ${countText(perDraw)} values; at most ${MAX_VALUES} fit in one sample: use smaller sizes`,
      'unsupported',
    );
  }
  if (n * perDraw > MAX_VALUES) {
    throw userError(
      `-n ${n} draws of ${perDraw} values each make ${countText(n * perDraw)} values; at most ${MAX_VALUES} fit in one sample: use a smaller -n (at most ${Math.floor(MAX_VALUES / perDraw)})`,
      'unsupported',
    );
  }
}
