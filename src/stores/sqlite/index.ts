// The SQLite (better-sqlite3) implementations of the store contracts: the embedded default, one
// file per store under the data directory (ledger.db, counters.db, keys.db, flags.db, quality.db, cache.sqlite).

export { SqliteLedgerStore } from './ledger-store.js';
export { SqliteCounterStore, COUNTERS_DB_FILE } from './counter-store.js';
export { SqliteKeyStore, KEYS_DB_FILE } from './key-store.js';
export { SqliteFlagStore, FLAGS_DB_FILE } from './flag-store.js';
export { SqliteAlertStore, ALERTS_DB_FILE } from './alert-store.js';
export { SqliteExperimentStore, EXPERIMENTS_DB_FILE } from './experiment-store.js';
export { SqliteQualityStore, QUALITY_DB_FILE } from './quality-store.js';
export { SqliteBudgetStore, BUDGETS_DB_FILE } from './budget-store.js';
export { SqliteCachePersistence, CACHE_DB_FILE } from './cache-persistence.js';
export { LEDGER_DB_FILE, ledgerDbPath, openLedgerDb, openLedgerDbReadOnly, SCHEMA_VERSION } from './ledger-db.js';
export { SqliteResponseStore, RESPONSES_DB_FILE } from './response-store.js';
