// Registers every wasm kernel (import once; each kernel file calls registerKernel for its ops).

import './copy.js';
import './logic.js';
import './generate.js';
import './window.js';
import './scatter.js';
import './scan.js';
import './gemm.js';
import './elementwise.js';
import './reduce.js';
import './softmax.js';
import './layernorm.js';
import './conv.js';
import './linear.js';
import './skip-layernorm.js';
import './attention.js';
import './einsum.js';
