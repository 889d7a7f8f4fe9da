import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openLedger, type Ledger } from '../../src/ledger/ledger.js';
import { readLedger } from '../../src/ledger/read.js';
import { segmentPath, listSegments } from '../../src/ledger/journal.js';
import { SCHEMA_VERSION, ledgerDbPath, openLedgerDb } from '../../src/stores/sqlite/ledger-db.js';
import { SqliteLedgerStore } from '../../src/stores/sqlite/ledger-store.js';
import { MemoryLedgerStore } from '../../src/stores/memory/ledger-store.js';
import { varied } from '../contracts/ledger.contract.js';
import { makeRecord, tempDataDir } from './fixtures.js';

const open: Ledger[] = [];
async function ledgerAt(dataDir: string, o: { segmentBytes?: number; pollMs?: number; onError?: (m: string) => void } = {}): Promise<Ledger> {
  const l = await openLedger({ dataDir, onError: o.onError ?? (() => {}), ...o });
  open.push(l);
  return l;
}
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

describe('ledger: ordering and completeness', () => {
  it('stores every appended record once, across many segments, newest first', async () => {
    const dir = tempDataDir();
    const ledger = await ledgerAt(dir, { segmentBytes: 8 * 1024, pollMs: 20 });
    const n = 600;
    for (let i = 0; i < n; i++) ledger.append(makeRecord(i));
    await ledger.flush();
    const s = ledger.stats();
    expect(s).toMatchObject({ appended: n, stored: n, dropped: 0, pendingBytes: 0 });

    const all = readLedger(dir, {});
    expect(all.length).toBe(n);
    expect(new Set(all.map((r) => r.requestId)).size).toBe(n);
    expect(all.map((r) => r.requestId)).toEqual(Array.from({ length: n }, (_, i) => makeRecord(n - 1 - i).requestId));
    // the record comes back whole
    expect(all[n - 1]).toEqual(JSON.parse(JSON.stringify(makeRecord(0))));
    // consumed segments are deleted; the newest one stays
    expect(listSegments(dir).length).toBe(1);
  });

  it('folds in journal lines the ingester has not consumed yet (exact right after a request)', async () => {
    const dir = tempDataDir();
    const ledger = await ledgerAt(dir, { pollMs: 3_600_000 }); // ingester idle after its first pass
    for (let i = 0; i < 50; i++) ledger.append(makeRecord(i));
    expect(ledger.stats().stored).toBe(0);
    expect(ledger.stats().pendingBytes).toBeGreaterThan(0);
    const before = readLedger(dir, { last: 20 });
    expect(before.map((r) => r.requestId)).toEqual(Array.from({ length: 20 }, (_, i) => makeRecord(49 - i).requestId));

    // half stored, half pending: still exact, no duplicates
    await ledger.flush();
    for (let i = 50; i < 80; i++) ledger.append(makeRecord(i));
    const mixed = readLedger(dir, {});
    expect(mixed.length).toBe(80);
    expect(mixed[0]!.requestId).toBe(makeRecord(79).requestId);
    expect(mixed[79]!.requestId).toBe(makeRecord(0).requestId);
    await ledger.flush();
    expect(ledger.stats()).toMatchObject({ appended: 80, stored: 80, pendingBytes: 0 });
  });

  it('filters by model (asked or served), route, team and time', async () => {
    const dir = tempDataDir();
    const ledger = await ledgerAt(dir);
    for (let i = 0; i < 30; i++) ledger.append(makeRecord(i));
    await ledger.flush();
    for (let i = 30; i < 60; i++) ledger.append(makeRecord(i)); // some pending in the journal
    const served = readLedger(dir, { model: 'gpt-4o-mini' });
    expect(served.length).toBe(20);
    expect(served.every((r) => r.model === 'gpt-4o-mini')).toBe(true);
    expect(readLedger(dir, { model: 'gpt-4o' }).length).toBe(60); // everything asked for gpt-4o
    expect(readLedger(dir, { route: 'cheap', team: 'search' }).map((r) => r.requestId)).toEqual(
      [54, 48, 42, 36, 30, 24, 18, 12, 6, 0].map((i) => makeRecord(i).requestId),
    );
    const since = makeRecord(45).receivedAt;
    expect(readLedger(dir, { since }).length).toBe(15);
    expect(readLedger(dir, { since, last: 4 }).map((r) => r.requestId)).toEqual([59, 58, 57, 56].map((i) => makeRecord(i).requestId));
    expect(readLedger(dir, { model: 'claude-sonnet-4' })).toEqual([]);
  });

  it('reads a data dir with only a journal (store never created) and an empty one', () => {
    const dir = tempDataDir();
    expect(readLedger(dir, {})).toEqual([]);
    mkdirSync(join(dir, 'ledger'));
    writeFileSync(segmentPath(dir, 1), JSON.stringify(makeRecord(1)) + '\n' + JSON.stringify(makeRecord(2)) + '\n{"requestId":"req_part');
    expect(readLedger(dir, {}).map((r) => r.requestId)).toEqual([makeRecord(2).requestId, makeRecord(1).requestId]);
  });
});

describe('ledger: recovery and idempotent replay', () => {
  it('a reopened ledger ingests what a previous process left in the journal', async () => {
    const dir = tempDataDir();
    mkdirSync(join(dir, 'ledger'));
    // a previous process wrote these and died before its ingester ran; its last line is cut
    const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify(makeRecord(i))).join('\n');
    writeFileSync(segmentPath(dir, 3), lines + '\n' + JSON.stringify(makeRecord(99)).slice(0, 40));
    const ledger = await ledgerAt(dir, { pollMs: 20 });
    ledger.append(makeRecord(100));
    await ledger.flush();
    const all = readLedger(dir, {});
    expect(all.length).toBe(26);
    expect(ledger.stats()).toMatchObject({ appended: 1, stored: 26, corrupt: 1 });
    expect(existsSync(segmentPath(dir, 3))).toBe(false); // consumed and deleted
    expect(listSegments(dir)).toEqual([4]); // the new process wrote to a new segment
  });

  it('replaying the same records inserts nothing twice', async () => {
    const dir = tempDataDir();
    let ledger = await ledgerAt(dir);
    const recs = Array.from({ length: 100 }, (_, i) => makeRecord(i));
    for (const r of recs) ledger.append(r);
    await ledger.flush();
    await ledger.close();

    // the same lines show up again (e.g. a journal restored from a backup)
    const next = listSegments(dir).at(-1)! + 1;
    writeFileSync(segmentPath(dir, next), recs.map((r) => JSON.stringify(r) + '\n').join(''));
    ledger = await ledgerAt(dir);
    await ledger.flush();
    expect(ledger.stats().stored).toBe(0);
    expect(readLedger(dir, {}).length).toBe(100);

    // and a store reset to an earlier position replays lines without duplicating them
    const more = Array.from({ length: 10 }, (_, i) => makeRecord(200 + i));
    for (const r of more) ledger.append(r);
    await ledger.flush();
    await ledger.close();
    const db = new Database(ledgerDbPath(dir));
    const seg = listSegments(dir).at(-1)!;
    db.prepare('UPDATE ingest_state SET segment = ?, offset = 0').run(seg);
    db.close();
    ledger = await ledgerAt(dir);
    await ledger.flush();
    expect(ledger.stats().stored).toBe(0);
    expect(readLedger(dir, {}).length).toBe(110);
  });

  it('counts an unparseable journal line as corrupt and keeps going', async () => {
    const dir = tempDataDir();
    const ledger = await ledgerAt(dir, { pollMs: 3_600_000 });
    ledger.append(makeRecord(1));
    const seg = listSegments(dir).at(-1)!;
    appendFileSync(segmentPath(dir, seg), 'not json at all\n');
    ledger.append(makeRecord(2));
    await ledger.flush();
    expect(ledger.stats()).toMatchObject({ stored: 2, corrupt: 1 });
  });
});

describe('ledger: journal write failures', () => {
  it('counts records it cannot write as dropped, never throws, reports once per burst, recovers', async () => {
    const dir = tempDataDir();
    const errors: string[] = [];
    const ledger = await ledgerAt(dir, { segmentBytes: 2048, pollMs: 3_600_000, onError: (m) => errors.push(m) });
    for (let i = 0; i < 3; i++) ledger.append(makeRecord(i));
    expect(ledger.stats().appended).toBe(3);

    // the journal directory disappears and a plain file takes its place: no new segment can open
    renameSync(join(dir, 'ledger'), join(dir, 'ledger.moved'));
    writeFileSync(join(dir, 'ledger'), 'in the way');
    for (let i = 3; i < 103; i++) expect(() => ledger.append(makeRecord(i))).not.toThrow();
    const s = ledger.stats();
    expect(s.appended + s.dropped).toBe(103);
    expect(s.dropped).toBeGreaterThan(90); // the open segment had room for a few more at most
    expect(errors.length).toBe(1);
    expect(errors[0]).toMatch(/journal write failed/);
    expect(errors[0]).not.toContain('req_'); // no record content in logs

    rmSync(join(dir, 'ledger'));
    renameSync(join(dir, 'ledger.moved'), join(dir, 'ledger'));
    ledger.append(makeRecord(500));
    expect(ledger.stats().appended).toBe(s.appended + 1);
    expect(errors[1]).toMatch(/writable again after \d+ dropped/);
    await ledger.flush();
    expect(readLedger(dir, {}).length).toBe(s.appended + 1);
  });

  it('a record that cannot be serialised is dropped and counted', async () => {
    const dir = tempDataDir();
    const ledger = await ledgerAt(dir);
    const rec = makeRecord(1) as unknown as Record<string, unknown>;
    rec.big = 10n; // JSON.stringify throws on a BigInt
    expect(() => ledger.append(rec as never)).not.toThrow();
    expect(ledger.stats()).toMatchObject({ appended: 0, dropped: 1 });
  });

  it('a record with a cycle is kept, the cycle cut at the depth bound and flagged', async () => {
    const dir = tempDataDir();
    const ledger = await ledgerAt(dir);
    const rec = makeRecord(1) as unknown as Record<string, unknown>;
    rec.self = rec;
    expect(() => ledger.append(rec as never)).not.toThrow();
    expect(ledger.stats()).toMatchObject({ appended: 1, dropped: 0 });
    await ledger.flush();
    const [stored] = readLedger(dir, { last: 1 });
    expect(stored!.truncated?.[0]).toMatch(/^self\.self/);
  });
});

describe('store: schema versions', () => {
  it('records its version, reopens without migrating again, refuses a newer store', () => {
    const dir = tempDataDir();
    openLedgerDb(dir).close();
    let db = openLedgerDb(dir);
    expect(db.prepare('SELECT version FROM schema_version').pluck().all()).toEqual([SCHEMA_VERSION]);
    db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
    db.close();
    expect(() => openLedgerDb(dir)).toThrow(/newer than this Tollgate understands/);
    db = new Database(ledgerDbPath(dir));
    expect(readdirSync(dir)).toContain('ledger.db');
    db.close();
  });
});

describe('store: upgrading a version-1 ledger.db', () => {
  it('adds the token columns, fills them from the stored records, and aggregates over old and new rows', async () => {
    const dir = tempDataDir();
    // a ledger.db as Tollgate wrote it before schema version 2 (the first migration, verbatim)
    const v1 = new Database(ledgerDbPath(dir));
    v1.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
      CREATE TABLE requests (seq INTEGER PRIMARY KEY, request_id TEXT NOT NULL UNIQUE, received_at REAL NOT NULL, completed_at REAL,
        requested_model TEXT NOT NULL, model TEXT, provider TEXT, route TEXT, team TEXT, key_id TEXT, user_id TEXT, status TEXT NOT NULL,
        http_status INTEGER, error_class TEXT, cache_status TEXT, cost_usd REAL NOT NULL, latency_ms REAL NOT NULL, record TEXT NOT NULL);
      CREATE TABLE ingest_state (id INTEGER PRIMARY KEY CHECK (id = 1), segment INTEGER NOT NULL, offset INTEGER NOT NULL, corrupt INTEGER NOT NULL DEFAULT 0);
      INSERT INTO ingest_state VALUES (1, 0, 0, 0);`);
    const old = makeRecord(1, { usage: { input: 11, cacheRead: 22, cacheWrite5m: 3, cacheWrite1h: 4, output: 55, reasoning: 6 } });
    v1.prepare(
      `INSERT INTO requests (request_id, received_at, completed_at, requested_model, model, provider, route, team, key_id, user_id, status, http_status,
        error_class, cache_status, cost_usd, latency_ms, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(old.requestId, old.receivedAt, old.completedAt, old.requestedModel, old.model, old.provider, old.route, old.team, old.keyId, null, old.status,
      old.httpStatus, null, old.cacheStatus, old.costUsd, old.latencyMs, JSON.stringify(old));
    v1.close();
    // a reader that meets the old file before the gateway upgraded it: queries work, aggregates say what to do
    const early = SqliteLedgerStore.openReadOnly(dir)!;
    expect(early.query({}, { limit: 5 }).records.map((r) => r.requestId)).toEqual([old.requestId]);
    expect(() => early.aggregate({}, [], ['count'])).toThrow(/older schema; start the gateway once/);
    early.close();

    const ledger = await ledgerAt(dir);
    ledger.append(makeRecord(2, { usage: { input: 100, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 1, reasoning: 0 } }));
    await ledger.flush();
    const reader = SqliteLedgerStore.openReadOnly(dir)!;
    expect(reader.aggregate({}, [], ['count', 'inputTokens', 'cacheReadTokens', 'cacheWrite5mTokens', 'cacheWrite1hTokens', 'outputTokens', 'reasoningTokens'])).toEqual([
      { group: {}, values: { count: 2, inputTokens: 111, cacheReadTokens: 22, cacheWrite5mTokens: 3, cacheWrite1hTokens: 4, outputTokens: 56, reasoningTokens: 6 } },
    ]);
    reader.close();
  });
});

describe('ledger: one writer per data directory', () => {
  it('refuses a second open ledger on the same directory, takes over a dead writer\'s lock, drops appends after close', async () => {
    const dir = tempDataDir();
    const first = await ledgerAt(dir);
    await expect(openLedger({ dataDir: dir, onError: () => {} })).rejects.toThrow(/already open in this process/);
    first.append(makeRecord(1));
    await first.close();
    first.append(makeRecord(2)); // after close: counted, not written
    expect(first.stats()).toMatchObject({ appended: 1, dropped: 1 });

    // a lock left by a process that no longer exists (kill -9) is stale
    writeFileSync(join(dir, 'ledger', 'writer.lock'), '2147483646');
    const second = await ledgerAt(dir);
    second.append(makeRecord(3));
    await second.flush();
    expect(readLedger(dir, {}).map((r) => r.requestId)).toEqual([makeRecord(3).requestId, makeRecord(1).requestId]);

    // a live writer elsewhere: refused with a message that says what to do
    await second.close();
    writeFileSync(join(dir, 'ledger', 'writer.lock'), String(process.ppid));
    await expect(openLedger({ dataDir: dir, onError: () => {} })).rejects.toThrow(/another Tollgate process \(pid \d+\).*own data directory/);
  });
});

describe('readLedger: a store created but not migrated yet', () => {
  it('reads the journal alone', () => {
    const dir = tempDataDir();
    new Database(ledgerDbPath(dir)).exec('CREATE TABLE unrelated (x)');
    mkdirSync(join(dir, 'ledger'));
    writeFileSync(segmentPath(dir, 1), JSON.stringify(makeRecord(7)) + '\n');
    expect(readLedger(dir, {}).map((r) => r.requestId)).toEqual([makeRecord(7).requestId]);
  });
});

describe('readLedger: the journal is read a chunk at a time', () => {
  it('finds every line across chunk boundaries, a line longer than a chunk, never a partial tail', () => {
    const dir = tempDataDir();
    mkdirSync(join(dir, 'ledger'));
    const recs = Array.from({ length: 3000 }, (_, i) => makeRecord(i, i === 1500 ? { errorMessage: 'x'.repeat(1_500_000) } : {}));
    const body = recs.map((r) => JSON.stringify(r) + '\n').join('');
    expect(Buffer.byteLength(body)).toBeGreaterThan(3 * 1024 * 1024); // several 1 MiB chunks
    writeFileSync(segmentPath(dir, 1), body + JSON.stringify(makeRecord(9999)).slice(0, 200)); // a cut last line
    const got = readLedger(dir, {});
    expect(got.map((r) => r.requestId)).toEqual(recs.map((r) => r.requestId).reverse());
    expect(got.find((r) => r.requestId === recs[1500]!.requestId)!.errorMessage!.length).toBe(1_500_000);
    expect(readLedger(dir, { last: 5, team: 'search' }).map((r) => r.requestId)).toEqual([2998, 2996, 2994, 2992, 2990].map((i) => makeRecord(i).requestId));
  });
});

describe('ledger → ingest worker → SQLite store → aggregate', () => {
  it('what the worker stored aggregates exactly as the same records do in the memory store', async () => {
    const dir = tempDataDir();
    const ledger = await ledgerAt(dir, { segmentBytes: 16 * 1024, pollMs: 20 });
    const recs = varied(250);
    for (const r of recs) ledger.append(r);
    await ledger.flush();
    const mem = new MemoryLedgerStore();
    mem.commit(recs.map((rec) => ({ rec, json: JSON.stringify(rec) })), { segment: 0, offset: 0, corrupt: 0 });
    const sql = SqliteLedgerStore.openReadOnly(dir)!;
    const metrics = ['count', 'costUsd', 'inputTokens', 'outputTokens', 'latencyP50Ms', 'latencyP95Ms'] as const;
    for (const g of [['team'], ['model', 'day'], ['status', 'hour']] as const) {
      const a = mem.aggregate({}, g, metrics);
      const b = sql.aggregate({}, g, metrics);
      expect(b.map((r) => r.group)).toEqual(a.map((r) => r.group));
      b.forEach((row, i) => metrics.forEach((m) => expect(row.values[m]).toBeCloseTo(a[i]!.values[m]!, 9)));
    }
    expect(sql.aggregate({}, [], ['count'])).toEqual([{ group: {}, values: { count: 250 } }]);
    sql.close();
  });
});
