// The joint states of one case's discrete latents, enumerated, as environments of the compiled
// model: for em's gradient M-step, whose objective
//   Q(θ) = Σ_i Σ_z q_i(z) log p(x_i, z | θ),   q_i(z) = p(x_i, z | θ_old) / p(x_i | θ_old),
// needs the joint posterior of every factor's latent parents (a noisy-OR finding reads all the
// causes of its case), not the marginals. Every case has the same latent elements (the plates
// nested in the case plate are not ragged), so state s — one value for each latent element of a
// case, in mixed radix over the latents in graph order, row-major within each — is the same
// assignment in every case: the env gives latent v the value [S_c, N, ...elements of a case]
// for a chunk of S_c states, and the compiled log-probabilities come out [S_c, N, …] for all N
// cases at once. q_i(z) needs log p(x_i, z | θ_old) on the same grid (one pass of the compiled
// model) and the E-step's exact log p(x_i | θ_old) as its normaliser, so chunks of states are
// independent. The grid is as large as 2^MAX_LOG2_CASE_STATES states (gradientPlan.ts).
import * as tf from '@tensorflow/tfjs';
import type { BoundModel } from '../../graph/bound.js';
import { prod } from '../../util/shape.js';
import { reasonAt, reasonsError } from '../engine.js';
import { MAX_LOG2_CASE_STATES } from './gradientPlan.js';

/** Floats of one chunk's largest tensor (states × cases × elements of a case), about 4 MB. */
const CHUNK_FLOATS = 1 << 20;

interface GridLatent {
  readonly name: string;
  /** a case's elements: the node's full shape without the leading case axis */
  readonly caseShape: readonly number[];
  readonly elements: number;
  readonly card: number;
  /** the state-index stride of each element (mixed radix) */
  readonly strides: Int32Array;
}

export class CaseGrid {
  /** number of joint states of one case */
  readonly states: number;
  /** states per chunk */
  readonly chunk: number;
  private readonly latents: readonly GridLatent[];

  /**
   * `cards`: the number of states of each latent's elements (the E-step's posterior cards);
   * `widest`: the most scalars per case of any node whose log-probability is evaluated;
   * `chunkFloats`: the budget of one chunk (tests use small ones).
   */
  constructor(
    bound: BoundModel,
    names: readonly string[],
    cards: Readonly<Record<string, number>>,
    readonly cases: number,
    widest: number,
    chunkFloats = CHUNK_FLOATS,
  ) {
    let log2 = 0;
    const parts: string[] = [];
    const shaped = names.map((name) => {
      const s = bound.shapes[name];
      const caseShape = [...s.batch, ...s.event].slice(1);
      const elements = prod(caseShape);
      log2 += elements * Math.log2(cards[name]);
      parts.push(`${name}: ${elements} × ${cards[name]} states`);
      return { name, caseShape, elements, card: cards[name] };
    });
    if (log2 > MAX_LOG2_CASE_STATES)
      throw reasonsError(
        bound,
        [
          reasonAt(
            bound,
            names[0],
            `em's gradient M-step enumerates the joint states of each case's discrete latents (${parts.join('; ')}): 2^${log2.toFixed(1)} states per case, the limit is 2^${MAX_LOG2_CASE_STATES}`,
          ),
        ],
        (r) => r.message,
      );
    // the last element of the last latent runs fastest
    let stride = 1;
    const latents: GridLatent[] = new Array(shaped.length);
    for (let v = shaped.length - 1; v >= 0; v--) {
      const l = shaped[v];
      const strides = new Int32Array(l.elements);
      for (let e = l.elements - 1; e >= 0; e--) {
        strides[e] = stride;
        stride *= l.card;
      }
      latents[v] = { ...l, strides };
    }
    this.latents = latents;
    this.states = stride;
    this.chunk = Math.max(
      1,
      Math.min(this.states, Math.floor(chunkFloats / (cases * Math.max(1, widest)))),
    );
  }

  /** Chunks of states: [first state, count]. */
  *chunks(): Generator<[number, number]> {
    for (let s0 = 0; s0 < this.states; s0 += this.chunk)
      yield [s0, Math.min(this.chunk, this.states - s0)];
  }

  /** The latents' values at states s0 … s0+n−1 in every case: { v: [n, N, ...case shape] }. */
  env(s0: number, n: number): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const l of this.latents) {
      out[l.name] = tf.tidy(() => {
        const s = tf.reshape(tf.range(s0, s0 + n, 1, 'int32'), [n, 1]);
        const stride = tf.tensor2d(l.strides, [1, l.elements], 'int32');
        const digit = tf.mod(tf.floorDiv(s, stride), tf.scalar(l.card, 'int32'));
        const v = tf.reshape(tf.cast(digit, 'float32'), [n, 1, ...l.caseShape]);
        return tf.broadcastTo(v, [n, this.cases, ...l.caseShape]);
      });
    }
    return out;
  }
}

/** Log-probabilities [s, N, ...inner plates] summed over each case's inner elements: [s, N]. */
export function perCase(logProb: (name: string) => tf.Tensor, nodes: readonly string[]): tf.Tensor {
  return tf.tidy(() => {
    let total: tf.Tensor = tf.zeros([1, 1]);
    for (const name of nodes) {
      const lp = logProb(name);
      const inner: number[] = [];
      for (let a = 2; a < lp.rank; a++) inner.push(a);
      total = tf.add(total, inner.length > 0 ? tf.sum(lp, inner) : lp);
    }
    return total;
  });
}
