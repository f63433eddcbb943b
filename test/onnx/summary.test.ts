// `xfc inspect`'s model summary: I/O, parameters (external counted unread), op histogram, unsupported ops, diagnostics.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompileError } from '../../compiler/diagnostics.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { formatSummary, summarizeOnnx } from '../../compiler/onnx/summary.js';
import { attr, model, node, vi } from './build.js';

describe('summarizeOnnx', () => {
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-summary-'));
    file = path.join(dir, 'm.onnx');
    fs.writeFileSync(path.join(dir, 'big.bin'), new Uint8Array(4 * 6)); // external f32[2, 3]
    fs.writeFileSync(file, model({
      producer: 'unit',
      extraOpsets: [{ domain: 'com.microsoft', version: 1 }],
      inputs: [vi('ids', 'i64', ['batch', 'seq']), vi('w', 'f32', [4]), vi('extra', 'f32', [null, 4])],
      outputs: [vi('y', 'f32', ['batch', 'seq', 4])],
      initializers: [
        { tensor: Tensor.fromNumbers('f32', [4], [1, 2, 3, 4]), name: 'w' },
        { tensor: Tensor.fromNumbers('f16', [2, 2], [1, 2, 3, 4]), name: 'h' },
        { name: 'ext', dims: [2, 3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'big.bin' }] },
      ],
      nodes: [
        node('Constant', [], ['k'], { name: 'k', attrs: [attr('value_int', 1)] }),
        node('Mystery', ['ids'], ['a'], { name: 'm1' }),
        node('Mystery', ['a'], ['b'], { name: 'm2' }),
        node('FusedThing', ['b', 'w'], ['y'], { name: 'f1', domain: 'com.microsoft' }),
        node('Identity', ['extra'], ['unused'], { name: 'id' }),
      ],
    }));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('describes a model that does not import', () => {
    const s = summarizeOnnx(file);
    expect(s.producer).toBe('unit');
    expect(s.irVersion).toBe(8);
    expect(s.opsets).toEqual([{ domain: 'ai.onnx', version: 17 }, { domain: 'com.microsoft', version: 1 }]);
    expect(s.inputs).toEqual([
      { name: 'ids', dtype: 'i64', shape: ['batch', 'seq'] },
      { name: 'extra', dtype: 'f32', shape: ['?', 4] },
    ]);
    expect(s.outputs).toEqual([{ name: 'y', dtype: 'f32', shape: ['batch', 'seq', 4] }]);
    expect(s.parameters).toEqual({ count: 4 + 4 + 6, bytes: 16 + 8 + 24, tensors: 3, external: 1 });
    expect(s.nodes).toBe(5);
    expect(s.ops).toEqual({ Mystery: 2, Constant: 1, Identity: 1, 'com.microsoft::FusedThing': 1 });
    expect(Object.keys(s.ops)[0]).toBe('Mystery');
    expect(s.unsupported).toEqual([
      { op: 'Mystery', domain: 'ai.onnx', nodes: ['m1', 'm2'] },
      { op: 'FusedThing', domain: 'com.microsoft', nodes: ['f1'] },
    ]);
    expect(s.diagnostics.map((d) => d.toString())).toEqual([
      "error XFC0030: Mystery node 'm1': op 'Mystery' of domain 'ai.onnx' (opset 17) is not supported",
      "error XFC0030: Mystery node 'm2': op 'Mystery' of domain 'ai.onnx' (opset 17) is not supported",
      "error XFC0030: FusedThing node 'f1': op 'FusedThing' of domain 'com.microsoft' (opset 1) is not supported",
    ]);
    // Plain data: survives JSON.
    const json = JSON.parse(JSON.stringify(s));
    expect(json.diagnostics[0]).toMatchObject({ code: 'XFC0030' });
    expect(json.ops).toEqual(s.ops);
  });

  it('formats an aligned human summary', () => {
    const text = formatSummary(summarizeOnnx(file));
    const lines = text.split('\n');
    expect(lines[0]).toBe(`model ${file}`);
    expect(lines).toContain('  producer    unit');
    expect(lines).toContain('  parameters  14 (48 B in 3 tensors, 1 external)');
    expect(lines).toContain('  ids    i64  [batch, seq]');
    expect(lines).toContain('  extra  f32  [?, 4]');
    expect(lines).toContain('unsupported ops (2)');
    expect(lines).toContain("  Mystery                    'm1', 'm2'");
    expect(lines).toContain("  com.microsoft::FusedThing  'f1'");
    expect(lines).toContain('diagnostics (3)');
  });

  it('says when the model imports', () => {
    const ok = path.join(dir, 'ok.onnx');
    fs.writeFileSync(ok, model({ inputs: [vi('x', 'f32', [2])], outputs: [vi('y', 'f32', [2])], nodes: [node('Neg', ['x'], ['y'])] }));
    const s = summarizeOnnx(ok);
    expect(s.unsupported).toEqual([]);
    expect(s.diagnostics).toEqual([]);
    expect(formatSummary(s)).toMatch(/\nxfc can import this model\n$/);
  });

  it('throws for a file that is not a model', () => {
    const bad = path.join(dir, 'empty.onnx');
    fs.writeFileSync(bad, new Uint8Array(0));
    expect(() => summarizeOnnx(bad)).toThrow(CompileError);
    expect(() => summarizeOnnx(bad)).toThrow(`'${bad}' is empty: not an ONNX model`);
  });
});
