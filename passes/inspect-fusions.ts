// What `xfc inspect` shows as "fusions the pipeline would apply": the fused pipeline run on a copy of the graph.

import type { Graph } from '../compiler/ir/graph.js';
import { type FusionCounts, fusionCounts } from './fusion-report.js';
import { FUSED_PIPELINE } from './index.js';
import { runPipeline, snapshot } from './manager.js';

/**
 * The fused blocks of each kind after the fused pipeline, computed on a copy (the graph itself is not changed).
 * Layer norms count whether they were decomposed (opset < 17) or already one op: it is how they will run.
 */
export function fusionSummary(graph: Graph): FusionCounts {
  const copy = snapshot(graph);
  runPipeline(copy, { passes: FUSED_PIPELINE });
  return fusionCounts(copy);
}
