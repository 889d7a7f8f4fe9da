#!/usr/bin/env node
// `npm start`'s prestart: build only when dist/ is missing or older than a source file, so a warm
// start skips the compiler (a full tsc run is tens of seconds on a busy 2-core machine, this check
// is a few ms). Any .ts under src/, tsconfig.json or package.json newer than the CLI entry rebuilds.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return undefined;
  }
};

function newestSource() {
  let newest = Math.max(mtime(join(root, 'tsconfig.json')) ?? 0, mtime(join(root, 'package.json')) ?? 0);
  for (const e of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.ts')) newest = Math.max(newest, mtime(join(e.parentPath, e.name)) ?? 0);
  }
  return newest;
}

const built = mtime(join(root, 'dist', 'cli', 'main.js'));
if (built !== undefined && built >= newestSource()) process.exit(0);
console.error(built === undefined ? 'tollgate: building (dist/ is missing)...' : 'tollgate: building (sources changed since the last build)...');
const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
process.exit(r.status ?? 1);
