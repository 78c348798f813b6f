// Binding a model graph to data (DESIGN.md §3): resolve sizes, lay out plates (ragged pairs
// flattened), check shapes concretely, read and check every value, and decide for each
// stochastic node whether it is observed, partially observed or latent. All problems found
// are thrown together as one PlatoError; undeclared keys are warnings.
import { freeze } from 'immer';
import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import { DISTRIBUTIONS, HOST_TRUNCATED, TRUNCATABLE } from '../distributions/signatures.js';
import { closest } from '../lang/suggest.js';
import { prod } from '../util/shape.js';
import { checkKnownValues } from './argChecks.js';
import type {
  BoundModel,
  DataInput,
  NDArray,
  NodeShape,
  Observation,
  PlateAxis,
  RaggedSegments,
} from './bound.js';
import { mentions } from './build.js';
import { broadcastTo, type ConstEnv, ConstEvalError, evalConst } from './evaluate.js';
import { latentDependent } from './fixedArgs.js';
import type { GraphNode, ModelGraph } from './ir.js';
import { nestedAxes, nestedIndex, plateAxes, raggedSegments } from './layout.js';
import { countText, MAX_VALUES } from './limits.js';
import { baseTypeToString, exprToString, shapeToString, truncationText } from './print.js';
import { Problems } from './problems.js';
import {
  concreteShape,
  inferShapes,
  type NodeShapeInfo,
  type ShapeAnalysis,
  type SizeValues,
} from './shapes.js';
import { resolveSizes } from './sizes.js';
import {
  checkSupport,
  checkTruncation,
  checkTruncationOrder,
  checkType,
  type Entries,
} from './support.js';
import {
  apparentShape,
  type Float32Store,
  isDenseInput,
  readValue,
  releaseValues,
} from './values.js';
import { isVocabulary } from './vocab.js';

export interface BindOptions {
  /** the data file's name, for messages */
  readonly dataFile?: string;
  /** how messages name the place data is given when there is no data file (`a data file (--data FILE)`) */
  readonly dataWhere?: string;
  /**
   * Where large float32 values are written (graph/values.ts Float32Store). Values written there
   * are tensors the caller frees with `releaseValues(bound.values)` when it is done with the
   * bound model; without a store they are Float32Arrays the garbage collector frees.
   */
  readonly float32Store?: Float32Store;
}

/** Bind `graph` to `data`. Throws PlatoError listing every problem found. */
export function bind(graph: ModelGraph, data: DataInput, options: BindOptions = {}): BoundModel {
  const problems = new Problems(
    options.dataFile,
    options.dataFile === undefined ? options.dataWhere : undefined,
  );
  // a key holding `undefined` (from a program, not JSON) is treated as absent
  const input: Readonly<Record<string, unknown>> = Object.fromEntries(
    Object.entries(data).filter(([, v]) => v !== undefined),
  );
  checkKeys(graph, input, problems);

  // Static shape errors are the model's; report them before looking at the data.
  const symbolic = inferShapes(graph);
  for (const d of allDiagnostics(symbolic)) problems.add(d);
  problems.throwIfAny(graph);

  const sizes = resolveSizes(graph, symbolic, input, problems);
  problems.throwIfAny(graph);

  // The same analysis with every size known: all comparisons are now concrete.
  const concrete = inferShapes(graph, sizes!);
  for (const d of allDiagnostics(concrete)) problems.add(d);
  const layout = computeLayout(graph, concrete, sizes!, problems);
  checkUnfed(graph, input, layout, problems);
  problems.throwIfAny(graph);

  const binder = new ValueBinder(
    graph,
    sizes!,
    concrete,
    layout,
    input,
    problems,
    options.float32Store,
  );
  try {
    binder.run();
    if (!problems.failed) {
      checkKnownValues({
        graph,
        sizes: sizes!,
        analysis: symbolic, // size names for messages; states resolve through sizes
        ...layout,
        values: binder.values,
        given: new Set(Object.keys(input)),
        problems,
      });
    }
    problems.throwIfAny(graph);
    const bound: BoundModel = {
      graph,
      sizes: sizes!,
      shapes: layout.shapes,
      axes: layout.axes,
      ragged: layout.ragged,
      values: binder.values,
      observation: binder.observation,
      fixedParams: binder.fixedParams,
      warnings: problems.warnings,
    };
    checkHostTruncation(bound, problems);
    problems.throwIfAny(graph);
    return freeze(bound, true);
  } catch (e) {
    // nothing will read the values of a binding that failed
    releaseValues(binder.values);
    throw e;
  }
}

/**
 * A truncated Gamma, Beta or StudentT has its normaliser F(hi) - F(lo) computed once on the
 * host in float64 (distributions/truncatedHost.ts: tfjs has no incomplete gamma or beta
 * function), so its arguments and bounds must be fixed by the data and the model: no latent
 * node (nor a param an engine learns) may reach them.
 */
function checkHostTruncation(bound: BoundModel, problems: Problems): void {
  let moving: Set<string> | undefined;
  for (const name of bound.graph.order) {
    const n = bound.graph.nodes[name];
    if (n.kind !== 'stochastic' || !n.truncation || !HOST_TRUNCATED.has(n.distribution)) continue;
    moving ??= latentDependent(bound);
    const t = n.truncation;
    const reads = [...Object.values(n.args), t.lower, t.upper].flatMap((e) =>
      mentions(e, new Set(n.indices)),
    );
    const m = reads.find((r) => moving!.has(r.name));
    if (!m) continue;
    problems.add({
      ...error(
        'unsupported',
        `${name} ~ ${n.distribution}(…) ${truncationText(n)}: a truncated ${n.distribution} needs its arguments and bounds fixed by the data and the model, but they read ${m.name}, which is latent or depends on a latent node`,
        t.range,
        [
          `Plato computes a truncated ${n.distribution}'s normaliser (an incomplete ${n.distribution === 'Gamma' ? 'gamma' : 'beta'} function) once, on the host, from fixed values; ${[...TRUNCATABLE].filter((f) => !HOST_TRUNCATED.has(f)).join(', ')} can be truncated with latent arguments or bounds`,
        ],
      ),
      file: bound.graph.filename,
    });
  }
}

function allDiagnostics(a: ShapeAnalysis): readonly Diagnostic[] {
  return [...a.diagnostics, ...(a.guide?.diagnostics ?? [])];
}

function checkKeys(
  graph: ModelGraph,
  input: Readonly<Record<string, unknown>>,
  problems: Problems,
): void {
  const guideNames = new Set(Object.keys(graph.guide?.nodes ?? {}));
  // a misspelt key most likely stands for a name the data does not give yet
  const open = Object.values(graph.nodes)
    .filter((n) => n.kind !== 'deterministic' && n.kind !== 'net' && !Object.hasOwn(input, n.name))
    .map((n) => n.name);
  for (const key of Object.keys(input)) {
    const node = graph.nodes[key];
    if (!node) {
      // the words of a topic model's vocabulary: the text report labels topics with them
      if (key === 'vocab' && isVocabulary(input[key])) continue;
      if (!guideNames.has(key)) {
        const like = closest(key, open, key.length >= 2 ? 1 : 0.5);
        problems.warning(
          `"${key}" is not declared in model ${graph.name}; ignored${like ? `; did you mean '${like}'?` : ''}`,
        );
      }
      continue;
    }
    if (node.kind === 'deterministic') {
      problems.error(
        `${key} is deterministic (${key} = ${exprToString(node.value)}) and cannot be given in the data`,
        key,
      );
    } else if (node.kind === 'net') {
      problems.error(`net ${key} has learned weights and cannot be given in the data`, key);
    }
  }
}

/**
 * A stochastic node given no data is latent, and the result is its prior (or posterior from
 * other nodes): when the data holds an undeclared key of exactly its shape, the user most
 * likely meant that key for it, so say so whatever else happens.
 */
function checkUnfed(
  graph: ModelGraph,
  input: Readonly<Record<string, unknown>>,
  layout: Layout,
  problems: Problems,
): void {
  const undeclared = Object.keys(input).filter(
    (k) => !graph.nodes[k] && !Object.hasOwn(graph.guide?.nodes ?? {}, k),
  );
  if (!undeclared.length) return;
  for (const name of graph.order) {
    const node = graph.nodes[name];
    const shape = layout.shapes[name];
    if (node.kind !== 'stochastic' || Object.hasOwn(input, name) || !shape) continue;
    if ((layout.axes[name] ?? []).some((a) => a.plates.length > 1)) continue;
    const full = [...shape.batch, ...shape.event];
    // a scalar key matches any scalar node, so there the names must be close too
    const same = undeclared.filter((k) => {
      const s = apparentShape(input[k]);
      if (!numeric(input[k]) || s.length !== full.length || s.some((d, i) => d !== full[i]))
        return false;
      return full.length > 0 || closest(k, [name], 1) === name;
    });
    if (!same.length) continue;
    const keys = same.map((k) => `"${k}"`).join(', ');
    problems.warning(
      `${name} receives no data, so it is latent and reported as unobserved, but the data has the undeclared key${same.length > 1 ? 's' : ''} ${keys} of its shape [${full.join(', ')}]: to observe ${name}, name the key "${name}"`,
    );
  }
}

/** A number, or nested arrays whose first entry that is not null is a number. */
function numeric(v: unknown): boolean {
  let cur = v;
  while (Array.isArray(cur)) cur = cur.find((x) => x !== null);
  return typeof cur === 'number' || isDenseInput(v);
}

interface Layout {
  readonly shapes: Record<string, NodeShape>;
  readonly axes: Record<string, readonly PlateAxis[]>;
  readonly ragged: Record<string, RaggedSegments>;
}

function computeLayout(
  graph: ModelGraph,
  concrete: ShapeAnalysis,
  sizes: SizeValues,
  problems: Problems,
): Layout {
  const shapes: Record<string, NodeShape> = {};
  const axes: Record<string, readonly PlateAxis[]> = {};
  const ragged = raggedSegments(graph, sizes);
  const add = (g: ModelGraph, a: ShapeAnalysis, guide: boolean) => {
    for (const name of g.order) {
      const info = a.nodes[name];
      const node = g.nodes[name];
      // guide nodes are laid out only where they do not shadow a model node
      if (!info || (guide && graph.nodes[name])) continue;
      if (guide && node.kind !== 'hyper' && node.kind !== 'param') continue;
      const event = concreteShape(info.event, sizes);
      if (!event) {
        problems.add({
          ...error(
            'shape',
            `cannot determine the shape of ${name} from the sizes: ${shapeToString(info.event)}`,
            node.range,
          ),
          file: graph.filename,
        });
        continue;
      }
      const ax = plateAxes(g, node.plates, sizes);
      const dims = [...ax.map((x) => x.length), ...event];
      const count = prod(dims);
      if (count > MAX_VALUES) {
        problems.error(
          `${name} would hold ${countText(count)} values ([${dims.join(', ')}]); at most ${MAX_VALUES} fit in one variable: use smaller sizes`,
          name,
        );
        continue;
      }
      if (node.kind === 'stochastic' && DISTRIBUTIONS[node.distribution].eventRank === 1) {
        if (event.length > 0 && event[event.length - 1] === 0) {
          problems.add({
            ...error(
              'shape',
              `${name} ~ ${node.distribution} has an empty event: its last axis has length 0 ([${event.join(', ')}]); it needs at least one category`,
              node.range,
            ),
            file: graph.filename,
          });
          continue;
        }
      }
      axes[name] = ax;
      shapes[name] = { batch: ax.map((x) => x.length), event };
    }
  };
  add(graph, concrete, false);
  if (graph.guide && concrete.guide) add(graph.guide, concrete.guide, true);
  return { shapes, axes, ragged };
}

class ValueBinder {
  readonly values: Record<string, NDArray> = {};
  readonly observation: Record<string, Observation> = {};
  readonly fixedParams: string[] = [];
  private readonly env: { sizes: SizeValues; values: Record<string, NDArray> };

  constructor(
    private readonly graph: ModelGraph,
    private readonly sizes: SizeValues,
    private readonly analysis: ShapeAnalysis,
    private readonly layout: Layout,
    private readonly input: Readonly<Record<string, unknown>>,
    private readonly problems: Problems,
    private readonly store: Float32Store | undefined,
  ) {
    this.env = { sizes, values: this.values };
  }

  run(): void {
    for (const name of this.graph.order)
      this.node(this.graph, this.graph.nodes[name], this.analysis.nodes[name]);
    const guide = this.graph.guide;
    if (guide && this.analysis.guide) {
      for (const name of guide.order) {
        const node = guide.nodes[name];
        if (this.graph.nodes[name] || (node.kind !== 'hyper' && node.kind !== 'param')) continue;
        this.node(guide, node, this.analysis.guide.nodes[name]);
      }
    }
  }

  private node(g: ModelGraph, node: GraphNode, info: NodeShapeInfo | undefined): void {
    const shape = this.layout.shapes[node.name];
    if (!info || !shape) return;
    const given = Object.hasOwn(this.input, node.name);
    switch (node.kind) {
      case 'hyper':
      case 'param': {
        // the value as written (data or default), and broadcast to the declared shape
        let written: { own: NDArray; full?: NDArray } | undefined;
        if (given) written = this.readBroadcast(g, node, info);
        else if (node.default) written = this.evalDefault(node, shape);
        else if (node.kind === 'hyper') {
          this.problems.error(
            `hyper ${node.name} has no default and is not given in the data: ${this.problems.giveIn(node.name)}`,
            node.name,
          );
        }
        const arr = written?.full;
        if (!arr) return;
        if (given && node.kind === 'param') this.fixedParams.push(node.name);
        // entries are named by their index in the value as written (a scalar: no index)
        const own = written!.own.shape;
        const entries = {
          ...this.entries(node, arr),
          indexOf: (i: number) => ownIndex(i, arr.shape, own),
        };
        checkType(node.type, entries, this.env);
        this.values[node.name] = arr;
        return;
      }
      case 'data': {
        if (!given) {
          this.problems.error(
            `data ${node.name} is missing: ${this.problems.giveIn(node.name)}`,
            node.name,
          );
          return;
        }
        const r = this.readExact(g, node, info, false);
        if (!r) return;
        checkType(node.type, this.entries(node, r.array), this.env);
        this.values[node.name] = r.array;
        return;
      }
      case 'stochastic': {
        checkTruncationOrder(node, this.env, this.problems);
        if (!given) {
          this.observation[node.name] = { kind: 'latent' };
          return;
        }
        const r = this.readExact(g, node, info, true);
        if (!r) return;
        const total = r.array.data.length;
        if (total > 0 && r.missing === total) {
          this.observation[node.name] = { kind: 'latent' };
          return;
        }
        const e = this.entries(node, r.array, r.mask);
        if (r.mask && !this.wholeRows(node, r.mask)) return;
        const statesDim = info.states;
        const states =
          statesDim === undefined ? undefined : concreteShape([statesDim], this.sizes)?.[0];
        checkSupport(node, e, this.env, states, statesDim);
        const ragged = (this.layout.axes[node.name] ?? []).some((a) => a.plates.length > 1);
        checkTruncation(
          node,
          e,
          this.env,
          ragged ? undefined : this.layout.shapes[node.name].batch,
        );
        if (node.declaredType) checkType(node.declaredType, e, this.env);
        this.values[node.name] = r.array;
        this.observation[node.name] = r.mask
          ? { kind: 'partial', mask: r.mask }
          : { kind: 'observed' };
        return;
      }
      default:
        return;
    }
  }

  /**
   * A simplex or a count vector is one value: a row with some entries null and others given
   * would be drawn entry by entry and leave the support (its entries no longer sum to 1 or n).
   */
  private wholeRows(node: Extract<GraphNode, { kind: 'stochastic' }>, mask: Uint8Array): boolean {
    if (node.distribution !== 'Dirichlet' && node.distribution !== 'Multinomial') return true;
    const event = this.layout.shapes[node.name].event;
    const k = event[event.length - 1] ?? 1;
    for (let row = 0; row * k < mask.length; row++) {
      const seen = mask.subarray(row * k, row * k + k);
      if (seen.every((m) => m === seen[0])) continue;
      const at = nestedIndex(row * k, this.layout.axes[node.name], event, this.layout.ragged).slice(
        0,
        -1,
      );
      const nameAt = at.length ? `${node.name}[${at.join(', ')}]` : node.name;
      this.problems.error(
        `${nameAt} has null entries next to given ones: a ${node.distribution} value is one vector; give all its entries or write null for the whole row`,
        node.name,
      );
      return false;
    }
    return true;
  }

  private entries(node: GraphNode, array: NDArray, mask?: Uint8Array): Entries {
    const prefix =
      node.kind === 'hyper' || node.kind === 'param' || node.kind === 'data' ? `${node.kind} ` : '';
    const axes = this.layout.axes[node.name];
    const event = this.layout.shapes[node.name].event;
    return {
      name: node.name,
      prefix,
      array,
      ...(mask ? { mask } : {}),
      indexOf: (i) => nestedIndex(i, axes, event, this.layout.ragged),
      problems: this.problems,
    };
  }

  /** `real[N, P] = [100, 3]`: the expected type with size names and numbers. */
  private expected(g: ModelGraph, node: GraphNode, info: NodeShapeInfo): string {
    let base: string;
    if (node.kind === 'stochastic') {
      base = node.declaredType
        ? baseTypeToString(node.declaredType)
        : DISTRIBUTIONS[node.distribution].discrete
          ? 'int'
          : 'real';
    } else if (node.kind === 'hyper' || node.kind === 'param' || node.kind === 'data') {
      base = baseTypeToString(node.type);
    } else base = 'real';
    const sym: string[] = [];
    const num: string[] = [];
    let prevIndex = '';
    for (const id of node.plates) {
      const p = g.plates[id];
      const s = this.sizes[p.size];
      if (p.raggedBy) {
        sym.push(`${p.size}[${prevIndex}]`);
        num.push(`${p.size}[${prevIndex}]`);
      } else {
        sym.push(p.size);
        num.push(String(s));
      }
      prevIndex = p.index;
    }
    for (const d of info.event) {
      sym.push(String(d));
      num.push(String(concreteShape([d], this.sizes)?.[0] ?? d));
    }
    if (!sym.length) return base;
    const a = `[${sym.join(', ')}]`;
    const b = `[${num.join(', ')}]`;
    return a === b ? `${base}${a}` : `${base}${a} = ${b}`;
  }

  private readExact(g: ModelGraph, node: GraphNode, info: NodeShapeInfo, allowMissing: boolean) {
    const event = this.layout.shapes[node.name].event;
    return readValue(
      this.input[node.name],
      {
        name: node.name,
        prefix: node.kind === 'data' ? 'data ' : '',
        axes: nestedAxes(g, node.plates, event, this.sizes),
        allowMissing,
        expected: this.expected(g, node, info),
        store: this.store,
      },
      this.problems,
    );
  }

  /** A hyper or param from the data: read at its own shape, then broadcast to the declared one. */
  private readBroadcast(
    g: ModelGraph,
    node: Extract<GraphNode, { kind: 'hyper' | 'param' }>,
    info: NodeShapeInfo,
  ): { own: NDArray; full?: NDArray } | undefined {
    const v = this.input[node.name];
    const shape = this.layout.shapes[node.name];
    const full = [...shape.batch, ...shape.event];
    const own = apparentShape(v);
    const r = readValue(
      v,
      {
        name: node.name,
        prefix: `${node.kind} `,
        axes: own.map((length) => ({ kind: 'fixed', length })),
        allowMissing: false,
        expected: this.expected(g, node, info),
      },
      this.problems,
    );
    if (!r) return undefined;
    const b = broadcastTo(r.array, full);
    if (!b) {
      this.problems.error(
        `${node.name}: expected ${this.expected(g, node, info)}, got [${r.array.shape.join(', ')}]`,
        node.name,
      );
    }
    return { own: r.array, ...(b ? { full: b } : {}) };
  }

  private evalDefault(
    node: Extract<GraphNode, { kind: 'hyper' | 'param' }>,
    shape: NodeShape,
  ): { own: NDArray; full?: NDArray } | undefined {
    const full = [...shape.batch, ...shape.event];
    const modelError = (message: string, range = node.default!.range) =>
      this.problems.add({ ...error('type', message, range), file: this.graph.filename });
    try {
      const v = evalConst(node.default!, this.env as ConstEnv);
      const b = broadcastTo(v, full);
      if (!b) {
        modelError(
          `${node.kind} ${node.name}: the default has shape [${v.shape.join(', ')}] but ${node.name} has shape [${full.join(', ')}]`,
        );
      }
      return { own: v, ...(b ? { full: b } : {}) };
    } catch (err) {
      if (!(err instanceof ConstEvalError)) throw err;
      modelError(
        `${node.kind} ${node.name}: cannot evaluate the default: ${err.message}`,
        err.expr.range,
      );
      return undefined;
    }
  }
}

/** The index, in a value of shape `own`, of the entry broadcast to flat position `i` of `full`. */
function ownIndex(i: number, full: readonly number[], own: readonly number[]): number[] {
  const pos: number[] = new Array(full.length);
  let rest = i;
  for (let a = full.length - 1; a >= 0; a--) {
    pos[a] = rest % full[a];
    rest = Math.floor(rest / full[a]);
  }
  return pos.slice(full.length - own.length).map((p, a) => (own[a] === 1 ? 0 : p));
}
