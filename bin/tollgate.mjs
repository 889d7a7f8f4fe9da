#!/usr/bin/env node
// Entry point for `npx tollgate`: runs the compiled CLI (built by `npm install` through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error('tollgate: dist/ is missing; run `npm run build` (npm install does it through `prepare`).');
  process.exit(1);
}
// better-sqlite3 and hnswlib-node are optional dependencies (native, built from source): a command
// that needs one and finds it missing says which and how to install it, not a resolution stack
try {
  const { main } = await import(entry);
  await main(process.argv.slice(2));
} catch (err) {
  const { missingNative } = await import(join(root, 'dist', 'cli', 'startup-errors.js'));
  const message = missingNative(err);
  if (!message) throw err;
  console.error(`tollgate: ${message}`);
  process.exit(2);
}
