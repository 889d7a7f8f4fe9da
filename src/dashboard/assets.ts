// The dashboard's static files: the web app (dashboard/ at the package root, plain ES modules, no
// build step) and the libraries it imports, served from node_modules (no CDN: the dashboard works
// on a machine with no network). A fixed table built at start: a request names an entry, never a
// path, so nothing outside it can be read. Bodies are read once, gzipped once, kept in memory (the
// table is a dozen files), and revalidated by ETag.

import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** the web app's folder: src/dashboard/ and dist/dashboard/ are both two levels below the package root */
export function webAppDir(): string {
  return fileURLToPath(new URL('../../dashboard/', import.meta.url));
}

const require = createRequire(import.meta.url);

/** the ES-module builds of the libraries the app imports, by the bare name the import map gives them */
export function vendorFiles(): Record<string, string> {
  const echartsDist = dirname(require.resolve('echarts'));
  return {
    'preact.mjs': require.resolve('preact'),
    'hooks.mjs': require.resolve('preact/hooks'),
    'htm.mjs': join(dirname(require.resolve('htm')), 'htm.mjs'),
    'echarts.mjs': join(echartsDist, 'echarts.esm.min.mjs'),
  };
}

/** the import map the app's page carries: bare specifiers to the vendor URLs */
export const IMPORT_MAP = {
  imports: {
    preact: '/dashboard/vendor/preact.mjs',
    'preact/hooks': '/dashboard/vendor/hooks.mjs',
    htm: '/dashboard/vendor/htm.mjs',
    echarts: '/dashboard/vendor/echarts.mjs',
  },
};

interface Loaded {
  body: Buffer;
  gzipped: Buffer;
  etag: string;
}

export interface Asset {
  contentType: string;
  /** long-lived for versioned libraries, revalidate for the app's own files */
  cacheControl: string;
  load(): Promise<Loaded>;
}

function asset(file: string, cacheControl: string): Asset {
  let loading: Promise<Loaded> | undefined;
  return {
    contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    cacheControl,
    load() {
      loading ??= (async () => {
        const body = await readFile(file);
        const gzipped = await gzipAsync(body);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        return { body, gzipped, etag };
      })();
      // a failed read (a file removed under a running gateway) is retried on the next request
      loading.catch(() => (loading = undefined));
      return loading;
    },
  };
}

/** URL path under /dashboard/ → asset */
export function assetTable(appDir = webAppDir()): Map<string, Asset> {
  const table = new Map<string, Asset>();
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (CONTENT_TYPES[extname(entry.name)] && !entry.name.endsWith('.d.ts')) table.set(`/dashboard/app/${prefix}${entry.name}`, asset(join(dir, entry.name), 'no-cache'));
    }
  };
  walk(appDir, '');
  for (const [name, file] of Object.entries(vendorFiles())) table.set(`/dashboard/vendor/${name}`, asset(file, 'public, max-age=86400'));
  return table;
}
