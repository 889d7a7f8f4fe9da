// Spend on one instance is decided in memory (a reservation is one synchronous check-and-add on a
// counter cell, so concurrent requests cannot pass a limit) and written behind to a
// durable counter store (SQLite, <dataDir>/counters.db) every `flushMs`, off the request path, so
// a restart starts from what was spent. A SQLite write is ~40 µs at p50 and ~0.7 ms at p99 on this
// machine, several per request: too slow to sit in front of every call (bench/budgets.mjs).
//
// What is flushed is each counter's change since the last flush, added to the durable value, so
// several processes sharing one data directory add up correctly on disk; each one's decisions see
// only its own spend since it started (plus what was on disk then): across instances the bound
// needs the shared counter store of the multi-instance issue. A kill -9 loses at most the last
// `flushMs` of changes; a graceful stop flushes.

import type { CounterStore, CounterWindow } from '../stores/counters.js';

const TOTAL: CounterWindow = Object.freeze({ kind: 'total' });

/** the synchronous subset of a durable store this needs (both embedded stores are synchronous) */
export interface DurableCounters {
  get(key: string, window: CounterWindow): number;
  incrementBy(key: string, amount: number, window: CounterWindow): number;
  /** runs `fn`'s writes as one transaction, when the store can (SQLite: one commit per flush, not one per counter) */
  batch?<T>(fn: () => T): T;
  close(): void;
}

/**
 * One counter (a budget's current period, a notification mark): its value in nano-dollars (or
 * counts), held by reference by the budgets that count into it, so the request path looks nothing
 * up by key. A plain number per cell: a budget's key already names its period, so there is no
 * window arithmetic to do (the general MemoryCounterStore's buckets, reservation ids and sweeps
 * were most of the decision's time).
 */
export interface SpendCell {
  readonly key: string;
  value: number;
  /** the value as last read from or written to the durable store */
  flushed: number;
  dirty: boolean;
  /** its period ended: it left memory, and nothing counted on it any more reaches the disk */
  retired: boolean;
}

export class SpendCounters {
  private readonly cells = new Map<string, SpendCell>();
  private dirtyCells: SpendCell[] = [];
  private timer: NodeJS.Timeout | undefined;
  flushErrors = 0;

  constructor(
    private readonly durable: DurableCounters | CounterStore | undefined,
    flushMs: number,
  ) {
    if (durable) {
      this.timer = setInterval(() => this.flush(), flushMs);
      this.timer.unref();
    }
  }

  /** the cell of `key`; the first time a key is used in this process, its durable value comes in (once per key) */
  cell(key: string): SpendCell {
    let c = this.cells.get(key);
    if (c) return c;
    let v = 0;
    if (this.durable) {
      try {
        v = Number((this.durable as DurableCounters).get(key, TOTAL)) || 0;
      } catch {
        this.flushErrors++;
      }
    }
    c = { key, value: v, flushed: v, dirty: false, retired: false };
    this.cells.set(key, c);
    return c;
  }

  get(key: string): number {
    return this.cell(key).value;
  }

  /**
   * Count `amount` on the cell unless its value would pass `limit` (false, nothing counted). One
   * synchronous check-and-add: concurrent requests on one instance cannot pass a limit together.
   */
  take(c: SpendCell, amount: number, limit: number): boolean {
    if (c.value + amount > limit) return false;
    this.add(c, amount);
    return true;
  }

  /** adds `delta` (negative gives back): settling a reservation at its real amount, or releasing it */
  add(c: SpendCell, delta: number): number {
    if (delta !== 0) {
      c.value += delta;
      if (!c.dirty && this.durable && !c.retired) {
        c.dirty = true;
        this.dirtyCells.push(c);
      }
    }
    return c.value;
  }

  incrementBy(key: string, amount: number): number {
    return this.add(this.cell(key), amount);
  }

  /** the keys held in memory (the current periods, and their notification marks) */
  keys(): IterableIterator<string> {
    return this.cells.keys();
  }

  /**
   * A counter whose period has ended: its last change goes to disk, then it leaves memory (so memory
   * holds only the current periods). A reservation settled later on it changes nothing on disk: it
   * stays counted at its worst case in the old period, overcounting, never undercounting.
   */
  retire(keys: readonly string[]): void {
    this.flush();
    for (const k of keys) {
      const c = this.cells.get(k);
      if (!c) continue;
      c.retired = true;
      this.cells.delete(k);
    }
  }

  /** writes each changed counter's difference since the last flush */
  flush(): void {
    if (!this.durable || this.dirtyCells.length === 0) return;
    const durable = this.durable as DurableCounters;
    if (!durable.batch) return this.flushCells();
    const before = this.dirtyCells.map((c) => [c, c.flushed] as const);
    try {
      durable.batch(() => this.flushCells());
    } catch {
      // the transaction failed as a whole (e.g. at its commit): nothing of it is on disk, all stays dirty
      this.flushErrors++;
      for (const [c, flushed] of before) {
        c.flushed = flushed;
        if (!c.dirty && !c.retired) {
          c.dirty = true;
          this.dirtyCells.push(c);
        }
      }
    }
  }

  private flushCells(): void {
    const list = this.dirtyCells;
    this.dirtyCells = [];
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      c.dirty = false;
      if (c.retired) continue;
      const now = c.value;
      const delta = now - c.flushed;
      if (delta === 0) continue;
      try {
        (this.durable as DurableCounters).incrementBy(c.key, delta, TOTAL);
        c.flushed = now;
      } catch {
        // kept dirty: the next flush tries again
        this.flushErrors++;
        for (let j = i; j < list.length; j++) {
          const d = list[j]!;
          if (!d.dirty && !d.retired) {
            d.dirty = true;
            this.dirtyCells.push(d);
          }
        }
        return;
      }
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
    this.durable?.close();
  }
}
