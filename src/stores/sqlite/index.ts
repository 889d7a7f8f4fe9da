// The SQLite (better-sqlite3) implementations of the store contracts: the embedded default, one
// file per store under the data directory (ledger.db, counters.db, keys.db, cache.sqlite).

export { SqliteLedgerStore } from './ledger-store.js';
export { SqliteCounterStore, COUNTERS_DB_FILE } from './counter-store.js';
export { SqliteKeyStore, KEYS_DB_FILE } from './key-store.js';
export { SqliteCachePersistence, CACHE_DB_FILE } from './cache-persistence.js';
export { LEDGER_DB_FILE, ledgerDbPath, openLedgerDb, openLedgerDbReadOnly, SCHEMA_VERSION } from './ledger-db.js';
export { SqliteResponseStore, RESPONSES_DB_FILE } from './response-store.js';
