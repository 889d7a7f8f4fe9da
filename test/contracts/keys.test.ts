// Runs the key store contract for every implementation.
import { afterAll } from 'vitest';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryKeyStore } from '../../src/stores/memory/key-store.js';
import { SqliteKeyStore } from '../../src/stores/sqlite/key-store.js';
import { tempDataDir } from '../ledger/fixtures.js';
import { keyContract } from './keys.contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

keyContract('memory', (now) => ({ store: new MemoryKeyStore({ now }) }));
keyContract('sqlite', (now) => {
  const dir = tempDataDir('tollgate-keys-');
  dirs.push(dir);
  return {
    store: SqliteKeyStore.inDataDir(dir, { now }),
    reopen: () => SqliteKeyStore.inDataDir(dir, { now }),
    files: () => readdirSync(dir).map((f) => readFileSync(join(dir, f))),
  };
});
