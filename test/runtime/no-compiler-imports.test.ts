// The runtime ships alone: it imports nothing from the compiler and never evaluates generated code.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';

const RUNTIME = path.resolve(import.meta.dirname, '..', '..', 'runtime');
const sources = fs.readdirSync(RUNTIME).filter((f) => f.endsWith('.ts')).sort();

/** The source without comments (which may mention imports in examples). */
function code(file: string): string {
  return fs.readFileSync(path.join(RUNTIME, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Module specifiers a file imports or re-exports statically (loaded with the module). */
function staticImportsOf(file: string): string[] {
  const text = code(file);
  return [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
  ].map((m) => m[1]!);
}

/** Module specifiers a file imports dynamically (`await import(...)`, only when that code runs). */
function dynamicImportsOf(file: string): string[] {
  return [...code(file).matchAll(/\bimport\s*\(\s*([^)]*)\)/g)].map((m) => m[1]!.replace(/^['"]|['"]$/g, ''));
}

function importsOf(file: string): string[] {
  return [...staticImportsOf(file), ...dynamicImportsOf(file)];
}

/** Node modules the runtime may load, dynamically and only when it runs in Node (files, native sha256). */
const NODE_ONLY = ['node:fs/promises', 'node:crypto'];

describe('runtime sources', () => {
  it('exist', () => {
    expect(sources).toContain('index.ts');
    expect(sources).toContain('wasm.ts');
  });

  it('the import scanner sees static, re-exported and dynamic imports', () => {
    expect(importsOf('index.ts')).toEqual(expect.arrayContaining(['./errors.js', './wasm.js', './manifest.js']));
    expect(importsOf('source.ts')).toContain('node:fs/promises');
  });

  it.each(sources)('%s imports only runtime files statically, and node: modules only dynamically', (file) => {
    const text = code(file);
    for (const s of staticImportsOf(file)) expect(/^\.\/[a-z0-9-]+\.js$/.test(s), `${file} imports '${s}' at top level`).toBe(true);
    for (const s of dynamicImportsOf(file)) {
      expect(NODE_ONLY.includes(s) || /^\.\/[a-z0-9-]+\.js$/.test(s), `${file} imports '${s}'`).toBe(true);
    }
    expect(text).not.toMatch(/\.\.\/(compiler|passes|backends|cli)\//);
  });

  it.each(sources)('%s has no eval or new Function', (file) => {
    const text = code(file);
    expect(text).not.toMatch(/\beval\s*\(/);
    expect(text).not.toMatch(/\bnew\s+Function\b/);
    expect(text).not.toMatch(/\bFunction\s*\(/);
  });
});
