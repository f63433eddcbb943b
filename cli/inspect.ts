// `xfc inspect`: what a model is (inputs, outputs, parameters, ops, opsets) and everything xfc cannot handle in it.

import type { Command } from 'commander';
import { CompileError } from '../compiler/diagnostics.js';
import { summarizeOnnx, formatSummary } from '../compiler/onnx/summary.js';
import type { Io } from './io.js';

export function inspectCommand(program: Command, io: Io): void {
  program
    .command('inspect')
    .description('describe a model: inputs/outputs with symbolic shapes, parameters, op histogram, opsets, and every unsupported op')
    .argument('<model>', 'an ONNX model file')
    .option('--json', 'print the description as JSON')
    .action((model: string, options: { json?: boolean }) => {
      const summary = summarizeOnnx(model);
      io.out(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
      // The description is printed either way; a model xfc cannot compile still fails the command.
      if (summary.diagnostics.length > 0) {
        throw new CompileError(summary.diagnostics);
      }
    });
}
