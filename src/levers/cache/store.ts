// The cache's embedded store: every live entry in memory (lookups never touch the disk), persisted
// through a CachePersistence (src/stores/; SQLite under the data directory by default, made by
// createCacheStage) with writes queued and flushed in batches off the request path. On start the
// entries are loaded back and the semantic partitions rebuilt from their vectors.
//
// Memory is bounded in bytes as well as entries (issue 13 finding 4: ~8.7 KB per entry, without
// bound): each entry is accounted for what it holds (entryBytes) and the least recently used entries
// are evicted past `maxBytes` or `maxEntries`. A read moves an entry to the back of the eviction order
// (a Map re-insertion, O(1)); an insert evicts from the front, O(1) each. An entry is kept compact: its
// answer is re-parsed from its JSON (flat strings, nothing shared with the request that made it), its
// vector lives only in its partition once persisted, and one rendering of the answer is kept.

import type { SyncLoadCachePersistence } from '../../stores/cache-persistence.js';
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
  /** semantic: partition, the embedded text and its vector (the vector only until persisted: the partition holds it) */
  contextHash?: string;
  query?: string;
  embedder?: string;
  embedding?: Float32Array;
  /** the answer rendered for one wire format and model (what most hits want); other renderings are made per hit */
  rendered?: { key: string; body: string };
  /** what this entry is accounted for in the store's byte bound */
  bytes: number;
}

/** What put() takes: the store assigns the id and the accounting. */
export type NewCacheEntry = Omit<CacheEntry, 'id' | 'bytes' | 'rendered'>;

/**
 * Fixed cost of one entry beyond its strings: the entry and answer objects (content parts, usage,
 * target), its slots in the two maps, the eviction queue and the stage's per-entry memos. Calibrated
 * with bench/cache-memory.mjs (heap growth per entry against this accounting).
 */
const ENTRY_OVERHEAD = 700;
/** a semantic partition's own objects (the partition, its map slot and key); what it holds is VectorPartition.bytes */
const PARTITION_BYTES = 480;
/** strings at 2 bytes per UTF-16 unit: an upper bound (V8 keeps Latin-1 text at 1 byte) */
const str = (s: string | undefined): number => (s ? s.length * 2 : 0);

function entryBytes(e: CacheEntry, responseJson: string): number {
  let n = ENTRY_OVERHEAD + str(e.key) + str(e.scope) + str(e.name) + str(e.policyVersion) + str(e.query) + str(e.contextHash) + str(e.embedder);
  // the parsed answer holds the same strings as its JSON, in objects: about the JSON's size in UTF-16
  n += str(responseJson);
  for (const t of e.tags) n += 16 + str(t);
  // the vector is accounted in its partition (VectorPartition.bytes), at the partition's capacity
  return n;
}

export interface StoreOptions {
  maxEntries: number;
  /** memory bound: accounted bytes of all entries (see entryBytes); least recently used evicted first */
  maxBytes?: number;
  flushIntervalMs: number;
  hnswMinEntries: number;
  hnsw: HnswParams;
  /** clock (tests) */
  now?: () => number;
  /** where entries persist between runs (SQLite in the data directory for the gateway, memory for the SDK) */
  persistence: SyncLoadCachePersistence;
}

type Op = { kind: 'put'; e: CacheEntry } | { kind: 'del'; id: number };

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export class CacheStore {
  private readonly persistence: SyncLoadCachePersistence;
  private readonly byKey = new Map<string, CacheEntry>();
  /** least recently used first: a read re-inserts its entry at the end, eviction takes from the front */
  private readonly byId = new Map<number, CacheEntry>();
  /** accounted bytes of every entry (and semantic partition) in memory */
  bytes = 0;
  readonly maxBytes: number;
  /** entries evicted for the byte or entry bound */
  evictions = 0;
  private readonly partitions = new Map<string, VectorPartition>();
  private queue: Op[] = [];
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private closed = false;
  /** writes that failed to reach the disk (counted, never silently dropped) */
  writeErrors = 0;

  constructor(private readonly opts: StoreOptions) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.persistence = opts.persistence;
    this.load();
  }

  /** newest entries first until a bound is reached; the rest are deleted from the persistence */
  private load(): void {
    const now = (this.opts.now ?? Date.now)();
    // expired entries and all but the newest maxEntries are dropped by the persistence itself
    const loaded = this.persistence.loadAll(now, this.opts.maxEntries);
    const kept: CacheEntry[] = [];
    const dropped: number[] = [];
    let bytes = 0;
    for (let i = loaded.length - 1; i >= 0; i--) {
      const e = loaded[i]!;
      const json = JSON.stringify(e.response);
      // re-parsed from its JSON: flat strings, nothing shared with whatever built the object
      e.response = JSON.parse(json) as ChatResponse;
      e.bytes = entryBytes(e, json);
      if (kept.length >= this.opts.maxEntries || bytes + e.bytes > this.maxBytes) {
        dropped.push(e.id);
        continue;
      }
      bytes += e.bytes;
      kept.push(e);
    }
    // oldest first, so that the eviction order starts with them
    for (let i = kept.length - 1; i >= 0; i--) {
      const e = kept[i]!;
      this.index(e);
      e.embedding = undefined; // persisted already; the partition holds the vector
      this.nextId = Math.max(this.nextId, e.id + 1);
    }
    for (const id of dropped) this.nextId = Math.max(this.nextId, id + 1);
    // the partitions' own bytes are known only once they are built: evict the oldest past the bound
    while (this.bytes > this.maxBytes && this.byId.size > 1) {
      const oldest = this.byId.values().next().value as CacheEntry;
      this.unindex(oldest);
      dropped.push(oldest.id);
    }
    if (dropped.length) {
      try {
        this.persistence.write({ put: [], delete: dropped });
      } catch {
        this.writeErrors += dropped.length;
      }
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
    this.bytes += e.bytes;
    if (e.embedding && e.contextHash && e.embedder) {
      const pk = this.partitionKey(e.embedder, e.contextHash);
      let p = this.partitions.get(pk);
      if (!p) {
        this.partitions.set(pk, (p = new VectorPartition(e.embedding.length, this.opts.hnswMinEntries, this.opts.hnsw)));
        this.bytes += PARTITION_BYTES + p.bytes;
      }
      const before = p.bytes;
      p.add(e.id, e.embedding);
      this.bytes += p.bytes - before;
    }
  }

  private unindex(e: CacheEntry): void {
    if (this.byKey.get(e.key) === e) this.byKey.delete(e.key);
    if (this.byId.delete(e.id)) this.bytes -= e.bytes;
    if (e.contextHash && e.embedder) {
      const pk = this.partitionKey(e.embedder, e.contextHash);
      const p = this.partitions.get(pk);
      if (p) {
        const before = p.bytes;
        p.remove(e.id);
        if (p.size === 0) {
          this.partitions.delete(pk);
          this.bytes -= PARTITION_BYTES + before;
        } else this.bytes += p.bytes - before;
      }
    }
  }

  /** Memory only: the hot path never waits on the disk. A found entry becomes the most recently used. */
  get(key: string): CacheEntry | undefined {
    const e = this.byKey.get(key);
    if (e) this.touch(e);
    return e;
  }

  getById(id: number): CacheEntry | undefined {
    return this.byId.get(id);
  }

  /** marks the entry most recently used (a hit), O(1) */
  touch(e: CacheEntry): void {
    if (this.byId.get(e.id) !== e) return;
    this.byId.delete(e.id);
    this.byId.set(e.id, e);
  }

  /** keeps one rendering of the entry's answer (accounted), replacing any other */
  setRendered(e: CacheEntry, key: string, body: string): void {
    if (this.byId.get(e.id) !== e) return;
    const delta = str(body) + str(key) + 32 - (e.rendered ? str(e.rendered.body) + str(e.rendered.key) + 32 : 0);
    e.rendered = { key, body };
    e.bytes += delta;
    this.bytes += delta;
    this.evict(e);
  }

  put(input: NewCacheEntry): CacheEntry {
    // a JSON round trip: flat strings and fresh objects, nothing shared with the call that made the
    // answer (stream deltas concatenated into ropes, parsed request bodies); the JSON is what is persisted
    const responseJson = JSON.stringify(input.response);
    const entry: CacheEntry = { ...input, response: JSON.parse(responseJson) as ChatResponse, id: this.nextId++, bytes: 0 };
    if (entry.embedding) entry.embedding = Float32Array.from(entry.embedding); // own buffer, never a view into a batch
    entry.bytes = entryBytes(entry, responseJson);
    const old = this.byKey.get(entry.key);
    if (old) this.queue.push({ kind: 'del', id: old.id });
    this.index(entry);
    this.queue.push({ kind: 'put', e: entry });
    this.evict(entry);
    this.schedule();
    return entry;
  }

  /** least recently used first, until both bounds hold; never the entry just stored or served */
  private evict(keep: CacheEntry): void {
    while (this.byId.size > this.opts.maxEntries || (this.bytes > this.maxBytes && this.byId.size > 1)) {
      const oldest = this.byId.values().next().value as CacheEntry;
      if (oldest === keep) {
        this.touch(keep);
        if (this.byId.size === 1) break;
        continue;
      }
      this.delete(oldest);
      this.evictions++;
    }
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

  /** Write queued changes in one batch (one transaction in the persistence). */
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
    // persisted (or given up on): the partition holds the vector from now on
    for (const e of put) e.embedding = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.flush();
    const done = this.persistence.close();
    if (done instanceof Promise) done.catch(() => undefined);
  }
}
