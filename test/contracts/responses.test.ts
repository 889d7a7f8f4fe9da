// Runs the response store contract for every implementation.
import { afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryResponseStore } from '../../src/stores/memory/response-store.js';
import { RESPONSES_DB_FILE, SqliteResponseStore } from '../../src/stores/sqlite/response-store.js';
import { tempDataDir } from '../ledger/fixtures.js';
import { responseStoreContract } from './responses.contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

responseStoreContract('memory', (maxTotalBytes) => ({ store: new MemoryResponseStore({ maxTotalBytes }) }));
responseStoreContract('sqlite', (maxTotalBytes) => {
  const dir = tempDataDir('tollgate-responses-');
  dirs.push(dir);
  const path = join(dir, RESPONSES_DB_FILE);
  return { store: new SqliteResponseStore(path, { maxTotalBytes }), reopen: () => new SqliteResponseStore(path, { maxTotalBytes }) };
});
