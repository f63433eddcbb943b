// Decoding model bytes: empty, truncated, random and graph-less inputs each get their own diagnostic.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../compiler/diagnostics.js';
import { importOnnxBytes, importOnnxFile } from '../../compiler/onnx/import.js';
import { decodeModel, encodeModel, toBigInt, toNumber } from '../../compiler/onnx/proto.js';
import { rng } from '../helpers.js';
import { model, node, vi } from './build.js';

function diagnosticsOf(f: () => unknown): { code: string; message: string }[] {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics.map((d) => ({ code: d.code, message: d.message }));
    throw e;
  }
  throw new Error('expected a CompileError');
}

const FIXTURE = path.join(import.meta.dirname, '../../fixtures/models/bert-opset17.onnx');

/** A real model when the fixtures exist, else a synthetic one with a few initializers. */
function someModelBytes(): Uint8Array {
  if (fs.existsSync(FIXTURE)) return fs.readFileSync(FIXTURE);
  return model({
    inputs: [vi('x', 'f32', ['batch', 64])],
    outputs: [vi('y', 'f32', ['batch', 64])],
    nodes: [node('Identity', ['x'], ['y'], { name: 'id' })],
    initializers: [{ name: 'w', dims: [64], dataType: 1, floatData: Array.from({ length: 64 }, (_, i) => i) }],
  });
}

describe('decodeModel', () => {
  it('reports an empty file', () => {
    expect(diagnosticsOf(() => importOnnxBytes(new Uint8Array(0)))).toEqual([
      { code: 'XFC0002', message: "'<bytes>' is empty: not an ONNX model" },
    ]);
    expect(diagnosticsOf(() => importOnnxBytes(new Uint8Array(0), { fileName: 'm.onnx' }))[0]!.message)
      .toBe("'m.onnx' is empty: not an ONNX model");
  });

  it('reports a truncated model at any cut', () => {
    const bytes = someModelBytes();
    for (const fraction of [0.1, 0.37, 0.5, 0.83, 0.999]) {
      const cut = bytes.subarray(0, Math.floor(bytes.length * fraction));
      const [d, ...rest] = diagnosticsOf(() => decodeModel(cut, 'cut.onnx'));
      expect(rest).toEqual([]);
      expect(d!.code).toBe('XFC0004');
      expect(d!.message).toMatch(/^'cut\.onnx' is truncated: the protobuf ends in the middle of a field \(index out of range: /);
    }
  });

  it('reports random bytes as not a model, never as something else', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const bytes = Uint8Array.from({ length: 64 + seed * 17 }, () => Math.floor(r() * 256));
      const ds = diagnosticsOf(() => importOnnxBytes(bytes, { fileName: 'junk.bin' }));
      expect(ds.length).toBeGreaterThan(0);
      // Junk either fails to decode (XFC0003; XFC0004 when it happens to start like a model) or decodes to no graph.
      expect(['XFC0003', 'XFC0004', 'XFC0005']).toContain(ds[0]!.code);
    }
  });

  it('reports bytes that are not a protobuf', () => {
    const bytes = new TextEncoder().encode('this is a text file, not a model\n');
    const [d] = diagnosticsOf(() => decodeModel(bytes, 'notes.txt'));
    expect(d!.code).toBe('XFC0003');
    expect(d!.message).toMatch(/^'notes\.txt' is not an ONNX model: the protobuf could not be decoded \(/);
  });

  it('reports a message without a graph', () => {
    const bytes = encodeModel({ irVersion: 8, producerName: 'nobody' });
    expect(diagnosticsOf(() => decodeModel(bytes, 'm.onnx'))).toEqual([
      { code: 'XFC0005', message: "'m.onnx' has no graph: not an ONNX model" },
    ]);
  });

  it('reports a file that cannot be read', () => {
    expect(diagnosticsOf(() => importOnnxFile('/nonexistent/model.onnx'))).toEqual([
      { code: 'XFC0001', message: "cannot read '/nonexistent/model.onnx': no such file" },
    ]);
  });
});

describe('64-bit fields', () => {
  it('converts Longs to numbers and BigInts', () => {
    expect(toNumber({ low: 5, high: 0 })).toBe(5);
    expect(toNumber({ low: -1, high: -1 })).toBe(-1);
    expect(toNumber({ low: 0, high: 1 })).toBe(2 ** 32);
    expect(toNumber({ low: -1, high: -1, unsigned: true })).toBe(2 ** 64);
    expect(toBigInt({ low: -1, high: 0x7fffffff })).toBe(2n ** 63n - 1n);
    expect(toBigInt({ low: 0, high: -0x80000000 })).toBe(-(2n ** 63n));
    expect(toBigInt({ low: -1, high: -1, unsigned: true })).toBe(2n ** 64n - 1n);
    expect(toNumber(null)).toBe(0);
    expect(toBigInt(7)).toBe(7n);
  });

  it('decodes ir_version and opset versions as numbers', () => {
    const r = importOnnxBytes(model({
      inputs: [vi('x', 'f32', [2])], outputs: [vi('x', 'f32', [2])], opset: 14,
      extraOpsets: [{ domain: 'com.microsoft', version: 1 }],
    }));
    expect(r.irVersion).toBe(8);
    expect(r.opsets).toEqual([{ domain: '', version: 14 }, { domain: 'com.microsoft', version: 1 }]);
    expect(r.producer).toBe('xfc-test');
  });
});
