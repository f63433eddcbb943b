// Runs the ONNX backend node tests (Debian's libonnx-testdata) through the importer and the interpreter.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CompileError } from './diagnostics.js';
import { importOnnxFile } from './onnx/import.js';
import { onnx } from './onnx/proto.js';
import { tensorFromProto } from './onnx/tensor.js';
import { interpret } from './interpreter.js';
import { materialize } from './ir/graph.js';
import type { Tensor } from './ir/tensor.js';

export const DEFAULT_NODE_TEST_DIR = '/usr/share/libonnx-testdata/data/node';

export type Outcome =
  | { test: string; status: 'passed' }
  | { test: string; status: 'failed'; reason: string }
  | { test: string; status: 'unsupported'; ops: string[] };

/** Runs one test folder (model.onnx + test_data_set_N/{input,output}_K.pb). */
export function runNodeTest(dir: string): Outcome {
  const test = path.basename(dir);
  let graph;
  try {
    graph = importOnnxFile(path.join(dir, 'model.onnx')).graph;
  } catch (e) {
    if (!(e instanceof CompileError)) return { test, status: 'failed', reason: `importer crashed: ${(e as Error).message}` };
    const unsupported = e.diagnostics.filter((d) => d.id === 'unsupportedOp' || d.id === 'tensorDtype' || d.id === 'unsupportedOpset');
    if (unsupported.length > 0) {
      const ops = [...new Set(unsupported.map((d) => /op '([^']+)'/.exec(d.message)?.[1] ?? d.message))];
      return { test, status: 'unsupported', ops };
    }
    return { test, status: 'failed', reason: e.diagnostics.map((d) => d.message).join('; ') };
  }
  const sets = fs.readdirSync(dir).filter((f) => f.startsWith('test_data_set_')).sort();
  for (const set of sets) {
    const read = (prefix: string) =>
      fs.readdirSync(path.join(dir, set))
        .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
        .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
        .map((f) => materialize(tensorFromProto(onnx.TensorProto.decode(fs.readFileSync(path.join(dir, set, f))))));
    let inputs: Tensor[];
    let expected: Tensor[];
    try {
      inputs = read('input_');
      expected = read('output_');
    } catch (e) {
      if (e instanceof CompileError && e.diagnostics.some((d) => d.id === 'tensorDtype')) {
        return { test, status: 'unsupported', ops: ['(data type)'] };
      }
      throw e;
    }
    const feeds: Record<string, Tensor> = {};
    graph.inputs.forEach((v, i) => {
      if (inputs[i]) feeds[v.name] = inputs[i]!;
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
      const problem = compareTensors(got, want);
      if (problem) return { test, status: 'failed', reason: `${set} output ${i} ('${graph.outputs[i]!.name}'): ${problem}` };
    }
  }
  return { test, status: 'passed' };
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
