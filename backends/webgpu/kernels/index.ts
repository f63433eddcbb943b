// Registers every WebGPU kernel (import for its side effects).
import './elementwise.js';
import './copy.js';
import './matmul.js';
import './rows.js';
import './attention.js';
