// The SQLite ledger store and reader over <dataDir>/ledger.db (schema in ledger-db.ts). Filters,
// groups and metrics are compiled from ledger-model.ts; nothing here decides what they mean.
//
// better-sqlite3 is synchronous: the writer runs in the ingest worker, the reader in the CLI and
// other off-path readers, never on the gateway's event loop.

import type { RequestRecord } from '../../ledger/record.js';
import {
  COLUMN_NAMES,
  INITIAL_INGEST_STATE,
  LEDGER_COLUMNS,
  metricDef,
  checkAggregate,
  checkQueryOptions,
  encodeCursor,
  filterSql,
  groupSql,
  valuesOf,
  type AggregateOptions,
  type AggregateRow,
  type ColumnValue,
  type GroupBy,
  type IngestState,
  type LedgerEntry,
  type LedgerFilter,
  type LedgerReader,
  type LedgerStore,
  type Metric,
  type QueryOptions,
  type QueryPage,
} from '../ledger.js';
import { schemaVersion, type Db } from './database.js';
import { SCHEMA_VERSION, openLedgerDb, openLedgerDbReadOnly } from './ledger-db.js';
import { SqliteRollupStore, type SeqRecord } from './rollup-store.js';

export class SqliteLedgerStore implements LedgerStore, LedgerReader {
  private commitTx: ((batch: readonly LedgerEntry[], state: IngestState) => number) | undefined;
  /** the rollups over these records, in the same file: a commit folds in the records it inserted */
  readonly rollups: SqliteRollupStore;

  constructor(
    private readonly db: Db,
    private readonly readonly = false,
  ) {
    this.rollups = new SqliteRollupStore(db);
  }

  /** the writable store (creates and migrates the file) */
  static open(dataDir: string): SqliteLedgerStore {
    return new SqliteLedgerStore(openLedgerDb(dataDir));
  }

  /** a read-only reader; null when the data directory has no ledger.db yet */
  static openReadOnly(dataDir: string): SqliteLedgerStore | null {
    const db = openLedgerDbReadOnly(dataDir);
    return db ? new SqliteLedgerStore(db, true) : null;
  }

  commit(batch: readonly LedgerEntry[], state: IngestState): number {
    if (this.readonly) throw new Error('this ledger store was opened read-only');
    this.commitTx ??= this.prepareCommit();
    try {
      return this.commitTx(batch, state);
    } catch (err) {
      this.rollups.forgetCache(); // the transaction rolled back: what the rollups remembered of it is gone
      throw err;
    }
  }

  private prepareCommit(): (batch: readonly LedgerEntry[], state: IngestState) => number {
    const cols = COLUMN_NAMES.map((c) => LEDGER_COLUMNS[c].sql);
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO requests (${cols.join(', ')}, record) VALUES (${cols.map(() => '?').join(', ')}, ?)`,
    );
    const setState = this.db.prepare('UPDATE ingest_state SET segment = ?, offset = ?, corrupt = ? WHERE id = 1');
    return this.db.transaction((batch: readonly LedgerEntry[], state: IngestState) => {
      const inserted: SeqRecord[] = [];
      for (const { rec, json } of batch) {
        const values = valuesOf(rec);
        values.push(json);
        const r = insert.run(values);
        if (r.changes > 0) inserted.push({ rec, seq: Number(r.lastInsertRowid) });
      }
      // only the records really inserted: a journal line read twice is never counted twice
      this.rollups.fold(inserted);
      setState.run(state.segment, state.offset, state.corrupt);
      return inserted.length;
    });
  }

  /** write the rollups staged by the commits so far (the ingest worker calls it at the end of every pass) */
  flushRollups(): void {
    try {
      this.rollups.flush();
    } catch (err) {
      this.rollups.forgetCache();
      throw err;
    }
  }

  ingestState(): IngestState {
    try {
      const row = this.db.prepare('SELECT segment, offset, corrupt FROM ingest_state WHERE id = 1').get() as IngestState | undefined;
      return row ? { segment: row.segment, offset: row.offset, corrupt: row.corrupt } : { ...INITIAL_INGEST_STATE };
    } catch {
      // a file created but not migrated yet (a read-only reader racing the first start)
      return { ...INITIAL_INGEST_STATE };
    }
  }

  close(): void {
    this.db.close();
  }

  /** Rows and the ingest state come from one read transaction: one consistent snapshot. */
  query(filter: LedgerFilter, opts: QueryOptions): QueryPage {
    const { where, args } = filterSql(filter);
    const { limit, order, after } = checkQueryOptions(opts);
    const dir = order === 'newest' ? 'DESC' : 'ASC';
    if (after) {
      where.push(`(received_at, seq) ${order === 'newest' ? '<' : '>'} (?, ?)`);
      args.push(after.receivedAt, after.seq);
    }
    const sql =
      `SELECT seq, received_at AS receivedAt, record FROM requests` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY received_at ${dir}, seq ${dir} LIMIT ?`;
    return this.db.transaction((): QueryPage => {
      const position = this.ingestState();
      if (!this.hasRequests()) return { records: [], position };
      const rows = this.db.prepare(sql).all(...args, limit + 1) as { seq: number; receivedAt: number; record: string }[];
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        records: page.map((r) => JSON.parse(r.record) as RequestRecord),
        next: rows.length > limit && last ? encodeCursor({ receivedAt: last.receivedAt, seq: last.seq }) : undefined,
        position,
      };
    })();
  }

  aggregate(filter: LedgerFilter, groupBy: readonly GroupBy[], metrics: readonly Metric[], opts?: AggregateOptions): AggregateRow[] {
    const { where, args } = filterSql(filter);
    const limit = checkAggregate(groupBy, metrics, opts);
    if (!this.hasRequests()) return [];
    if (schemaVersion(this.db) < SCHEMA_VERSION) {
      throw new Error('ledger.db has an older schema; start the gateway once (it upgrades the file) before aggregating');
    }
    const gAlias = groupBy.map((_, i) => `g${i}`);
    // only the columns needed: a window function materialises its input, the record JSON must stay out
    const needed = new Set<string>();
    for (const m of metrics) {
      const def = metricDef(m);
      if (def.column) needed.add(LEDGER_COLUMNS[def.column].sql);
    }
    let from =
      `(SELECT ${[...groupBy.map((g, i) => `${groupSql(g)} AS g${i}`), ...needed].join(', ') || '1'} FROM requests` +
      `${where.length ? ` WHERE ${where.join(' AND ')}` : ''})`;
    const ranked = [...new Set(metrics.map(metricDef).flatMap((d) => (d.fn === 'percentile' ? [LEDGER_COLUMNS[d.column!].sql] : [])))];
    if (ranked.length) {
      // percentiles need each row's rank in its group
      const part = gAlias.length ? `PARTITION BY ${gAlias.join(', ')}` : '';
      from = `(SELECT *, ${ranked.map((c) => `ROW_NUMBER() OVER (${part} ORDER BY ${c}) AS rn_${c}`).join(', ')}, COUNT(*) OVER (${part}) AS n FROM ${from})`;
    }
    let sql = `SELECT ${[...gAlias, ...metrics.map(metricSql)].join(', ')} FROM ${from}`;
    // without GROUP BY an empty input would still give one row (count 0)
    sql += gAlias.length ? ` GROUP BY ${gAlias.join(', ')} ORDER BY ${gAlias.join(', ')}` : ' HAVING COUNT(*) > 0';
    sql += ' LIMIT ?';
    const rows = this.db.prepare(sql).raw().all(...args, limit) as ColumnValue[][];
    return rows.map((r) => {
      const group: AggregateRow['group'] = {};
      groupBy.forEach((g, i) => (group[g] = r[i]!));
      const values: AggregateRow['values'] = {};
      metrics.forEach((m, i) => (values[m] = r[groupBy.length + i] as number));
      return { group, values };
    });
  }

  private hasRequests(): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests'").get() !== undefined;
  }
}

function metricSql(m: Metric): string {
  const def = metricDef(m);
  if (def.fn === 'count') return 'COUNT(*)';
  const col = LEDGER_COLUMNS[def.column!].sql;
  if (def.fn === 'sum') return `SUM(${col})`;
  // nearest rank, the integer formula of percentileRank()
  return `MAX(CASE WHEN rn_${col} = (n * ${def.p} + 99) / 100 THEN ${col} END)`;
}
