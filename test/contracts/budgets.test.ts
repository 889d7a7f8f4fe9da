// Runs the budget store contract for every implementation.
import { afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { MemoryBudgetStore } from '../../src/stores/memory/budget-store.js';
import { SqliteBudgetStore } from '../../src/stores/sqlite/budget-store.js';
import { tempDataDir } from '../ledger/fixtures.js';
import { budgetStoreContract } from './budgets.contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

budgetStoreContract('memory', () => ({ store: new MemoryBudgetStore() }));
budgetStoreContract('sqlite', () => {
  const dir = tempDataDir('tollgate-budgets-');
  dirs.push(dir);
  return { store: SqliteBudgetStore.inDataDir(dir), reopen: () => SqliteBudgetStore.inDataDir(dir) };
});
