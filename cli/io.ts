// Output streams of the CLI (injectable for in-process tests) and the usage-error type.

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export function processIo(): Io {
  return {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
  };
}

/** A mistake in the command line (bad flag value, missing file): exit code 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Collects output in memory (tests). */
export function memoryIo(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(s: string) {
      io.stdout += s;
    },
    err(s: string) {
      io.stderr += s;
    },
  };
  return io;
}
