// A deterministic stream of integer seeds for tfjs' seeded random ops. Every random op in
// Plato takes its seed from an Rng, so the same top-level seed gives the same draws.
// splitmix32 (a 32-bit variant of Steele, Lea & Flood's SplitMix; util/splitmix.ts) for the
// stream.
import { GOLDEN32, mix32 } from '../util/splitmix.js';

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** the next 32-bit unsigned integer */
  nextUint32(): number {
    this.state = (this.state + GOLDEN32) >>> 0;
    return mix32(this.state);
  }

  /** a seed for one tfjs random op (tfjs seeds are numbers; keep them exact in float32) */
  nextSeed(): number {
    return this.nextUint32() % 2147483647;
  }

  /** a uniform float64 in [0, 1) */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** an independent child stream, e.g. one per node or per worker */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}
