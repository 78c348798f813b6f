// A user's `guide NAME { … }` block (DESIGN §2) for avi: its latents override the default
// guide of the model latents they name. Each is drawn by reparameterisation from its family,
// which must be a Gaussian on the latent's unconstrained space with avi's bijector onto its
// support (bijectors.ts):
//   Normal(mu, sigma)      for a real latent      u = z,     loc = mu, logScale = log sigma
//   LogNormal(mu, sigma)   for a positive latent  u = log z, loc = mu, logScale = log sigma
// so that the draw u = loc + σε, log q and the analytic KL are the default guide's (model.ts);
// only loc and logScale come from the block's expressions instead of an encoder.
//
// The expressions compile through compile/ as one more bound model (guideBound): the model's
// sizes, hypers, data, params and nets, its observed nodes as data, its deterministic nodes
// that no latent reaches, and the guide's own hypers, params, nets and latents (the latents laid
// out in the model latent's plate axes, the guide's plates renamed `guide:i` beside the model's).
// The guide may read those and the latents it draws earlier; anything else is refused at the
// name read (planGuide).
import type { Range } from '../../diagnostics/range.js';
import type { Reason } from '../../diagnostics/reason.js';
import type { BoundModel, Observation, PlateAxis } from '../../graph/bound.js';
import { mentions } from '../../graph/build.js';
import type { GraphNode, ModelGraph, Plate, StochasticNode } from '../../graph/ir.js';
import { descendants } from '../../graph/query.js';

/** The guide families avi reparameterises, by the latent support each applies to. */
export const GUIDE_FAMILIES = { Normal: 'real', LogNormal: 'positive' } as const;

export type GuideFamily = keyof typeof GUIDE_FAMILIES;

const PLATE_PREFIX = 'guide:';

/** A Reason located at a range of the file (a guide statement, a name it reads). */
function reasonIn(node: string, range: Range, message: string): Reason {
  return { node, line: range.start.line, column: range.start.column, message, range };
}

/** Latents of the model: stochastic nodes the data does not hold (all or in part). */
function modelLatents(bound: BoundModel): Set<string> {
  return new Set(
    Object.keys(bound.graph.nodes).filter(
      (n) =>
        bound.graph.nodes[n].kind === 'stochastic' && bound.observation[n]?.kind !== 'observed',
    ),
  );
}

/** Deterministic nodes of the model that a latent reaches. */
function drawnDeterministic(bound: BoundModel, latents: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const z of latents)
    for (const d of descendants(bound.graph, z))
      if (bound.graph.nodes[d].kind === 'deterministic') out.add(d);
  return out;
}

export interface GuidePlan {
  /** the guided latents in the guide's order, with their families */
  readonly latents: ReadonlyMap<string, GuideFamily>;
  /** the guide's own params and nets */
  readonly params: readonly string[];
  readonly nets: readonly string[];
}

/**
 * Check the guide block against the model: which latents it draws, with what, reading what.
 * `supportOf` gives a model latent's avi support (a string that is not one: not reparameterisable).
 */
export function planGuide(
  bound: BoundModel,
  supportOf: (name: string) => string,
): { plan: GuidePlan; reasons: Reason[] } {
  const g = bound.graph;
  const gg = g.guide as ModelGraph;
  const reasons: Reason[] = [];
  const latents = new Map<string, GuideFamily>();
  const params: string[] = [];
  const nets: string[] = [];
  const latentSet = modelLatents(bound);
  const drawn = drawnDeterministic(bound, latentSet);
  // the guide's latents in source order: a latent may read only those before it
  const stoch = gg.order
    .map((n) => gg.nodes[n])
    .filter((n): n is StochasticNode => n.kind === 'stochastic')
    .sort((a, b) => a.line - b.line || a.column - b.column);
  for (const n of gg.order) {
    const node = gg.nodes[n];
    if (node.kind === 'param') params.push(n);
    else if (node.kind === 'net') nets.push(n);
    else if (node.kind === 'deterministic')
      reasons.push(
        reasonIn(
          n,
          node.range,
          `the guide's deterministic node ${n} is not supported by avi yet: write its expression inside the arguments of the guide's distributions`,
        ),
      );
  }
  stoch.forEach((node, k) => {
    const name = node.name;
    const m = g.nodes[name];
    if (m?.kind !== 'stochastic') return; // the checker reports it
    if (bound.observation[name]?.kind !== 'latent') {
      reasons.push(
        reasonIn(
          name,
          node.range,
          `the guide draws ${name}, which the data holds${bound.observation[name]?.kind === 'partial' ? ' in part' : ''}: a guide gives distributions to latent nodes only`,
        ),
      );
      return;
    }
    const support = supportOf(name);
    const family = node.distribution as string;
    const want = (GUIDE_FAMILIES as Record<string, string>)[family];
    if (!want) {
      reasons.push(
        reasonIn(
          name,
          node.range,
          `the guide's ${name} ~ ${family}: avi draws a guide's latents by reparameterisation, from Normal (real latents) or LogNormal (positive latents, a Normal on log ${name})`,
        ),
      );
      return;
    }
    if (support !== want) {
      const has = support in { real: 1, positive: 1, 'unit-interval': 1, interval: 1, simplex: 1 };
      reasons.push(
        reasonIn(
          name,
          node.range,
          has
            ? `the guide's ${name} ~ ${family} has ${want} support but the model's ${name} ~ ${m.distribution} has ${support} support: use ${support === 'positive' ? 'LogNormal' : support === 'real' ? 'Normal' : 'the default guide (remove it from the guide block)'} for it`
            : `the guide draws ${name}, which avi cannot reparameterise: ${support}`,
        ),
      );
      return;
    }
    if (node.truncation) {
      reasons.push(
        reasonIn(
          name,
          node.range,
          `the guide's ${name} is truncated; avi's guide families are not`,
        ),
      );
      return;
    }
    const axes = bound.axes[name] ?? [];
    if (axes.some((a) => a.plates.length > 1)) {
      reasons.push(
        reasonIn(
          name,
          node.range,
          `the guide's ${name} lies in a ragged plate, which avi's guide blocks do not lay out yet`,
        ),
      );
      return;
    }
    const earlier = new Set(stoch.slice(0, k).map((s) => s.name));
    const local = (z: string) => g.nodes[z].plates.length > 0;
    const indices = new Set(node.indices);
    const read = Object.values(node.args).flatMap((e) => mentions(e, indices));
    for (const r of read) {
      let why: string | undefined;
      if (latentSet.has(r.name)) {
        if (!stoch.some((s) => s.name === r.name))
          why = `the guide's ${name} reads ${r.name}, a latent the guide does not draw (avi gives it the default guide): a guide may read observed nodes, data and the latents it draws before`;
        else if (!earlier.has(r.name))
          why = `the guide's ${name} reads ${r.name}, which the guide draws later: draw ${r.name} first`;
        else if (local(r.name) && !local(name))
          why = `the guide's global ${name} reads ${r.name}, a latent of a plate: avi draws global latents first`;
      } else if (!local(name) && (g.nodes[r.name]?.plates.length ?? 0) > 0)
        why = `the guide's global ${name} reads ${r.name}, a node of a plate: avi's minibatches show a global latent's guide no plate, so it may read params, hypers and data outside plates`;
      else if (drawn.has(r.name))
        why = `the guide's ${name} reads the model's ${r.name}, which depends on latents: a guide may read observed nodes, data and the latents it draws before`;
      if (why) reasons.push(reasonIn(name, r.range, why));
    }
    latents.set(name, family as GuideFamily);
  });
  return { plan: { latents, params, nets }, reasons };
}

/**
 * An observed node of the model as the guide reads it: its values only (no arguments, which may
 * read latents the guide does not draw). Not a data node: those compile to constants, and a
 * minibatch's rows of an observed node come through the env.
 */
function asObserved(node: StochasticNode): StochasticNode {
  const { truncation: _t, ...rest } = node;
  return { ...rest, args: {}, parents: [] };
}

/** The bound model the guide's expressions compile in (see the file's comment). */
export function guideBound(bound: BoundModel, plan: GuidePlan): BoundModel {
  const g = bound.graph;
  const gg = g.guide as ModelGraph;
  const latentSet = modelLatents(bound);
  const drawn = drawnDeterministic(bound, latentSet);
  const nodes: Record<string, GraphNode> = {};
  const order: string[] = [];
  const shapes = { ...bound.shapes };
  const axes: Record<string, readonly PlateAxis[]> = { ...bound.axes };
  const observation: Record<string, Observation> = { ...bound.observation };
  for (const n of g.order) {
    const node = g.nodes[n];
    if (latentSet.has(n) || drawn.has(n)) continue;
    nodes[n] = node.kind === 'stochastic' ? asObserved(node) : node;
    order.push(n);
  }
  const rename = (id: string) => `${PLATE_PREFIX}${id}`;
  const plates: Record<string, Plate> = { ...g.plates };
  for (const p of Object.values(gg.plates))
    plates[rename(p.id)] = {
      ...p,
      id: rename(p.id),
      ...(p.parent ? { parent: rename(p.parent) } : {}),
      ...(p.raggedBy ? { raggedBy: rename(p.raggedBy) } : {}),
    };
  const renameAxes = (ax: readonly PlateAxis[], from: readonly string[], to: readonly string[]) =>
    ax.map((a) => ({ ...a, plates: a.plates.map((id) => to[from.indexOf(id)] ?? id) }));
  for (const n of gg.order) {
    const node = gg.nodes[n];
    if (node.kind === 'stochastic' && !plan.latents.has(n)) continue;
    if (node.kind === 'deterministic' || node.kind === 'size' || node.kind === 'data') continue;
    const mine = node.plates.map(rename);
    nodes[n] = { ...node, plates: mine };
    order.push(n);
    if (node.kind === 'stochastic') {
      // the model latent's layout, its plates the guide's (the checker matched them in order)
      axes[n] = renameAxes(bound.axes[n] ?? [], g.nodes[n].plates, mine);
      observation[n] = { kind: 'latent' };
    } else if (bound.axes[n]) axes[n] = renameAxes(bound.axes[n], node.plates, mine);
  }
  const { guide: _guide, ...rest } = g;
  const graph: ModelGraph = { ...rest, nodes, order, plates };
  return { ...bound, graph, shapes, axes, observation };
}
