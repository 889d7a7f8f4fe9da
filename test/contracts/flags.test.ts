// Runs the flag store contract for every implementation.
import { afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { MemoryFlagStore } from '../../src/stores/memory/flag-store.js';
import { SqliteFlagStore } from '../../src/stores/sqlite/flag-store.js';
import { tempDataDir } from '../ledger/fixtures.js';
import { flagContract } from './flags.contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

flagContract('memory', () => ({ store: new MemoryFlagStore() }));
flagContract('sqlite', () => {
  const dir = tempDataDir('tollgate-flags-');
  dirs.push(dir);
  return { store: SqliteFlagStore.open(dir), reopen: () => SqliteFlagStore.open(dir) };
});
