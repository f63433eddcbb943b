// Registers every WebGPU kernel (import for its side effects).
import './elementwise.js';
import './copy.js';
import './matmul.js';
import './rows.js';
import './attention.js';
import './generate.js';
import './scatter.js';
import './reduce.js';
import './conv.js';
import './einsum.js';
