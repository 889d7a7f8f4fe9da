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
// better-sqlite3 and hnswlib-node are optional dependencies (native, built from source): the
// embedded stores and the semantic index need them, the engine entry does not. Say so plainly
// when one is missing instead of printing a module-resolution stack.
function missingNative(err) {
  const m = /Cannot find (?:package|module) '(better-sqlite3|hnswlib-node)'/.exec(String(err?.message));
  if (!m) return false;
  console.error(`tollgate: this command needs the optional native package ${m[1]}, which is not installed (it builds from source: python3, make and a C++ compiler). Install it with \`npm install ${m[1]}\`.`);
  process.exit(2);
}
try {
  const { main } = await import(entry);
  await main(process.argv.slice(2));
} catch (err) {
  if (!missingNative(err)) throw err;
}
