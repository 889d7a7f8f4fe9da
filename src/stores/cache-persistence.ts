// The cache's persistence contract: where the exact/semantic cache keeps its entries between runs.
// The live entries stay in memory (levers/cache/store.ts: lookups never touch a store); this only
// loads them at start and takes the queued writes in batches off the request path.
// Implementations: memory/cache-persistence.ts, sqlite/cache-persistence.ts; both run
// test/contracts/cache-persistence.contract.ts.
//
// Rules every implementation keeps:
// - write() applies its puts and deletes in one transaction; a put whose id the same batch also
//   deletes is not written (an entry evicted before its flush must not come back);
// - put replaces by id; entries come back from loadAll() equal to what was put (vectors included);
// - loadAll() first drops what expired and all but the newest `maxEntries` (by id), then returns
//   the rest in id order (oldest first: the order the store evicts in).

import type { CacheEntry } from '../levers/cache/store.js';
import type { Awaitable } from './types.js';

export type { CacheEntry } from '../levers/cache/store.js';

export interface CacheWriteBatch {
  put: readonly CacheEntry[];
  delete: readonly number[];
}

export interface CachePersistence {
  loadAll(now: number, maxEntries: number): Awaitable<CacheEntry[]>;
  write(batch: CacheWriteBatch): Awaitable<void>;
  close(): Awaitable<void>;
}

/** A persistence that loads synchronously, as the embedded CacheStore needs (it warms up in its constructor). */
export interface SyncLoadCachePersistence extends CachePersistence {
  loadAll(now: number, maxEntries: number): CacheEntry[];
}
