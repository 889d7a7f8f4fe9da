// The SQLite counter store (<dataDir>/counters.db by default). Every check-and-increment runs in a
// BEGIN IMMEDIATE transaction: the write lock is taken before the read, so two connections (two
// gateway processes on one file) serialise on it and can never both pass a limit. Reservations
// are rows, so one process may settle what another reserved, and a settled one cannot be settled
// twice.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  bucketCounts,
  bucketOf,
  checkCounterInput,
  oldestLiveBucket,
  previousBucket,
  windowValue,
  type CounterStore,
  type CounterWindow,
  type Reservation,
} from '../counters.js';
import { migrate, openDatabase, type Db } from './database.js';

export const COUNTERS_DB_FILE = 'counters.db';
const SWEEP_PER_WRITE = 16;

/** when a bucket stops counting: after its own window, and after the next one for a sliding window */
function expiresAt(window: CounterWindow, bucket: number): number | null {
  if (window.kind === 'total') return null;
  return bucket + (window.kind === 'sliding' ? 2 : 1) * window.ms;
}

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE counters (
     key        TEXT NOT NULL,
     bucket     INTEGER NOT NULL,
     value      REAL NOT NULL,
     -- when the bucket stops counting (NULL: a total counter); rows past it are swept
     expires_at INTEGER,
     PRIMARY KEY (key, bucket)
   ) WITHOUT ROWID;
   CREATE INDEX counters_expires_at ON counters (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TABLE counter_reservations (
     id         TEXT PRIMARY KEY,
     key        TEXT NOT NULL,
     bucket     INTEGER NOT NULL,
     amount     REAL NOT NULL,
     expires_at INTEGER
   );
   CREATE INDEX counter_reservations_key ON counter_reservations (key, bucket);
   CREATE INDEX counter_reservations_expires_at ON counter_reservations (expires_at) WHERE expires_at IS NOT NULL;`,
];

export class SqliteCounterStore implements CounterStore {
  private readonly db: Db;
  private readonly now: () => number;
  private readonly sel;
  private readonly add;
  private readonly pruneRows;
  private readonly pruneReservations;
  private readonly insertReservation;
  private readonly takeReservation;
  private readonly sweepRows;
  private readonly sweepReservations;

  /** `path`: a file (created if needed), or a data directory's counters.db via SqliteCounterStore.inDataDir */
  constructor(path: string, opts: { now?: () => number } = {}) {
    this.db = openDatabase(path);
    try {
      migrate(this.db, MIGRATIONS, 'counters.db');
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.now = opts.now ?? Date.now;
    this.sel = this.db.prepare('SELECT value FROM counters WHERE key = ? AND bucket = ?').pluck();
    this.add = this.db.prepare(
      'INSERT INTO counters (key, bucket, value, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (key, bucket) DO UPDATE SET value = value + excluded.value',
    );
    this.pruneRows = this.db.prepare('DELETE FROM counters WHERE key = ? AND bucket < ?');
    this.pruneReservations = this.db.prepare('DELETE FROM counter_reservations WHERE key = ? AND bucket < ?');
    this.insertReservation = this.db.prepare('INSERT INTO counter_reservations (id, key, bucket, amount, expires_at) VALUES (?, ?, ?, ?, ?)');
    this.takeReservation = this.db.prepare('DELETE FROM counter_reservations WHERE id = ? RETURNING bucket, amount');
    // keys nobody touches again would stay forever: every write also sweeps a few expired rows
    this.sweepRows = this.db.prepare(
      `DELETE FROM counters WHERE (key, bucket) IN (SELECT key, bucket FROM counters WHERE expires_at <= ? LIMIT ${SWEEP_PER_WRITE})`,
    );
    this.sweepReservations = this.db.prepare(
      `DELETE FROM counter_reservations WHERE id IN (SELECT id FROM counter_reservations WHERE expires_at <= ? LIMIT ${SWEEP_PER_WRITE})`,
    );
  }

  static inDataDir(dataDir: string, opts: { now?: () => number } = {}): SqliteCounterStore {
    return new SqliteCounterStore(join(dataDir, COUNTERS_DB_FILE), opts);
  }

  incrementBy(key: string, amount: number, window: CounterWindow): number {
    checkCounterInput(key, amount, window);
    return this.write(() => {
      const now = this.now();
      this.bump(key, window, bucketOf(window, now), amount, now);
      return this.valueAt(key, window, now);
    });
  }

  get(key: string, window: CounterWindow): number {
    checkCounterInput(key, 0, window);
    return this.db.transaction(() => this.valueAt(key, window, this.now()))();
  }

  reserve(key: string, amount: number, limit: number, window: CounterWindow): Reservation | null {
    checkCounterInput(key, amount, window, limit);
    return this.write(() => {
      const now = this.now();
      if (this.valueAt(key, window, now) + amount > limit) return null;
      const r: Reservation = Object.freeze({ id: randomUUID(), key, window, bucket: bucketOf(window, now), amount });
      this.bump(key, window, r.bucket, amount, now);
      this.insertReservation.run(r.id, key, r.bucket, amount, expiresAt(window, r.bucket));
      return r;
    });
  }

  commit(r: Reservation, actual: number): number {
    checkCounterInput(r?.key, actual, r?.window);
    return this.write(() => {
      const now = this.now();
      const row = this.takeReservation.get(r.id) as { bucket: number; amount: number } | undefined;
      if (row && bucketCounts(r.window, row.bucket, now)) this.bump(r.key, r.window, row.bucket, actual - row.amount, now);
      return this.valueAt(r.key, r.window, now);
    });
  }

  release(r: Reservation): void {
    checkCounterInput(r?.key, 0, r?.window);
    this.write(() => {
      const now = this.now();
      const row = this.takeReservation.get(r.id) as { bucket: number; amount: number } | undefined;
      if (row && bucketCounts(r.window, row.bucket, now)) this.bump(r.key, r.window, row.bucket, -row.amount, now);
    });
  }

  close(): void {
    this.db.close();
  }

  /** several writes as one transaction (each one's own becomes a savepoint): the budgets' write-behind flush */
  batch<T>(fn: () => T): T {
    return this.write(fn);
  }

  /** IMMEDIATE: take the write lock before reading, so the check and the write are one step for every connection */
  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private valueAt(key: string, window: CounterWindow, now: number): number {
    const cur = bucketOf(window, now);
    const prev = previousBucket(window, cur);
    const c = (this.sel.get(key, cur) as number | undefined) ?? 0;
    const p = prev === undefined ? 0 : ((this.sel.get(key, prev) as number | undefined) ?? 0);
    return windowValue(window, now, c, p);
  }

  private bump(key: string, window: CounterWindow, bucket: number, amount: number, now: number): void {
    this.add.run(key, bucket, amount, expiresAt(window, bucket));
    const oldest = oldestLiveBucket(window, now);
    this.pruneRows.run(key, oldest);
    this.pruneReservations.run(key, oldest);
    this.sweepRows.run(now);
    this.sweepReservations.run(now);
  }
}
