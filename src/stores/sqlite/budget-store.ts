// Budgets in SQLite (<dataDir>/budgets.db): one row per (scope, id, period), the rest as JSON.
// Written only by the admin API and at start, never on the request path.

import { join } from 'node:path';
import { MAX_BUDGETS, checkStoredBudget, type BudgetStore, type StoredBudget } from '../budgets.js';
import { StoreInputError } from '../types.js';
import { byIdentity } from '../memory/budget-store.js';
import { migrate, openDatabase, type Db } from './database.js';

export const BUDGETS_DB_FILE = 'budgets.db';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE budgets (
     scope  TEXT NOT NULL,
     id     TEXT NOT NULL,
     period TEXT NOT NULL,
     spec   TEXT NOT NULL,
     PRIMARY KEY (scope, id, period)
   ) WITHOUT ROWID;`,
];

export class SqliteBudgetStore implements BudgetStore {
  private readonly db: Db;

  constructor(path: string) {
    this.db = openDatabase(path);
    try {
      migrate(this.db, MIGRATIONS, BUDGETS_DB_FILE);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  static inDataDir(dataDir: string): SqliteBudgetStore {
    return new SqliteBudgetStore(join(dataDir, BUDGETS_DB_FILE));
  }

  put(b: StoredBudget): void {
    checkStoredBudget(b);
    this.db
      .transaction(() => {
        const exists = this.db.prepare('SELECT 1 FROM budgets WHERE scope = ? AND id = ? AND period = ?').get(b.scope, b.id, b.period);
        if (!exists && (this.db.prepare('SELECT count(*) FROM budgets').pluck().get() as number) >= MAX_BUDGETS) throw new StoreInputError(`at most ${MAX_BUDGETS} budgets`);
        this.db.prepare('INSERT OR REPLACE INTO budgets (scope, id, period, spec) VALUES (?, ?, ?, ?)').run(b.scope, b.id, b.period, JSON.stringify(b));
      })
      .immediate();
  }

  delete(scope: StoredBudget['scope'], id: string, period: StoredBudget['period']): boolean {
    return this.db.prepare('DELETE FROM budgets WHERE scope = ? AND id = ? AND period = ?').run(scope, id, period).changes > 0;
  }

  list(): StoredBudget[] {
    const rows = this.db.prepare(`SELECT spec FROM budgets LIMIT ${MAX_BUDGETS}`).pluck().all() as string[];
    return rows.map((r) => JSON.parse(r) as StoredBudget).sort(byIdentity);
  }

  close(): void {
    this.db.close();
  }
}
