// The optimization entry point the compile command calls: the default pipeline through the pass manager.

import type { Graph } from '../compiler/ir/graph.js';
import { type PipelineOptions, type PipelineResult, runPipeline } from './manager.js';

export { DEFAULT_PIPELINE, FUSED_PIPELINE, FUSION_PASSES } from './index.js';

/** Optimizes the graph in place with the default pipeline (or `options.passes`). */
export function optimize(graph: Graph, options: PipelineOptions = {}): PipelineResult {
  return runPipeline(graph, options);
}
