// The summary quantiles of each posterior family against closed-form float64 inverse CDFs
// written here: Exponential (Gamma with shape 1), Cauchy and ν = 2 Student t, Beta(a, 1) and
// the Dirichlet marginal Beta(α_j, α₀ − α_j) with α₀ − α_j = 1, and MvNormal marginals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantilesOf } from '../../src/report/quantiles.js';
import type { LatentJson } from '../../src/report/result.js';

const latent = (family: string, shape: number[], params: LatentJson['params']): LatentJson => ({
  family,
  shape,
  params,
  mean: 0,
  sd: 0,
});
// @stdlib's inverse CDFs are accurate to a few ulps; 1e-9 relative leaves room for the tails
const close = (a: number, b: number) =>
  expect(Math.abs(a - b)).toBeLessThan(1e-9 * (1 + Math.abs(b)));
const prob = fc.double({ min: 0.01, max: 0.99, noNaN: true });
const pos = fc.double({ min: 0.1, max: 50, noNaN: true });

describe('posterior quantiles per family', () => {
  it('Gamma(1, rate): −log(1 − p) / rate', () => {
    fc.assert(
      fc.property(prob, pos, (p, rate) => {
        const q = quantilesOf(latent('Gamma', [1], { shape: [1], rate: [rate] }))!;
        close(q(0, p), -Math.log1p(-p) / rate);
      }),
    );
  });

  it('LogNormal (avi, a positive latent): the median is e^mu; p = 0.8413 is e^(mu + sigma)', () => {
    fc.assert(
      fc.property(fc.double({ min: -5, max: 5, noNaN: true }), pos, (mu, s) => {
        const q = quantilesOf(latent('LogNormal', [1], { mu: [mu], sigma: [s] }))!;
        close(q(0, 0.5), Math.exp(mu));
        // Φ(1) = 0.841344746068543 (float64)
        close(q(0, 0.841344746068543), Math.exp(mu + s));
      }),
    );
  });

  it('StudentT with ν = 1 (Cauchy) and ν = 2, location and scale', () => {
    fc.assert(
      fc.property(prob, fc.double({ min: -5, max: 5, noNaN: true }), pos, (p, mu, s) => {
        const q = quantilesOf(
          latent('StudentT', [2], { nu: [1, 2], mu: [mu, mu], sigma: [s, s] }),
        )!;
        close(q(0, p), mu + s * Math.tan(Math.PI * (p - 0.5)));
        close(q(1, p), mu + (s * (2 * p - 1)) / Math.sqrt(2 * p * (1 - p)));
      }),
    );
  });

  it('Beta(a, 1) and the Dirichlet marginal with α₀ − α_j = 1: p^(1/a)', () => {
    fc.assert(
      fc.property(prob, pos, (p, a) => {
        close(quantilesOf(latent('Beta', [], { a, b: 1 }))!(0, p), p ** (1 / a));
        const dir = quantilesOf(
          latent('Dirichlet', [2, 2], {
            alpha: [
              [a, 1],
              [1, a],
            ],
          }),
        )!;
        close(dir(0, p), p ** (1 / a));
        close(dir(3, p), p ** (1 / a));
      }),
    );
  });

  it('Normal and MvNormal marginals: μ + σ z_p with the tabulated z_0.95', () => {
    const z95 = 1.6448536269514722;
    const n = quantilesOf(latent('Normal', [1], { mu: [2], sigma: [3] }))!;
    close(n(0, 0.95), 2 + 3 * z95);
    close(n(0, 0.5), 2);
    const mv = quantilesOf(
      latent('MvNormal', [2], {
        mu: [1, -1],
        Sigma: [
          [4, 0.5],
          [0.5, 9],
        ],
      }),
    )!;
    close(mv(0, 0.05), 1 - 2 * z95);
    close(mv(1, 0.95), -1 + 3 * z95);
  });

  it('no per-entry quantiles for Categorical and Mixture', () => {
    expect(quantilesOf(latent('Categorical', [], { p: [0.5, 0.5] }))).toBeUndefined();
    expect(quantilesOf(latent('Mixture', [], {}))).toBeUndefined();
  });
});
