// The cache's embedded store: every live entry in memory (lookups never touch the disk), persisted
// through a CachePersistence (src/stores/; SQLite under the data directory by default) with writes
// queued and flushed in batches off the request path. On start the entries are loaded back and the
// semantic partitions rebuilt from their vectors.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatResponse } from '../../core/canonical.js';
import type { Target } from '../../pipeline/stage.js';
import type { SyncLoadCachePersistence } from '../../stores/cache-persistence.js';
import { CACHE_DB_FILE, SqliteCachePersistence } from '../../stores/sqlite/cache-persistence.js';
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
  /** where entries persist; default SQLite in the data directory */
  persistence?: SyncLoadCachePersistence;
}

type Op = { kind: 'put'; e: CacheEntry } | { kind: 'del'; id: number };

export class CacheStore {
  private readonly persistence: SyncLoadCachePersistence;
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
    if (opts.persistence) this.persistence = opts.persistence;
    else {
      mkdirSync(dataDir, { recursive: true });
      this.persistence = new SqliteCachePersistence(join(dataDir, CACHE_DB_FILE));
    }
    this.load();
  }

  private load(): void {
    const now = (this.opts.now ?? Date.now)();
    for (const e of this.persistence.loadAll(now, this.opts.maxEntries)) {
      this.index(e);
      this.nextId = Math.max(this.nextId, e.id + 1);
    }
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
    const put: CacheEntry[] = [];
    const del: number[] = [];
    for (const op of ops) {
      if (op.kind === 'del') del.push(op.id);
      else put.push(op.e);
    }
    try {
      const done = this.persistence.write({ put, delete: del });
      if (done instanceof Promise) done.catch(() => (this.writeErrors += ops.length));
    } catch {
      this.writeErrors += ops.length;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.flush();
    void this.persistence.close();
  }
}
