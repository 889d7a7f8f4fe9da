// The SQLite rollup store: cells in ledger.db (tables in rollup-schema.ts), folded in with one
// upsert per cell inside the ledger's commit transaction, read back summed by SQL. The histograms
// and own-call maps are merged by functions registered on the connection (hist_merge, hist_sum,
// own_merge, own_sum), so a read returns summed rows, never cells to add up in JS.
//
// better-sqlite3 is synchronous: the writer runs in the ingest worker; readers run in the query
// worker (query-worker.ts) or the CLI, never on the gateway's event loop.

import type { RequestRecord } from '../../ledger/record.js';
import { DenseHistogram, decodeInto, encodeHistogram, mergeEncoded } from '../../insights/histogram.js';
import {
  CELL_FIELDS,
  CUBES,
  DIMENSIONS,
  MINUTE_MS,
  MINUTE_RETENTION_MS,
  NUM_FIELDS,
  PendingWrites,
  RollupBatch,
  emptyCell,
  mergeUsdMap,
  type CellDelta,
  type Grain,
  type PendingWrite,
} from '../../insights/rollup-model.js';
import { MAX_ROLLUP_ROWS, checkRead, groupDims, type RollupRead, type RollupRow, type RollupStore } from '../rollups.js';
import { StoreInputError } from '../types.js';
import type { Db } from './database.js';
import { DIM_COLUMNS, ROLLUP_TABLES } from './rollup-schema.js';

type Statement = ReturnType<Db['prepare']>;

/** records per rebuild step (one transaction each) */
export const REBUILD_STEP_RECORDS = 20_000;
/** a staged batch is written once it holds this many records or cells (or at the end of an ingest pass) */
export const FLUSH_RECORDS = 50_000;
export const FLUSH_CELLS = 50_000;

/** a record and its row's seq in ledger.db */
export interface SeqRecord {
  rec: RequestRecord;
  seq: number;
}

/**
 * Fed by the ledger store (fold, inside its commit transaction) the records are staged in a
 * RollupBatch in memory and written as cells with the cursor `live_through_seq` in one
 * transaction: when the batch is large, or at flush() (the ingest worker's end of every pass). A
 * crash loses only the staged batch, and its records are in ledger.db past the cursor: the next
 * fold or flush folds them again from there first (catch-up). Exactly once, and one upsert per
 * cell per batch instead of per record.
 */
export class SqliteRollupStore implements RollupStore {
  private pending: PendingWrites | undefined;
  private newest: number | undefined;
  private upserts: Record<Grain, Statement> | undefined;
  private lastPrune = -Infinity;
  /** the staged batch and the last seq in it; undefined until caught up with the file */
  private staged: { batch: RollupBatch; lastSeq: number } | undefined;

  constructor(private readonly db: Db) {
    registerRollupFunctions(db);
  }

  /** fold records and write them now (no cursor: for a store used without a ledger) */
  add(records: readonly RequestRecord[]): void {
    if (records.length === 0) return;
    this.db.transaction(() => {
      const batch = this.newBatch();
      for (const r of records) batch.add(r);
      this.write(batch, undefined);
    })();
  }

  /** stage the records a ledger commit inserted; call inside that commit's transaction */
  fold(records: readonly SeqRecord[]): void {
    if (records.length === 0) return;
    const staged = this.caughtUp(records[0]!.seq);
    for (const { rec, seq } of records) {
      staged.batch.add(rec);
      staged.lastSeq = seq;
    }
    if (staged.batch.records >= FLUSH_RECORDS || staged.batch.size >= FLUSH_CELLS) this.writeStaged();
  }

  /** write the staged batch (and catch up with the file first when needed) */
  flush(): void {
    this.db.transaction(() => {
      this.caughtUp(Infinity);
      this.writeStaged();
    })();
  }

  /** the worker's copy of what the file holds is gone after a failed transaction: catch up again */
  forgetCache(): void {
    this.pending = undefined;
    this.newest = undefined;
    this.staged = undefined;
  }

  private newBatch(): RollupBatch {
    const pending = (this.pending ??= this.loadPending());
    const newest = (this.newest ??= this.loadNewest());
    return new RollupBatch(pending, newest - MINUTE_RETENTION_MS);
  }

  /** the staged batch, first folding the records past the cursor and before `beforeSeq` (a crash's leftovers) */
  private caughtUp(beforeSeq: number): { batch: RollupBatch; lastSeq: number } {
    if (this.staged) return this.staged;
    const cursor = this.meta().live_through_seq;
    const staged = { batch: this.newBatch(), lastSeq: cursor };
    const read = this.db.prepare('SELECT seq, record FROM requests WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?').raw();
    for (let from = cursor; ; ) {
      const rows = read.all(from, Number.isFinite(beforeSeq) ? beforeSeq : Number.MAX_SAFE_INTEGER, REBUILD_STEP_RECORDS) as [number, string][];
      for (const [seq, json] of rows) {
        const rec = parseStored(json);
        if (rec) staged.batch.add(rec);
        staged.lastSeq = seq;
      }
      if (rows.length < REBUILD_STEP_RECORDS) break;
      from = rows[rows.length - 1]![0];
    }
    this.staged = staged;
    return staged;
  }

  private writeStaged(): void {
    const s = this.staged;
    // nothing staged: an idle gateway's passes write nothing
    if (!s || s.batch.records === 0) return;
    this.write(s.batch, s.lastSeq);
    this.staged = { batch: this.newBatch(), lastSeq: s.lastSeq };
  }

  /** the batch's cells, its prompt-cache writes and (when given) the cursor; inside a transaction */
  private write(batch: RollupBatch, cursor: number | undefined): void {
    this.upsert(batch.deltas());
    this.savePending(this.pending!);
    if (cursor !== undefined) this.db.prepare('UPDATE rollup_meta SET live_through_seq = ? WHERE id = 1').run(cursor);
    const newest = this.newest ?? -Infinity;
    if (batch.newestAt > newest) {
      this.newest = batch.newestAt;
      this.db.prepare('UPDATE rollup_meta SET newest_at = ? WHERE id = 1').run(batch.newestAt);
      if (batch.newestAt - this.lastPrune >= MINUTE_MS) this.prune(batch.newestAt);
    }
  }

  private upsert(deltas: readonly CellDelta[]): void {
    this.upserts ??= { minute: this.prepareUpsert(ROLLUP_TABLES.minute), hour: this.prepareUpsert(ROLLUP_TABLES.hour), day: this.prepareUpsert(ROLLUP_TABLES.day) };
    const args: unknown[] = new Array(2 + DIM_COLUMNS.length + NUM_FIELDS + 3);
    for (const d of deltas) {
      let i = 0;
      args[i++] = d.cube;
      args[i++] = d.t;
      for (const v of d.dims) args[i++] = v;
      const s = d.cell.sums;
      for (let f = 0; f < NUM_FIELDS; f++) args[i++] = s[f];
      args[i++] = encodeHistogram(d.cell.latency);
      args[i++] = encodeHistogram(d.cell.ttft);
      args[i++] = Object.keys(d.cell.ownCallsUsd).length ? JSON.stringify(d.cell.ownCallsUsd) : null;
      this.upserts[d.grain].run(args);
    }
  }

  private prepareUpsert(table: string): Statement {
    const cols = ['cube', 't', ...DIM_COLUMNS, ...CELL_FIELDS, 'latency', 'ttft', 'own_calls'];
    return this.db.prepare(
      `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
       ON CONFLICT (cube, t, ${DIM_COLUMNS.join(', ')}) DO UPDATE SET
       ${CELL_FIELDS.map((f) => `${f} = ${f} + excluded.${f}`).join(', ')},
       latency = hist_merge(latency, excluded.latency), ttft = hist_merge(ttft, excluded.ttft),
       own_calls = own_merge(own_calls, excluded.own_calls)`,
    );
  }

  private prune(newest: number): void {
    this.lastPrune = newest;
    const cutoff = Math.floor((newest - MINUTE_RETENTION_MS) / MINUTE_MS) * MINUTE_MS;
    const del = this.db.prepare(`DELETE FROM ${ROLLUP_TABLES.minute} WHERE cube = ? AND t < ?`);
    for (let c = 0; c < CUBES.length; c++) del.run(c, cutoff);
  }

  private loadPending(): PendingWrites {
    const rows = this.db.prepare('SELECT prefix_hash, written_at, expires_at, tokens, usd, dims FROM rollup_pending_writes').all() as {
      prefix_hash: string;
      written_at: number;
      expires_at: number;
      tokens: number;
      usd: number;
      dims: string;
    }[];
    return new PendingWrites(
      rows.map((r) => ({ prefixHash: r.prefix_hash, writtenAt: r.written_at, expiresAt: r.expires_at, tokens: r.tokens, usd: r.usd, dims: JSON.parse(r.dims) as string[] })),
    );
  }

  private savePending(p: PendingWrites): void {
    const { put, deleted } = p.changes();
    if (deleted.length) {
      const del = this.db.prepare('DELETE FROM rollup_pending_writes WHERE prefix_hash = ?');
      for (const h of deleted) del.run(h);
    }
    if (put.length) {
      const ins = this.db.prepare('INSERT OR REPLACE INTO rollup_pending_writes (prefix_hash, written_at, expires_at, tokens, usd, dims) VALUES (?, ?, ?, ?, ?, ?)');
      for (const w of put as PendingWrite[]) ins.run(w.prefixHash, w.writtenAt, w.expiresAt, w.tokens, w.usd, JSON.stringify(w.dims));
    }
  }

  private loadNewest(): number {
    const row = this.db.prepare('SELECT newest_at FROM rollup_meta WHERE id = 1').get() as { newest_at: number | null } | undefined;
    return row?.newest_at ?? -Infinity;
  }

  read(q: RollupRead): RollupRow[] {
    const cube = checkRead(q);
    const table = ROLLUP_TABLES[q.grain];
    const where = ['cube = ?', 't >= ?', 't < ?'];
    const args: (string | number)[] = [cube, Math.floor(q.from), Math.ceil(q.to)];
    for (const [d, v] of Object.entries(q.filters ?? {})) {
      if (v === undefined) continue;
      where.push(`${DIM_COLUMNS[DIMENSIONS.indexOf(d as never)]} = ?`);
      args.push(v);
    }
    const bucket = q.bucketMs === 0 ? `${Math.floor(q.from)}` : `(t / ${q.bucketMs}) * ${q.bucketMs}`;
    const gd = groupDims(q).map((d) => DIM_COLUMNS[DIMENSIONS.indexOf(d)]);
    const group = gd.length === 0 ? `'all'` : gd.join(` || char(0) || `);
    const all = q.parts !== 'sums';
    const sql =
      `SELECT ${bucket} AS b, ${group} AS g, ${CELL_FIELDS.map((f) => `SUM(${f})`).join(', ')}` +
      (all ? ', hist_sum(latency), hist_sum(ttft), own_sum(own_calls)' : '') +
      ` FROM ${table} WHERE ${where.join(' AND ')} GROUP BY b, g ORDER BY b, g LIMIT ${MAX_ROLLUP_ROWS + 1}`;
    const rows = this.db.prepare(sql).raw().all(...args) as unknown[][];
    if (rows.length > MAX_ROLLUP_ROWS) throw new StoreInputError(`the read has more than ${MAX_ROLLUP_ROWS} rows; narrow it`);
    return rows.map((r) => {
      const cell = emptyCell();
      for (let f = 0; f < NUM_FIELDS; f++) cell.sums[f] = (r[2 + f] as number) ?? 0;
      if (all) {
        decodeInto(cell.latency, r[2 + NUM_FIELDS] as Buffer | null);
        decodeInto(cell.ttft, r[3 + NUM_FIELDS] as Buffer | null);
        const own = r[4 + NUM_FIELDS] as string | null;
        if (own) cell.ownCallsUsd = JSON.parse(own) as Record<string, number>;
      }
      return { t: r[0] as number, key: String(r[1]), cell };
    });
  }

  minuteCoverage(): { from: number; to: number } | null {
    const row = this.db.prepare(`SELECT MIN(t) AS a, MAX(t) AS b FROM ${ROLLUP_TABLES.minute} WHERE cube = 0`).get() as { a: number | null; b: number | null };
    return row.a === null || row.b === null ? null : { from: row.a, to: row.b };
  }

  // ---- rebuild from the records -------------------------------------------------------------

  /** records stored before the rollups existed (or before a reset) not rolled up yet */
  rebuildRemaining(): number {
    const m = this.meta();
    return Math.max(0, m.rebuild_target_seq - m.rebuilt_through_seq);
  }

  /** roll up the next REBUILD_STEP_RECORDS records of the rebuild, in one transaction; returns how many */
  rebuildStep(limit = REBUILD_STEP_RECORDS): number {
    return this.db.transaction(() => {
      const m = this.meta();
      if (m.rebuilt_through_seq >= m.rebuild_target_seq) return 0;
      const rows = this.db
        .prepare('SELECT seq, record FROM requests WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?')
        .raw()
        .all(m.rebuilt_through_seq, m.rebuild_target_seq, limit) as [number, string][];
      const batch = this.newBatch();
      for (const [, json] of rows) {
        const rec = parseStored(json);
        if (rec) batch.add(rec);
      }
      this.write(batch, undefined);
      const through = rows.length ? rows[rows.length - 1]![0] : m.rebuild_target_seq;
      this.db.prepare('UPDATE rollup_meta SET rebuilt_through_seq = ? WHERE id = 1').run(rows.length < limit ? m.rebuild_target_seq : through);
      return rows.length;
    })();
  }

  /** forget every cell and roll every stored record up again (rebuildStep until rebuildRemaining() is 0) */
  resetForRebuild(): void {
    this.db.transaction(() => {
      this.db.exec(`DELETE FROM ${ROLLUP_TABLES.minute}; DELETE FROM ${ROLLUP_TABLES.hour}; DELETE FROM ${ROLLUP_TABLES.day}; DELETE FROM rollup_pending_writes;`);
      this.db
        .prepare(
          `UPDATE rollup_meta SET rebuilt_through_seq = 0, rebuild_target_seq = (SELECT COALESCE(MAX(seq), 0) FROM requests),
           live_through_seq = (SELECT COALESCE(MAX(seq), 0) FROM requests), newest_at = (SELECT MAX(received_at) FROM requests) WHERE id = 1`,
        )
        .run();
    })();
    this.forgetCache();
    this.lastPrune = -Infinity;
  }

  private meta(): { rebuilt_through_seq: number; rebuild_target_seq: number; live_through_seq: number } {
    return this.db.prepare('SELECT rebuilt_through_seq, rebuild_target_seq, live_through_seq FROM rollup_meta WHERE id = 1').get() as {
      rebuilt_through_seq: number;
      rebuild_target_seq: number;
      live_through_seq: number;
    };
  }

  close(): void {}
}

function parseStored(json: string): RequestRecord | undefined {
  try {
    return JSON.parse(json) as RequestRecord;
  } catch {
    return undefined; // a stored record is JSON the ingester parsed; nothing to roll up otherwise
  }
}

const registered = new WeakSet<Db>();

/** hist_merge, hist_sum, own_merge, own_sum on a connection (once) */
export function registerRollupFunctions(db: Db): void {
  if (registered.has(db)) return;
  registered.add(db);
  db.function('hist_merge', { deterministic: true }, (a: unknown, b: unknown) => mergeEncoded(a as Buffer | null, b as Buffer | null));
  db.function('own_merge', { deterministic: true }, (a: unknown, b: unknown) => {
    if (a === null) return b;
    if (b === null) return a;
    const m = JSON.parse(a as string) as Record<string, number>;
    mergeUsdMap(m, JSON.parse(b as string) as Record<string, number>);
    return JSON.stringify(m);
  });
  db.aggregate('hist_sum', {
    start: () => new DenseHistogram(),
    step: (h: DenseHistogram, b: unknown) => {
      h.addEncoded(b as Buffer | null);
      return h;
    },
    result: (h: DenseHistogram) => h.encode(),
  });
  db.aggregate('own_sum', {
    start: (): Record<string, number> | null => null,
    step: (m: Record<string, number> | null, s: unknown) => {
      if (s === null) return m;
      const add = JSON.parse(s as string) as Record<string, number>;
      if (!m) return add;
      mergeUsdMap(m, add);
      return m;
    },
    result: (m: Record<string, number> | null) => (m ? JSON.stringify(m) : null),
  });
}
