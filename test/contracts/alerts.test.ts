// Runs the alert store contract for every implementation.
import { afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { MemoryAlertStore } from '../../src/stores/memory/alert-store.js';
import { SqliteAlertStore } from '../../src/stores/sqlite/alert-store.js';
import { tempDataDir } from '../ledger/fixtures.js';
import { alertStoreContract } from './alerts.contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

alertStoreContract('memory', () => ({ store: new MemoryAlertStore() }));
alertStoreContract('sqlite', () => {
  const dir = tempDataDir('tollgate-alerts-');
  dirs.push(dir);
  return { store: SqliteAlertStore.open(dir), reopen: () => SqliteAlertStore.open(dir) };
});
