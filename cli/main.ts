// The xfc command line: subcommands, global options, and turning failures into diagnostics and exit codes.

import { Command, CommanderError } from 'commander';
import { CompileError } from '../compiler/diagnostics.js';
import { inspectCommand } from './inspect.js';
import { runCommand } from './run.js';
import { compileCommand } from './compile.js';
import { benchCommand } from './bench.js';
import { type Io, UsageError, processIo } from './io.js';

export const VERSION = '0.1.0';

function buildProgram(io: Io): Command {
  const program = new Command('xfc')
    .description('xfc: an ahead-of-time compiler for transformer models (ONNX in; WebAssembly SIMD and WebGPU bundles out)')
    .version(VERSION)
    .option('--verbose', 'print stack traces and extra detail on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  inspectCommand(program, io);
  runCommand(program, io);
  compileCommand(program, io);
  benchCommand(program, io);
  return program;
}

/** Runs the CLI on arguments (without `node xfc`) and returns the exit code; never throws. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const program = buildProgram(io);
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    return reportFailure(e, io, verbose);
  }
}

function reportFailure(e: unknown, io: Io, verbose: boolean): number {
  if (e instanceof CommanderError) {
    // commander already printed the message (or the help / version text).
    return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
  }
  if (e instanceof CompileError) {
    for (const d of e.diagnostics) io.err(`${d.toString()}\n`);
    if (e.diagnostics.length > 1) io.err(`${e.diagnostics.length} errors\n`);
    if (verbose && e.stack) io.err(`${e.stack}\n`);
    return 1;
  }
  if (e instanceof UsageError) {
    io.err(`error: ${e.message}\n`);
    return 2;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.err(`internal error: ${err.message}\n`);
  io.err(verbose ? `${err.stack}\n` : 'This is a bug in xfc; run again with --verbose for a stack trace and report it.\n');
  return 70;
}
