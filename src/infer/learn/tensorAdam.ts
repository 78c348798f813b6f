// Adam (Kingma & Ba 2015) on tf.Variables, with torch.optim.Adam's defaults and bias
// correction (β1 = 0.9, β2 = 0.999, ε = 1e-8 added to √v̂): one fused step over every variable
// per call (backend/adam.ts), in place of tf.train.adam's 14 ops per variable. The moments are
// tensors held here; the step size may change between steps (a schedule).
import * as tf from '@tensorflow/tfjs';
import { adamStep } from '../../backend/adam.js';

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPSILON = 1e-8;

export class TensorAdam {
  /** the step size of the next steps */
  lr: number;
  private t = 0;
  private readonly m: tf.Tensor[];
  private readonly v: tf.Tensor[];

  constructor(
    private readonly vars: readonly tf.Variable[],
    lr: number,
  ) {
    this.lr = lr;
    this.m = vars.map((x) => tf.zerosLike(x));
    this.v = vars.map((x) => tf.zerosLike(x));
  }

  /**
   * Minimise f: its value and gradient in every variable (tf.variableGrads), then one Adam step.
   * Returns f's value (the caller disposes it).
   */
  minimize(f: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(f, [...this.vars]);
    try {
      this.t++;
      // a variable f does not reach has no gradient and keeps its value and moments (as in
      // torch, whose step skips a parameter whose .grad is None)
      const used = this.vars.flatMap((x, k) => (grads[x.name] ? [k] : []));
      const out = adamStep(
        used.map((k) => ({
          x: this.vars[k],
          g: grads[this.vars[k].name],
          m: this.m[k],
          v: this.v[k],
        })),
        { lr: this.lr, beta1: ADAM_BETA1, beta2: ADAM_BETA2, epsilon: ADAM_EPSILON, t: this.t },
      );
      out.forEach((o, j) => {
        const k = used[j];
        this.vars[k].assign(o.x);
        o.x.dispose();
        this.m[k].dispose();
        this.v[k].dispose();
        this.m[k] = o.m;
        this.v[k] = o.v;
      });
    } finally {
      tf.dispose(Object.values(grads));
    }
    return value;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
