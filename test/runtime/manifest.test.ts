// manifest.json validation: the runtime refuses what it does not understand and names every problem.

import { describe, expect, it } from 'vitest';
import { parseManifest, validateManifest } from '../../runtime/manifest.js';
import { BundleError } from '../../runtime/errors.js';
import { stableJson } from '../../backends/bundle.js';
import { fakeBundle } from './fake-bundle.js';

const good = () => JSON.parse(stableJson(fakeBundle().manifest)) as Record<string, unknown>;

function problem(json: unknown): string {
  try {
    validateManifest(json);
  } catch (e) {
    expect(e).toBeInstanceOf(BundleError);
    return (e as Error).message;
  }
  throw new Error('the manifest was accepted');
}

describe('manifest validation', () => {
  it('accepts the manifest buildManifest writes', () => {
    const m = parseManifest(stableJson(good()));
    expect(m.format).toBe('xfc-bundle');
    expect(m.inputs.map((t) => t.name)).toEqual(['x', 'ids']);
    expect(m.symbols).toEqual({ n: { min: 1, max: 1 << 20 } });
  });

  it('rejects text that is not JSON, saying so', () => {
    expect(() => parseManifest('{"format": "xfc-bundle",')).toThrow(/manifest.json is not valid JSON .*is this an xfc bundle\?/);
  });

  it('rejects another format', () => {
    expect(problem({ ...good(), format: 'tfjs-layers' })).toBe('manifest.json: "format" is "tfjs-layers", expected "xfc-bundle": this is not an xfc bundle');
    expect(problem([])).toBe('manifest.json must hold a JSON object');
  });

  it('rejects an unknown formatVersion with advice', () => {
    expect(problem({ ...good(), formatVersion: 2 })).toMatch(/^manifest.json: formatVersion 2 is not supported by this runtime \(it reads version 1\); use a runtime from the same xfc release/);
    expect(problem({ ...good(), formatVersion: '1' })).toMatch(/formatVersion "1" is not supported/);
  });

  it('lists every problem at once', () => {
    const m = good();
    delete m.generator;
    delete m.files;
    m.inputs = [{ name: 'x', dtype: 'float128', shape: ['n', 4] }, { name: 'ids', dtype: 'int64', shape: ['q', '3*'] }];
    m.symbols = { n: { min: 0, max: 8 } };
    const text = problem(m);
    expect(text.split('\n')[0]).toBe('manifest.json is invalid (6 problems):');
    expect(text).toContain('- "generator" must be a string');
    expect(text).toContain('- "files" must be an array');
    expect(text).toContain('- inputs[0] (x): unknown dtype "float128"');
    expect(text).toContain('- inputs[1] (ids): dim "q" uses a symbol missing from "symbols"');
    expect(text).toContain('- inputs[1] (ids): invalid dim "3*"');
    expect(text).toContain('- symbols.n must be { "min": integer >= 1, "max": integer >= min }');
  });

  it('checks the wasm section against the file list and the buffers', () => {
    const m = good();
    const wasm = m.wasm as Record<string, unknown>;
    m.wasm = { ...wasm, module: 'other.wasm', outputs: [{ name: 'y', buffer: 9, offset: 0 }], tableBase: -1 };
    const text = problem(m);
    expect(text).toContain('wasm.module "other.wasm" is not listed in "files"');
    expect(text).toContain('wasm.outputs[0] must be { name, buffer: index into wasm.buffers, offset }');
    expect(text).toContain('wasm.tableBase must be a non-negative integer');
  });

  it('refuses file paths that leave the bundle', () => {
    const m = good();
    const files = m.files as { path: string }[];
    files[0] = { ...files[0]!, path: '../etc/passwd' };
    expect(problem(m)).toContain('files[0]: path "../etc/passwd" must be relative and stay inside the bundle');
  });
});
