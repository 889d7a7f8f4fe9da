// In-memory cache persistence (tests, the SDK): entries survive a CacheStore being closed and
// another opened on the same object, within one process.

import type { CacheEntry, CacheWriteBatch, SyncLoadCachePersistence } from '../cache-persistence.js';

export class MemoryCachePersistence implements SyncLoadCachePersistence {
  private readonly entries = new Map<number, CacheEntry>();

  loadAll(now: number, maxEntries: number): CacheEntry[] {
    for (const [id, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(id);
    const ids = [...this.entries.keys()].sort((a, b) => a - b);
    for (const id of ids.slice(0, Math.max(0, ids.length - maxEntries))) this.entries.delete(id);
    return ids.slice(Math.max(0, ids.length - maxEntries)).map((id) => copy(this.entries.get(id)!));
  }

  write(batch: CacheWriteBatch): void {
    const deleted = new Set(batch.delete);
    for (const e of batch.put) if (!deleted.has(e.id)) this.entries.set(e.id, copy(e));
    for (const id of deleted) this.entries.delete(id);
  }

  close(): void {}
}

/** a stored copy: later changes to the caller's object (or vector) must not leak in */
function copy(e: CacheEntry): CacheEntry {
  return { ...structuredClone({ ...e, embedding: undefined }), embedding: e.embedding ? new Float32Array(e.embedding) : undefined };
}
