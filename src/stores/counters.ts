// The counter store contract, for budgets and rate limits: counters per key in time windows, and
// reservations so that concurrent requests cannot overspend a limit. Implementations:
// memory/counter-store.ts, sqlite/counter-store.ts; both run test/contracts/counters.contract.ts.
//
// Rules every implementation keeps:
// - incrementBy() and reserve() are atomic: check and increment are one operation, against every
//   other caller of the same store (the SQLite store: every connection to the same file, in any
//   process). Concurrent reserve() calls can never together pass a limit.
// - reserve() counts the estimate at once; commit(actual) replaces it with the actual amount,
//   release() takes it back. Settling a reservation twice changes nothing the second time.
// - A reservation never settled stays counted until its window passes (overcounting, never
//   undercounting: a crashed caller cannot open a hole in a limit).
// - The window arithmetic is windowValue() below, in every implementation.

import { StoreInputError, type Awaitable } from './types.js';

export type CounterWindow =
  /** resets at every multiple of `ms` since the epoch (UTC): minute, hour, day windows */
  | { kind: 'fixed'; ms: number }
  /** the last `ms`, estimated: this fixed window plus the previous one weighted by how much of it is still inside */
  | { kind: 'sliding'; ms: number }
  /** never resets (a budget whose key names its period, e.g. "team:search:2026-12") */
  | { kind: 'total' };

export interface Reservation {
  readonly id: string;
  readonly key: string;
  readonly window: CounterWindow;
  /** start of the fixed window the amount was counted in */
  readonly bucket: number;
  readonly amount: number;
}

export interface CounterStore {
  /** Add `amount` (may be negative) in the current window; returns the window's new value. */
  incrementBy(key: string, amount: number, window: CounterWindow): Awaitable<number>;
  /** The window's current value (0 for a key never counted). */
  get(key: string, window: CounterWindow): Awaitable<number>;
  /** Count `amount` only if the value stays at or under `limit`; null (and nothing counted) when it would not. */
  reserve(key: string, amount: number, limit: number, window: CounterWindow): Awaitable<Reservation | null>;
  /** Settle with the actual amount; returns the window's value after (unchanged if already settled). */
  commit(reservation: Reservation, actual: number): Awaitable<number>;
  /** Take the reservation back (nothing happened, or it failed before costing anything). */
  release(reservation: Reservation): Awaitable<void>;
  close(): Awaitable<void>;
}

export function checkCounterInput(key: string, amount: number, window: CounterWindow, limit?: number): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 512) throw new StoreInputError('a counter key must be a string of 1 to 512 characters');
  if (typeof amount !== 'number' || !Number.isFinite(amount)) throw new StoreInputError('a counter amount must be a finite number');
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isFinite(limit))) throw new StoreInputError('a counter limit must be a finite number');
  if (window === null || typeof window !== 'object') throw new StoreInputError('a counter window is { kind: "fixed" | "sliding", ms } or { kind: "total" }');
  if (window.kind === 'total') return;
  if (window.kind !== 'fixed' && window.kind !== 'sliding') throw new StoreInputError(`unknown counter window kind "${String((window as { kind: unknown }).kind)}"`);
  if (!Number.isInteger(window.ms) || window.ms < 1) throw new StoreInputError('a counter window length (ms) must be a whole number of milliseconds, 1 or more');
}

/** Start of the fixed window `now` falls in (0 for a total counter). */
export function bucketOf(window: CounterWindow, now: number): number {
  return window.kind === 'total' ? 0 : Math.floor(now / window.ms) * window.ms;
}

/** The fixed window before `bucket`, which a sliding window still partly counts. */
export function previousBucket(window: CounterWindow, bucket: number): number | undefined {
  return window.kind === 'sliding' ? bucket - window.ms : undefined;
}

/** A window's value from its current and previous fixed windows' sums. */
export function windowValue(window: CounterWindow, now: number, current: number, previous: number): number {
  if (window.kind !== 'sliding') return current;
  const elapsed = (now - bucketOf(window, now)) / window.ms;
  return current + previous * (1 - elapsed);
}

/** Whether a reservation's bucket still counts at `now` (settling one that no longer counts changes nothing). */
export function bucketCounts(window: CounterWindow, bucket: number, now: number): boolean {
  const cur = bucketOf(window, now);
  return bucket === cur || bucket === previousBucket(window, cur);
}

/** Oldest bucket still worth keeping at `now`: anything before can be deleted. */
export function oldestLiveBucket(window: CounterWindow, now: number): number {
  const cur = bucketOf(window, now);
  return previousBucket(window, cur) ?? cur;
}
