// Special functions on float64 JavaScript numbers, for the small closed-form arithmetic of the
// engines (conjugate updates, log evidences) and for the coefficient tables of `special.ts`.
// Independent of the tensor versions; tested against @stdlib.

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

// Lanczos approximation, g = 7, n = 9 (Godfrey's coefficients; Press et al., Numerical
// Recipes 3rd ed. §6.1). Relative error of Gamma below 2e-15 for x >= 0.5.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** log |Gamma(x)|; +Infinity at the poles (0, -1, -2, …). */
export function lgamma64(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  if (x <= 0 && Number.isInteger(x)) return Number.POSITIVE_INFINITY;
  if (x < 0.5) {
    // reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
    return Math.log(Math.PI / Math.abs(sinPi(x))) - lgamma64(1 - x);
  }
  if (x >= 10) return stirlingLgamma64(x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Stirling's series with the tail (DLMF 5.11.1); for x >= 10 its error is below 1e-17. */
function stirlingLgamma64(x: number): number {
  return (x - 0.5) * (Math.log(x) - 1) + (LOG_SQRT_2PI - 0.5) + lgammaCorrection64(x);
}

/**
 * The tail of Stirling's series, lgamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)], for x >= 10:
 * sum_k B_2k / (2k (2k - 1) x^(2k-1)) (DLMF 5.11.1).
 */
export function lgammaCorrection64(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return (
    r *
    (1 / 12 +
      r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360))))))
  );
}

/** sin(pi x), exact at the integers. */
function sinPi(x: number): number {
  const r = x - 2 * Math.round(x / 2); // in [-1, 1]
  if (r === 0 || Math.abs(r) === 1) return 0;
  return Math.sin(Math.PI * r);
}

/** log Beta(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), without cancellation for large a, b. */
export function lbeta64(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
  const x = Math.min(a, b);
  const y = Math.max(a, b);
  if (x <= 0) return Number.NaN;
  if (y < 10) return lgamma64(x) + lgamma64(y) - lgamma64(x + y);
  const s = x + y;
  // Stirling for the large arguments: lgamma(y) - lgamma(s) = (y - 1/2) log(y/s) - x log s + x + corr
  const corr = lgammaCorrection64(y) - lgammaCorrection64(s);
  const tail = (y - 0.5) * Math.log1p(-x / s) + x * (1 - Math.log(s)) + corr;
  if (x < 10) return lgamma64(x) + tail;
  // both large: lgamma(x) by Stirling as well, combined so that nothing large cancels
  return (
    LOG_SQRT_2PI -
    0.5 * Math.log(y) +
    (x - 0.5) * Math.log(x / s) +
    y * Math.log1p(-x / s) +
    lgammaCorrection64(x) +
    corr
  );
}

// Bernoulli numbers B_2k / (2k) for the digamma series and B_2k for the trigamma series.
const B2K = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510];

/** digamma psi(x) = d/dx lgamma(x); NaN at the poles. */
export function digamma64(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  if (x <= 0 && Number.isInteger(x)) return Number.NaN;
  if (x < 0) {
    // reflection: psi(1 - x) - psi(x) = pi / tan(pi x)
    return digamma64(1 - x) - Math.PI / tanPi(x);
  }
  let acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  // psi(x) ~ log x - 1/(2x) - sum_k B_2k / (2k x^2k) (DLMF 5.11.2)
  const r2 = 1 / (x * x);
  let s = 0;
  for (let k = B2K.length; k >= 1; k--) s = s * r2 + B2K[k - 1]! / (2 * k);
  return acc + Math.log(x) - 0.5 / x - s * r2;
}

/** trigamma psi'(x); NaN at the poles. */
export function trigamma64(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return 0;
  if (x <= 0 && Number.isInteger(x)) return Number.NaN;
  if (x < 0) {
    // reflection: psi'(1 - x) + psi'(x) = pi^2 / sin^2(pi x)
    const s = Math.sin(Math.PI * x);
    return (Math.PI * Math.PI) / (s * s) - trigamma64(1 - x);
  }
  let acc = 0;
  while (x < 10) {
    acc += 1 / (x * x);
    x += 1;
  }
  // psi'(x) ~ 1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1) (DLMF 5.15.8)
  const r = 1 / x;
  const r2 = r * r;
  let s = 0;
  for (let k = B2K.length; k >= 1; k--) s = s * r2 + B2K[k - 1]!;
  return acc + r + 0.5 * r2 + s * r2 * r;
}

function tanPi(x: number): number {
  const r = x - Math.round(x); // in [-1/2, 1/2]
  if (r === 0) return 0;
  if (Math.abs(r) === 0.5) return Number.POSITIVE_INFINITY;
  return Math.tan(Math.PI * r);
}

/**
 * The Hurwitz zeta function zeta(s, a) = sum_{n >= 0} (a + n)^-s for s > 1, a > 0, by
 * Euler–Maclaurin summation (DLMF 25.11.5 / Johansson 2015) with N = 16 and 8 correction
 * terms: relative error below 1e-15 for s up to ~30. psi^(k)(a) = (-1)^(k+1) k! zeta(k+1, a).
 */
export function hurwitzZeta64(s: number, a: number): number {
  if (!(s > 1) || !(a > 0)) return Number.NaN;
  const N = 16;
  let sum = 0;
  for (let n = 0; n < N; n++) sum += (a + n) ** -s;
  const aN = a + N;
  sum += aN ** (1 - s) / (s - 1) + 0.5 * aN ** -s;
  // sum_j B_2j / (2j)! * s (s+1) … (s+2j-2) * aN^(-s-2j+1)
  let rising = s; // s (s+1) … (s+2j-2)
  let fact = 2; // (2j)!
  let pow = aN ** (-s - 1);
  for (let j = 1; j <= B2K.length; j++) {
    sum += (B2K[j - 1]! / fact) * rising * pow;
    rising *= (s + 2 * j - 1) * (s + 2 * j);
    fact *= (2 * j + 1) * (2 * j + 2);
    pow /= aN * aN;
  }
  return sum;
}

/** log(1 + exp(x)) (softplus) without overflow or underflow (Mächler 2012). */
export function log1pexp64(x: number): number {
  if (x <= -37) return Math.exp(x);
  if (x <= 18) return Math.log1p(Math.exp(x));
  if (x <= 33.3) return x + Math.exp(-x);
  return x;
}

/** log(1 - exp(x)) for x <= 0 (Mächler 2012): log(-expm1(x)) near 0, log1p(-exp(x)) below -log 2. */
export function log1mexp64(x: number): number {
  if (x > 0) return Number.NaN;
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** log(sum(exp(xs))); -Infinity for an empty list or all -Infinity. */
export function logSumExp64(xs: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > m || Number.isNaN(xs[i]!)) m = xs[i]!;
  if (Number.isNaN(m)) return Number.NaN;
  if (m === Number.NEGATIVE_INFINITY || m === Number.POSITIVE_INFINITY) return m;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp(xs[i]! - m);
  return m + Math.log(s);
}

/**
 * Monomial coefficients (constant first) of the degree-`degree` polynomial interpolating f at the
 * Chebyshev nodes of [-h, h]: near-minimax (within a small factor of the best uniform
 * approximation), so a short polynomial replaces a long Taylor series (economisation).
 */
export function chebyshevFit(f: (x: number) => number, h: number, degree: number): number[] {
  const N = degree + 1;
  const nodes = Array.from({ length: N }, (_, j) => Math.cos((Math.PI * (j + 0.5)) / N));
  const fv = nodes.map((t) => f(h * t));
  const c = Array.from({ length: N }, (_, k) => {
    let s = 0;
    for (let j = 0; j < N; j++) s += fv[j]! * Math.cos((Math.PI * k * (j + 0.5)) / N);
    return ((k === 0 ? 1 : 2) * s) / N;
  });
  // sum_k c_k T_k(t) in monomials of t, with T_{k+1} = 2 t T_k - T_{k-1}
  const mono = new Array<number>(N).fill(0);
  let prev = [1];
  let cur = [0, 1];
  mono[0]! += c[0]!;
  if (N > 1) mono[1]! += c[1]!;
  for (let k = 2; k < N; k++) {
    const next = new Array<number>(k + 1).fill(0);
    for (let i = 0; i < cur.length; i++) next[i + 1]! += 2 * cur[i]!;
    for (let i = 0; i < prev.length; i++) next[i]! -= prev[i]!;
    for (let i = 0; i <= k; i++) mono[i]! += c[k]! * next[i]!;
    prev = cur;
    cur = next;
  }
  // t = x / h
  return mono.map((m, i) => m / h ** i);
}
