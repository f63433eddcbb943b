// Every pass xfc has, by name, and the default order (pipeline.ts runs it; `--passes` overrides it).

import { canonicalize } from './canonicalize.js';
import { constantFold } from './constant-fold.js';
import { cse } from './cse.js';
import { dce } from './dce.js';
import { fuseAttention } from './fuse-attention.js';
import { fuseGelu } from './fuse-gelu.js';
import { fuseLayernorm } from './fuse-layernorm.js';
import { fuseLinear } from './fuse-linear.js';
import { fuseSkipLayernorm } from './fuse-skip-layernorm.js';
import type { Pass } from './pass.js';
import { simplifyLayout } from './simplify-layout.js';

export const ALL_PASSES: readonly Pass[] = [
  constantFold, canonicalize, simplifyLayout, cse, dce, fuseLayernorm, fuseGelu, fuseAttention, fuseSkipLayernorm, fuseLinear,
];

/**
 * Fusions, in order: each produces an op declared in the registry (LayerNormalization, Gelu, Attention,
 * SkipLayerNormalization, Linear). Layer norms and GELUs first (SkipLayerNorm and Linear's activation build on
 * them); attention before Linear (its head merge feeds the out-projection's flattening view, which Linear then
 * absorbs); SkipLayerNorm before Linear, so residual adds feeding a layer norm go to SkipLayerNorm and Linear keeps
 * the bias.
 */
export const FUSION_PASSES: readonly string[] = ['fuse-layernorm', 'fuse-gelu', 'fuse-attention', 'fuse-skip-layernorm', 'fuse-linear'];

/**
 * The pipeline with the fusions. Folding first turns run-time shape chains into constants; canonicalization then
 * sees constant operands and gives the fusions one spelling of each computation; CSE merges what the first two
 * made equal; DCE drops what folding left dead (a dead Shape user would look like a second use to the fusions);
 * the fusions run on that; a second fold and canonicalization clean up after them; DCE last.
 */
export const FUSED_PIPELINE: readonly string[] = [
  'constant-fold', 'canonicalize', 'cse', 'dce',
  ...FUSION_PASSES,
  'constant-fold', 'canonicalize', 'dce',
];

/** The default pipeline is the fused one: every fused op has reference semantics, and backends provide kernels. */
export const DEFAULT_PIPELINE: readonly string[] = FUSED_PIPELINE;
