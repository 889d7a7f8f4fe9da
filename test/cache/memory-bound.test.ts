// Issue 13 finding 4: ~8.7 KB per cached entry and no bound but an entry count (232 MB -> 1 GB in
// 10 minutes). The store now accounts every entry's bytes, enforces `cache.maxBytes` by evicting the
// least recently used (reads count), and a one-entry partition no longer preallocates 16 vectors.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { CacheStore, type NewCacheEntry } from '../../src/levers/cache/store.js';
import { CACHE_DB_FILE, SqliteCachePersistence } from '../../src/stores/sqlite/cache-persistence.js';
import { createCacheStage } from '../../src/levers/cache/index.js';
import { answer, context, costOf, request, tmpDir, upstream } from './helpers.js';

const HNSW = { m: 16, efConstruction: 64, efSearch: 32 };
const open = (dir: string, maxBytes: number, maxEntries = 1_000_000, hnswMinEntries = 2048): CacheStore =>
  new CacheStore({ maxEntries, maxBytes, flushIntervalMs: 50, hnswMinEntries, hnsw: HNSW, persistence: new SqliteCachePersistence(join(dir, CACHE_DB_FILE)) });

function entry(i: number, opts: { dim?: number; context?: string } = {}): NewCacheEntry {
  const v = opts.dim ? Float32Array.from({ length: opts.dim }, (_, j) => Math.sin(i + j)) : undefined;
  return {
    key: `key-${String(i).padStart(8, '0')}`.padEnd(64, 'x'),
    scope: 't:bench',
    name: 'gpt-4o-mini',
    policyVersion: '',
    createdAt: 1,
    expiresAt: Number.MAX_SAFE_INTEGER,
    tags: [],
    response: answer(`answer number ${i}: ${'word '.repeat(30)}`),
    latencyMs: 10,
    ...(v ? { contextHash: opts.context ?? 'ctx', query: `question ${i}`, embedder: 'test', embedding: v } : {}),
  };
}

describe('cache memory bound', () => {
  it('inserting 20x more than fits keeps the accounted bytes under maxBytes', () => {
    const maxBytes = 256 * 1024;
    const store = open(tmpDir(), maxBytes);
    const first = store.put(entry(0));
    const perEntry = first.bytes;
    expect(perEntry).toBeGreaterThan(JSON.stringify(first.response).length); // accounts at least the answer
    const fits = Math.floor(maxBytes / perEntry);
    for (let i = 1; i < fits * 20; i++) {
      store.put(entry(i));
      expect(store.bytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(store.size).toBeGreaterThan(fits * 0.9);
    expect(store.size).toBeLessThanOrEqual(fits + 1);
    expect(store.evictions).toBe(fits * 20 - store.size);
    store.close();
  });

  it("counts a partition's native HNSW graph at its capacity, keeps the bound with it, and gives it all back", () => {
    // the soak's RSS grew past the accounted bytes: the graph (hnswlib allocates per slot of its
    // capacity, plus a fixed pool of label mutexes) and the second copy of each vector were not counted
    const maxBytes = 6 * 1024 * 1024;
    const store = open(tmpDir(), maxBytes, 1_000_000, 64);
    for (let i = 0; i < 63; i++) store.put(entry(i, { dim: 128 }));
    const beforeGraph = store.bytes;
    store.put(entry(63, { dim: 128 })); // the 64th vector builds the graph
    expect(store.bytes - beforeGraph).toBeGreaterThan(65_536 * 40); // the label-mutex pool alone
    for (let i = 64; i < 20_000; i++) {
      store.put(entry(i, { dim: 128 }));
      expect(store.bytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(store.evictions).toBeGreaterThan(0);
    // per kept entry: the answer and the vector twice (JS copy and graph slot), more than the vector alone
    const kept = store.size;
    expect((store.bytes - 65_536 * 40) / kept).toBeGreaterThan(2 * 128 * 4);
    expect(store.nearest('test', 'ctx', Float32Array.from({ length: 128 }, (_, j) => Math.sin(19_999 + j)), 1)[0]?.entry.key).toBe(entry(19_999).key);
    store.purge({ all: true });
    expect(store.bytes).toBe(0);
    store.close();
  });

  it('evicts the least recently used, not the oldest: a read keeps an entry', () => {
    const store = open(tmpDir(), 64 * 1024);
    const kept = store.put(entry(0));
    const unread = store.put(entry(1));
    for (let i = 2; i < 2_000; i++) {
      store.put(entry(i));
      expect(store.get(kept.key)).toBe(kept); // read on every insert: always the most recent
    }
    expect(store.get(unread.key)).toBeUndefined();
    expect(store.get(kept.key)).toBe(kept);
    store.close();
  });

  it('accounts semantic partitions too, and the books balance after a purge', () => {
    const store = open(tmpDir(), 512 * 1024);
    // one partition per entry (a conversation each), as multi-turn traffic makes them
    for (let i = 0; i < 3_000; i++) {
      store.put(entry(i, { dim: 128, context: `conversation-${i}` }));
      expect(store.bytes).toBeLessThanOrEqual(512 * 1024);
    }
    expect(store.size).toBeGreaterThan(100);
    expect(store.nearest('test', 'conversation-2999', Float32Array.from({ length: 128 }, (_, j) => Math.sin(2999 + j)), 1)[0]?.entry.key).toBe(entry(2999).key);
    store.purge({ all: true });
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
    store.close();
  });

  it('a restart loads the newest entries that fit a smaller bound', () => {
    const dir = tmpDir();
    const big = open(dir, 10 * 1024 * 1024);
    for (let i = 0; i < 500; i++) big.put(entry(i, { dim: 16 }));
    big.close();
    const small = open(dir, 64 * 1024);
    expect(small.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(small.size).toBeGreaterThan(10);
    expect(small.get(entry(499).key)).toBeDefined();
    expect(small.get(entry(0).key)).toBeUndefined();
    small.close();
    const again = open(dir, 10 * 1024 * 1024);
    expect(again.size).toBe(small.size); // what did not fit was deleted from disk, not resurrected
    again.close();
  });

  it('through the stage: `cache.maxBytes` holds, and a question asked again and again stays cached', async () => {
    const stage = await createCacheStage({ maxBytes: 128 * 1024 }, { dataDir: tmpDir(), costOf });
    const u = upstream('the answer to a question that is asked a lot');
    const hot = request('What is the most popular question?');
    await stage.handle(context(hot), u.complete);
    const cold = request('What is asked only once?');
    await stage.handle(context(cold), u.complete);
    for (let i = 0; i < 1_500; i++) {
      await stage.handle(context(request(`Filler question ${i}?`)), u.complete);
      const c = context(hot);
      await stage.handle(c, u.complete);
      expect(c.cache?.status).toBe('hit');
      expect(stage.store.bytes).toBeLessThanOrEqual(128 * 1024);
    }
    const c = context(cold);
    await stage.handle(c, u.complete);
    expect(c.cache?.status).toBe('miss');
    await stage.close?.();
  });
});
