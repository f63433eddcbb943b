// Runs the ONNX backend node tests (Debian's libonnx-testdata) through the importer and the interpreter.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CompileError } from './diagnostics.js';
import { importModel, importOnnxFile } from './onnx/import.js';
import { type ModelProto, decodeModel, onnx } from './onnx/proto.js';
import { tensorFromProto, tensorToProto } from './onnx/tensor.js';
import { interpret } from './interpreter.js';
import { type Graph, materialize } from './ir/graph.js';
import { Tensor } from './ir/tensor.js';

export const DEFAULT_NODE_TEST_DIR = '/usr/share/libonnx-testdata/data/node';

export type Outcome =
  | { test: string; status: 'passed'; pinned?: string[] }
  | { test: string; status: 'failed'; reason: string }
  | { test: string; status: 'unsupported'; ops: string[] };

/** Diagnostics saying an operand that decides a shape (axes, starts, split, ...) is not a compile-time constant. */
const NEEDS_CONSTANT = /must be a constant|could not be determined at compile time/;
/** Diagnostics for features xfc declines on purpose (strings, sequences, training mode): counted as unsupported. */
const DECLINED = /not supported|only tensors are supported|no such dtype/;

/**
 * Runs one test folder (model.onnx + test_data_set_N/{input,output}_K.pb). xfc compiles ahead of time, so
 * operands that decide shapes must be constants; where a test feeds them as graph inputs, the test is re-imported
 * with its integer inputs pinned to the test data (reported in `pinned`).
 */
export function runNodeTest(dir: string): Outcome {
  const test = path.basename(dir);
  const modelFile = path.join(dir, 'model.onnx');
  const first = tryImport(() => importOnnxFile(modelFile));
  if ('outcome' in first) {
    const o = first.outcome;
    if (o.status !== 'failed' || !NEEDS_CONSTANT.test(o.reason)) return { ...o, test };
  }

  const sets = fs.readdirSync(dir).filter((f) => f.startsWith('test_data_set_')).sort();
  let pinned: string[] | undefined;
  for (const set of sets) {
    const inputs = readTensors(path.join(dir, set), 'input_');
    const expected = readTensors(path.join(dir, set), 'output_');
    let graph: Graph;
    if ('graph' in first) {
      graph = first.graph;
    } else {
      const model = decodeModel(fs.readFileSync(modelFile), modelFile);
      const { pins, names } = pinIntegerInputs(model, inputs);
      pinned = names;
      const attempt = tryImport(() => importModel(model, { baseDir: dir, fileName: modelFile }));
      if ('outcome' in attempt) return { ...attempt.outcome, test };
      graph = attempt.graph;
      inputs.splice(0, inputs.length, ...inputs.filter((_, i) => !pins.has(i)));
    }
    const feeds: Record<string, Tensor> = {};
    graph.inputs.forEach((v, i) => {
      const t = inputs[i];
      // Older test data stores bfloat16 as uint16 bits: the same bytes.
      if (t) feeds[v.name] = t.dtype === 'u16' && v.type.dtype === 'bf16' ? new Tensor('bf16', t.shape, t.data) : t;
    });
    let actual: Record<string, Tensor>;
    try {
      actual = interpret(graph, feeds);
    } catch (e) {
      return { test, status: 'failed', reason: `${set}: ${(e as Error).message}` };
    }
    for (let i = 0; i < graph.outputs.length; i++) {
      const got = actual[graph.outputs[i]!.name]!;
      const want = expected[i];
      if (!want) continue;
      const problem = compareTensors(got, want.dtype === 'u16' && got.dtype === 'bf16' ? new Tensor('bf16', want.shape, want.data) : want);
      if (problem) return { test, status: 'failed', reason: `${set} output ${i} ('${graph.outputs[i]!.name}'): ${problem}` };
    }
  }
  return pinned ? { test, status: 'passed', pinned } : { test, status: 'passed' };
}

type Attempt = { graph: Graph } | { outcome: Exclude<Outcome, { status: 'passed' }> };

function tryImport(importer: () => { graph: Graph }): Attempt {
  try {
    return { graph: importer().graph };
  } catch (e) {
    if (!(e instanceof CompileError)) return { outcome: { test: '', status: 'failed', reason: `importer crashed: ${(e as Error).stack}` } };
    const unsupported = e.diagnostics.filter((d) => d.id === 'unsupportedOp' || d.id === 'tensorDtype' || d.id === 'unsupportedOpset');
    if (unsupported.length > 0) {
      const ops = [...new Set(unsupported.map((d) => (d.id === 'unsupportedOp' ? /op '([^']+)'/.exec(d.message)![1]! : d.message)))];
      return { outcome: { test: '', status: 'unsupported', ops } };
    }
    const reason = e.diagnostics.map((d) => d.message).join('; ');
    if (DECLINED.test(reason) && !NEEDS_CONSTANT.test(reason)) return { outcome: { test: '', status: 'unsupported', ops: [reason] } };
    return { outcome: { test: '', status: 'failed', reason } };
  }
}

function readTensors(dir: string, prefix: string): Tensor[] {
  return fs.readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
    .map((f) => materialize(tensorFromProto(onnx.TensorProto.decode(fs.readFileSync(path.join(dir, f))))));
}

/** Turns the integer and bool graph inputs of a model into initializers holding the test's values. */
function pinIntegerInputs(model: ModelProto, inputs: Tensor[]): { pins: Set<number>; names: string[] } {
  const graph = model.graph!;
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const realInputs = (graph.input ?? []).filter((v) => !initializerNames.has(v.name));
  const pins = new Set<number>();
  const names: string[] = [];
  realInputs.forEach((v, i) => {
    const t = inputs[i];
    if (!t || t.dtype === 'f32' || t.dtype === 'f64' || t.dtype === 'f16' || t.dtype === 'bf16') return;
    pins.add(i);
    names.push(v.name!);
    graph.initializer = [...(graph.initializer ?? []), onnx.TensorProto.create(tensorToProto(t, v.name!))];
  });
  graph.input = (graph.input ?? []).filter((v) => !names.includes(v.name!));
  return { pins, names };
}

/** numpy.testing.assert_allclose(rtol=1e-3, atol=1e-7) as ONNX's backend tests use it; NaN equals NaN. */
export function compareTensors(got: Tensor, want: Tensor): string | undefined {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype}, expected ${want.dtype}`;
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
    return `shape [${got.shape.join(', ')}], expected [${want.shape.join(', ')}]`;
  }
  const a = got.toFloat64();
  const b = want.toFloat64();
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    if (!(Math.abs(x - y) <= 1e-7 + 1e-3 * Math.abs(y))) return `element ${i} is ${x}, expected ${y}`;
  }
  return undefined;
}

export function listNodeTests(root = DEFAULT_NODE_TEST_DIR): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).filter((d) => d.startsWith('test_')).sort().map((d) => path.join(root, d));
}
