// The xfc command line, run in-process: help, inspect, run, and the diagnostics of broken models.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../cli/main.js';
import { memoryIo } from '../cli/io.js';
import { parseNpy } from '../compiler/io/npy.js';
import { relL2 } from './helpers.js';
import { FIXTURES } from './fixtures.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', 'tiny-bert.onnx');

async function xfc(...args: string[]) {
  const io = memoryIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-cli-'));
}

describe('xfc --help', () => {
  it('lists the commands', async () => {
    const r = await xfc('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('inspect');
    expect(r.stdout).toContain('run');
  });

  it.each(['inspect', 'run'])('%s --help describes its options', async (cmd) => {
    const r = await xfc(cmd, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: xfc ${cmd}`);
  });

  it('rejects an unknown command with exit code 2', async () => {
    const r = await xfc('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('xfc inspect', () => {
  it('describes the example model', async () => {
    const r = await xfc('inspect', EXAMPLE);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('input_ids');
    expect(r.stdout).toMatch(/batch, seq/);
    expect(r.stdout).toContain('MatMul');
  });

  it('prints JSON with --json', async () => {
    const r = await xfc('inspect', EXAMPLE, '--json');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.inputs.map((i: { name: string }) => i.name)).toEqual(['input_ids', 'attention_mask']);
    expect(summary.inputs[0].shape).toEqual(['batch', 'seq']);
    expect(summary.parameters.count).toBeGreaterThan(10000);
    expect(summary.fusions).toEqual({ attention: 2, layernorm: 5, gelu: 2, skip_layernorm: 5, linear: 12 });
  });

  it('reports a file that is not a model in one line, without a stack trace', async () => {
    const dir = tmpdir();
    const file = path.join(dir, 'junk.onnx');
    fs.writeFileSync(file, 'this is not a protobuf at all, just text\n'.repeat(3));
    const r = await xfc('inspect', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error XFC000\d: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a truncated model', async () => {
    const dir = tmpdir();
    const file = path.join(dir, 'cut.onnx');
    const bytes = fs.readFileSync(EXAMPLE);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await xfc('inspect', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('truncated');
  });

  it('reports a missing file', async () => {
    const r = await xfc('inspect', '/nonexistent/model.onnx');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot read '/nonexistent/model.onnx'");
  });
});

describe('xfc run', () => {
  it('runs the example model and writes outputs that match PyTorch', async () => {
    const out = tmpdir();
    const caseDir = path.join(FIXTURES, 'data', 'bert', 'b3_s17_padded');
    const r = await xfc('run', path.join(FIXTURES, 'models', 'bert-opset17.onnx'),
      '--input', `input_ids=${path.join(caseDir, 'input_ids.npy')}`,
      '--input', `attention_mask=${path.join(caseDir, 'attention_mask.npy')}`,
      '--backend', 'interpreter', '--output-dir', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('last_hidden_state: f32[3, 17, 32]');
    const got = parseNpy(fs.readFileSync(path.join(out, 'last_hidden_state.npy')));
    const want = parseNpy(fs.readFileSync(path.join(caseDir, 'last_hidden_state.npy')));
    expect(relL2(got.toFloat64(), want.toFloat64())).toBeLessThan(1e-5);
  });

  it('names every problem with the inputs at once and writes nothing', async () => {
    const out = path.join(tmpdir(), 'never');
    const r = await xfc('run', EXAMPLE, '--input', 'nope=x.npy', '--input', 'input_ids=/missing.npy', '--output-dir', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the model has no input 'nope'");
    expect(r.stderr).toContain("'/missing.npy'");
    expect(r.stderr).toContain("no --input given for 'attention_mask'");
    expect(fs.existsSync(out)).toBe(false);
  });

  it('rejects an unknown backend', async () => {
    const r = await xfc('run', EXAMPLE, '--backend', 'cuda');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown backend 'cuda'");
  });
});
