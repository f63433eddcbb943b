// Reading a whole input file (a model, a .npy) safely: only a regular file, only up to a size limit, never blocking.

import * as fs from 'node:fs';

export interface FileChecks {
  /** The largest file accepted, in bytes. */
  maxBytes: number;
  /** The error thrown for something that is not a regular file (a FIFO, a device, a folder). */
  notRegularFile(st: fs.Stats): Error;
  /** The error thrown for a file larger than maxBytes. */
  tooLarge(size: number): Error;
}

/**
 * The bytes of `file`, opened without blocking (a FIFO put in its place cannot hang the read) and checked on the
 * open descriptor before anything is read. Errors from opening and reading are thrown as they are. A file that
 * shrinks while it is read gives the bytes it still had.
 */
export function readRegularFile(file: string, checks: FileChecks): Uint8Array {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw checks.notRegularFile(st);
    if (st.size > checks.maxBytes) throw checks.tooLarge(st.size);
    const bytes = Buffer.alloc(st.size);
    let done = 0;
    while (done < st.size) {
      const n = fs.readSync(fd, bytes, done, st.size - done, done);
      if (n === 0) break;
      done += n;
    }
    return done === st.size ? bytes : bytes.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}
