// Runs the cache persistence contract for every implementation, and checks the cache store itself
// works over the in-memory one (the SDK's configuration).
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryCachePersistence } from '../../src/stores/memory/cache-persistence.js';
import { SqliteCachePersistence, CACHE_DB_FILE } from '../../src/stores/sqlite/cache-persistence.js';
import { CacheStore } from '../../src/levers/cache/store.js';
import { tempDataDir } from '../ledger/fixtures.js';
import { cachePersistenceContract, entry } from './cache-persistence.contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

cachePersistenceContract('memory', () => {
  const shared = new MemoryCachePersistence();
  return { open: () => shared };
});
cachePersistenceContract('sqlite', () => {
  const dir = tempDataDir('tollgate-cachep-');
  dirs.push(dir);
  return { open: () => new SqliteCachePersistence(join(dir, CACHE_DB_FILE)) };
});

describe('CacheStore over a CachePersistence', () => {
  it('persists through the memory persistence and warms up from it', () => {
    const persistence = new MemoryCachePersistence();
    const opts = { maxEntries: 10, flushIntervalMs: 60_000, hnswMinEntries: 1000, hnsw: { m: 16, efConstruction: 100, efSearch: 50 }, persistence, now: () => entry(1).createdAt };
    const a = new CacheStore(opts);
    const { id: _id, ...e } = entry(1);
    a.put(e);
    a.close();
    const b = new CacheStore(opts);
    expect(b.get('k1')?.response).toEqual(entry(1).response);
    b.close();
  });
});
