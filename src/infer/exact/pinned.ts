// Partially observed latents of a linear-Gaussian block (a Normal node with `null` entries and
// children): its missing entries are latent, its observed entries are pinned to their values.
// Conditioning a Gaussian on θ_O = v keeps the rows' form ρ = b − A θ with
//   b ← b − A_O v,   A_O ← 0,
// so the observed coordinates drop out of every row (their prior rows become observations:
// they count in n and their whitening in Σ log|W|). To keep the layout, each pinned
// coordinate gets the unit equation J_ii += 1, h_i += v_i: J stays block-diagonal between the
// free and the pinned coordinates with an identity on the pinned ones, so m_O = v,
// log|J| = log|J_UU| and the free part of J⁻¹ is (J_UU)⁻¹; the pinned rows and columns of the
// covariance are then set to 0 (an observed entry is itself, sd 0).
import * as tf from '@tensorflow/tfjs';
import type { BoundModel } from '../../graph/bound.js';
import type { FactorRows, GaussianLayout } from '../gaussian/index.js';

export interface Pins {
  /** [blocks × cols]: 1 where the coordinate is observed */
  readonly mask: Float32Array;
  /** [blocks × cols]: the observed value (0 elsewhere) */
  readonly values: Float32Array;
  /** flat indices into θ (blocked: block · cols + component) of the pinned coordinates */
  readonly index: readonly number[];
  readonly valueAt: readonly number[];
}

/** The pinned coordinates of a block, or undefined when no latent of it is partially observed. */
export function blockPins(model: BoundModel, layout: GaussianLayout): Pins | undefined {
  const size = layout.blocks * layout.cols;
  const mask = new Float32Array(size);
  const values = new Float32Array(size);
  const index: number[] = [];
  const valueAt: number[] = [];
  for (const l of layout.latents) {
    const o = model.observation[l.name];
    if (o?.kind !== 'partial') continue;
    const x = model.values[l.name].data;
    // blocked: the one latent fills θ in its own row-major order; dense: from its offset
    const base = layout.blocked ? 0 : l.offset;
    for (let i = 0; i < l.size; i++) {
      if (!o.mask[i]) continue;
      mask[base + i] = 1;
      values[base + i] = x[i];
      index.push(base + i);
      valueAt.push(x[i]);
    }
  }
  return index.length > 0 ? { mask, values, index, valueAt } : undefined;
}

/**
 * A factor's rows with the pinned coordinates moved into b: b − A_O v and A with those columns
 * zeroed (the scale common to the rows multiplies both, so it stays). Blocked rows read the
 * block `seg[t]`. The given A and b are disposed.
 */
export function pinRows(r: FactorRows, layout: GaussianLayout, pins: Pins): FactorRows {
  const p = tf.tidy(() => {
    const D = layout.cols;
    let v: tf.Tensor = tf.tensor2d(pins.values, [layout.blocks, D]);
    let m: tf.Tensor = tf.tensor2d(pins.mask, [layout.blocks, D]);
    if (layout.blocked && r.seg) {
      v = tf.gather(v, r.seg);
      m = tf.gather(m, r.seg);
    }
    return { A: tf.mul(r.A, tf.sub(1, m)), b: tf.sub(r.b, tf.sum(tf.mul(r.A, v), 1)) };
  });
  r.A.dispose();
  r.b.dispose();
  return { ...r, A: p.A, b: p.b };
}

/** The unit equations of the pinned coordinates: J_ii += 1, h_i += v_i. */
export function pinEquations(pins: Pins, D: number, J: Float64Array, h: Float64Array): void {
  pins.index.forEach((i, k) => {
    const blk = Math.floor(i / D);
    const j = i % D;
    J[blk * D * D + j * D + j] += 1;
    h[i] += pins.valueAt[k];
  });
}

/** Zero the pinned rows and columns of the covariance S (sd 0 for observed entries). */
export function pinCovariance(pins: Pins, D: number, S: Float64Array): void {
  for (const i of pins.index) {
    const o = Math.floor(i / D) * D * D;
    const j = i % D;
    for (let k = 0; k < D; k++) {
      S[o + j * D + k] = 0;
      S[o + k * D + j] = 0;
    }
  }
}
