// Where a bundle's files come from: a directory in Node, a URL (fetch) in browsers and Node, or files in memory.
//
// Large files (the weights) stream into a caller's buffer (wasm memory) chunk by chunk, each chunk handed to a
// callback (the hash) as it lands: no second copy of the file is ever held. Sizes are checked before any byte is
// copied where the platform tells them up front (file size, Content-Length), and as bytes arrive otherwise.

import { BundleError, XfcError } from './errors.js';
import { isSafePath } from './manifest.js';

/** Files of a bundle given in memory, keyed by their path in the bundle ("manifest.json", "model.wasm", ...). */
export type BundleFiles = Readonly<Record<string, Uint8Array>>;

/** What `loadModel` accepts: a directory path (Node), a URL or URL string, or the files themselves. */
export type BundleLocation = string | URL | BundleFiles;

export interface BundleSource {
  /** Human-readable location of a file for error messages. */
  describe(path: string): string;
  read(path: string): Promise<Uint8Array>;
  /**
   * Streams the file into `target`, calling `onChunk` on each part of `target` as it is filled. `sizeOf(n)` is
   * called with the file's byte count as soon as it is known (before copying when the platform says it) and
   * throws when it is wrong; a file that turns out shorter or longer is reported the same way.
   */
  readInto(path: string, target: Uint8Array, sizeOf: (bytes: number) => void, onChunk: (chunk: Uint8Array) => void): Promise<void>;
}

/** Read size of a file chunk in Node (large enough for throughput, small enough to keep the hash cache-warm). */
const CHUNK = 1 << 20;

const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

export function openSource(location: BundleLocation): BundleSource {
  if (location instanceof URL) return location.protocol === 'file:' && isNode() ? fileSource(location) : urlSource(location);
  if (typeof location === 'string') {
    if (URL_SCHEME.test(location) || location.startsWith('blob:') || location.startsWith('data:')) {
      const url = new URL(location);
      return url.protocol === 'file:' && isNode() ? fileSource(url) : urlSource(url);
    }
    if (isNode()) return fileSource(location);
    // A relative or absolute path in a browser: resolve it against the page.
    return urlSource(new URL(location, globalThis.location?.href));
  }
  if (typeof location === 'object' && location !== null) return memorySource(location);
  throw new BundleError(`loadModel: expected a directory path, a URL or a { path: Uint8Array } map, got ${typeof location}`);
}

/** Refuses a path that would leave the bundle (the manifest validation refuses them first; this is the backstop). */
function safe(path: string): string {
  if (path !== 'manifest.json' && !isSafePath(path)) throw new BundleError(`refusing to read '${path}': bundle file paths must be relative and stay inside the bundle`);
  return path;
}

function memorySource(files: BundleFiles): BundleSource {
  const get = (path: string): Uint8Array => {
    const data = Object.prototype.hasOwnProperty.call(files, safe(path)) ? files[path] : undefined;
    if (!data) throw new BundleError(`the bundle has no file '${path}' (files given: ${Object.keys(files).sort().join(', ') || 'none'})`);
    if (!(data instanceof Uint8Array)) throw new BundleError(`bundle file '${path}' must be a Uint8Array`);
    return data;
  };
  return {
    describe: (path) => `'${path}' (in memory)`,
    async read(path) {
      return get(path);
    },
    async readInto(path, target, sizeOf, onChunk) {
      const data = get(path);
      sizeOf(data.byteLength);
      target.set(data);
      onChunk(target);
    },
  };
}

function fileSource(dir: string | URL): BundleSource {
  const base = typeof dir === 'string' ? dir.replace(/[\\/]+$/, '') || '/' : dir;
  const pathOf = (path: string): string | URL => (typeof base === 'string' ? `${base}/${safe(path)}` : new URL(safe(path), withSlash(base)));
  const failure = (path: string, e: unknown): BundleError => {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') {
      return path === 'manifest.json'
        ? new BundleError(`'${String(base)}' is not an xfc bundle: it has no manifest.json (compile one with \`xfc compile MODEL -o DIR\`)`)
        : new BundleError(`the bundle is incomplete: '${String(pathOf(path))}' is missing (the manifest lists it)`);
    }
    return new BundleError(`cannot read bundle file '${String(pathOf(path))}': ${err.code ?? err.message}`);
  };
  return {
    describe: (path) => `'${String(pathOf(path))}'`,
    async read(path) {
      const fs = await import('node:fs/promises');
      try {
        const buf = await fs.readFile(pathOf(path));
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (e) {
        throw failure(path, e);
      }
    },
    async readInto(path, target, sizeOf, onChunk) {
      const fs = await import('node:fs/promises');
      let file: Awaited<ReturnType<typeof fs.open>>;
      try {
        file = await fs.open(pathOf(path), 'r');
      } catch (e) {
        throw failure(path, e);
      }
      let pending: Promise<{ bytesRead: number }> | undefined;
      try {
        const st = await file.stat();
        if (!st.isFile()) throw new BundleError(`bundle file '${String(pathOf(path))}' is not a regular file`);
        sizeOf(st.size);
        // Each chunk's read is issued before the previous chunk is handed to onChunk, so the hash of one chunk
        // overlaps the (thread-pool) read of the next. One byte past the target's end tells a file that grew.
        const readAt = (pos: number): Promise<{ bytesRead: number }> =>
          pos < target.length ? file.read(target, pos, Math.min(CHUNK, target.length - pos), pos) : file.read(new Uint8Array(1), 0, 1, pos);
        let off = 0;
        pending = readAt(0);
        for (;;) {
          const { bytesRead } = await pending;
          pending = undefined;
          if (bytesRead === 0) break;
          if (off >= target.length) {
            sizeOf(off + bytesRead);
            break;
          }
          pending = readAt(off + bytesRead);
          onChunk(target.subarray(off, off + bytesRead));
          off += bytesRead;
        }
        if (off !== target.length) sizeOf(off);
      } catch (e) {
        throw e instanceof XfcError ? e : failure(path, e);
      } finally {
        // A read still in flight (onChunk or sizeOf threw) finishes before the file closes.
        await pending?.catch(() => undefined);
        await file.close();
      }
    },
  };
}

function urlSource(base: URL): BundleSource {
  const root = withSlash(base);
  const urlOf = (path: string): URL => {
    const url = new URL(safe(path), root);
    if (url.origin !== root.origin || !url.href.startsWith(root.href)) throw new BundleError(`refusing to fetch '${path}': it resolves outside the bundle (${url.href})`);
    return url;
  };
  const get = async (path: string): Promise<Response> => {
    const url = urlOf(path);
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new BundleError(`cannot fetch bundle file '${url.href}': ${(e as Error).message}`);
    }
    if (!res.ok) throw new BundleError(`cannot fetch bundle file '${url.href}': HTTP ${res.status} ${res.statusText}`);
    return res;
  };
  return {
    describe: (path) => `'${new URL(path, root).href}'`,
    async read(path) {
      const res = await get(path);
      return new Uint8Array(await res.arrayBuffer());
    },
    async readInto(path, target, sizeOf, onChunk) {
      const res = await get(path);
      // Content-Length counts the encoded body; only an unencoded one is the file's size.
      const length = res.headers.get('content-length');
      const encoding = res.headers.get('content-encoding');
      if (length !== null && /^[0-9]+$/.test(length) && (encoding === null || encoding === 'identity')) sizeOf(Number(length));
      if (!res.body) {
        const data = new Uint8Array(await res.arrayBuffer());
        sizeOf(data.byteLength);
        target.set(data);
        onChunk(target);
        return;
      }
      const reader = res.body.getReader();
      let off = 0;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (off + value.byteLength > target.length) sizeOf(off + value.byteLength);
          target.set(value, off);
          onChunk(target.subarray(off, off + value.byteLength));
          off += value.byteLength;
        }
      } catch (e) {
        await reader.cancel().catch(() => undefined);
        throw e;
      } finally {
        reader.releaseLock();
      }
      if (off !== target.length) sizeOf(off);
    },
  };
}

function withSlash(u: URL): URL {
  return u.pathname.endsWith('/') ? u : new URL(`${u.href}/`);
}
