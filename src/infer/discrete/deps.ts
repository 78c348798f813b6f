// Which elements of which discrete latent nodes one plate element of a node depends on.
//
// A reference `y[i, k]` inside a node living in plate i ties y's first axis to the node's own
// plate index (element i of the node reads element i of y) and leaves the second axis free
// (every k). Anything else — a slice, a literal, an index computed from data or from another
// node, a bare name (the whole array, DESIGN.md §2) — is conservatively free: the factor then
// spans more variables than it needs, never fewer. Deterministic nodes are looked through:
// their own dependencies are composed with the way the node is referenced.
import type { BoundModel } from '../../graph/bound.js';
import type { GraphNode } from '../../graph/ir.js';
import type { Expr, IndexArg } from '../../lang/ast.js';

/** How one axis of a latent's full shape (batch axes, then event axes) is read. */
export type AxisDep =
  /** the coordinate equals the reading node's index in this plate (for a flattened ragged pair: its ragged plate, meaning the flat position) */
  { readonly kind: 'tied'; readonly plate: string } | { readonly kind: 'free' };

/** latent name → one AxisDep per axis of its full shape */
export type Deps = Map<string, AxisDep[]>;

const FREE: AxisDep = { kind: 'free' };

/** Number of axes of a node's full shape in the tensor layout. */
export function fullRank(model: BoundModel, name: string): number {
  return (model.axes[name]?.length ?? 0) + (model.shapes[name]?.event.length ?? 0);
}

function allFree(model: BoundModel, name: string): AxisDep[] {
  return new Array<AxisDep>(fullRank(model, name)).fill(FREE);
}

/** Merge two readings of the same latent: an axis stays tied only if both tie it to the same plate. */
function merge(a: readonly AxisDep[], b: readonly AxisDep[]): AxisDep[] {
  return a.map((x, i) => {
    const y = b[i];
    return x.kind === 'tied' && y?.kind === 'tied' && x.plate === y.plate ? x : FREE;
  });
}

function add(into: Deps, name: string, pattern: AxisDep[]): void {
  const prev = into.get(name);
  into.set(name, prev ? merge(prev, pattern) : pattern);
}

export class DepAnalysis {
  private readonly cache = new Map<string, Deps>();

  constructor(
    private readonly model: BoundModel,
    /** the stochastic nodes that hold discrete variables (latent or partially observed) */
    private readonly isVariable: (name: string) => boolean,
  ) {}

  /** The latent elements read by the definition (all arguments) of `name`. */
  of(name: string): Deps {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const node = this.model.graph.nodes[name];
    const deps: Deps = new Map();
    if (node?.kind === 'stochastic') {
      for (const e of Object.values(node.args)) this.walk(e, node, deps);
    } else if (node?.kind === 'deterministic') {
      this.walk(node.value, node, deps);
    }
    this.cache.set(name, deps);
    return deps;
  }

  /** The latent elements read by one expression written inside `owner`. */
  ofExpr(e: Expr, owner: GraphNode): Deps {
    const deps: Deps = new Map();
    this.walk(e, owner, deps);
    return deps;
  }

  /** plate id of an index name visible in `owner`'s context, with its role */
  private plateOfIndex(
    owner: GraphNode,
    index: string,
  ): { plate: string; role: 'plain' | 'outer' | 'inner' } | undefined {
    for (const id of owner.plates) {
      const plate = this.model.graph.plates[id];
      if (plate?.index !== index) continue;
      const axis = (this.model.axes[owner.name] ?? []).find((a) => a.plates.includes(id));
      if (!axis) return undefined;
      if (axis.plates.length === 1) return { plate: id, role: 'plain' };
      return { plate: id, role: id === axis.plates[axis.plates.length - 1] ? 'inner' : 'outer' };
    }
    return undefined;
  }

  private walk(e: Expr, owner: GraphNode, into: Deps): void {
    switch (e.kind) {
      case 'num':
        return;
      case 'name':
        this.reference(e.name, undefined, owner, into);
        return;
      case 'vector':
        for (const x of e.items) this.walk(x, owner, into);
        return;
      case 'unary':
        this.walk(e.arg, owner, into);
        return;
      case 'cond':
        for (const x of [e.test, e.whenTrue, e.whenFalse]) this.walk(x, owner, into);
        return;
      case 'binary':
        this.walk(e.left, owner, into);
        this.walk(e.right, owner, into);
        return;
      case 'call':
        for (const a of e.args) this.walk(a.value, owner, into);
        return;
      case 'index':
        for (const a of e.indices) {
          if (a.kind === 'at') this.walk(a.expr, owner, into);
          else {
            if (a.lo) this.walk(a.lo, owner, into);
            if (a.hi) this.walk(a.hi, owner, into);
          }
        }
        if (e.target.kind === 'name') this.reference(e.target.name, e.indices, owner, into);
        else this.walk(e.target, owner, into);
        return;
    }
  }

  /** `name` read with `indices` (undefined: bare) inside `owner` */
  private reference(
    name: string,
    indices: readonly IndexArg[] | undefined,
    owner: GraphNode,
    into: Deps,
  ): void {
    const node = this.model.graph.nodes[name];
    if (!node || owner.plates.some((id) => this.model.graph.plates[id]?.index === name)) return;
    if (node.kind !== 'stochastic' && node.kind !== 'deterministic') return;
    const pattern = indices ? this.pattern(node, indices, owner) : allFree(this.model, name);
    if (node.kind === 'stochastic') {
      if (this.isVariable(name)) add(into, name, pattern);
      return;
    }
    // a deterministic node: compose its dependencies with how it is read here
    const axes = this.model.axes[name] ?? [];
    for (const [y, inner] of this.of(name)) {
      const composed = inner.map((d): AxisDep => {
        if (d.kind === 'free') return FREE;
        const a = axes.findIndex((ax) => ax.plates.includes(d.plate));
        if (a < 0 || axes[a].plates.length !== 1) return FREE;
        return pattern[a] ?? FREE;
      });
      add(into, y, composed);
    }
  }

  /** The per-axis reading of `node[indices]` inside `owner`. */
  private pattern(node: GraphNode, indices: readonly IndexArg[], owner: GraphNode): AxisDep[] {
    const axes = this.model.axes[node.name] ?? [];
    const out: AxisDep[] = [];
    let i = 0;
    const plateArg = (a: IndexArg | undefined) =>
      a?.kind === 'at' && a.expr.kind === 'name'
        ? this.plateOfIndex(owner, a.expr.name)
        : undefined;
    for (const ax of axes) {
      if (ax.plates.length === 2) {
        // a flattened ragged pair takes two indices; tied only as (d, n) of the owner's own pair
        const a = plateArg(indices[i]);
        const b = plateArg(indices[i + 1]);
        const tied = a?.plate === ax.plates[0] && b?.plate === ax.plates[1] && b.role === 'inner';
        out.push(tied ? { kind: 'tied', plate: ax.plates[1] } : FREE);
        i += 2;
      } else {
        const a = plateArg(indices[i]);
        out.push(a && a.role !== 'inner' ? { kind: 'tied', plate: a.plate } : FREE);
        i += 1;
      }
    }
    const event = this.model.shapes[node.name]?.event ?? [];
    for (let k = 0; k < event.length; k++, i++) {
      const a = plateArg(indices[i]);
      out.push(a && a.role !== 'inner' ? { kind: 'tied', plate: a.plate } : FREE);
    }
    return out;
  }
}
