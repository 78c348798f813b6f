// Plate diagrams of every example, laid out by Graphviz: every drawn node and every plate label
// is in the SVG, and observed nodes carry the observed class and the shaded fill.
import { describe, expect, it } from 'vitest';
import { bindModel, compile } from '../../src/model.js';
import { OBSERVED_FILL } from '../../src/report/diagram/dot.js';
import { diagramSvg, plateDiagram, renderDiagram } from '../../src/report/diagram/index.js';
import { EXAMPLES, readData, readExample } from './examples.js';

/** The SVG of the group Graphviz writes for the node with id `node-<name>` (ids escape '-' as &#45;). */
function nodeGroup(svg: string, name: string): string | undefined {
  const start = svg.indexOf(`<g id="node&#45;${name}"`);
  if (start < 0) return undefined;
  // up to the comment Graphviz writes before the next node, edge or the end
  const end = svg.indexOf('\n<!-- ', start);
  return svg.slice(start, end < 0 ? undefined : end);
}

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('plate diagrams of the examples', () => {
  for (const ex of EXAMPLES) {
    it(`${ex.name}: every node and plate label, observed nodes styled as observed`, async () => {
      const model = compile(readExample(ex.model), { filename: ex.model });
      const bound = bindModel(model, { data: readData(ex.data) });
      const diagram = plateDiagram(model.graph, bound);
      const svg = await diagramSvg(model.graph, bound);
      const drawn = Object.values(model.graph.nodes).filter((n) => n.kind !== 'size');
      expect(diagram.nodes.map((n) => n.name).sort()).toEqual(drawn.map((n) => n.name).sort());
      for (const n of drawn) {
        const g = nodeGroup(svg, n.name);
        expect(g, n.name).toBeDefined();
        expect(g).toContain(`>${xmlText(n.name)}</text>`);
      }
      for (const p of diagram.plates) expect(svg).toContain(`>${xmlText(p.label)}</text>`);
      expect(diagram.plates).toHaveLength(Object.keys(model.graph.plates).length);
      for (const n of diagram.nodes) {
        const g = nodeGroup(svg, n.name)!;
        const observed = n.role === 'observed' || n.role === 'data';
        expect(g.includes('observed'), `${n.name} class`).toBe(n.role === 'observed');
        expect(g.includes(`fill="${OBSERVED_FILL}"`), `${n.name} fill`).toBe(observed);
        // the data decides: a stochastic node is observed exactly when binding says so
        const o = bound.observation[n.name];
        if (o) expect(n.role).toBe(o.kind);
      }
    });
  }

  it('LDA: the words are observed, the topics latent; plates carry sizes from the data', async () => {
    const ex = EXAMPLES.find((e) => e.name === 'lda')!;
    const model = compile(readExample(ex.model));
    const roles = (d: ReturnType<typeof plateDiagram>) =>
      Object.fromEntries(d.nodes.map((n) => [n.name, n.role]));
    const bound = bindModel(model, { data: readData(ex.data) });
    expect(roles(plateDiagram(model.graph, bound))).toEqual({
      alpha: 'hyper',
      eta: 'hyper',
      beta: 'latent',
      theta: 'latent',
      z: 'latent',
      w: 'observed',
    });
    const labels = plateDiagram(model.graph, bound).plates.map((p) => p.label);
    const N = readData(ex.data).N as number[];
    expect(labels).toEqual([
      'k in K = 20',
      `d in D = ${N.length}`,
      `n in N[d] = ${Math.min(...N)}..${Math.max(...N)}`,
    ]);
    // without data: the leaves are observed, and the default size is shown
    const d = plateDiagram(model.graph);
    expect(roles(d).w).toBe('observed');
    expect(roles(d).z).toBe('latent');
    expect(d.plates.map((p) => p.label)).toEqual(['k in K = 20', 'd in D', 'n in N[d]']);
    // sizes alone: nothing is observed
    const sizesOnly = bindModel(model, { data: readData('examples/lda/lda-sizes.json') });
    expect(roles(plateDiagram(model.graph, sizesOnly)).w).toBe('latent');
  });

  it('deterministic nodes are diamonds, nets boxes, params and hypers dots; DOT, SVG and PNG', async () => {
    const model = compile(
      [
        'model m {',
        '  size N',
        '  hyper s: real(0,) = 1',
        '  param b: real = 0',
        '  net f = mlp(2 -> 3 -> 1, act = relu)',
        '  mu ~ Normal(b, s)',
        '  m2 = mu * 2',
        '  plate i in N {',
        '    y[i] ~ Normal(m2, s)',
        '  }',
        '}',
      ].join('\n'),
    );
    const dot = (await renderDiagram(model.graph, 'dot')) as string;
    expect(dot).toMatch(/"m2" \[shape="diamond"/);
    expect(dot).toMatch(/"s" \[shape="point"/);
    expect(dot).toMatch(/"b" \[shape="point"/);
    expect(dot).toMatch(/"f" \[shape="box"/);
    expect(dot).toMatch(/"y" \[shape="circle", style="filled", fillcolor="#b8b8b8"/);
    const png = (await renderDiagram(model.graph, 'png')) as Uint8Array;
    // the PNG signature, and a width read from the IHDR chunk
    expect([...png.slice(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(new DataView(png.buffer, png.byteOffset).getUint32(16)).toBeGreaterThan(50);
  });
});
