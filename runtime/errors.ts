// Errors of the xfc runtime: one base class, a subclass per kind of failure, each message complete on its own.

/** Every error the runtime throws on purpose is an XfcError; `code` says which kind without parsing text. */
export class XfcError extends Error {
  override name = 'XfcError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The bundle is not usable: manifest invalid or of an unknown version, a file missing, truncated. */
export class BundleError extends XfcError {
  override name = 'BundleError';
  constructor(message: string) {
    super('bundle', message);
  }
}

/** A file's sha256 or size differs from what the manifest records. */
export class IntegrityError extends XfcError {
  override name = 'IntegrityError';
  constructor(message: string) {
    super('integrity', message);
  }
}

/** The feeds given to `run` do not match the model's inputs; `problems` lists every one of them. */
export class InputError extends XfcError {
  override name = 'InputError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('input', problems.length === 1
      ? `invalid input: ${problems[0]}`
      : `invalid inputs (${problems.length} problems):\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** This engine or build cannot run the bundle (missing SIMD, WebGPU not built, memory beyond 4 GiB). */
export class UnsupportedError extends XfcError {
  override name = 'UnsupportedError';
  constructor(message: string) {
    super('unsupported', message);
  }
}
