// Where a bundle's files come from: a directory in Node, a URL (fetch) in browsers and Node, or files in memory.

import { BundleError } from './errors.js';

/** Files of a bundle given in memory, keyed by their path in the bundle ("manifest.json", "model.wasm", ...). */
export type BundleFiles = Readonly<Record<string, Uint8Array>>;

/** What `loadModel` accepts: a directory path (Node), a URL or URL string, or the files themselves. */
export type BundleLocation = string | URL | BundleFiles;

export interface BundleSource {
  /** Human-readable location of a file for error messages. */
  describe(path: string): string;
  read(path: string): Promise<Uint8Array>;
}

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

function memorySource(files: BundleFiles): BundleSource {
  return {
    describe: (path) => `'${path}' (in memory)`,
    async read(path) {
      const data = Object.prototype.hasOwnProperty.call(files, path) ? files[path] : undefined;
      if (!data) throw new BundleError(`the bundle has no file '${path}' (files given: ${Object.keys(files).sort().join(', ') || 'none'})`);
      if (!(data instanceof Uint8Array)) throw new BundleError(`bundle file '${path}' must be a Uint8Array`);
      return data;
    },
  };
}

function fileSource(dir: string | URL): BundleSource {
  const base = typeof dir === 'string' ? dir.replace(/[\\/]+$/, '') || '/' : dir;
  const pathOf = (path: string): string | URL => (typeof base === 'string' ? `${base}/${path}` : new URL(path, withSlash(base)));
  return {
    describe: (path) => `'${String(pathOf(path))}'`,
    async read(path) {
      const fs = await import('node:fs/promises');
      try {
        const buf = await fs.readFile(pathOf(path));
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (path === 'manifest.json' && err.code === 'ENOENT') {
          throw new BundleError(`'${String(base)}' is not an xfc bundle: it has no manifest.json (compile one with \`xfc compile MODEL -o DIR\`)`);
        }
        throw new BundleError(`cannot read bundle file '${String(pathOf(path))}': ${err.code ?? err.message}`);
      }
    },
  };
}

function urlSource(base: URL): BundleSource {
  const root = withSlash(base);
  return {
    describe: (path) => `'${new URL(path, root).href}'`,
    async read(path) {
      const url = new URL(path, root);
      let res: Response;
      try {
        res = await fetch(url);
      } catch (e) {
        throw new BundleError(`cannot fetch bundle file '${url.href}': ${(e as Error).message}`);
      }
      if (!res.ok) throw new BundleError(`cannot fetch bundle file '${url.href}': HTTP ${res.status} ${res.statusText}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

function withSlash(u: URL): URL {
  return u.pathname.endsWith('/') ? u : new URL(`${u.href}/`);
}
