// The SQLite response store (<dataDir>/responses.db): one row per stored response. Writes are
// queued and committed together on the next turn of the event loop, after the answer has gone
// out; reads see the queue first, so a turn that continues an answer just given finds it.

import { StoreInputError } from '../types.js';
import type { ResponseStore, ResponseStoreLimits, StoredResponse } from '../responses.js';
import { migrate, openDatabase, type Db } from './database.js';

export const RESPONSES_DB_FILE = 'responses.db';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE responses (
     scope          TEXT NOT NULL,
     id             TEXT NOT NULL,
     created_at     REAL NOT NULL,
     expires_at     REAL NOT NULL,
     model          TEXT NOT NULL,
     upstream       TEXT,
     item_ids       TEXT NOT NULL,
     input_items    TEXT NOT NULL,
     response       TEXT NOT NULL,
     bytes          INTEGER NOT NULL,
     PRIMARY KEY (scope, id)
   );
   CREATE INDEX responses_created ON responses (created_at);
   CREATE INDEX responses_expires ON responses (expires_at);
   CREATE TABLE response_items (
     scope       TEXT NOT NULL,
     item_id     TEXT NOT NULL,
     response_id TEXT NOT NULL,
     PRIMARY KEY (scope, item_id)
   );
   CREATE INDEX response_items_response ON response_items (scope, response_id);`,
];

interface Row {
  scope: string;
  id: string;
  created_at: number;
  expires_at: number;
  model: string;
  upstream: string | null;
  item_ids: string;
  input_items: string;
  response: string;
  bytes: number;
}

const keyOf = (scope: string, id: string): string => `${scope}\u0000${id}`;

function entryOf(r: Row): StoredResponse {
  const e: StoredResponse = { id: r.id, scope: r.scope, createdAt: r.created_at, expiresAt: r.expires_at, model: r.model, itemIds: JSON.parse(r.item_ids) as string[], inputItems: r.input_items, response: r.response, bytes: r.bytes };
  if (r.upstream !== null) e.upstreamProvider = r.upstream;
  return e;
}

export class SqliteResponseStore implements ResponseStore {
  private readonly db: Db;
  private readonly pending = new Map<string, StoredResponse>();
  private flushScheduled = false;
  private total: number;
  private readonly stmt;

  constructor(path: string, private readonly limits: ResponseStoreLimits) {
    this.db = openDatabase(path);
    migrate(this.db, MIGRATIONS, path);
    this.stmt = {
      get: this.db.prepare('SELECT * FROM responses WHERE scope = ? AND id = ? AND expires_at > ?'),
      bytesOf: this.db.prepare('SELECT bytes FROM responses WHERE scope = ? AND id = ?').pluck(),
      put: this.db.prepare(
        `INSERT OR REPLACE INTO responses (scope, id, created_at, expires_at, model, upstream, item_ids, input_items, response, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      putItem: this.db.prepare('INSERT OR REPLACE INTO response_items (scope, item_id, response_id) VALUES (?, ?, ?)'),
      byItem: this.db.prepare(
        'SELECT r.* FROM response_items i JOIN responses r ON r.scope = i.scope AND r.id = i.response_id WHERE i.scope = ? AND i.item_id = ? AND r.expires_at > ?',
      ),
      del: this.db.prepare('DELETE FROM responses WHERE scope = ? AND id = ?'),
      delItems: this.db.prepare('DELETE FROM response_items WHERE scope = ? AND response_id = ?'),
      expiredItems: this.db.prepare('DELETE FROM response_items WHERE (scope, response_id) IN (SELECT scope, id FROM responses WHERE expires_at <= ?)'),
      oldest: this.db.prepare('SELECT scope, id, bytes FROM responses ORDER BY created_at LIMIT 64'),
      expired: this.db.prepare('DELETE FROM responses WHERE expires_at <= ?'),
      sum: this.db.prepare('SELECT COALESCE(SUM(bytes), 0) FROM responses').pluck(),
      count: this.db.prepare('SELECT COUNT(*) FROM responses').pluck(),
    };
    this.total = this.stmt.sum.get() as number;
  }

  put(entry: StoredResponse): void {
    if (entry.bytes > this.limits.maxTotalBytes) throw new StoreInputError(`a stored response of ${entry.bytes} bytes is larger than the store's cap of ${this.limits.maxTotalBytes}`);
    this.pending.set(keyOf(entry.scope, entry.id), entry);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  get(scope: string, id: string, now: number): StoredResponse | undefined {
    const p = this.pending.get(keyOf(scope, id));
    if (p) return p.expiresAt > now ? p : undefined;
    const row = this.stmt.get.get(scope, id, now) as Row | undefined;
    return row ? entryOf(row) : undefined;
  }

  getByItem(scope: string, itemId: string, now: number): StoredResponse | undefined {
    // the newest holder may still be queued
    let found: StoredResponse | undefined;
    for (const p of this.pending.values()) if (p.scope === scope && p.expiresAt > now && p.itemIds.includes(itemId)) found = p;
    if (found) return found;
    const row = this.stmt.byItem.get(scope, itemId, now) as Row | undefined;
    return row ? entryOf(row) : undefined;
  }

  delete(scope: string, id: string): boolean {
    const wasPending = this.pending.delete(keyOf(scope, id));
    const bytes = this.stmt.bytesOf.get(scope, id) as number | undefined;
    if (bytes !== undefined) this.removeRow(scope, id, bytes);
    return wasPending || bytes !== undefined;
  }

  sweep(now: number): number {
    this.flush();
    const n = this.db.transaction(() => {
      this.stmt.expiredItems.run(now);
      return this.stmt.expired.run(now).changes;
    })();
    if (n > 0) this.total = this.stmt.sum.get() as number;
    return n;
  }

  stats(): { entries: number; bytes: number } {
    this.flush();
    return { entries: this.stmt.count.get() as number, bytes: this.total };
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  private removeRow(scope: string, id: string, bytes: number): void {
    this.stmt.delItems.run(scope, id);
    this.stmt.del.run(scope, id);
    this.total -= bytes;
  }

  /** the queued puts in one transaction, then the oldest rows out until the total is under the cap */
  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.size === 0 || !this.db.open) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.db.transaction(() => {
      for (const e of batch) {
        const before = this.stmt.bytesOf.get(e.scope, e.id) as number | undefined;
        this.stmt.put.run(e.scope, e.id, e.createdAt, e.expiresAt, e.model, e.upstreamProvider ?? null, JSON.stringify(e.itemIds), e.inputItems, e.response, e.bytes);
        for (const item of e.itemIds) this.stmt.putItem.run(e.scope, item, e.id);
        this.total += e.bytes - (before ?? 0);
      }
      // oldest first; the rows just written are the newest, so they go last
      while (this.total > this.limits.maxTotalBytes) {
        const rows = this.stmt.oldest.all() as { scope: string; id: string; bytes: number }[];
        if (rows.length === 0) break;
        for (const r of rows) {
          if (this.total <= this.limits.maxTotalBytes) break;
          this.removeRow(r.scope, r.id, r.bytes);
        }
      }
    })();
  }
}
