// A tiny hand-written bundle for runtime tests, independent of the compiler's code generator.
//
// Model: y[n, 4] = x[n, 4] + w[4] + ids[n] (float32 + weights + int64 row ids), following docs/bundle.md's ABI:
// symbol n at tableBase, then the addresses of buffers x, ids, y.

import binaryen from 'binaryen';
import { buildManifest, bundleFiles } from '../../backends/bundle.js';
import type { WasmSection } from '../../runtime/manifest.js';
import type { Manifest } from '../../runtime/manifest.js';

export const LAYOUT = { weightsBase: 64, tableBase: 128, arenaBase: 192 };
export const WEIGHTS = new Float32Array([0.5, -1, 2, 100]);

function emitModule(): Uint8Array {
  const m = new binaryen.Module();
  m.setMemory(1, 65536, 'memory');
  const tb = LAYOUT.tableBase;
  const i = () => m.local.get(0, binaryen.i32);
  const addr = (slot: number) => m.i32.load(0, 4, m.i32.const(tb + 4 * slot));
  const at = (slot: number, index: binaryen.ExpressionRef, size: number) =>
    m.i32.add(addr(slot), m.i32.mul(index, m.i32.const(size)));
  const body = m.block(null, [
    m.local.set(1, m.i32.mul(m.i32.load(0, 4, m.i32.const(tb)), m.i32.const(4))),
    m.local.set(0, m.i32.const(0)),
    m.block('done', [
      m.loop('next', m.block(null, [
        m.br('done', m.i32.ge_u(i(), m.local.get(1, binaryen.i32))),
        m.f32.store(0, 4, at(3, i(), 4),
          m.f32.add(
            m.f32.add(m.f32.load(0, 4, at(1, i(), 4)),
              m.f32.load(0, 4, m.i32.add(m.i32.const(LAYOUT.weightsBase), m.i32.mul(m.i32.and(i(), m.i32.const(3)), m.i32.const(4))))),
            m.f32.convert_s.i64(m.i64.load(0, 8, at(2, m.i32.shr_u(i(), m.i32.const(2)), 8))))),
        m.local.set(0, m.i32.add(i(), m.i32.const(1))),
        m.br('next'),
      ])),
    ]),
  ]);
  m.addFunction('run', binaryen.none, binaryen.none, [binaryen.i32, binaryen.i32], body);
  m.addFunctionExport('run', 'run');
  if (!m.validate()) throw new Error('fake bundle module does not validate');
  const bin = m.emitBinary();
  m.dispose();
  return bin;
}

export const WASM_SECTION: WasmSection = {
  module: 'model.wasm',
  relaxedModule: 'model.relaxed.wasm',
  weights: 'weights.bin',
  ...LAYOUT,
  symbols: ['n'],
  buffers: [{ bytes: '16*n', first: -1, last: 0 }, { bytes: '8*n', first: -1, last: 0 }, { bytes: '16*n', first: 0, last: 1 }],
  inputs: [{ name: 'x', buffer: 0, offset: 0 }, { name: 'ids', buffer: 1, offset: 0 }],
  outputs: [{ name: 'y', buffer: 2, offset: 0 }],
};

/** The fake bundle: its manifest and every file (manifest.json included), ready for loadModel or writeBundle. */
export function fakeBundle(maxN = 1 << 20): { manifest: Manifest; files: Record<string, Uint8Array>; all: Record<string, Uint8Array> } {
  const code = emitModule();
  const files = {
    'model.wasm': code,
    'model.relaxed.wasm': code.slice(),
    'weights.bin': new Uint8Array(WEIGHTS.buffer.slice(0)),
  };
  const manifest = buildManifest({
    schedule: {
      inputs: [
        { name: 'x', dtype: 'f32', shape: ['n', 4], ref: undefined! },
        { name: 'ids', dtype: 'i64', shape: ['n'], ref: undefined! },
      ],
      outputs: [{ name: 'y', dtype: 'f32', shape: ['n', 4], ref: undefined! }],
    },
    wasm: WASM_SECTION,
    source: { name: 'fake.onnx', bytes: new Uint8Array([1, 2, 3]) },
    files,
    options: { target: 'wasm' },
    maxShape: { n: maxN },
    generator: 'xfc test',
  });
  return { manifest, files, all: bundleFiles({ manifest, files }) };
}

/** The expected output of the fake model, computed directly. */
export function expected(x: Float32Array, ids: ArrayLike<number | bigint>): Float32Array {
  const y = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) y[k] = Math.fround(Math.fround(x[k]! + WEIGHTS[k & 3]!) + Number(ids[k >> 2]!));
  return y;
}
