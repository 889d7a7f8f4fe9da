// The cache's embedded store: every live entry in memory (lookups never touch the disk), persisted
// to SQLite under the data directory with writes queued and flushed in batches off the request
// path. On start the entries are loaded back and the semantic partitions rebuilt from their vectors.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatResponse } from '../../core/canonical.js';
import type { Target } from '../../pipeline/stage.js';
import { VectorPartition, type HnswParams, type Neighbour } from './vector-index.js';

export interface CacheEntry {
  id: number;
  key: string;
  /** tenant the entry belongs to ('' = global) */
  scope: string;
  /** route name, or the model name when no route */
  name: string;
  policyVersion: string;
  createdAt: number;
  expiresAt: number;
  tags: string[];
  response: ChatResponse;
  /** how long the upstream call took end to end, ms (savedMs on a hit) */
  latencyMs: number;
  target?: Target;
  /** semantic: partition, the embedded text and its vector */
  contextHash?: string;
  query?: string;
  embedder?: string;
  embedding?: Float32Array;
}

export interface StoreOptions {
  maxEntries: number;
  flushIntervalMs: number;
  hnswMinEntries: number;
  hnsw: HnswParams;
  /** clock (tests) */
  now?: () => number;
}

type Op = { kind: 'put'; e: CacheEntry } | { kind: 'del'; id: number };

export class CacheStore {
  private readonly db: Database.Database;
  private readonly byKey = new Map<string, CacheEntry>();
  /** insertion order = age order: the first entries are evicted first */
  private readonly byId = new Map<number, CacheEntry>();
  private readonly partitions = new Map<string, VectorPartition>();
  private queue: Op[] = [];
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private closed = false;
  /** writes that failed to reach the disk (counted, never silently dropped) */
  writeErrors = 0;

  constructor(
    dataDir: string,
    private readonly opts: StoreOptions,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'cache.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS cache_entries (
      id INTEGER PRIMARY KEY, key TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, policy_version TEXT NOT NULL,
      created_at REAL NOT NULL, expires_at REAL NOT NULL, tags TEXT NOT NULL, response TEXT NOT NULL, latency_ms REAL NOT NULL,
      target TEXT, context_hash TEXT, query TEXT, embedder TEXT, embedding BLOB)`);
    this.load();
  }

  private load(): void {
    const now = (this.opts.now ?? Date.now)();
    this.db.prepare('DELETE FROM cache_entries WHERE expires_at <= ?').run(now);
    const rows = this.db.prepare('SELECT * FROM cache_entries ORDER BY id').all() as Record<string, unknown>[];
    for (const r of rows.slice(Math.max(0, rows.length - this.opts.maxEntries))) {
      const blob = r.embedding as Buffer | null;
      const e: CacheEntry = {
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
      };
      this.index(e);
      this.nextId = Math.max(this.nextId, e.id + 1);
    }
    if (rows.length > this.opts.maxEntries) this.db.prepare('DELETE FROM cache_entries WHERE id < ?').run(rows[rows.length - this.opts.maxEntries]!.id);
  }

  get size(): number {
    return this.byId.size;
  }

  private partitionKey(embedder: string, contextHash: string): string {
    return embedder + '\u0000' + contextHash;
  }

  private index(e: CacheEntry): void {
    const old = this.byKey.get(e.key);
    if (old) this.unindex(old);
    this.byKey.set(e.key, e);
    this.byId.set(e.id, e);
    if (e.embedding && e.contextHash && e.embedder) {
      const pk = this.partitionKey(e.embedder, e.contextHash);
      let p = this.partitions.get(pk);
      if (!p) this.partitions.set(pk, (p = new VectorPartition(e.embedding.length, this.opts.hnswMinEntries, this.opts.hnsw)));
      p.add(e.id, e.embedding);
    }
  }

  private unindex(e: CacheEntry): void {
    if (this.byKey.get(e.key) === e) this.byKey.delete(e.key);
    this.byId.delete(e.id);
    if (e.embedding && e.contextHash && e.embedder) {
      const pk = this.partitionKey(e.embedder, e.contextHash);
      const p = this.partitions.get(pk);
      p?.remove(e.id);
      if (p && p.size === 0) this.partitions.delete(pk);
    }
  }

  /** Memory only: the hot path never waits on the disk. */
  get(key: string): CacheEntry | undefined {
    return this.byKey.get(key);
  }

  getById(id: number): CacheEntry | undefined {
    return this.byId.get(id);
  }

  put(e: Omit<CacheEntry, 'id'>): CacheEntry {
    const entry: CacheEntry = { ...e, id: this.nextId++ };
    const old = this.byKey.get(entry.key);
    if (old) this.queue.push({ kind: 'del', id: old.id });
    this.index(entry);
    this.queue.push({ kind: 'put', e: entry });
    while (this.byId.size > this.opts.maxEntries) {
      const oldest = this.byId.values().next().value as CacheEntry;
      this.delete(oldest);
    }
    this.schedule();
    return entry;
  }

  delete(e: CacheEntry): void {
    if (!this.byId.has(e.id)) return;
    this.unindex(e);
    this.queue.push({ kind: 'del', id: e.id });
    this.schedule();
  }

  /** Nearest neighbours of `v` among entries of one partition (same context, same embedder). */
  nearest(embedder: string, contextHash: string, v: Float32Array, k: number): { entry: CacheEntry; similarity: number }[] {
    const p = this.partitions.get(this.partitionKey(embedder, contextHash));
    if (!p || p.dim !== v.length) return [];
    const out: { entry: CacheEntry; similarity: number }[] = [];
    for (const n of p.search(v, k) as Neighbour[]) {
      const entry = this.byId.get(n.id);
      if (entry) out.push({ entry, similarity: n.similarity });
    }
    return out;
  }

  /** How many live entries one scope (tenant) holds; walks every entry, so for admin reads only. */
  countScope(scope: string): number {
    let n = 0;
    for (const e of this.byId.values()) if (e.scope === scope) n++;
    return n;
  }

  /** Delete matching entries; returns how many. */
  purge(filter: { all?: boolean; tags?: string[]; route?: string; scope?: string }): number {
    const victims: CacheEntry[] = [];
    for (const e of this.byId.values()) {
      if (filter.scope !== undefined && e.scope !== filter.scope) continue;
      if (filter.all) victims.push(e);
      else if (filter.route !== undefined && e.name === filter.route) victims.push(e);
      else if (filter.tags?.length && e.tags.some((t) => filter.tags!.includes(t))) victims.push(e);
    }
    for (const e of victims) this.delete(e);
    return victims.length;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.opts.flushIntervalMs);
    this.timer.unref();
  }

  /** Write queued changes in one transaction. */
  flush(): void {
    if (this.queue.length === 0) return;
    const ops = this.queue;
    this.queue = [];
    const ins = this.db.prepare(
      `INSERT OR REPLACE INTO cache_entries (id, key, scope, name, policy_version, created_at, expires_at, tags, response, latency_ms, target, context_hash, query, embedder, embedding)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const del = this.db.prepare('DELETE FROM cache_entries WHERE id = ?');
    try {
      this.db.transaction(() => {
        for (const op of ops) {
          if (op.kind === 'del') del.run(op.id);
          else {
            const e = op.e;
            ins.run(e.id, e.key, e.scope, e.name, e.policyVersion, e.createdAt, e.expiresAt, JSON.stringify(e.tags), JSON.stringify(e.response), e.latencyMs,
              e.target ? JSON.stringify(e.target) : null, e.contextHash ?? null, e.query ?? null, e.embedder ?? null,
              e.embedding ? Buffer.from(e.embedding.buffer, e.embedding.byteOffset, e.embedding.byteLength) : null);
          }
        }
      })();
    } catch {
      this.writeErrors += ops.length;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.flush();
    this.db.close();
  }
}
