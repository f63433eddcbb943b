// The real PyTorch-exported models under fixtures/: op histograms match the exporter's, they import and run.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpret } from '../../compiler/interpreter.js';
import { parseNpy } from '../../compiler/io/npy.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { summarizeOnnx } from '../../compiler/onnx/summary.js';
import { relL2 } from '../helpers.js';

const ROOT = path.join(import.meta.dirname, '../../fixtures');
const MANIFEST = path.join(ROOT, 'manifest.json');

interface Manifest {
  models: Record<string, {
    files: Record<string, string>;
    ops: Record<string, Record<string, number>>;
    cases: Record<string, { inputs: Record<string, number[]>; outputs: Record<string, number[]> }>;
  }>;
}

const manifest: Manifest | undefined = fs.existsSync(MANIFEST) ? JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) : undefined;
/** A .npy file (copied into a plain Uint8Array: parseNpy's `slice` would share a Node Buffer's pooled memory). */
const readNpy = (file: string): Tensor => parseNpy(new Uint8Array(fs.readFileSync(file)));

const models = Object.entries(manifest?.models ?? {}).flatMap(([name, m]) =>
  Object.entries(m.files).map(([opset, file]) => ({ name, opset, file: path.join(ROOT, file), spec: m })))
  .filter((m) => fs.existsSync(m.file));

describe.skipIf(models.length === 0)('fixture models', () => {
  for (const { name, opset, file, spec } of models) {
    it(`${path.basename(file)}: the op histogram matches the exporter's`, () => {
      const s = summarizeOnnx(file);
      expect(s.ops).toEqual(expect.objectContaining(spec.ops[opset]));
      expect(Object.keys(s.ops).sort()).toEqual(Object.keys(spec.ops[opset]!).sort());
    });

    it(`${path.basename(file)}: imports, and the interpreter reproduces PyTorch`, () => {
      const { graph } = importOnnxFile(file);
      const [caseName, c] = Object.entries(spec.cases)[0]!;
      const dir = path.join(ROOT, 'data', name, caseName);
      const feeds: Record<string, Tensor> = {};
      for (const input of Object.keys(c.inputs)) feeds[input] = readNpy(path.join(dir, `${input}.npy`));
      const got = interpret(graph, feeds);
      for (const [output, shape] of Object.entries(c.outputs)) {
        const want = readNpy(path.join(dir, `${output}.npy`));
        expect(got[output]!.shape).toEqual(shape);
        expect(relL2(got[output]!.toFloat64(), want.toFloat64())).toBeLessThan(1e-4);
      }
    });
  }
});
