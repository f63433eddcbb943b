// The committed PyTorch fixtures: models, cases, and their input / expected-output tensors.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseNpy } from '../compiler/io/npy.js';
import type { Tensor } from '../compiler/ir/tensor.js';

export const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures');

export interface FixtureCase {
  model: string;
  name: string;
  /** Every .npy of the case by name (inputs and PyTorch outputs). */
  tensors: Record<string, Tensor>;
}

export interface FixtureModel {
  model: string;
  opset: number;
  file: string;
}

/** The zoo: small models in other people's coding styles (scripts/export_zoo.py), opset 17. */
export const ZOO = path.join(FIXTURES, 'zoo');

export function fixtureModels(root = FIXTURES): FixtureModel[] {
  return fs.readdirSync(path.join(root, 'models'))
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => {
      const m = /^(.*)-opset(\d+)\.onnx$/.exec(f)!;
      return { model: m[1]!, opset: Number(m[2]), file: path.join(root, 'models', f) };
    });
}

export function fixtureCases(model: string, root = FIXTURES): FixtureCase[] {
  const dir = path.join(root, 'data', model);
  return fs.readdirSync(dir).sort().map((name) => {
    const tensors: Record<string, Tensor> = {};
    for (const f of fs.readdirSync(path.join(dir, name))) {
      if (f.endsWith('.npy')) tensors[f.slice(0, -4)] = parseNpy(fs.readFileSync(path.join(dir, name, f)));
    }
    return { model, name, tensors };
  });
}
