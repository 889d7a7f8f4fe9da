// The embedded ledger file: one SQLite file (<dataDir>/ledger.db), no setup. The store and reader
// over it are in ledger-store.ts; this file owns where it lives and its schema.
//
// Each record is kept whole as JSON plus the columns the common queries filter, sort, group or sum
// on (ledger-model.ts names them). Few columns are indexed (received_at, request_id, team, key_id:
// see the last migration): every index is paid for on each insert, the dashboard's figures come
// from the rollups, and sums over cost/latency/tokens scan a time range anyway.
//
// ingest_state holds the journal position the ingester has consumed up to; it is updated in
// the same transaction as the rows it covers, so a crash can neither lose nor double-count.

import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, openDatabase, type Db } from './database.js';
import { ROLLUP_DAY_MIGRATION, ROLLUP_MIGRATION, ROLLUP_OWN_TRAFFIC_MIGRATION } from './rollup-schema.js';
import { registerRollupFunctions } from './rollup-store.js';

export type { Db } from './database.js';

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
  // tokens by kind, for aggregates; rows stored before are filled from their JSON
  `ALTER TABLE requests ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE requests ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE requests ADD COLUMN cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE requests ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE requests ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE requests ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0;
   UPDATE requests SET
     input_tokens = COALESCE(ROUND(json_extract(record, '$.usage.input')), 0),
     cache_read_tokens = COALESCE(ROUND(json_extract(record, '$.usage.cacheRead')), 0),
     cache_write_5m_tokens = COALESCE(ROUND(json_extract(record, '$.usage.cacheWrite5m')), 0),
     cache_write_1h_tokens = COALESCE(ROUND(json_extract(record, '$.usage.cacheWrite1h')), 0),
     output_tokens = COALESCE(ROUND(json_extract(record, '$.usage.output')), 0),
     reasoning_tokens = COALESCE(ROUND(json_extract(record, '$.usage.reasoning')), 0);`,
  // the rollups (rollup-schema.ts); records stored before are rolled up by the ingest worker's rebuild
  ROLLUP_MIGRATION,
  // the gateway's own calls out of the users' traffic: two cell fields, and the cells rolled up again
  ROLLUP_OWN_TRAFFIC_MIGRATION,
  // fewer indexes: each one is paid on every insert (the ingest's largest cost after the rollups),
  // and the dashboard's figures come from the rollups, not from these. Kept: received_at (every
  // page of records is a time range, newest first), request_id (one request; INSERT OR IGNORE),
  // team (a tenant admin's every read) and key_id (a key's requests, budgets by key). A filter on
  // model, route or status walks the time range newest first and stops at the page's limit.
  `DROP INDEX IF EXISTS requests_model;
   DROP INDEX IF EXISTS requests_requested_model;
   DROP INDEX IF EXISTS requests_route;
   DROP INDEX IF EXISTS requests_status;`,
  // day cells, summed from the hour cells
  ROLLUP_DAY_MIGRATION,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Open (creating if needed) the writable file and bring its schema up to date. */
export function openLedgerDb(dataDir: string): Db {
  const db = openDatabase(ledgerDbPath(dataDir));
  // checkpoint every 64 MB of WAL instead of 4 MB: an ingest commit writes a few MB, and a
  // checkpoint (two fsyncs and copying pages back) per commit was a fifth of the ingest; pages
  // written by several commits (indexes, rollup cells) are copied back once
  db.pragma('wal_autocheckpoint = 16384');
  // the rollup migrations sum histograms in SQL
  registerRollupFunctions(db);
  try {
    migrate(db, MIGRATIONS, 'ledger.db');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Open an existing file read-only; null when there is none yet. */
export function openLedgerDbReadOnly(dataDir: string): Db | null {
  const path = ledgerDbPath(dataDir);
  if (!existsSync(path)) return null;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}
