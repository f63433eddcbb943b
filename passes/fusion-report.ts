// Fusion counts for reports (`xfc compile --report`, `xfc inspect`): how many blocks of each kind run fused.
//
// Counted on a graph by the fused ops it holds, so a fusion that another one absorbed still counts: a layer norm
// is a LayerNormalization or a SkipLayerNormalization, a GELU is a Gelu or a Linear with a GELU epilogue.

import type { Graph } from '../compiler/ir/graph.js';

export interface FusionCounts {
  attention: number;
  layernorm: number;
  gelu: number;
  skip_layernorm: number;
  linear: number;
}

/** The fused blocks of each kind in `graph`. */
export function fusionCounts(graph: Graph): FusionCounts {
  const counts: FusionCounts = { attention: 0, layernorm: 0, gelu: 0, skip_layernorm: 0, linear: 0 };
  for (const n of graph.nodes) {
    if (n.op === 'Attention') counts.attention++;
    else if (n.op === 'LayerNormalization') counts.layernorm++;
    else if (n.op === 'SkipLayerNormalization') {
      counts.layernorm++;
      counts.skip_layernorm++;
    } else if (n.op === 'Gelu') counts.gelu++;
    else if (n.op === 'Linear') {
      counts.linear++;
      if (n.attrs.activation === 'gelu' || n.attrs.activation === 'gelu_tanh') counts.gelu++;
    }
  }
  return counts;
}

/**
 * The fusions the pipeline applied going from `before` to `after`: blocks that run fused in `after` and did not in
 * `before` (an opset-17 LayerNormalization imported as one op is not a new layer-norm fusion).
 */
export function countFusions(before: Graph, after: Graph): FusionCounts {
  const a = fusionCounts(before);
  const b = fusionCounts(after);
  const out = { ...b };
  for (const k of Object.keys(out) as (keyof FusionCounts)[]) out[k] = Math.max(0, b[k] - a[k]);
  return out;
}
