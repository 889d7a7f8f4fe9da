// The stores' entry point must stay loadable without the native SQLite driver (the SDK's install).
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

it('src/stores (not sqlite/) never imports better-sqlite3, directly or through its own files', async () => {
  const root = fileURLToPath(new URL('../../src/stores/', import.meta.url));
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    expect(src, file).not.toMatch(/from ['"]better-sqlite3['"]/);
    for (const m of src.matchAll(/^(?:import|export)\s(?!type\b)[^'"]*from ['"](\.[^'"]+)['"]/gm)) {
      const target = join(dirname(file), m[1]!.replace(/\.js$/, '.ts'));
      expect(target, `${file} imports ${m[1]}`).not.toContain(join(root, 'sqlite'));
      if (target.startsWith(root)) visit(target);
    }
  };
  visit(join(root, 'index.ts'));
  expect(seen.size).toBeGreaterThan(5);
  const mod = await import('../../src/stores/index.js');
  expect(typeof mod.MemoryLedgerStore).toBe('function');
});
