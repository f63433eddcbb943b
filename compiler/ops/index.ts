// Registers every op of xfc (import this module once before using the registry).

import './elementwise.js';
import './reduce.js';
import './linalg.js';
import './normalization.js';
import './shape.js';
import './layout.js';
import './generators.js';
import './misc.js';
import './matrix.js';
import './scan.js';
import './pad.js';
import './scatter.js';
import './fused.js';
import './attention.js';

export { getOp, allOps, defineOp, attr } from './registry.js';
export type { OpDef } from './registry.js';
