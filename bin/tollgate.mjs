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
const { main } = await import(entry);
await main(process.argv.slice(2));
