// Which linear-Gaussian models em handles (factor analysis, probabilistic PCA), read from the
// graph alone (no tensors, so `plato engines` answers without tfjs). One plate of independent
// cases holding a Gaussian latent z and one observed Gaussian x that is linear in it:
//
//   z[i] ~ Normal(m0, s0)  or  MvNormal(m0, Sigma0)       prior fixed (free of params to learn)
//   x[i] ~ Normal(W @ z[i] + mu, sqrt(psi))                psi: real(0,)[P] diagonal noise variances
//   x[i] ~ Normal(W @ z[i] + mu, sigma)                    sigma: real(0,)[P] noise sds
//   x[i] ~ MvNormal(W @ z[i] + mu, s2 * eye(P))            s2: real(0,) one variance (PPCA)
//
// W: real[P, K] loadings, mu: real[P] mean offset. Each of W, mu and the noise may instead be
// fixed (given in the data, or a known expression; the mean offset may be absent); a param with
// a declared default starts from it and is still learned (registry.ts learnables). A scalar psi
// or sigma is one variance for every coordinate (PPCA, Tipping & Bishop 1999).
import type { Reason } from '../../../diagnostics/reason.js';
import type { BoundModel } from '../../../graph/bound.js';
import type { StochasticNode } from '../../../graph/ir.js';
import type { Expr } from '../../../lang/ast.js';
import { namesIn } from '../../../lang/walk.js';
import { reasonAt } from '../../engine.js';
import { learnables } from '../../registry.js';

export interface LinearGaussianPlan {
  readonly kind: 'linear-gaussian';
  /** the index of the plate of cases */
  readonly plate: string;
  readonly learn: readonly string[];
  /** the Gaussian latent z and its fixed prior (mean; sd for Normal, covariance for MvNormal) */
  readonly latent: string;
  readonly prior: {
    readonly family: 'Normal' | 'MvNormal';
    readonly mean: Expr;
    readonly scale: Expr;
  };
  /** the observed node x */
  readonly node: string;
  /** the loadings W in `W @ z[i]`: a learned param, or a fixed value */
  readonly loadings: { readonly name: string; readonly learned: boolean };
  /** the mean offset: a learned param, a fixed expression, or none (0) */
  readonly offset:
    | { readonly kind: 'param'; readonly name: string }
    | { readonly kind: 'fixed'; readonly expr: Expr }
    | { readonly kind: 'none' };
  /** the noise: a learned variance or sd param (one per coordinate, or one for all), or fixed */
  readonly noise:
    | {
        readonly kind: 'variance' | 'sd';
        readonly name: string;
        /** a scalar param: one variance for every coordinate */
        readonly isotropic: boolean;
      }
    | {
        readonly kind: 'fixed';
        /** the sd (Normal x) or the covariance (MvNormal x), free of params to learn */
        readonly expr: Expr;
        readonly family: 'Normal' | 'MvNormal';
      };
}

/** Is this em plan the linear-Gaussian kind (the discrete plans of ../analysis.ts have no kind)? */
export function isLinearGaussian(plan: object): plan is LinearGaussianPlan {
  return (plan as { kind?: unknown }).kind === 'linear-gaussian';
}

/** `x` itself as a number literal (`0`, `-1`)? */
function isNum(e: Expr | undefined, v: number): boolean {
  if (e?.kind === 'num') return e.value === v;
  if (e?.kind === 'unary' && e.arg.kind === 'num')
    return (e.op === '-' ? -1 : 1) * e.arg.value === v;
  return false;
}

/** Written as zero: `0`, `zeros(…)`, `rep(0, …)`, `0 * …`, `[0, 0]`. */
function isZero(e: Expr): boolean {
  if (isNum(e, 0)) return true;
  if (e.kind === 'call' && e.callee === 'zeros') return true;
  if (e.kind === 'call' && e.callee === 'rep') return isZero(e.args[0].value);
  if (e.kind === 'vector') return e.items.every(isZero);
  if (e.kind === 'binary' && e.op === '*') return isZero(e.left) || isZero(e.right);
  return false;
}

/** The `+`/`−` terms of an expression with their signs. */
function terms(e: Expr, sign: 1 | -1 = 1, out: { expr: Expr; sign: 1 | -1 }[] = []) {
  if (e.kind === 'binary' && (e.op === '+' || e.op === '-')) {
    terms(e.left, sign, out);
    terms(e.right, e.op === '-' ? (-sign as 1 | -1) : sign, out);
  } else out.push({ expr: e, sign });
  return out;
}

/** The terms back as one expression (a leading minus as a unary minus). */
function sumOf(ts: readonly { expr: Expr; sign: 1 | -1 }[]): Expr {
  let acc: Expr =
    ts[0].sign === 1
      ? ts[0].expr
      : { kind: 'unary', op: '-', arg: ts[0].expr, range: ts[0].expr.range };
  for (const t of ts.slice(1))
    acc = {
      kind: 'binary',
      op: t.sign === 1 ? '+' : '-',
      left: acc,
      right: t.expr,
      range: t.expr.range,
    };
  return acc;
}

/** `z[i]`: the latent indexed by the plate index, and nothing else. */
function isLatentRow(e: Expr, latent: string, index: string): boolean {
  return (
    e.kind === 'index' &&
    e.target.kind === 'name' &&
    e.target.name === latent &&
    e.indices.length === 1 &&
    e.indices[0].kind === 'at' &&
    e.indices[0].expr.kind === 'name' &&
    e.indices[0].expr.name === index
  );
}

const SCOPE =
  'em handles one Gaussian latent z[i] and one observed x[i] ~ Normal(W @ z[i] + mu, sqrt(psi)) in a plate of cases (factor analysis)';

/**
 * undefined when the model has no continuous latent or nothing to learn (the discrete analysis
 * decides); else the plan, or the reasons em does not apply (each at its node).
 */
export function planLinearGaussian(
  bound: BoundModel,
): { ok: true; plan: LinearGaussianPlan } | { ok: false; reasons: Reason[] } | undefined {
  const { graph } = bound;
  const stochastic = graph.order
    .map((n) => graph.nodes[n])
    .filter((n): n is StochasticNode => n.kind === 'stochastic');
  const latents = stochastic.filter((n) => bound.observation[n.name]?.kind === 'latent');
  const continuous = latents.filter(
    (n) => n.distribution !== 'Categorical' && n.distribution !== 'Bernoulli',
  );
  const learn = learnables(bound);
  // nothing to learn is the discrete analysis's first reason, whatever the latents
  if (continuous.length === 0 || learn.length === 0) return undefined;
  const reasons: Reason[] = [];
  const at = (node: string, message: string) => reasons.push(reasonAt(bound, node, message));
  const learnSet = new Set(learn);
  for (const name of graph.order)
    if (graph.nodes[name].kind === 'net') at(name, `net ${name}: em does not learn nets`);

  const z = continuous[0];
  for (const n of latents)
    if (n !== z)
      at(
        n.name,
        n.distribution === 'Normal' || n.distribution === 'MvNormal'
          ? `${n.name}: a second Gaussian latent; ${SCOPE}`
          : `${n.name} is a ${n.distribution} latent beside the Gaussian latent ${z.name}: em does not mix them; ${SCOPE}`,
      );
  if (z.distribution !== 'Normal' && z.distribution !== 'MvNormal')
    at(z.name, `${z.name} is a continuous (${z.distribution}) latent: ${SCOPE}`);
  const observed = stochastic.filter((n) => bound.observation[n.name]?.kind !== 'latent');
  for (const n of observed)
    if (bound.observation[n.name]?.kind === 'partial')
      at(
        n.name,
        `${n.name} has missing entries (null): em does not integrate out missing data in factor analysis yet`,
      );
  const x = observed.length === 1 ? observed[0] : undefined;
  if (!x)
    at(
      observed[1]?.name ?? z.name,
      `${observed.length} observed nodes: ${SCOPE}; other structures are not supported yet`,
    );
  if (x && x.distribution !== 'Normal' && x.distribution !== 'MvNormal')
    at(x.name, `${x.name}: an observed ${x.distribution} child of ${z.name}: ${SCOPE}`);

  // one unnested, unragged plate holding z and x, each indexed by its index alone
  const plateOf = (n: StochasticNode) =>
    n.plates.length === 1 ? graph.plates[n.plates[0]] : undefined;
  const pz = plateOf(z);
  const index = pz && !pz.parent && !pz.raggedBy && z.indices.length === 1 ? pz.index : undefined;
  for (const n of x ? [z, x] : [z]) {
    const p = plateOf(n);
    if (!index || !p || p.index !== index || p.parent || p.raggedBy || n.indices.length !== 1)
      at(n.name, `${n.name} is not in a single plate of independent cases: ${SCOPE}`);
  }
  if (reasons.length > 0 || !x || !index) return { ok: false, reasons };

  // a fixed expression: free of params to learn, of random nodes, and the same for every case
  const inPlate = (name: string) => {
    const n = graph.nodes[name];
    return !n || n.kind === 'stochastic' || n.kind === 'deterministic' || n.plates.length > 0;
  };
  const fixed = (e: Expr) =>
    namesIn(e).every((n) => n !== index && !learnSet.has(n) && !inPlate(n));
  const param = (name: string) => {
    const n = graph.nodes[name];
    return n?.kind === 'param' ? n : undefined;
  };
  const event = (name: string) => bound.shapes[name]?.event ?? [];
  const same = (a: readonly number[], b: readonly number[]) => a.join(',') === b.join(',');
  const P = event(x.name);
  const K = event(z.name);
  if (P.length !== 1)
    at(x.name, `${x.name}[${index}] must be a vector (it has shape [${P.join(', ')}]): ${SCOPE}`);
  if (K.length !== 1)
    at(z.name, `${z.name}[${index}] must be a vector (it has shape [${K.join(', ')}]): ${SCOPE}`);

  // the prior of z
  const pm = z.args.mu;
  const ps = z.distribution === 'Normal' ? z.args.sigma : z.args.Sigma;
  if (!pm || !ps || !fixed(pm) || !fixed(ps))
    at(
      z.name,
      `${z.name}'s prior must be fixed: free of params to learn and the same for every case (${z.distribution}(zeros(K), 1), say)`,
    );

  // the mean of x: W @ z[i], plus at most one offset
  const used = new Set<string>();
  const mean = x.args.mu;
  let loadings: LinearGaussianPlan['loadings'] | undefined;
  let offset: LinearGaussianPlan['offset'] = { kind: 'none' };
  if (mean) {
    const ts = terms(mean);
    const lin = ts.filter((t) => namesIn(t.expr).includes(z.name));
    const rest = ts.filter((t) => !lin.includes(t));
    const t = lin.length === 1 && lin[0].sign === 1 ? lin[0].expr : undefined;
    if (
      t?.kind === 'binary' &&
      t.op === '@' &&
      t.left.kind === 'name' &&
      isLatentRow(t.right, z.name, index) &&
      (learnSet.has(t.left.name) || fixed(t.left))
    ) {
      const w = t.left.name;
      const wp = param(w);
      if (!same(bound.shapes[w] ? [...bound.shapes[w].batch, ...event(w)] : [], [...P, ...K]))
        at(
          w,
          `${w} must have shape [${[...P, ...K].join(', ')}] (${x.name}'s length × ${z.name}'s length) to be the loadings of ${x.name}`,
        );
      else if (learnSet.has(w) && (wp?.type.base !== 'real' || wp.type.lower || wp.type.upper))
        at(w, `param ${w}: loadings are learned unconstrained; declare it real[…] without bounds`);
      else {
        loadings = { name: w, learned: learnSet.has(w) };
        used.add(w);
      }
    } else
      at(
        x.name,
        `${x.name}'s mean must be W @ ${z.name}[${index}] (+ an offset), with W a param or fixed matrix: ${SCOPE}`,
      );
    if (
      rest.length === 1 &&
      rest[0].sign === 1 &&
      rest[0].expr.kind === 'name' &&
      learnSet.has(rest[0].expr.name)
    ) {
      const m = rest[0].expr.name;
      const mp = param(m);
      if (mp?.type.base !== 'real' || mp.type.lower || mp.type.upper)
        at(
          m,
          `param ${m}: a mean offset is learned unconstrained; declare it real[…] without bounds`,
        );
      else if (!same([...(bound.shapes[m]?.batch ?? []), ...event(m)], P))
        at(m, `param ${m} must have shape [${P.join(', ')}] to be ${x.name}'s mean offset`);
      else {
        offset = { kind: 'param', name: m };
        used.add(m);
      }
    } else if (rest.length > 0) {
      const e = sumOf(rest);
      if (fixed(e)) offset = { kind: 'fixed', expr: e };
      else
        at(
          x.name,
          `${x.name}'s mean offset must be one param (W @ ${z.name}[${index}] + mu) or fixed: ${SCOPE}`,
        );
    }
  }
  if (offset.kind !== 'param' && loadings?.learned && pm && !isZero(pm))
    at(
      z.name,
      `${z.name}'s prior mean must be written as zero (0 or zeros(K)) when ${x.name}'s mean offset is not a param to learn`,
    );

  // the noise of x
  let noise: LinearGaussianPlan['noise'] | undefined;
  const positive = (name: string) => {
    const p = param(name);
    return !!p && p.type.base === 'real' && isNum(p.type.lower, 0) && !p.type.upper;
  };
  const learnedScale = (
    name: string,
    kind: 'variance' | 'sd',
  ): LinearGaussianPlan['noise'] | undefined => {
    if (!positive(name)) {
      at(name, `param ${name}: a noise ${kind} must be declared positive, real(0,)`);
      return undefined;
    }
    const shape = [...(bound.shapes[name]?.batch ?? []), ...event(name)];
    if (shape.length > 0 && !same(shape, P)) {
      at(
        name,
        `param ${name} must be a number or have shape [${P.join(', ')}] to be ${x.name}'s noise ${kind}`,
      );
      return undefined;
    }
    used.add(name);
    return { kind, name, isotropic: shape.length === 0 };
  };
  if (x.distribution === 'Normal') {
    const s = x.args.sigma;
    if (
      s?.kind === 'call' &&
      s.callee === 'sqrt' &&
      s.args.length === 1 &&
      s.args[0].value.kind === 'name' &&
      learnSet.has(s.args[0].value.name)
    )
      noise = learnedScale(s.args[0].value.name, 'variance');
    else if (s?.kind === 'name' && learnSet.has(s.name)) noise = learnedScale(s.name, 'sd');
    else if (s && fixed(s)) noise = { kind: 'fixed', expr: s, family: 'Normal' };
    else
      at(
        x.name,
        `${x.name}'s sd must be sqrt(psi) or sigma, with psi or sigma a positive param, or fixed: ${SCOPE}`,
      );
  } else {
    const S = x.args.Sigma;
    const eyeTimes =
      S?.kind === 'binary' && S.op === '*'
        ? S.left.kind === 'call' && S.left.callee === 'eye'
          ? S.right
          : S.right.kind === 'call' && S.right.callee === 'eye'
            ? S.left
            : undefined
        : undefined;
    if (eyeTimes?.kind === 'name' && learnSet.has(eyeTimes.name)) {
      if (event(eyeTimes.name).length > 0 || (bound.shapes[eyeTimes.name]?.batch.length ?? 0) > 0)
        at(eyeTimes.name, `param ${eyeTimes.name} must be a number: s2 * eye(P) is one variance`);
      else noise = learnedScale(eyeTimes.name, 'variance');
    } else if (S && fixed(S)) noise = { kind: 'fixed', expr: S, family: 'MvNormal' };
    else
      at(
        x.name,
        `${x.name}'s covariance must be s2 * eye(P) with s2 a positive param, or fixed (and diagonal): ${SCOPE}`,
      );
  }

  // every param to learn in one of these slots, used nowhere else
  const uses = new Map<string, number>();
  const count = (e: Expr | undefined) => {
    if (e) for (const n of namesIn(e)) if (learnSet.has(n)) uses.set(n, (uses.get(n) ?? 0) + 1);
  };
  for (const name of graph.order) {
    const node = graph.nodes[name];
    if (node.kind === 'stochastic') for (const a of Object.values(node.args)) count(a);
    else if (node.kind === 'deterministic') count(node.value);
    else if (node.kind === 'param' || node.kind === 'hyper') count(node.default);
  }
  for (const p of learn) {
    if (graph.nodes[p].kind !== 'param' || reasons.some((r) => r.node === p)) continue;
    if (used.has(p) && uses.get(p) === 1) continue;
    at(
      p,
      used.has(p)
        ? `param ${p} is used in more than one place: em's closed-form M-steps need it in one slot; not supported yet`
        : `param ${p}: em has no M-step for this use; in factor analysis it learns the loadings W, the mean offset mu and the noise psi of x[${index}] ~ Normal(W @ ${z.name}[${index}] + mu, sqrt(psi))`,
    );
  }
  if (reasons.length > 0 || !loadings || !noise || !pm || !ps) return { ok: false, reasons };
  return {
    ok: true,
    plan: {
      kind: 'linear-gaussian',
      plate: index,
      learn,
      latent: z.name,
      prior: { family: z.distribution as 'Normal' | 'MvNormal', mean: pm, scale: ps },
      node: x.name,
      loadings,
      offset,
      noise,
    },
  };
}
