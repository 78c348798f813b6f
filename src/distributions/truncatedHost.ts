// Truncation of the families whose CDF tfjs cannot evaluate (Gamma, Beta, StudentT: the
// regularised incomplete gamma and beta functions, cdf64.ts), on the host in float64:
//   log p_T(x) = log p(x) - log(F(hi) - F(lo)),  F(hi) - F(lo) formed from the smaller tail
//   (Q(lo) - Q(hi) when lo lies above the median, Q = 1 - F), as truncated.ts does on tensors;
//   draws x = F^-1(F(lo) + U (F(hi) - F(lo))), or Q^-1(Q(hi) + U (Q(lo) - Q(hi))) above the median.
// The parameters and bounds are read off the tensors (dataSync) and the normaliser and the
// quantiles computed element by element in JS. That loop is acceptable only because it runs once
// per node — the language requires this family's parameters and bounds to be fixed (no latent
// ancestor, graph/bind.ts), so the normaliser is a constant that the compiled plan computes once
// and reuses (HostMassCache), and each `sample` call draws once — never inside an iterative
// engine's per-step path. The normaliser is a constant on the gradient tape: differentiating the
// log density with respect to the parameters would miss its term, which is why they must be fixed.
import * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import { cdf64 } from './cdf64.js';
import type { Distribution } from './distribution.js';
import type { Rng } from './rng.js';
import { uniform } from './sampling.js';
import type { DistName, SupportKind } from './signatures.js';
import { f32, mask, maskOutside } from './support.js';
import { MOMENT_FAMILIES, truncatedMoments } from './truncatedMoments.js';

/** The float64 facts of one truncated node, per batch element. */
export interface HostMass {
  readonly shape: readonly number[];
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** F(lo), 1 - F(lo), F(hi), 1 - F(hi) */
  readonly fa: Float64Array;
  readonly qa: Float64Array;
  readonly fb: Float64Array;
  readonly qb: Float64Array;
  /** log(F(hi) - F(lo)) */
  readonly logZ: Float64Array;
  /** the parameters, per element (for the quantiles) */
  readonly params: Readonly<Record<string, Float64Array>>;
}

/** t broadcast to `shape`, in float64 */
function read(t: tf.Tensor, shape: readonly number[]): Float64Array {
  // a new tensor (add 0): broadcastTo may hand back t itself, which the caller owns
  const b = tf.tidy(() => tf.add(tf.broadcastTo(f32(t), [...shape]), 0));
  const out = Float64Array.from(b.dataSync());
  b.dispose();
  return out;
}

/** The float64 normaliser of `family` truncated to [lower, upper], per batch element. */
export function hostMass(
  family: DistName,
  params: Readonly<Record<string, tf.Tensor>>,
  lower: tf.Tensor | undefined,
  upper: tf.Tensor | undefined,
  shape: readonly number[],
): HostMass {
  const n = prod(shape);
  const p = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, read(v, shape)]));
  const lo = lower ? read(lower, shape) : new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const hi = upper ? read(upper, shape) : new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const [fa, qa, fb, qb, logZ] = Array.from({ length: 5 }, () => new Float64Array(n));
  const names = Object.keys(p);
  for (let i = 0; i < n; i++) {
    const cdf = cdf64(family, Object.fromEntries(names.map((k) => [k, p[k]![i]!])));
    if (!cdf) throw new Error(`${family} has no host CDF`);
    [fa[i], qa[i]] = cdf.tails(lo[i]!);
    [fb[i], qb[i]] = cdf.tails(hi[i]!);
    logZ[i] = Math.log(fa[i]! > 0.5 ? qa[i]! - qb[i]! : fb[i]! - fa[i]!);
  }
  return { shape, lo, hi, fa, qa, fb, qb, logZ, params: p };
}

/**
 * Mean or variance of `family` truncated to [lower, upper], per batch element, in float64 on
 * the host (truncatedMoments.ts): NaN for a family without the formulas. A summary read once
 * (dataSync of the arguments), not for an engine's per-step path.
 */
export function truncatedMoment(
  which: 0 | 1,
  family: DistName,
  params: Readonly<Record<string, tf.Tensor>>,
  lower: tf.Tensor | undefined,
  upper: tf.Tensor | undefined,
  shape: readonly number[],
): tf.Tensor {
  const n = prod(shape);
  const out = new Float32Array(n).fill(Number.NaN);
  if (MOMENT_FAMILIES.has(family)) {
    const p = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, read(v, shape)]));
    const lo = lower ? read(lower, shape) : undefined;
    const hi = upper ? read(upper, shape) : undefined;
    const names = Object.keys(p);
    for (let i = 0; i < n; i++) {
      const pi = Object.fromEntries(names.map((k) => [k, p[k]![i]!]));
      const m = truncatedMoments(
        family,
        pi,
        lo ? lo[i]! : Number.NEGATIVE_INFINITY,
        hi ? hi[i]! : Number.POSITIVE_INFINITY,
      );
      if (m) out[i] = m[which];
    }
  }
  return tf.tensor(out, [...shape]);
}

/** A 32-bit FNV-1a hash over the 32-bit words of float32 or int32 values. */
function fnv(h: number, data: tf.TypedArray): number {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.byteLength >> 2);
  let x = h;
  for (let i = 0; i < words.length; i++) x = Math.imul(x ^ words[i]!, 16777619) >>> 0;
  return x;
}

/**
 * One node's HostMass, computed once and reused while its parameters and bounds are the same
 * (a hash of their float32 values and shapes): an engine rebuilds the node's distribution at
 * every step, but the fixed normaliser is computed on the host only when its inputs change (a
 * minibatch engine's different rows of plate-indexed data).
 */
export class HostMassCache {
  private key = '';
  private mass: HostMass | undefined;

  get(
    family: DistName,
    params: Readonly<Record<string, tf.Tensor>>,
    lower: tf.Tensor | undefined,
    upper: tf.Tensor | undefined,
    shape: readonly number[],
  ): HostMass {
    let h = 2166136261;
    const parts = [...Object.values(params), lower, upper];
    for (const t of parts) {
      if (!t) continue;
      const v = t.dataSync();
      h = fnv(h, v instanceof Float32Array ? v : Float32Array.from(v));
    }
    const key = `${shape.join(',')}|${parts.map((t) => (t ? t.shape.join(',') : '-')).join('|')}|${h}`;
    if (!this.mass || key !== this.key) {
      this.mass = hostMass(family, params, lower, upper, shape);
      this.key = key;
    }
    return this.mass;
  }
}

/** log p(x) - logZ on [lo, hi], -Infinity outside (both truncations' log density) */
export function truncatedLogProb(
  base: Distribution,
  lo: tf.Tensor,
  hi: tf.Tensor,
  logZ: tf.Tensor,
  x: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const xf = f32(x);
    const outside = mask((v, a, b) => tf.logicalOr(tf.less(v, a), tf.greater(v, b)), xf, lo, hi);
    return maskOutside(outside, tf.sub(base.logProb(xf), logZ));
  });
}

/**
 * What both truncations share (Truncated in truncated.ts on tensors, HostTruncated here): the
 * base family's identity, log p_T(x) = log p(x) − log Z on [lo, hi], the moments of
 * truncatedMoment, and releasing the base with the tensors a subclass owns. Subclasses draw.
 */
export abstract class TruncatedDistribution implements Distribution {
  readonly family: DistName;
  readonly batchShape: readonly number[];
  readonly eventShape: readonly number[] = [];
  readonly support: SupportKind;
  readonly params: Readonly<Record<string, tf.Tensor>>;
  protected abstract readonly lo: tf.Tensor;
  protected abstract readonly hi: tf.Tensor;
  protected abstract readonly logZ: tf.Tensor;
  /** the tensors dispose() releases besides the base */
  protected abstract readonly owned: readonly tf.Tensor[];

  constructor(protected readonly base: Distribution) {
    this.family = base.family;
    this.batchShape = base.batchShape;
    this.support = base.support;
    this.params = base.params;
  }

  abstract sample(sampleShape: readonly number[], rng: Rng): tf.Tensor;

  logProb(x: tf.Tensor): tf.Tensor {
    return truncatedLogProb(this.base, this.lo, this.hi, this.logZ, x);
  }

  /**
   * In float64 on the host for the families truncatedMoments.ts has formulas for (Normal,
   * Gamma, Beta: a summary, read once); NaN for the others (docs/language.md)
   */
  mean(): tf.Tensor {
    return truncatedMoment(0, this.family, this.params, this.lo, this.hi, this.batchShape);
  }

  variance(): tf.Tensor {
    return truncatedMoment(1, this.family, this.params, this.lo, this.hi, this.batchShape);
  }

  dispose(): void {
    this.base.dispose?.();
    for (const t of this.owned) if (!t.isDisposed) t.dispose();
  }
}

class HostTruncated extends TruncatedDistribution {
  protected readonly lo: tf.Tensor;
  protected readonly hi: tf.Tensor;
  protected readonly logZ: tf.Tensor;
  protected readonly owned: readonly tf.Tensor[];

  constructor(
    base: Distribution,
    private readonly mass: HostMass,
  ) {
    super(base);
    const shape = [...base.batchShape];
    this.lo = tf.tensor(Float32Array.from(mass.lo), shape);
    this.hi = tf.tensor(Float32Array.from(mass.hi), shape);
    this.logZ = tf.tensor(Float32Array.from(mass.logZ), shape);
    this.owned = [this.lo, this.hi, this.logZ];
  }

  /** Inverse-CDF draws on the host, in float64 (one loop over the draws: see the header). */
  sample(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const shape = [...sampleShape, ...this.batchShape];
    if (shape.some((d) => d === 0)) return tf.zeros(shape);
    const ut = uniform(shape, rng);
    const u = ut.dataSync();
    ut.dispose();
    const m = this.mass;
    const n = m.logZ.length;
    const names = Object.keys(m.params);
    const out = new Float32Array(u.length);
    for (let i = 0; i < n; i++) {
      const cdf = cdf64(this.family, Object.fromEntries(names.map((k) => [k, m.params[k]![i]!])))!;
      const upper = m.fa[i]! > 0.5;
      for (let j = i; j < u.length; j += n) {
        const x = upper
          ? cdf.quantile(m.qb[i]! + u[j]! * (m.qa[i]! - m.qb[i]!), true)
          : cdf.quantile(m.fa[i]! + u[j]! * (m.fb[i]! - m.fa[i]!), false);
        // an interval of no mass has no draws: NaN, not a clipped bound
        out[j] = Number.isFinite(m.logZ[i]!)
          ? Math.min(Math.max(x, m.lo[i]!), m.hi[i]!)
          : Number.NaN;
      }
    }
    return tf.tensor(out, shape);
  }
}

/** `base` truncated with its float64 normaliser `mass` (hostMass); owns `base`. */
export function truncateOnHost(base: Distribution, mass: HostMass): Distribution {
  return new HostTruncated(base, mass);
}
