// vitest configuration: tests live under test/, run in forked workers with relaxed SIMD enabled in V8.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // Node 20 runs relaxed-SIMD wasm only behind this flag; browsers ship it. Tests cover both module variants.
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
