#!/usr/bin/env node
// The `xfc` command: runs the compiled CLI (built into dist/ by `npm install` / `npm run build`).
import v8 from 'node:v8';

// Browsers ship relaxed SIMD; Node 20's V8 has it behind a flag. Turning it on here (before any module is
// compiled) lets `xfc run/bench --backend wasm` pick model.relaxed.wasm as a browser would; the runtime still
// feature-detects, and `--relaxed-simd off` on `xfc bench` measures the plain SIMD128 module.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
