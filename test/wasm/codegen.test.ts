// The wasm code generator: diagnostics before emission, memory layout and ABI, the KernelContext, golden text.

import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Graph } from '../../compiler/ir/graph.js';
import { parseGraph } from '../../compiler/ir/parse.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { defineOp } from '../../compiler/ops/registry.js';
import { lowerGraph } from '../../backends/common/lower.js';
import { InvalidModuleError, PASSES, generateWasm, wasmLayout } from '../../backends/wasm/codegen.js';
import { compileWasm } from '../../backends/wasm/index.js';
import { registerKernel } from '../../backends/wasm/kernel.js';
import { relaxedSimdAvailable, runCompiled } from './harness.js';
import { errorsOf, randomTensor } from '../helpers.js';

// Test-only ops: one no backend has a kernel for, one whose kernel writes what the context computes, one
// whose kernel emits an invalid expression.
const probe = (name: string, dtype: 'i32' | 'f32') => defineOp({
  name, domain: 'xfc.test', summary: 'codegen test probe', inputs: [{ name: 'x' }], outputs: [{ name: 'y' }], attrs: {},
  infer: () => [{ dtype, shape: [4] }],
  evaluate: () => [Tensor.zeros(dtype, [4])],
});
probe('NoKernelProbe', 'f32');
probe('ContextProbe', 'i32');
probe('InvalidProbe', 'i32');

registerKernel({
  op: 'ContextProbe',
  emit(ctx, step) {
    const m = ctx.module;
    const out = () => ctx.ptr(step.outputs[0]!);
    const name = ctx.fn('probe_store', binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, (mm) => ({
      vars: [],
      body: mm.i32.store(0, 4, mm.i32.add(mm.local.get(0, binaryen.i32), mm.local.get(1, binaryen.i32)), mm.local.get(2, binaryen.i32)),
    }));
    const store = (k: number, v: binaryen.ExpressionRef) => m.call(name, [out(), m.i32.const(4 * k), v], binaryen.none);
    return m.block(null, [
      store(0, ctx.dim('2*batch*seq+3')),
      store(1, ctx.dim('seq-batch')),
      store(2, ctx.size(['batch', 'seq', 3])),
      store(3, m.i32.sub(out(), ctx.ptr(step.inputs[0]!))),
    ], binaryen.none);
  },
});
registerKernel({
  op: 'InvalidProbe',
  emit: (ctx) => ctx.module.drop(ctx.module.i32.add(ctx.module.i32.const(1), ctx.module.f32.const(1))),
});

function probeGraph(op: string, count = 1): Graph {
  const g = new Graph('probe');
  const b = new GraphBuilder(g, { fold: false });
  const x = g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq'] });
  g.outputs = Array.from({ length: count }, (_, i) => b.add(op, [x], {}, { domain: 'xfc.test', name: `/probe${i}` })[0]!);
  return g;
}

describe('generateWasm', () => {
  it('reports every node without a kernel at once, before lowering', () => {
    expect(errorsOf(() => compileWasm(probeGraph('NoKernelProbe', 3)))).toEqual([0, 1, 2].map((i) =>
      `error XFC0101: NoKernelProbe node '/probe${i}': the wasm backend has no kernel for op 'NoKernelProbe'`));
  });

  it('reports every kernel refusal at once', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[3]) {
  %a: f16[3] = Cast(%x) {to = 10} @"/a"
  %b: bf16[3] = Cast(%x) {to = 16} @"/b"
  return %a, %b
}`);
    expect(errorsOf(() => compileWasm(g))).toEqual([
      "error XFC0102: Cast node '/a': the wasm backend cannot compile this node: dtype f16 is not supported",
      "error XFC0102: Cast node '/b': the wasm backend cannot compile this node: dtype bf16 is not supported",
    ]);
  });

  it('turns a module that does not validate into an internal error carrying its text', () => {
    let error: unknown;
    try {
      compileWasm(probeGraph('InvalidProbe'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidModuleError);
    const e = error as InvalidModuleError;
    expect(e.diagnostics.map(String)).toHaveLength(1);
    expect(e.diagnostics[0]!.toString()).toMatch(/^error XFC0103: internal error in the wasm backend: the generated module does not validate:\\n\(module/);
    expect(e.moduleText).toContain('(i32.add\n    (i32.const 1)\n    (f32.const 1)');
  });

  it('lays out weights, the run table and the arena as docs/bundle.md says', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[batch, 100]) {
  %w = const f32[100] dense<hex:${'00'.repeat(400)}>
  %y: bool[batch, 100] = Equal(%x, %w)
  return %y
}`);
    const { schedule, manifestWasm, simd, weights } = compileWasm(g, { relaxed: false });
    expect(schedule.weightBytes).toBe(448);
    expect(wasmLayout(schedule)).toEqual({ weightsBase: 64, tableBase: 512, arenaBase: 576 });
    expect(manifestWasm).toEqual({
      module: 'model.wasm', weights: 'weights.bin', weightsBase: 64, tableBase: 512, arenaBase: 576,
      symbols: ['batch'],
      buffers: [{ bytes: '400*batch', first: -1, last: 0 }, { bytes: '100*batch', first: 0, last: 1 }],
      inputs: [{ name: 'x', buffer: 0, offset: 0 }],
      outputs: [{ name: 'y', buffer: 1, offset: 0 }],
    });
    expect(weights.length).toBe(448);
    const mod = new WebAssembly.Module(simd.binary as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.exports(mod)).toEqual([{ name: 'memory', kind: 'memory' }, { name: 'run', kind: 'function' }]);
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
    expect(simd.text).toContain('(memory $0 1 65536)');
  });

  it('reserves enough initial pages to cover the table of a large weights image', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[70000]) {
  %w = const f32[70000] dense<hex:${'00'.repeat(280000)}>
  %y: bool[70000] = Less(%x, %w)
  return %y
}`);
    const { simd } = compileWasm(g, { relaxed: false });
    expect(simd.text).toContain('(memory $0 5 65536)'); // arenaBase = 280128 -> 5 pages
  });

  it('implements ptr, dim and size over the run table (symbolic dims at several values)', async () => {
    const compiled = compileWasm(probeGraph('ContextProbe'), { relaxed: false });
    for (const [batch, seq] of [[1, 1], [3, 5], [2, 40]] as const) {
      const out = await runCompiled(compiled, { x: randomTensor('f32', [batch, seq]) });
      const [expr, diff, size, distance] = Array.from(out[compiled.schedule.outputs[0]!.name]!.data as Int32Array);
      expect([expr, diff, size]).toEqual([2 * batch * seq + 3, seq - batch, batch * seq * 3]);
      expect(distance! % 64).toBe(0); // two live buffers, both 64-aligned, distinct
      expect(distance).not.toBe(0);
    }
  });

  it('memoizes kernel functions by name: one body per specialization', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[2, 3, 4], %y: f32[5, 6, 7]) {
  %a: f32[3, 2, 4] = Transpose(%x) {perm = [1, 0, 2]}
  %b: f32[6, 5, 7] = Transpose(%y) {perm = [1, 0, 2]}
  return %a, %b
}`);
    const { simd } = compileWasm(g, { relaxed: false });
    expect(simd.text.match(/\(func \$xfc_copy_run_r3_e4/g)).toHaveLength(1);
    expect(simd.text.match(/\(call \$xfc_copy_run_r3_e4/g)).toHaveLength(2);
  });

  it('runs a pass list made of real binaryen passes, and emits a relaxed variant', () => {
    const schedule = lowerGraph(parseGraph(`opsets {"" = 17}
graph g(%x: f32[seq, 4]) {
  %y: f32[4, seq] = Transpose(%x)
  return %y
}`));
    expect(PASSES.length).toBeGreaterThan(10);
    const simd = generateWasm(schedule, { relaxedSimd: false });
    const relaxed = generateWasm(schedule, { relaxedSimd: true });
    expect(WebAssembly.validate(simd.binary as Uint8Array<ArrayBuffer>)).toBe(true);
    if (relaxedSimdAvailable()) expect(WebAssembly.validate(relaxed.binary as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(relaxed.layout).toEqual(simd.layout);
  });

  it('emits the code of a tiny model as in its golden text', async () => {
    // Shape ops, views and data movement only, so that only this backend's spine changes the golden.
    const g = parseGraph(`opsets {"" = 17}
graph tiny(%ids: i64[batch, seq], %mask: bool[batch, seq]) {
  %table = const f32[10, 8] dense<hex:${Array.from({ length: 80 }, (_, i) => Buffer.from(new Float32Array([i / 10]).buffer).toString('hex')).join('')}>
  %emb: f32[batch, seq, 8] = Gather(%table, %ids)
  %s = const i64[4] [0, 0, 2, 4]
  %heads: f32[batch, seq, 2, 4] = Reshape(%emb, %s)
  %t: f32[batch, 2, seq, 4] = Transpose(%heads) {perm = [0, 2, 1, 3]}
  %m: bool[batch, 1, seq, 1] = Unsqueeze(%mask) {axes = [1, 3]}
  %neg = const f32[] [-1.0]
  %y: f32[batch, 2, seq, 4] = Where(%m, %t, %neg)
  return %y
}`);
    const compiled = compileWasm(g, { relaxed: false });
    await expect(compiled.simd.text).toMatchFileSnapshot('__snapshots__/tiny.wat');
    const ids = Tensor.fromNumbers('i64', [2, 3], [0, 9, 4, 1, 1, 7]);
    const mask = Tensor.fromNumbers('bool', [2, 3], [1, 0, 1, 1, 1, 0]);
    const out = (await runCompiled(compiled, { ids, mask })).y!;
    expect(out.shape).toEqual([2, 2, 3, 4]);
    // batch 0, head 1, position 0 (id 0, kept): table[0, 4..8]; position 1 masked out.
    expect(Array.from(out.data.slice(12, 20) as Float32Array).map((v) => Math.round(v * 10) / 10)).toEqual([0.4, 0.5, 0.6, 0.7, -1, -1, -1, -1]);
  });
});
