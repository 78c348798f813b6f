// Everything avi learns, as tf.Variables under the names the result's `params` reports:
//   a param NAME          its unconstrained coordinates u (θ = T(u), learn/transforms.ts);
//                         reported (and given back by `initial`) as θ
//   a net weight f.W0 …   as the compiled model reads it (compile/net.ts), without its leading axis
//   guide.…               the guide's parameters (guide.ts)
import * as tf from '@tensorflow/tfjs';
import type { Env } from '../../compile/model.js';
import { userError } from '../../diagnostics/diagnostics.js';
import type { Rng } from '../../distributions/rng.js';
import type { BoundModel } from '../../graph/bound.js';
import type { ParamNode } from '../../graph/ir.js';
import { initNets, initParam } from '../init.js';
import { forward, forward64, inverse64 } from '../learn/transforms.js';
import type { InitialValues } from '../options.js';
import { float64, type ResultArray } from '../result.js';
import { initGuide } from './guide.js';
import { guideBound } from './guideBlock.js';
import { type AviPlan, globalLogitsName } from './plan.js';
import { initScore } from './score.js';

const GUIDE = 'guide.';

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** A variable holding `t`'s value; `t` is disposed (tf.variable keeps its own handle). */
function owned(t: tf.Tensor): tf.Variable {
  const v = tf.variable(t);
  t.dispose();
  return v;
}

export class AviState {
  /** every learned value, by its reported name */
  readonly vars = new Map<string, tf.Variable>();

  constructor(
    private readonly bound: BoundModel,
    private readonly plan: AviPlan,
    hidden: number,
    rng: Rng,
    initial: InitialValues = {},
    netInit: 'glorot' | 'torch' = 'glorot',
  ) {
    for (const p of plan.params) {
      const known = bound.values[p.name];
      let theta: Float64Array;
      if (known) theta = Float64Array.from(known.data);
      else {
        const t = initParam(bound, bound.graph.nodes[p.name] as ParamNode, rng);
        theta = new Float64Array(t.dataSync());
        t.dispose();
      }
      // tf.tensor takes Float32Array, not Float64Array
      const u = Float32Array.from(inverse64(p.transform, theta, p.shape));
      this.vars.set(p.name, owned(tf.tensor(u, [...p.shape])));
    }
    const nets = initNets(bound, rng);
    for (const [name, t] of Object.entries(nets)) {
      this.vars.set(name, owned(tf.squeeze(t, [0])));
      t.dispose();
    }
    if (plan.guide) {
      // the guide block's params and nets, under `guide.` names
      const gb = guideBound(bound, plan.guide);
      for (const p of plan.guide.learned) {
        const node = gb.graph.nodes[p.name.slice(GUIDE.length)] as ParamNode;
        const known = bound.values[node.name];
        const t = known ? undefined : initParam(gb, node, rng);
        const theta = known ? known.data : new Float64Array((t as tf.Tensor).dataSync());
        t?.dispose();
        const u = Float32Array.from(inverse64(p.transform, theta, p.shape));
        this.vars.set(p.name, owned(tf.tensor(u, [...p.shape])));
      }
      const guideNets = initNets(gb, rng, plan.guide.nets);
      for (const [name, t] of Object.entries(guideNets)) {
        this.vars.set(`${GUIDE}${name}`, owned(tf.squeeze(t, [0])));
        t.dispose();
      }
    }
    for (const l of plan.latents) {
      if (l.guided) continue;
      const g = initGuide(l, hidden, rng);
      for (const [name, t] of Object.entries(g)) {
        this.vars.set(name, owned(t));
      }
    }
    for (const d of plan.scored)
      for (const [name, t] of Object.entries(initScore(d, hidden, rng)))
        this.vars.set(name, owned(t));
    // q over the global summed-out latents' joint states: uniform to start (model.ts)
    if (plan.globalStates > 1)
      this.vars.set(globalLogitsName(plan), owned(tf.zeros([plan.globalStates])));
    if (netInit === 'torch') this.torchInit(rng);
    try {
      this.restore(initial);
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /**
   * PyTorch's nn.Linear default (kaiming_uniform with a = √5, which is U(±1/√fan_in), and the
   * same bound for the bias) for every net weight and encoder layer: W [in, out], b [out].
   */
  private torchInit(rng: Rng): void {
    const weights = [...this.vars.keys()].filter((n) => /\.W\d+$/.test(n));
    for (const w of weights) {
      const v = this.vars.get(w) as tf.Variable;
      const a = 1 / Math.sqrt(v.shape[0]);
      const b = this.vars.get(w.replace(/\.W(\d+)$/, '.b$1'));
      tf.tidy(() => {
        v.assign(tf.randomUniform(v.shape, -a, a, 'float32', rng.nextSeed()));
        b?.assign(tf.randomUniform(b.shape, -a, a, 'float32', rng.nextSeed()));
      });
    }
  }

  /** Set values given by name (a fit saved with -o); a PlatoError for an unknown name or shape. */
  private restore(initial: InitialValues): void {
    for (const [name, given] of Object.entries(initial)) {
      const v = this.vars.get(name);
      if (!v)
        throw userError(
          `avi: the initial value '${name}' is not learned by this model; avi learns ${[...this.vars.keys()].join(', ')}`,
        );
      if (!sameShape(given.shape, v.shape) || given.data.length !== v.size)
        throw userError(
          `avi: the initial value '${name}' has shape [${given.shape.join(', ')}], expected [${v.shape.join(', ')}]`,
        );
      for (let i = 0; i < given.data.length; i++)
        if (!Number.isFinite(given.data[i]))
          throw userError(`avi: the initial value '${name}' has a non-finite entry at ${i}`);
      const param = this.param(name);
      const data = param ? inverse64(param.transform, given.data, param.shape) : given.data;
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(data), v.shape)));
    }
  }

  /** The param (model's or guide block's) learned as the variable `name`, if it is one. */
  private param(name: string) {
    return (
      this.plan.params.find((p) => p.name === name) ??
      this.plan.guide?.learned.find((p) => p.name === name)
    );
  }

  /** The guide's variables as a record (guide.ts reads them by name). */
  get record(): Record<string, tf.Tensor> {
    return Object.fromEntries(this.vars);
  }

  /**
   * The model's params θ = T(u), in the env's layout [1, ...shape], and net weights (any layout
   * of their size reads alike: compile/net.ts). Call inside tidy.
   */
  modelEnv(): Env {
    const env: Record<string, tf.Tensor> = {};
    for (const p of this.plan.params)
      env[p.name] = tf.expandDims(forward(p.transform, this.vars.get(p.name) as tf.Variable), 0);
    // net weights as the variables themselves: compile/net.ts reads a weight of any shape
    // with its size (backend/dense.ts), and an expandDims would be a tape node a weight
    for (const [name, v] of this.vars) {
      if (name.startsWith(GUIDE) || this.plan.params.some((p) => p.name === name)) continue;
      env[name] = v;
    }
    // the guide block's params and nets under their own names (its expressions read them so)
    const gd = this.plan.guide;
    if (gd) {
      for (const p of gd.learned)
        env[p.name.slice(GUIDE.length)] = tf.expandDims(
          forward(p.transform, this.vars.get(p.name) as tf.Variable),
          0,
        );
      for (const [name, v] of this.vars)
        if (gd.nets.some((n) => name.startsWith(`${GUIDE}${n}.`)))
          env[name.slice(GUIDE.length)] = v;
    }
    return env;
  }

  /** Copies of every variable's value (early stopping keeps the best). */
  snapshot(): Map<string, tf.Tensor> {
    return new Map([...this.vars].map(([n, v]) => [n, tf.clone(v)]));
  }

  /** Go back to a snapshot (which this disposes). */
  reset(s: Map<string, tf.Tensor>): void {
    for (const [n, t] of s) {
      this.vars.get(n)?.assign(t);
      t.dispose();
    }
  }

  /** Every learned value as the result reports it: params θ in float64, the rest as learned. */
  report(): Record<string, ResultArray> {
    const out: Record<string, ResultArray> = {};
    for (const [name, v] of this.vars) {
      const data = new Float64Array(v.dataSync());
      const param = this.param(name);
      out[name] = float64(param ? forward64(param.transform, data, param.shape) : data, v.shape);
    }
    void this.bound;
    return out;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
