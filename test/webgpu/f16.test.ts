// The f16 WebGPU plan (f32 tensors stored as f16, arithmetic in f32) on a device with shader-f16: Mesa lavapipe.
//
// One-node graphs against the interpreter run on the same f16-rounded inputs: the only difference left is the
// rounding of the result to f16, so rel. L2 <= 2^-11 (4.9e-4) holds whatever the op. Then the plan's choices
// (what stays f32), and the runtime's choice of plan. SwiftShader has no shader-f16: without lavapipe
// (scripts/fetch-lavapipe.sh) these suites skip, saying so.

import { LAVAPIPE_ICD, lavapipeInstalled } from './lavapipe.js';
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { bundleFiles } from '../../backends/bundle.js';
import type { CompiledWebGpu } from '../../backends/webgpu/index.js';
import { compileModel } from '../../cli/compile.js';
import { readNpyFile } from '../../compiler/io/npy.js';
import { BundleError, UnsupportedError, loadModel, type RuntimeTypedArray } from '../../runtime/index.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Graph } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { fromF16, toF16Saturated } from '../../runtime/half.js';
import { randomTensor, relL2 } from '../helpers.js';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { optimize } from '../../passes/pipeline.js';
import { labelledModels, smallestCases } from './cases.js';
import { compareWithInterpreter, compilePacked, compileWebGpu, executor, gpuState, gpuUnavailable, oneNode, runGpu, shaderMessages } from './gpu.js';

const f16Unavailable = gpuUnavailable ?? (gpuState.device!.features.has('shader-f16') ? undefined
  : `the WebGPU adapter (${gpuState.adapter}) has no shader-f16${lavapipeInstalled ? '' : `: run scripts/fetch-lavapipe.sh (Mesa 25 lavapipe, ${LAVAPIPE_ICD})`}`);
if (f16Unavailable) console.warn(`test/webgpu/f16: skipped: ${f16Unavailable}`);

/** A tensor's f32 values rounded to f16 (other dtypes unchanged). */
function toHalfValues(t: Tensor): Tensor {
  if (t.dtype !== 'f32') return t;
  return new Tensor('f32', [...t.shape], fromF16(toF16Saturated(t.data as Float32Array)));
}

type Inputs = Parameters<typeof oneNode>[1];
const rounded = (inputs: Inputs): Inputs => inputs.map((t) => (t === null ? null : t instanceof Tensor ? toHalfValues(t) : { constant: toHalfValues(t.constant) }));

/** One result rounding to f16 (2^-11 relative per element) and f32 arithmetic. */
const ONE_ROUNDING = 5e-4;

async function check(op: string, inputs: Inputs, attrs: Parameters<typeof oneNode>[2] = {}, options: { numOutputs?: number; compile?: (g: Graph) => CompiledWebGpu } = {}): Promise<CompiledWebGpu> {
  const { graph, feeds } = oneNode(op, rounded(inputs), attrs, undefined, options.numOutputs);
  const { c } = await compareWithInterpreter(graph, feeds, { precision: 'f16', tol: ONE_ROUNDING, ...(options.compile ? { compile: options.compile } : {}) });
  return c;
}

const r = randomTensor;

describe.skipIf(f16Unavailable)('webgpu f16 storage: kernels', () => {
  it('elementwise with broadcasting, unary math, Where', async () => {
    const c = await check('Add', [r('f32', [3, 1, 7], 1), r('f32', [5, 7], 2)]);
    expect(Object.values(c.shaders).some((s) => s.startsWith('enable f16;'))).toBe(true);
    await check('Mul', [r('f32', [4, 9], 3), { constant: r('f32', [9], 4) }]);
    await check('Gelu', [r('f32', [2, 33], 5, -4, 4)]);
    await check('Exp', [r('f32', [17], 6, -5, 5)]);
    await check('Where', [r('bool', [3, 5], 7, 0, 2), r('f32', [3, 5], 8), r('f32', [1, 5], 9)]);
  });
  it('MatMul, Linear with bias, GELU and residual (dense and wasm-packed weights), Gemm', async () => {
    await check('MatMul', [r('f32', [2, 9, 20], 1), r('f32', [20, 13], 2)]);
    await check('Linear', [r('f32', [2, 9, 20], 1), { constant: r('f32', [20, 18], 2) }, { constant: r('f32', [18], 3) }, r('f32', [2, 9, 18], 4)], { activation: 'gelu' });
    const c = await check('Linear', [r('f32', [2, 5, 11], 1), { constant: r('f32', [11, 13], 2) }, { constant: r('f32', [13], 3) }], { activation: 'gelu' }, { compile: (g) => compilePacked(g, true) });
    expect(c.planF16!.weights.restore).toBeUndefined(); // read packed, in place, from the f16 copy
    await check('Gemm', [r('f32', [7, 5], 3), r('f32', [6, 7], 4), r('f32', [6], 5)], { transA: 1, transB: 1, alpha: 2 });
  });
  it('Attention (causal, additive mask), LayerNormalization, SkipLayerNormalization, Softmax, ReduceMean', async () => {
    await check('Attention', [r('f32', [2, 9, 8], 1), r('f32', [2, 11, 8], 2), r('f32', [2, 11, 8], 3), r('f32', [2, 1, 1, 11], 4, -3, 3)], { num_heads: 2, scale: 0.5, mask_kind: 'additive', causal: 1 });
    await check('LayerNormalization', [r('f32', [5, 33], 2), { constant: r('f32', [33], 3) }, { constant: r('f32', [33], 4) }], { axis: -1, epsilon: 1e-5 }, { numOutputs: 1 });
    await check('SkipLayerNormalization', [r('f32', [2, 3, 65], 1), r('f32', [2, 3, 65], 2), { constant: r('f32', [65], 3) }, { constant: r('f32', [65], 4) }, { constant: r('f32', [65], 5) }], { epsilon: 1e-5 });
    await check('Softmax', [r('f32', [3, 4, 10], 6, -5, 5)], { axis: 1 });
    await check('ReduceMean', [r('f32', [4, 6, 5], 7), { constant: Tensor.fromNumbers('i64', [1], [1]) }], { keepdims: 1 });
  });
  it('data movement moves f16 values: Transpose, Concat, Gather, Slice, Pad, Expand', async () => {
    await check('Transpose', [r('f32', [3, 5, 7], 1)], { perm: [2, 0, 1] });
    await check('Concat', [r('f32', [2, 3], 1), r('f32', [2, 5], 2)], { axis: 1 });
    await check('Gather', [{ constant: r('f32', [11, 6], 3) }, Tensor.fromNumbers('i64', [2, 3], [0, 10, -1, 4, 4, 2])], { axis: 0 });
    await check('Pad', [r('f32', [3, 4], 4), { constant: Tensor.fromNumbers('i64', [4], [1, 0, 2, 3]) }, { constant: Tensor.fromNumbers('f32', [], [0.75]) }], { mode: 'constant' });
    await check('Expand', [r('f32', [3, 1], 5), { constant: Tensor.fromNumbers('i64', [3], [2, 3, 4]) }]);
  });
  it('values beyond the f16 range saturate at ±65504 (a float-min mask stays finite: 0 × it is 0, not NaN)', async () => {
    const x = Tensor.fromNumbers('f32', [4], [1e9, -3.4e38, 70000, 2]);
    const { graph, feeds } = oneNode('Mul', [x, Tensor.fromNumbers('f32', [4], [1, 0, -1, 0.5])]);
    const { got } = await compareWithInterpreter(graph, feeds, { precision: 'f16', tol: Infinity });
    expect(Array.from(got[0]!.data as Float32Array)).toEqual([65504, -0, -65504, 1]);
  });
});

describe('f16 plan: NaN', () => {
  it('a NaN result is stored as an f16 NaN, not saturated to ±65504 (0/0, sqrt(-1), NaN input)', async () => {
    const { graph, feeds } = oneNode('Div', [Tensor.fromNumbers('f32', [4], [0, 3, Number.NaN, -1]), Tensor.fromNumbers('f32', [4], [0, 2, 1, 0.5])]);
    const { got } = await compareWithInterpreter(graph, feeds, { precision: 'f16', tol: Infinity });
    expect(Array.from(got[0]!.data as Float32Array)).toEqual([Number.NaN, 1.5, Number.NaN, -2]);
    const sqrt = oneNode('Sqrt', [Tensor.fromNumbers('f32', [3], [-1, 4, 0.25])]);
    const s = await compareWithInterpreter(sqrt.graph, sqrt.feeds, { precision: 'f16', tol: Infinity });
    expect(Array.from(s.got[0]!.data as Float32Array)).toEqual([Number.NaN, 2, 0.5]);
  });
});

describe('f16 plan: what is stored as f16', () => {
  it('f32 arena buffers and weights are f16; operands of exact ops (Cast, comparisons, ArgMax) and integer tensors stay words', () => {
    const graph = new Graph('t');
    const b = new GraphBuilder(graph, { fold: false });
    const x = graph.addInput('x', { dtype: 'f32', shape: [4, 6] });
    const [y] = b.add('Add', [x, b.constant(r('f32', [6], 2), 'w')], {}, { name: 'add' });
    const [z] = b.add('Mul', [y!, y!], {}, { name: 'mul' });
    const [i] = b.add('Cast', [z!], { to: 6 }, { name: 'cast' }); // to int32: z stays f32
    const [t] = b.add('Neg', [y!], {}, { name: 'neg' });
    const [m] = b.add('Greater', [t!, b.constant(r('f32', [6], 3), 'limit')], {}, { name: 'greater' }); // t and limit stay f32
    graph.outputs = [z!, i!, m!];
    const c = compileWebGpu(graph, { f16: true });
    const plan = c.planF16!;
    expect(plan).toMatchObject({ version: 3, precision: 'f16' });
    expect(c.plan.version).toBe(2);
    expect(c.plan.buffers.some((buf) => buf.half)).toBe(false);
    const refOf = (name: string) => [...c.schedule.inputs, ...c.schedule.outputs].find((io) => io.name === name)?.ref
      ?? c.schedule.steps.flatMap((s) => s.outputs.map((o, k) => [s.node.outputs[k]!.name, o] as const)).find(([n]) => n === name)![1];
    const half = (name: string): boolean => {
      const loc = refOf(name).loc;
      return loc.kind === 'arena' && plan.buffers[loc.buffer]!.half === true;
    };
    expect([x, y!, z!, t!, i!, m!].map((v) => half(v.name))).toEqual([true, true, false, false, false, false]);
    const entry = (label: string) => c.schedule.weights.find((w) => w.label.includes(label))!;
    expect(plan.weights.half).toEqual([{ offset: entry('w').byteOffset, bytes: 24 }]);
    expect(entry('limit')).toBeDefined();
    const sources = plan.shaders.map((s) => c.shaders[s.file]!);
    expect(sources.filter((s) => s.startsWith('enable f16;')).length).toBeGreaterThan(0);
    // The f32 plan's shaders are shared where equal (Cast reads z as words in both plans).
    expect(new Set([...c.plan.shaders, ...plan.shaders].map((s) => s.file)).size).toBeLessThan(c.plan.shaders.length + plan.shaders.length);
  });
});

const EXAMPLES = path.resolve(import.meta.dirname, '..', '..', 'examples');

describe.skipIf(f16Unavailable)('webgpu f16: loading a bundle', () => {
  it("'auto' runs the f16 plan on a shader-f16 device and f32 elsewhere; 'f16' and 'f32' force it; results within f16 rounding", async () => {
    const { contents } = await compileModel(path.join(EXAMPLES, 'tiny-bert.onnx'), { target: 'all' });
    expect(contents.manifest.webgpu).toEqual({ plan: 'webgpu/plan.json', planF16: 'webgpu/plan-f16.json' });
    const files = bundleFiles(contents);
    const feeds = Object.fromEntries(['input_ids', 'attention_mask'].map((n) => {
      const t = readNpyFile(path.join(EXAMPLES, `${n}.npy`));
      return [n, { data: t.data as RuntimeTypedArray, dims: [...t.shape] }];
    }));
    const device = gpuState.device!;
    const run = async (options: Parameters<typeof loadModel>[1]): Promise<{ variant: string; out: Float32Array }> => {
      const model = await loadModel(files, options);
      try {
        return { variant: model.variant, out: (await model.run(feeds)).last_hidden_state!.data as Float32Array };
      } finally {
        model.dispose();
      }
    };
    const half = await run({ backend: 'webgpu', device });
    const full = await run({ backend: 'webgpu', device, precision: 'f32' });
    const wasm = await run({ backend: 'wasm' });
    expect([half.variant, full.variant]).toEqual(['f16', 'f32']);
    expect(relL2(full.out, wasm.out)).toBeLessThanOrEqual(1e-5);
    const err = relL2(half.out, wasm.out);
    expect(err).toBeGreaterThan(1e-5); // it did store in f16
    expect(err).toBeLessThanOrEqual(5e-3);

    // A device created without the feature (same adapter): 'auto' falls back to the f32 plan, 'f16' refuses.
    const gpu = (globalThis as { __xfcGpu?: GPU }).__xfcGpu!;
    const plain = await (await gpu.requestAdapter())!.requestDevice();
    try {
      expect((await run({ backend: 'webgpu', device: plain })).variant).toBe('f32');
      await expect(loadModel(files, { backend: 'webgpu', device: plain, precision: 'f16' })).rejects.toThrow(UnsupportedError);
      await expect(loadModel(files, { backend: 'webgpu', device: plain, precision: 'f16' })).rejects.toThrow(/shader-f16/);
    } finally {
      plain.destroy();
    }
    // A bundle compiled with --no-f16 has no f16 plan: 'auto' runs f32, 'f16' says how it was compiled.
    const noF16 = bundleFiles((await compileModel(path.join(EXAMPLES, 'tiny-bert.onnx'), { target: 'webgpu', f16: false })).contents);
    expect(Object.keys(noF16).some((f) => f.endsWith('plan-f16.json'))).toBe(false);
    const m = await loadModel(noF16, { backend: 'webgpu', device });
    expect(m.variant).toBe('f32');
    m.dispose();
    await expect(loadModel(noF16, { backend: 'webgpu', device, precision: 'f16' })).rejects.toThrow(BundleError);
    await expect(loadModel(files, { backend: 'webgpu', device, precision: 'half' as never })).rejects.toThrow(/precision must be/);
  }, 300_000); // lavapipe compiles each pipeline with LLVM: a minute and more for tiny-bert's plans with a cold shader cache
});

/**
 * PyTorch models end to end on the f16 plan, smallest case, within 5e-3 (a rounding per stored tensor; on every
 * case of every fixture and zoo model, lavapipe measured 7.6e-4 to 5.8e-3 (T5): `scripts/check-models.ts fixtures
 * --webgpu-f16 --lavapipe`, which also runs the f32 plans there). Lavapipe compiles shaders slowly (LLVM), so two
 * models whose ops differ most: GPT-2 (causal attention, fused QKV split, tanh GELU) and LLaMA (RMSNorm through Pow, rotary
 * embeddings, SiLU).
 */
describe.skipIf(f16Unavailable)('webgpu f16: PyTorch models', () => {
  const models = labelledModels().filter((m) => m.label === 'gpt2-opset17' || m.label === 'zoo/llama');
  it('finds the models', () => expect(models.map((m) => m.model)).toEqual(['gpt2', 'llama']));
  it.each(models)('$model: the f16 plan within 5e-3 of PyTorch', async ({ model, file, root }) => {
    const { graph } = importOnnxFile(file);
    optimize(graph, {});
    const c = compileWebGpu(graph, { f16: true });
    expect(await shaderMessages(c)).toEqual([]);
    const inputs = graph.inputs.map((v) => v.name);
    const cs = smallestCases(model, root, inputs)[0]!;
    const got = await runGpu(c, Object.fromEntries(inputs.map((n) => [n, cs.tensors[n]!])), undefined, 'f16');
    for (const o of graph.outputs) expect(relL2(got[o.name]!.toFloat64(), cs.tensors[o.name]!.toFloat64()), o.name).toBeLessThanOrEqual(5e-3);
  }, 300_000);
});
