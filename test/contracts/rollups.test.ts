// Runs the rollup store contract for every implementation: memory, SQLite on its own, and SQLite
// fed by the ledger store's commits (the path the ingest worker takes), then the SQLite-only
// guarantees: exactly once across a lost batch, idempotent commits, the rebuild of older ledgers.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MemoryRollupStore } from '../../src/stores/memory/rollup-store.js';
import { SqliteRollupStore } from '../../src/stores/sqlite/rollup-store.js';
import { SqliteLedgerStore } from '../../src/stores/sqlite/ledger-store.js';
import { ledgerDbPath, openLedgerDb } from '../../src/stores/sqlite/ledger-db.js';
import { DAY_MS, HOUR_MS, get } from '../../src/insights/rollup-model.js';
import { tempDataDir } from '../ledger/fixtures.js';
import { T0, rec, rollupContract } from './rollups.contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDataDir('tollgate-rollups-');
  dirs.push(d);
  return d;
}

let offset = 0;
function viaLedger(store: SqliteLedgerStore) {
  return (records: ReturnType<typeof rec>[]) => {
    store.commit(records.map((r) => ({ rec: r, json: JSON.stringify(r) })), { segment: 0, offset: ++offset, corrupt: 0 });
    store.flushRollups();
  };
}

rollupContract('memory', () => {
  const store = new MemoryRollupStore();
  return { store, ingest: (r) => store.add(r) };
});
rollupContract('sqlite', () => {
  const store = new SqliteRollupStore(openLedgerDb(dir()));
  return { store, ingest: (r) => store.add(r) };
});
rollupContract('sqlite through the ledger store', () => {
  const ledger = SqliteLedgerStore.open(dir());
  return { store: ledger.rollups, ingest: viaLedger(ledger) };
});

const total = (s: { read: SqliteRollupStore['read'] }): number => {
  const rows = s.read({ grain: 'hour', from: T0, to: T0 + 10 * HOUR_MS, filters: {}, bucketMs: 0, parts: 'sums' });
  return rows.length ? get(rows[0]!.cell, 'requests') : 0;
};

describe('SQLite rollups fed by the ledger', () => {
  it('a journal line committed twice is rolled up once', () => {
    const ledger = SqliteLedgerStore.open(dir());
    const ingest = viaLedger(ledger);
    const recs = Array.from({ length: 10 }, (_, i) => rec(i));
    ingest(recs);
    ingest(recs.slice(5));
    expect(total(ledger.rollups)).toBe(10);
  });

  it('a staged batch lost with its process is folded again from the records past the cursor, once', () => {
    const d = dir();
    const a = SqliteLedgerStore.open(d);
    viaLedger(a)([rec(1), rec(2)]);
    // three more committed but their rollups only staged: the process dies before a flush
    a.commit([rec(3), rec(4), rec(5)].map((r) => ({ rec: r, json: JSON.stringify(r) })), { segment: 0, offset: 99, corrupt: 0 });
    expect(total(a.rollups)).toBe(2);
    a.close();
    const b = SqliteLedgerStore.open(d);
    expect(total(b.rollups)).toBe(2);
    viaLedger(b)([rec(6)]);
    expect(total(b.rollups)).toBe(6);
    b.flushRollups();
    expect(total(b.rollups)).toBe(6);
  });

  it('a file from before the day cells gets them summed from its hour cells, with no rebuild', () => {
    const d = dir();
    const ledger = SqliteLedgerStore.open(d);
    // two days, one record every 30 minutes, two models
    viaLedger(ledger)(Array.from({ length: 96 }, (_, i) => rec(i, { requestId: `d${i}`, receivedAt: T0 + i * 30 * 60_000, model: i % 3 ? 'gpt-4o-mini' : 'gpt-4o', latencyMs: 50 + i })));
    const read = (s: SqliteLedgerStore, grain: 'hour' | 'day') => s.rollups.read({ grain, from: T0, to: T0 + 2 * DAY_MS, filters: {}, groupBy: 'model', bucketMs: DAY_MS });
    const fromHours = read(ledger, 'hour');
    ledger.close();
    const db = new Database(ledgerDbPath(d));
    db.exec('DROP TABLE rollup_day; UPDATE schema_version SET version = 5;');
    db.close();
    const again = SqliteLedgerStore.open(d);
    expect(again.rollups.rebuildRemaining()).toBe(0);
    const days = read(again, 'day');
    expect(days.map((r) => [r.t, r.key, get(r.cell, 'requests')])).toEqual([
      [T0, 'gpt-4o', 16],
      [T0, 'gpt-4o-mini', 32],
      [T0 + DAY_MS, 'gpt-4o', 16],
      [T0 + DAY_MS, 'gpt-4o-mini', 32],
    ]);
    expect(days.map((r) => [...r.cell.latency].sort())).toEqual(fromHours.map((r) => [...r.cell.latency].sort()));
    days.forEach((r, i) => r.cell.sums.forEach((v, f) => expect(v).toBeCloseTo(fromHours[i]!.cell.sums[f]!, 9)));
    again.close();
  });

  it('a ledger stored before the rollups existed is rebuilt in steps; a reset rebuilds it again', () => {
    const d = dir();
    const ledger = SqliteLedgerStore.open(d);
    viaLedger(ledger)(Array.from({ length: 25 }, (_, i) => rec(i)));
    ledger.close();
    // back to the schema before the rollups: as a data directory of the previous release
    const db = new Database(ledgerDbPath(d));
    db.exec('DROP TABLE rollup_minute; DROP TABLE rollup_hour; DROP TABLE rollup_day; DROP TABLE rollup_pending_writes; DROP TABLE rollup_meta; UPDATE schema_version SET version = 2;');
    db.close();
    const again = SqliteLedgerStore.open(d);
    expect(total(again.rollups)).toBe(0);
    expect(again.rollups.rebuildRemaining()).toBe(25);
    expect(again.rollups.rebuildStep(10)).toBe(10);
    expect(total(again.rollups)).toBe(10);
    while (again.rollups.rebuildRemaining() > 0) again.rollups.rebuildStep(10);
    expect(total(again.rollups)).toBe(25);
    // new records after the rebuild started are rolled up live, never twice
    viaLedger(again)([rec(30), rec(31)]);
    expect(total(again.rollups)).toBe(27);
    again.rollups.resetForRebuild();
    expect(total(again.rollups)).toBe(0);
    while (again.rollups.rebuildRemaining() > 0) again.rollups.rebuildStep();
    expect(total(again.rollups)).toBe(27);
  });
});
