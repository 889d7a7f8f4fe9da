// What every store interface shares.
//
// Store methods return Awaitable<T>: the embedded stores (memory, SQLite through better-sqlite3)
// answer synchronously and say so in their own types, so the embedded paths (the ingest worker,
// the CLI, hot-path cache lookups) pay no microtask; a networked store (PostgreSQL, Redis) returns
// a Promise. Code written against an interface always awaits.

export type Awaitable<T> = T | Promise<T>;

/** A caller's mistake (a malformed filter, cursor or limit): reported, never a crash or a 500. */
export class StoreInputError extends Error {
  override readonly name = 'StoreInputError';
}
