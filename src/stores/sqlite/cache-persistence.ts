// SQLite cache persistence: <dataDir>/cache.sqlite, one row per entry, the response and tags as
// JSON and the vector as a raw float32 BLOB.

import { openDatabase, type Db } from './database.js';
import type { ChatResponse } from '../../core/canonical.js';
import type { Target } from '../../pipeline/stage.js';
import type { CacheEntry, CacheWriteBatch, SyncLoadCachePersistence } from '../cache-persistence.js';

export const CACHE_DB_FILE = 'cache.sqlite';

export class SqliteCachePersistence implements SyncLoadCachePersistence {
  private readonly db: Db;

  constructor(path: string) {
    this.db = openDatabase(path);
    // the table predates schema versions; CREATE IF NOT EXISTS keeps existing files as they are
    this.db.exec(`CREATE TABLE IF NOT EXISTS cache_entries (
      id INTEGER PRIMARY KEY, key TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, policy_version TEXT NOT NULL,
      created_at REAL NOT NULL, expires_at REAL NOT NULL, tags TEXT NOT NULL, response TEXT NOT NULL, latency_ms REAL NOT NULL,
      target TEXT, context_hash TEXT, query TEXT, embedder TEXT, embedding BLOB)`);
  }

  loadAll(now: number, maxEntries: number): CacheEntry[] {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM cache_entries WHERE expires_at <= ?').run(now);
      // the newest maxEntries ids stay; older ones would be evicted at once anyway
      const cutoff = this.db.prepare('SELECT id FROM cache_entries ORDER BY id DESC LIMIT 1 OFFSET ?').pluck().get(Math.max(0, maxEntries - 1)) as number | undefined;
      if (cutoff !== undefined) this.db.prepare('DELETE FROM cache_entries WHERE id < ?').run(cutoff);
      if (maxEntries <= 0) this.db.prepare('DELETE FROM cache_entries').run();
      const rows = this.db.prepare('SELECT * FROM cache_entries ORDER BY id').all() as Record<string, unknown>[];
      return rows.map(entryOf);
    })();
  }

  write(batch: CacheWriteBatch): void {
    const ins = this.db.prepare(
      `INSERT OR REPLACE INTO cache_entries (id, key, scope, name, policy_version, created_at, expires_at, tags, response, latency_ms, target, context_hash, query, embedder, embedding)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const del = this.db.prepare('DELETE FROM cache_entries WHERE id = ?');
    const deleted = new Set(batch.delete);
    this.db.transaction(() => {
      for (const e of batch.put) {
        if (deleted.has(e.id)) continue;
        ins.run(e.id, e.key, e.scope, e.name, e.policyVersion, e.createdAt, e.expiresAt, JSON.stringify(e.tags), JSON.stringify(e.response), e.latencyMs,
          e.target ? JSON.stringify(e.target) : null, e.contextHash ?? null, e.query ?? null, e.embedder ?? null,
          e.embedding ? Buffer.from(e.embedding.buffer, e.embedding.byteOffset, e.embedding.byteLength) : null);
      }
      for (const id of deleted) del.run(id);
    })();
  }

  close(): void {
    this.db.close();
  }
}

function entryOf(r: Record<string, unknown>): CacheEntry {
  const blob = r.embedding as Buffer | null;
  return {
    id: r.id as number,
    key: r.key as string,
    scope: r.scope as string,
    name: r.name as string,
    policyVersion: r.policy_version as string,
    createdAt: r.created_at as number,
    expiresAt: r.expires_at as number,
    tags: JSON.parse(r.tags as string) as string[],
    response: JSON.parse(r.response as string) as ChatResponse,
    latencyMs: r.latency_ms as number,
    target: r.target ? (JSON.parse(r.target as string) as Target) : undefined,
    contextHash: (r.context_hash as string | null) ?? undefined,
    query: (r.query as string | null) ?? undefined,
    embedder: (r.embedder as string | null) ?? undefined,
    embedding: blob ? new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength)) : undefined,
    // accounted by the store when it indexes the entry
    bytes: 0,
  };
}
