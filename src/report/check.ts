// `plato check --json`: the plates and nodes of a model graph.
import type { ModelGraph } from '../graph/ir.js';
import { truncationText } from '../graph/print.js';
import type { CheckResult } from './result.js';

export function checkResult(graph: ModelGraph): CheckResult {
  const plateName = (id: string) => graph.plates[id]?.index ?? id;
  const plates = Object.values(graph.plates).map((p) => ({
    name: p.index,
    size: p.size,
    parent: p.parent ? plateName(p.parent) : null,
    ...(p.lags?.length
      ? { chain: p.lags.map((l) => `${l.node} reads ${l.reads}[${p.index} - ${l.k}]`) }
      : {}),
  }));
  const nodes = graph.order.map((name) => {
    const n = graph.nodes[name]!;
    return {
      name,
      kind: n.kind,
      distribution: n.kind === 'stochastic' ? n.distribution : null,
      ...(n.kind === 'stochastic' && n.truncation ? { truncation: truncationText(n) } : {}),
      plates: n.plates.map(plateName),
      parents: [...n.parents],
      line: n.line,
    };
  });
  return { model: graph.name, plates, nodes };
}
