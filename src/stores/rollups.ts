// The rollup store contract: the cells of src/insights/rollup-model.ts, kept as records are
// ingested, and read back summed for the admin query API, the dashboard and `tollgate report`.
// Implementations: memory/rollup-store.ts, sqlite/rollup-store.ts (in ledger.db, next to the
// records); both run test/contracts/rollups.contract.ts.
//
// Rules every implementation keeps:
// - add() folds each record it is given exactly once, with RollupBatch (the model decides what a
//   record adds). Fed by a ledger store, only the records its commit really inserted are folded,
//   and the cells and a cursor (the last record folded) commit in one transaction, so a crash
//   neither loses nor double-counts a record in the rollups (sqlite/rollup-store.ts);
// - read() is bounded: it reads cells (never records) of one cube and returns at most
//   MAX_ROLLUP_ROWS summed rows, and rejects a read that would return more (StoreInputError);
// - minute cells are kept MINUTE_RETENTION_MS behind the newest record, hour and day cells as long
//   as the store; a day cell is the sum of its 24 hour cells (UTC);
// - bad input (unknown dimension, a bucket that is not a multiple of the grain) throws StoreInputError.

import type { RequestRecord } from '../ledger/record.js';
import type { Dimension } from '../insights/contract.js';
import { CUBES, DIMENSIONS, GRAIN_MS, cubeFor, type Grain, type RollupCell } from '../insights/rollup-model.js';
import { StoreInputError, type Awaitable } from './types.js';

export const GROUP_SEPARATOR = '\u0000';

/** the dimensions a read groups by, as a list */
export function groupDims(q: RollupRead): readonly Dimension[] {
  return q.groupBy === undefined ? [] : typeof q.groupBy === 'string' ? [q.groupBy] : q.groupBy;
}

/** the most summed rows one read returns */
export const MAX_ROLLUP_ROWS = 20_000;

export interface RollupRead {
  grain: Grain;
  /** cells whose bucket starts in [from, to), epoch ms */
  from: number;
  to: number;
  /** exact dimension values (NONE for records without one) */
  filters: Partial<Record<Dimension, string>>;
  /** one dimension, or several (the row's key is then their values joined by GROUP_SEPARATOR) */
  groupBy?: Dimension | readonly Dimension[];
  /** sum the cells into buckets of this many ms (a multiple of the grain), or 0 for one sum over the range */
  bucketMs: number;
  /** 'sums' leaves the histograms and own-call maps empty (cheaper); default 'all' */
  parts?: 'sums' | 'all';
}

export interface RollupRow {
  /** bucket start (or `from` when bucketMs is 0) */
  t: number;
  /** the group's value (values joined by GROUP_SEPARATOR), or 'all' without groupBy */
  key: string;
  cell: RollupCell;
}

export interface RollupStore {
  /** fold these records (each once) into the rollups; a read after it returns sees them */
  add(records: readonly RequestRecord[]): Awaitable<void>;
  read(q: RollupRead): Awaitable<RollupRow[]>;
  /** the span of minute cells kept (bucket starts), or null when there are none */
  minuteCoverage(): Awaitable<{ from: number; to: number } | null>;
  close(): Awaitable<void>;
}

/** A read, checked; returns the cube it reads. */
export function checkRead(q: RollupRead): number {
  if (q === null || typeof q !== 'object') throw new StoreInputError('a rollup read must be an object');
  if (q.grain !== 'minute' && q.grain !== 'hour' && q.grain !== 'day') throw new StoreInputError('grain must be "minute", "hour" or "day"');
  if (!Number.isFinite(q.from) || !Number.isFinite(q.to)) throw new StoreInputError('from and to must be finite epoch ms');
  const g = GRAIN_MS[q.grain];
  if (!Number.isInteger(q.bucketMs) || q.bucketMs < 0 || q.bucketMs % g !== 0) throw new StoreInputError(`bucketMs must be 0 or a multiple of ${g}`);
  const dims: Dimension[] = [];
  for (const [d, v] of Object.entries(q.filters ?? {})) {
    if (v === undefined) continue;
    if (!DIMENSIONS.includes(d as Dimension)) throw new StoreInputError(`unknown dimension "${d}" (known: ${DIMENSIONS.join(', ')})`);
    if (typeof v !== 'string') throw new StoreInputError(`the filter on ${d} must be a string`);
    dims.push(d as Dimension);
  }
  if (q.groupBy !== undefined && typeof q.groupBy !== 'string' && !Array.isArray(q.groupBy)) throw new StoreInputError('groupBy must be a dimension or a list of them');
  for (const g of groupDims(q)) {
    if (!DIMENSIONS.includes(g)) throw new StoreInputError(`unknown dimension "${String(g)}" (known: ${DIMENSIONS.join(', ')})`);
    dims.push(g);
  }
  if (q.bucketMs > 0 && q.to > q.from && (q.to - q.from) / q.bucketMs > MAX_ROLLUP_ROWS) {
    throw new StoreInputError(`that range has more than ${MAX_ROLLUP_ROWS} buckets; use a larger bucket`);
  }
  const cube = cubeFor(dims, q.grain);
  if (cube === undefined) {
    throw new StoreInputError(`minute buckets are kept by one dimension, or by team and one of status, cacheStatus, model, route; read ${[...new Set(dims)].join(' and ')} by hour`);
  }
  return cube;
}

/** the bucket a cell at `t` sums into */
export function bucketStart(q: RollupRead, t: number): number {
  return q.bucketMs === 0 ? q.from : Math.floor(t / q.bucketMs) * q.bucketMs;
}

export { CUBES };
