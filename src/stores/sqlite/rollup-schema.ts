// The rollup tables in ledger.db (one file: cells and the cursor of the records they cover commit
// in one transaction with records). The ledger's migration list (ledger-db.ts) runs
// ROLLUP_MIGRATION once; it also marks every record stored before it for the rebuild the ingest
// worker then runs in chunks (rollup_meta.rebuild_target_seq), so an existing data directory gets
// its rollups by itself. live_through_seq: the last record folded into the cells since.

import { CELL_FIELDS } from '../../insights/rollup-model.js';

/** the dimension columns, in DIMENSIONS order */
export const DIM_COLUMNS = ['model', 'route', 'team', 'key_id', 'status', 'cache_status', 'variant'] as const;

export const ROLLUP_TABLES = { minute: 'rollup_minute', hour: 'rollup_hour', day: 'rollup_day' } as const;

/** the cell fields of the first rollup schema; fields appended since come with their own migration */
const FIRST_CELL_FIELDS = CELL_FIELDS.slice(0, CELL_FIELDS.indexOf('ownRequests'));

function cellTable(name: string, fields: readonly string[] = FIRST_CELL_FIELDS): string {
  return `CREATE TABLE ${name} (
     cube INTEGER NOT NULL,
     t INTEGER NOT NULL,
     ${DIM_COLUMNS.map((c) => `${c} TEXT NOT NULL`).join(',\n     ')},
     ${fields.map((f) => `${f} REAL NOT NULL DEFAULT 0`).join(',\n     ')},
     latency BLOB,
     ttft BLOB,
     own_calls TEXT
   );
   CREATE UNIQUE INDEX ${name}_cell ON ${name} (cube, t, ${DIM_COLUMNS.join(', ')});`;
}

/** Never edit once shipped: add a migration to ledger-db.ts instead. */
export const ROLLUP_MIGRATION = `${cellTable(ROLLUP_TABLES.minute)}
   ${cellTable(ROLLUP_TABLES.hour)}
   CREATE TABLE rollup_pending_writes (
     prefix_hash TEXT PRIMARY KEY,
     written_at REAL NOT NULL,
     expires_at REAL NOT NULL,
     tokens REAL NOT NULL,
     usd REAL NOT NULL,
     dims TEXT NOT NULL
   );
   CREATE TABLE rollup_meta (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     rebuilt_through_seq INTEGER NOT NULL,
     rebuild_target_seq INTEGER NOT NULL,
     live_through_seq INTEGER NOT NULL,
     newest_at REAL
   );
   INSERT INTO rollup_meta (id, rebuilt_through_seq, rebuild_target_seq, live_through_seq, newest_at)
     SELECT 1, 0, COALESCE(MAX(seq), 0), COALESCE(MAX(seq), 0), MAX(received_at) FROM requests;`;

/**
 * The gateway's own traffic kept apart (rollup-model.ts isOwnTraffic): two cell fields, and every
 * cell rolled up again, since the cells before counted the judge's records as requests. The
 * ingest worker runs the rebuild in chunks (as after ROLLUP_MIGRATION); until it is done the
 * dashboard shows the records rolled up so far.
 */
export const ROLLUP_OWN_TRAFFIC_MIGRATION = `${[ROLLUP_TABLES.minute, ROLLUP_TABLES.hour]
  .map((t) => `ALTER TABLE ${t} ADD COLUMN ownRequests REAL NOT NULL DEFAULT 0; ALTER TABLE ${t} ADD COLUMN ownRequestsUsd REAL NOT NULL DEFAULT 0;`)
  .join('\n   ')}
   DELETE FROM ${ROLLUP_TABLES.minute}; DELETE FROM ${ROLLUP_TABLES.hour}; DELETE FROM rollup_pending_writes;
   UPDATE rollup_meta SET rebuilt_through_seq = 0, rebuild_target_seq = (SELECT COALESCE(MAX(seq), 0) FROM requests),
     live_through_seq = (SELECT COALESCE(MAX(seq), 0) FROM requests), newest_at = (SELECT MAX(received_at) FROM requests) WHERE id = 1;`;

/**
 * Day cells (rollup-model.ts Grain): the table, filled from the hour cells it sums (exact: a day
 * is the sum of its 24 UTC hours), so an existing file needs no rebuild from its records. Needs
 * hist_sum and own_sum on the connection (registerRollupFunctions).
 */
export const ROLLUP_DAY_MIGRATION = `${cellTable(ROLLUP_TABLES.day, CELL_FIELDS)}
   INSERT INTO ${ROLLUP_TABLES.day} (cube, t, ${DIM_COLUMNS.join(', ')}, ${CELL_FIELDS.join(', ')}, latency, ttft, own_calls)
     SELECT cube, (t / 86400000) * 86400000 AS d, ${DIM_COLUMNS.join(', ')}, ${CELL_FIELDS.map((f) => `SUM(${f})`).join(', ')},
       hist_sum(latency), hist_sum(ttft), own_sum(own_calls)
     FROM ${ROLLUP_TABLES.hour} GROUP BY cube, d, ${DIM_COLUMNS.join(', ')};`;
