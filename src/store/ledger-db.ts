// The embedded ledger store: one SQLite file (<dataDir>/ledger.db), no setup.
//
// Each record is kept whole as JSON plus the columns the common queries filter, sort or sum on.
// Only the filtered/sorted columns are indexed: every index is paid for on each insert, and
// sums over cost/latency scan a time range anyway.
//
// ingest_state holds the journal position the ingester has consumed up to; it is updated in
// the same transaction as the rows it covers, so a crash can neither lose nor double-count.

import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestRecord } from '../ledger/record.js';
import type { JournalPosition } from '../ledger/journal.js';

export type Db = Database.Database;

export const LEDGER_DB_FILE = 'ledger.db';

export function ledgerDbPath(dataDir: string): string {
  return join(dataDir, LEDGER_DB_FILE);
}

/** Forward migrations; index i brings the schema from version i to i + 1. Never edit one that shipped. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE requests (
     seq             INTEGER PRIMARY KEY,
     request_id      TEXT NOT NULL UNIQUE,
     received_at     REAL NOT NULL,
     completed_at    REAL,
     requested_model TEXT NOT NULL,
     model           TEXT,
     provider        TEXT,
     route           TEXT,
     team            TEXT,
     key_id          TEXT,
     user_id         TEXT,
     status          TEXT NOT NULL,
     http_status     INTEGER,
     error_class     TEXT,
     cache_status    TEXT,
     cost_usd        REAL NOT NULL,
     latency_ms      REAL NOT NULL,
     record          TEXT NOT NULL
   );
   CREATE INDEX requests_received_at ON requests (received_at);
   CREATE INDEX requests_model ON requests (model, received_at);
   CREATE INDEX requests_requested_model ON requests (requested_model, received_at);
   CREATE INDEX requests_route ON requests (route, received_at);
   CREATE INDEX requests_team ON requests (team, received_at);
   CREATE INDEX requests_key_id ON requests (key_id, received_at);
   CREATE INDEX requests_status ON requests (status, received_at);
   CREATE TABLE ingest_state (
     id      INTEGER PRIMARY KEY CHECK (id = 1),
     segment INTEGER NOT NULL,
     offset  INTEGER NOT NULL,
     corrupt INTEGER NOT NULL DEFAULT 0
   );
   INSERT INTO ingest_state (id, segment, offset, corrupt) VALUES (1, 0, 0, 0);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Open (creating if needed) the writable store and bring its schema up to date. */
export function openLedgerDb(dataDir: string): Db {
  const db = new Database(ledgerDbPath(dataDir));
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL survives a process crash; only power loss can undo the last commits, and the
  // journal (page cache too) has the same exposure.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Open an existing store read-only; null when there is none yet. */
export function openLedgerDbReadOnly(dataDir: string): Db | null {
  const path = ledgerDbPath(dataDir);
  if (!existsSync(path)) return null;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

export function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  const current = row?.version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(`ledger.db has schema version ${current}, newer than this Tollgate understands (${SCHEMA_VERSION}); upgrade Tollgate`);
  }
  if (current === SCHEMA_VERSION) return;
  db.transaction(() => {
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.prepare('DELETE FROM schema_version').run();
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
  })();
}

export interface IngestState extends JournalPosition {
  corrupt: number;
}

export function readIngestState(db: Db): IngestState {
  try {
    const row = db.prepare('SELECT segment, offset, corrupt FROM ingest_state WHERE id = 1').get() as IngestState | undefined;
    return row ?? { segment: 0, offset: 0, corrupt: 0 };
  } catch {
    // a store created but not yet migrated (read-only reader racing the first start)
    return { segment: 0, offset: 0, corrupt: 0 };
  }
}

/** Columns extracted from a record; `record` is the JSON line itself (stored as written). */
function columnsOf(rec: RequestRecord, json: string): unknown[] {
  return [
    rec.requestId,
    rec.receivedAt,
    rec.completedAt ?? null,
    rec.requestedModel,
    rec.model ?? null,
    rec.provider ?? null,
    rec.route ?? null,
    rec.team ?? null,
    rec.keyId ?? null,
    rec.user ?? null,
    rec.status,
    rec.httpStatus ?? null,
    rec.errorClass ?? null,
    rec.cacheStatus ?? null,
    rec.costUsd ?? 0,
    rec.latencyMs ?? 0,
    json,
  ];
}

export interface LedgerWriter {
  /** Insert the records (ignoring ids already stored) and move the state, in one transaction; returns rows inserted. */
  commit(batch: { rec: RequestRecord; json: string }[], state: IngestState): number;
}

export function ledgerWriter(db: Db): LedgerWriter {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO requests
       (request_id, received_at, completed_at, requested_model, model, provider, route, team, key_id,
        user_id, status, http_status, error_class, cache_status, cost_usd, latency_ms, record)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const setState = db.prepare('UPDATE ingest_state SET segment = ?, offset = ?, corrupt = ? WHERE id = 1');
  const tx = db.transaction((batch: { rec: RequestRecord; json: string }[], state: IngestState) => {
    let inserted = 0;
    for (const { rec, json } of batch) inserted += insert.run(...columnsOf(rec, json)).changes;
    setState.run(state.segment, state.offset, state.corrupt);
    return inserted;
  });
  return { commit: (batch, state) => tx(batch, state) };
}

export interface LedgerQuery {
  last?: number;
  /** epoch milliseconds: records received at or after */
  since?: number;
  /** matches the model asked for or the model that answered */
  model?: string;
  route?: string;
  team?: string;
}

/** Matching records, newest first (received time, then storage order). */
export function queryLedgerDb(db: Db, q: LedgerQuery): RequestRecord[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.since !== undefined) {
    where.push('received_at >= ?');
    args.push(q.since);
  }
  if (q.model !== undefined) {
    where.push('(model = ? OR requested_model = ?)');
    args.push(q.model, q.model);
  }
  if (q.route !== undefined) {
    where.push('route = ?');
    args.push(q.route);
  }
  if (q.team !== undefined) {
    where.push('team = ?');
    args.push(q.team);
  }
  let sql = 'SELECT record FROM requests';
  if (where.length) sql += ` WHERE ${where.join(' AND ')}`;
  sql += ' ORDER BY received_at DESC, seq DESC';
  if (q.last !== undefined) {
    sql += ' LIMIT ?';
    args.push(q.last);
  }
  const rows = db.prepare(sql).pluck().all(...args) as string[];
  return rows.map((r) => JSON.parse(r) as RequestRecord);
}
