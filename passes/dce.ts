// Dead code elimination: removes nodes none of whose results reaches a graph output, and unused constants.
// Graph inputs stay (they are the model's interface) even when nothing reads them.

import type { Graph, Node, Value } from '../compiler/ir/graph.js';
import type { Pass } from './pass.js';

export function eliminateDeadCode(graph: Graph): { changed: boolean; stats: Record<string, number> } {
  const live = new Set<Value>(graph.outputs);
  const kept: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (!n.outputs.some((v) => live.has(v))) continue;
    kept.push(n);
    for (const v of n.inputs) if (v) live.add(v);
  }
  kept.reverse();
  const constants = graph.constants.filter((c) => live.has(c));
  const stats: Record<string, number> = {};
  if (kept.length < graph.nodes.length) stats['nodes-removed'] = graph.nodes.length - kept.length;
  if (constants.length < graph.constants.length) stats['constants-removed'] = graph.constants.length - constants.length;
  graph.nodes = kept;
  graph.constants = constants;
  return { changed: Object.keys(stats).length > 0, stats };
}

export const dce: Pass = {
  name: 'dce',
  description: 'removes nodes whose results are unused and constants nothing reads',
  run: (graph) => eliminateDeadCode(graph),
};
