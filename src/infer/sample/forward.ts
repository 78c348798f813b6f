// Ancestral (forward) sampling: every node in topological order, vectorised over samples AND
// plates — one distribution and one sample call per node, never a loop over samples or
// plate elements. Prior predictive by default; `conditional` clamps observed nodes to the
// data (a partially observed node draws only its missing entries) and draws the rest given
// them, i.e. ancestral sampling in the mutilated graph (not the posterior). Params without a
// value and net weights are initialised (init.ts) unless `fixed` gives them (a trained model).
import * as tf from '@tensorflow/tfjs';
import { planError } from '../../compile/errors.js';
import { compileModel, type ModelPlan } from '../../compile/model.js';
import { userError } from '../../diagnostics/diagnostics.js';
import { Rng } from '../../distributions/rng.js';
import type { BoundModel } from '../../graph/bound.js';
import { type Chain, schedule, stepsOf } from '../../graph/chains.js';
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
    for (const item of schedule(model.graph, plan.order)) {
      if ('chain' in item) {
        sampleChain(plan, item.chain, env, n, drawRng, draw);
        continue;
      }
      const name = item.node;
      const node = model.graph.nodes[name];
      if (node.kind === 'deterministic') {
        env[name] = plan.deterministic(name, env);
        // NaN (log of a negative number, 0 / 0) would reach the result as null
        if (tf.tidy(() => tf.any(tf.isNaN(env[name])).dataSync()[0])) {
          throw planError(
            model,
            node.value.range,
            `${name} is NaN (not a number) in some draws: its definition is undefined for the values drawn`,
            'data',
          );
        }
      } else if (node.kind === 'stochastic') {
        env[name] = draw(name, drawRng.fork());
      }
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

/**
 * A chain (a plate whose nodes read earlier steps) as a scan over its steps t = 0, 1, …: at each
 * step every member is drawn (or evaluated) for all sequences and samples at once, and only the
 * entries of step t are kept; the later steps' entries are overwritten when their turn comes,
 * so a member reading `z[t - 1]` sees the draws of step t − 1. One tfjs draw per member and
 * step, never a loop over sequences.
 */
function sampleChain(
  plan: ModelPlan,
  chain: Chain,
  env: Record<string, tf.Tensor>,
  n: number,
  drawRng: Rng,
  draw: (name: string, rng: Rng) => tf.Tensor,
): void {
  const model = plan.model;
  const rngs = new Map(chain.members.map((m) => [m, drawRng.fork()]));
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
