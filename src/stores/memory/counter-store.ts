// The in-memory counter store (tests, the SDK, a single gateway): atomic because nothing awaits
// between a check and its increment. Memory stays bounded by the live keys: every write also
// sweeps a few keys whose windows have passed.

import { randomBytes } from 'node:crypto';
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

interface Counter {
  window: CounterWindow;
  /** fixed-window start → sum */
  buckets: Map<number, number>;
  /** unsettled reservations: id → their bucket */
  open: Map<string, number>;
}

const SWEEP_PER_WRITE = 4;

export class MemoryCounterStore implements CounterStore {
  private readonly counters = new Map<string, Counter>();
  /** reservation ids: unique within this store (a random prefix, then a sequence), without a UUID per call */
  private readonly idPrefix = randomBytes(6).toString('hex');
  private seq = 0;
  private sweeper: IterableIterator<[string, Counter]> | undefined;
  private readonly now: () => number;

  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
  }

  incrementBy(key: string, amount: number, window: CounterWindow): number {
    checkCounterInput(key, amount, window);
    const now = this.now();
    this.add(key, window, bucketOf(window, now), amount, now);
    return this.valueAt(key, window, now);
  }

  get(key: string, window: CounterWindow): number {
    checkCounterInput(key, 0, window);
    return this.valueAt(key, window, this.now());
  }

  reserve(key: string, amount: number, limit: number, window: CounterWindow): Reservation | null {
    checkCounterInput(key, amount, window, limit);
    const now = this.now();
    if (this.valueAt(key, window, now) + amount > limit) return null;
    const r: Reservation = Object.freeze({ id: `${this.idPrefix}-${++this.seq}`, key, window, bucket: bucketOf(window, now), amount });
    this.add(key, window, r.bucket, amount, now);
    this.counters.get(key)!.open.set(r.id, r.bucket);
    return r;
  }

  commit(r: Reservation, actual: number): number {
    checkCounterInput(r?.key, actual, r?.window);
    const now = this.now();
    if (this.settle(r, now)) this.add(r.key, r.window, r.bucket, actual - r.amount, now);
    return this.valueAt(r.key, r.window, now);
  }

  release(r: Reservation): void {
    checkCounterInput(r?.key, 0, r?.window);
    const now = this.now();
    if (this.settle(r, now)) this.add(r.key, r.window, r.bucket, -r.amount, now);
  }

  /** Forget a counter and its open reservations (a budget period that has ended); true if there was one. Not part of the contract. */
  delete(key: string): boolean {
    this.sweeper = undefined;
    return this.counters.delete(key);
  }

  close(): void {}

  /** true once per reservation, and only while its bucket still counts */
  private settle(r: Reservation, now: number): boolean {
    if (!this.counters.get(r.key)?.open.delete(r.id)) return false;
    return bucketCounts(r.window, r.bucket, now);
  }

  private valueAt(key: string, window: CounterWindow, now: number): number {
    const c = this.counters.get(key);
    if (!c) return 0;
    const cur = bucketOf(window, now);
    const prev = previousBucket(window, cur);
    return windowValue(window, now, c.buckets.get(cur) ?? 0, prev === undefined ? 0 : (c.buckets.get(prev) ?? 0));
  }

  private add(key: string, window: CounterWindow, bucket: number, amount: number, now: number): void {
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = { window, buckets: new Map(), open: new Map() }));
    c.window = window;
    c.buckets.set(bucket, (c.buckets.get(bucket) ?? 0) + amount);
    this.prune(c, now);
    this.sweep(now);
  }

  private prune(c: Counter, now: number): void {
    const oldest = oldestLiveBucket(c.window, now);
    let dropped = false;
    for (const b of c.buckets.keys()) if (b < oldest) dropped = c.buckets.delete(b);
    // reservations in a window that passed can no longer change anything: forget them
    if (dropped) for (const [id, b] of c.open) if (b < oldest) c.open.delete(id);
  }

  /** a few keys per write: drop counters (and reservations) whose windows have passed */
  private sweep(now: number): void {
    for (let i = 0; i < SWEEP_PER_WRITE; i++) {
      this.sweeper ??= this.counters.entries();
      const next = this.sweeper.next();
      if (next.done) {
        this.sweeper = undefined;
        return;
      }
      const [key, c] = next.value;
      this.prune(c, now);
      if (c.buckets.size === 0 && c.open.size === 0) this.counters.delete(key);
    }
  }
}
