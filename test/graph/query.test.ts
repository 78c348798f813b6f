import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bind } from '../../src/graph/bind.js';
import { readDataText } from '../../src/graph/data.js';
import {
  ancestors,
  children,
  descendants,
  latentNodes,
  nodesInPlate,
  observedNodes,
  platesOf,
  stochasticNodes,
} from '../../src/graph/query.js';
import { MODELS } from '../support/models.js';
import { graphOf } from './helpers.js';

const names = (ns: readonly { name: string }[]) => ns.map((n) => n.name);

describe('graph queries', () => {
  const lda = graphOf(MODELS.lda);

  it('children, ancestors and descendants follow the parents, in topological order', () => {
    expect(names(children(lda, 'theta'))).toEqual(['z']);
    expect(names(children(lda, 'V'))).toEqual(['beta']);
    expect(names(children(lda, 'z'))).toEqual(['w']);
    expect(names(children(lda, 'w'))).toEqual([]);
    expect(ancestors(lda, 'w')).toEqual(['K', 'V', 'alpha', 'eta', 'beta', 'theta', 'z']);
    expect(ancestors(lda, 'alpha')).toEqual([]);
    expect(descendants(lda, 'alpha')).toEqual(['theta', 'z', 'w']);
    expect(descendants(lda, 'eta')).toEqual(['beta', 'w']);
    expect(descendants(lda, 'w')).toEqual([]);
  });

  it('stochastic nodes, plates and their members', () => {
    expect(names(stochasticNodes(lda))).toEqual(['beta', 'theta', 'z', 'w']);
    expect(names(nodesInPlate(lda, 'd'))).toEqual(['theta', 'z', 'w']);
    expect(names(nodesInPlate(lda, 'n'))).toEqual(['z', 'w']);
    expect(platesOf(lda, 'w').map((p) => p.id)).toEqual(['d', 'n']);
    expect(platesOf(lda, 'alpha')).toEqual([]);
  });

  it('latent and observed nodes depend on the data', () => {
    const coin = graphOf(MODELS.coin);
    const observed = bind(coin, { y: [1, 0] });
    expect(names(latentNodes(observed))).toEqual(['theta']);
    expect(names(observedNodes(observed))).toEqual(['y']);
    const partial = bind(coin, { y: [1, null] });
    expect(names(latentNodes(partial))).toEqual(['theta', 'y']);
    const prior = bind(coin, { N: 3 });
    expect(names(latentNodes(prior))).toEqual(['theta', 'y']);
    expect(names(observedNodes(prior))).toEqual([]);
  });
});

describe('the examples bind to their data files', () => {
  it('every examples/*/*.json that holds a model variable binds', () => {
    const root = join(import.meta.dirname, '../../examples');
    let bound = 0;
    for (const dir of readdirSync(root)) {
      const files = readdirSync(join(root, dir));
      for (const m of files.filter((f) => f.endsWith('.plato'))) {
        const g = graphOf(readFileSync(join(root, dir, m), 'utf8'), m);
        // *.init.json: starting values for em's --init, not data; *.meta.json: the data of a
        // --stream (cavi's stochastic VI) without its streamed plate, which binds only with it
        const aux = (x: string) => x.endsWith('.init.json') || x.endsWith('.meta.json');
        for (const f of files.filter((x) => x.endsWith('.json') && !aux(x))) {
          const data = readDataText(readFileSync(join(root, dir, f), 'utf8'), f);
          // auxiliary files (reference answers, vocabularies) hold none of the model's names
          if (!Object.keys(data).some((k) => g.nodes[k])) continue;
          const b = bind(g, data, { dataFile: f });
          expect(Object.keys(b.sizes).sort(), `${dir}/${f}`).toEqual(
            Object.values(g.nodes)
              .filter((n) => n.kind === 'size')
              .map((n) => n.name)
              .sort(),
          );
          bound++;
        }
      }
    }
    expect(bound).toBeGreaterThanOrEqual(7);
  });
});
