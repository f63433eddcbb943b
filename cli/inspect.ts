// `xfc inspect`: what a model is (inputs, outputs, parameters, ops, opsets), the fusions the pipeline would apply,
// and everything xfc cannot handle in it.

import type { Command } from 'commander';
import { CompileError } from '../compiler/diagnostics.js';
import { importOnnxFile } from '../compiler/onnx/import.js';
import { summarizeOnnx, formatSummary } from '../compiler/onnx/summary.js';
import { fusionSummary } from '../passes/inspect-fusions.js';
import type { Io } from './io.js';

export function inspectCommand(program: Command, io: Io): void {
  program
    .command('inspect')
    .description('describe a model: inputs/outputs with symbolic shapes, parameters, op histogram, opsets, fusions, and every unsupported op')
    .argument('<model>', 'an ONNX model file')
    .option('--json', 'print the description as JSON')
    .action((model: string, options: { json?: boolean }) => {
      const summary = summarizeOnnx(model);
      // The fusions the default pipeline applies, when the model imports (on its own copy of the graph).
      const fusions = summary.diagnostics.length === 0 ? fusionSummary(importOnnxFile(model).graph) : undefined;
      if (options.json) {
        io.out(`${JSON.stringify(fusions ? { ...summary, fusions } : summary, null, 2)}\n`);
      } else {
        io.out(formatSummary(summary));
        if (fusions) {
          const parts = Object.entries(fusions).map(([kind, n]) => `${kind} ${n}`);
          io.out(`fusions the pipeline applies: ${parts.join(', ')}\n`);
        }
      }
      // The description is printed either way; a model xfc cannot compile still fails the command.
      if (summary.diagnostics.length > 0) throw new CompileError(summary.diagnostics);
    });
}
