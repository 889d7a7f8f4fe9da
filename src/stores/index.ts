// The store contracts and their in-memory implementations. Nothing here loads a native module:
// the SQLite implementations are in ./sqlite/ (better-sqlite3), imported only by who needs them.

export * from './types.js';
export * from './ledger.js';
export * from './counters.js';
export * from './keys.js';
export * from './flags.js';
export * from './alerts.js';
export type { ExperimentStore } from './experiments.js';
export type { QualityStore, LeverQualityState } from './quality.js';
export * from './budgets.js';
export type { CachePersistence, CacheWriteBatch, SyncLoadCachePersistence } from './cache-persistence.js';
export { MemoryLedgerStore } from './memory/ledger-store.js';
export { MemoryCounterStore } from './memory/counter-store.js';
export { MemoryKeyStore } from './memory/key-store.js';
export { MemoryFlagStore } from './memory/flag-store.js';
export { MemoryAlertStore } from './memory/alert-store.js';
export { MemoryExperimentStore } from './memory/experiment-store.js';
export { MemoryQualityStore } from './memory/quality-store.js';
export { MemoryBudgetStore } from './memory/budget-store.js';
export { MemoryCachePersistence } from './memory/cache-persistence.js';
export type { ResponseStore, StoredResponse, ResponseStoreLimits } from './responses.js';
export { storedBytes } from './responses.js';
export { MemoryResponseStore } from './memory/response-store.js';
