// Checks of everything called: distributions after `~` (name, arity, named arguments, the
// static shape errors that need no sizes), built-in functions, nets, and `net` declarations.
// Signatures come from signatures.ts.

import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import type { Arg, Call, DistCall, Expr, NetStmt, Range } from './ast.js';
import { broadcastsTo, literalShape, numericValue, type Shape, showShape } from './literalShape.js';
import {
  DISTRIBUTIONS,
  type DistName,
  FUNCTIONS,
  isDistName,
  isFunctionName,
  NET_ARCHS,
} from './signatures.js';
import { closest, didYouMean } from './suggest.js';
import { at, describeSym, KIND_NOUN, type Sym } from './symbols.js';

/** What the call checks need from the checker. */
export interface CallHost {
  readonly diags: Diagnostic[];
  lookup(name: string): Sym | undefined;
  /** the nets visible here, for did-you-mean */
  netNames(): string[];
  checkDim(d: Expr, what: string): void;
}

const DIST_NAMES = Object.keys(DISTRIBUTIONS) as DistName[];
const FUNCTION_NAMES = Object.keys(FUNCTIONS);

// ---------------------------------------------------------------- distributions

/**
 * Check `Dist(args)` after `~`. `visit` checks each argument expression; `declared` is the
 * node's annotated shape when every entry is a literal.
 */
export function checkDistCall(
  host: CallHost,
  dist: DistCall,
  visit: (e: Expr) => void,
  declared: Shape | undefined,
): void {
  const name = dist.name.name;
  for (const a of dist.args) visit(a.value);
  if (!isDistName(name)) {
    host.diags.push(unknownDistribution(host, name, dist.name.range));
    return;
  }
  const sig = DISTRIBUTIONS[name];
  const args = matchArgs(host.diags, name, sig.params, dist.args, dist.range);
  if (args) host.diags.push(...distShapeErrors(name, args, declared));
}

function unknownDistribution(host: CallHost, name: string, range: Range): Diagnostic {
  const hints: string[] = [];
  const sym = host.lookup(name);
  if (isFunctionName(name)) hints.push(`'${name}' is a function, not a distribution`);
  else if (sym?.kind === 'net') {
    hints.push(
      `a net goes inside a distribution's arguments, as in 'Bernoulli(logits = ${name}(z))'`,
    );
  } else if (sym) hints.push(`'${name}' is ${describeSym(sym)}, not a distribution`);
  const suggestion = closest(name, DIST_NAMES);
  if (!suggestion) hints.push(`the distributions are ${DIST_NAMES.join(', ')}`);
  return error(
    'unknown-name',
    `unknown distribution '${name}'${didYouMean(name, DIST_NAMES)}`,
    range,
    hints,
  );
}

const showParams = (list: readonly string[]): string => `(${list.join(', ')})`;

function takes(callee: string, lists: readonly (readonly string[])[]): string {
  const n = lists[0]!.length;
  return `${callee} takes ${n} argument${n === 1 ? '' : 's'} ${lists.map(showParams).join(' or ')}`;
}

/**
 * Match positional and named arguments against the parameterisations (the first whose names
 * cover the named arguments wins, as in signatures.ts). Reports and returns undefined on a
 * mismatch; else the arguments by canonical name.
 */
function matchArgs(
  diags: Diagnostic[],
  callee: string,
  lists: readonly (readonly string[])[],
  args: readonly Arg[],
  callRange: Range,
): Record<string, Arg> | undefined {
  let named = false;
  const seen = new Set<string>();
  for (const a of args) {
    if (a.name === undefined) {
      if (named) {
        diags.push(
          error('syntax', 'a positional argument cannot follow a named one', a.range, [
            takes(callee, lists),
          ]),
        );
        return undefined;
      }
      continue;
    }
    named = true;
    if (seen.has(a.name)) {
      diags.push(error('arity', `argument '${a.name}' is given twice`, a.nameRange ?? a.range));
      return undefined;
    }
    seen.add(a.name);
    const all = [...new Set(lists.flat())];
    if (!all.includes(a.name)) {
      diags.push(
        error(
          'unknown-argument',
          `${callee} has no argument '${a.name}'${didYouMean(a.name, all)}`,
          a.nameRange ?? a.range,
          [takes(callee, lists)],
        ),
      );
      return undefined;
    }
  }
  const namedArgs = args.filter((a) => a.name !== undefined);
  const list = lists.find((l) => namedArgs.every((a) => l.includes(a.name!)));
  if (!list) {
    diags.push(
      error(
        'unknown-argument',
        `${callee} takes ${lists.map(showParams).join(' or ')}, not ${namedArgs.map((a) => a.name).join(' and ')} together`,
        callRange,
      ),
    );
    return undefined;
  }
  const positional = args.filter((a) => a.name === undefined);
  if (positional.length > list.length) {
    const extra = positional[list.length]!;
    diags.push(
      error('arity', `${takes(callee, [list])}, got ${args.length}`, {
        start: extra.range.start,
        end: args[args.length - 1]!.range.end,
      }),
    );
    return undefined;
  }
  const out: Record<string, Arg> = {};
  positional.forEach((a, i) => {
    out[list[i]!] = a;
  });
  for (const a of namedArgs) {
    if (out[a.name!]) {
      diags.push(
        error(
          'arity',
          `argument '${a.name}' is given twice: by position and by name`,
          a.nameRange ?? a.range,
        ),
      );
      return undefined;
    }
    out[a.name!] = a;
  }
  const missing = list.filter((p) => !out[p]);
  if (missing.length > 0) {
    diags.push(
      error('arity', `${takes(callee, [list])}, got ${args.length}`, callRange, [
        `missing: ${missing.join(', ')}`,
      ]),
    );
    return undefined;
  }
  return out;
}

/** Arguments with one more trailing axis than the draw (the categories; the covariance rows). */
const EXTRA_AXES: Readonly<Record<string, number>> = {
  'Categorical.p': 1,
  'Categorical.logits': 1,
  'MvNormal.Sigma': 1,
};

function distShapeErrors(
  name: DistName,
  args: Record<string, Arg>,
  declared: Shape | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const shapeOf = (k: string): Shape | undefined =>
    args[k] ? literalShape(args[k].value) : undefined;
  const fail = (k: string, message: string, hints: string[] = []): void => {
    out.push(error('shape', message, args[k]!.value.range, hints));
  };
  if (name === 'MvNormal') {
    const sigma = shapeOf('Sigma');
    const mu = shapeOf('mu');
    if (sigma && sigma.length < 2) {
      fail(
        'Sigma',
        `MvNormal's Sigma must be a D×D covariance matrix, but it is ${showShape(sigma)}`,
        ['for an isotropic covariance write s * eye(D)'],
      );
    } else if (sigma && sigma[sigma.length - 1] !== sigma[sigma.length - 2]) {
      fail('Sigma', `MvNormal's Sigma must be square, but it has shape [${sigma.join(', ')}]`);
    } else if (sigma && mu && mu.length > 0) {
      const d = sigma[sigma.length - 1]!;
      const m = mu[mu.length - 1]!;
      if (m !== d && m !== 1) fail('mu', `MvNormal's mu has length ${m}, but Sigma is ${d}×${d}`);
    }
  }
  const vectorArg: Record<string, [string, string]> = {
    Dirichlet: ['alpha', 'write rep(a, K) for a symmetric Dirichlet over K categories'],
    Categorical: [args.logits ? 'logits' : 'p', 'for a binary variable use Bernoulli(p)'],
    Multinomial: ['p', 'p holds one probability per category'],
  };
  const v = vectorArg[name];
  if (v) {
    const s = shapeOf(v[0]);
    if (s && s.length === 0) {
      fail(v[0], `${name}'s ${v[0]} must be a vector, but it is a scalar`, [v[1]]);
    }
  }
  if (declared && out.length === 0) {
    for (const k of Object.keys(args)) {
      const s = shapeOf(k);
      const extra = EXTRA_AXES[`${name}.${k}`] ?? 0;
      if (!s || s.length < extra) continue;
      const own = s.slice(0, s.length - extra);
      if (!broadcastsTo(own, declared)) {
        fail(
          k,
          `${name}'s ${k} has ${showShape(s)}, which does not fit the declared shape [${declared.join(', ')}]`,
        );
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- calls in expressions

/**
 * Check a call inside an expression: a built-in function or a net. `useNet` records the
 * dependency on a net (and rejects it where constants are required).
 */
export function checkCall(
  host: CallHost,
  call: Call,
  visit: (e: Expr) => void,
  useNet: (sym: Sym, range: Range) => void,
): void {
  for (const a of call.args) visit(a.value);
  const name = call.callee;
  const sym = host.lookup(name);
  const positional = call.args.filter((a) => a.name === undefined);
  const named = call.args.filter((a) => a.name !== undefined);
  if (sym?.kind === 'net') {
    useNet(sym, call.calleeRange);
    if (named.length > 0) {
      host.diags.push(
        error(
          'unknown-argument',
          `the net '${name}' takes no named arguments`,
          named[0]!.nameRange ?? named[0]!.range,
          [`call it on one input, as in ${name}(z[i])`],
        ),
      );
    } else if (positional.length !== 1) {
      host.diags.push(
        error('arity', `the net '${name}' takes 1 input, got ${positional.length}`, call.range, [
          `the net is declared at ${at(sym.range)}; its input layer is the first width in its arrow list`,
        ]),
      );
    }
    return;
  }
  if (sym) {
    host.diags.push(
      error('type', `'${name}' is a ${KIND_NOUN[sym.kind]}, not a function`, call.calleeRange, [
        `to index it, write ${name}[…]`,
      ]),
    );
    return;
  }
  if (isFunctionName(name)) {
    const f = FUNCTIONS[name];
    if (named.length > 0) {
      host.diags.push(
        error(
          'unknown-argument',
          `${name} takes no named arguments`,
          named[0]!.nameRange ?? named[0]!.range,
        ),
      );
      return;
    }
    const n = positional.length;
    if (n < f.minArgs || n > f.maxArgs) {
      const want = f.minArgs === f.maxArgs ? `${f.minArgs}` : `${f.minArgs} or ${f.maxArgs}`;
      host.diags.push(
        error(
          'arity',
          `${name} takes ${want} argument${f.maxArgs === 1 ? '' : 's'}, got ${n}`,
          call.range,
          [`${name}: ${f.doc}`],
        ),
      );
      return;
    }
    for (const d of countArgs(name, call.args)) {
      const v = numericValue(d.value);
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
        host.diags.push(
          error('type', `the count in ${name}(…) must be a size or a whole number`, d.value.range),
        );
      }
    }
    return;
  }
  if (isDistName(name)) {
    host.diags.push(
      error(
        'type',
        `the distribution ${name} cannot be used inside an expression`,
        call.calleeRange,
        [`a stochastic node is written 'x ~ ${name}(…)'; then use 'x' in the expression`],
      ),
    );
    return;
  }
  const callables = [...FUNCTION_NAMES, ...host.netNames()];
  const hints: string[] = [];
  const asDist = closest(name, DIST_NAMES);
  if (asDist) hints.push(`${asDist} is a distribution: it only appears after '~'`);
  host.diags.push(
    error(
      'unknown-name',
      `unknown function '${name}'${didYouMean(name, callables)}`,
      call.calleeRange,
      hints,
    ),
  );
}

/** The arguments that are counts: rep(x, K), zeros(K[, M]), ones(K[, M]), eye(D). */
function countArgs(name: string, args: readonly Arg[]): readonly Arg[] {
  if (name === 'rep') return args.slice(1, 2);
  if (name === 'zeros' || name === 'ones' || name === 'eye') return args;
  return [];
}

// ---------------------------------------------------------------- net declarations

export function checkNetDecl(host: CallHost, s: NetStmt): void {
  const archName = s.arch.name;
  const arch = Object.hasOwn(NET_ARCHS, archName) ? NET_ARCHS[archName] : undefined;
  if (!arch) {
    host.diags.push(
      error(
        'unknown-name',
        `unknown net architecture '${archName}'${didYouMean(archName, Object.keys(NET_ARCHS))}`,
        s.arch.range,
        [`architectures: ${Object.keys(NET_ARCHS).join(', ')}`],
      ),
    );
  }
  for (const layer of s.layers) {
    host.checkDim(layer, `the layers of net '${s.name.name}'`);
    if (layer.kind === 'num' && layer.isInt && layer.value < 1) {
      host.diags.push(error('type', 'a layer needs at least one unit', layer.range));
    }
  }
  const seen = new Set<string>();
  for (const o of s.options) {
    const key = o.name ?? '';
    const where = o.nameRange ?? o.range;
    if (seen.has(key)) {
      host.diags.push(error('arity', `option '${key}' is given twice`, where));
      continue;
    }
    seen.add(key);
    if (!arch) continue;
    const options = Object.keys(arch.options);
    if (!Object.hasOwn(arch.options, key)) {
      host.diags.push(
        error(
          'unknown-argument',
          `${archName} has no option '${key}'${didYouMean(key, options)}`,
          where,
          [`${archName} takes ${options.map((k) => `${k} = …`).join(', ')}`],
        ),
      );
      continue;
    }
    const allowed = arch.options[key]!;
    const value = o.value.kind === 'name' ? o.value.name : undefined;
    if (value === undefined || !allowed.includes(value)) {
      host.diags.push(
        error(
          value === undefined ? 'type' : 'unknown-name',
          value === undefined
            ? `option '${key}' takes a name`
            : `unknown ${key} '${value}'${didYouMean(value, allowed)}`,
          o.value.range,
          [`${key} is one of ${allowed.join(', ')}`],
        ),
      );
    }
  }
}
