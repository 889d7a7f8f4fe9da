// The ledger's store contracts: a writer the ingester feeds in batches, and a reader for the CLI,
// the dashboard and reports. Implementations: memory/ledger-store.ts, sqlite/ledger-store.ts; both
// run test/contracts/ledger.contract.ts.
//
// Rules every implementation keeps:
// - commit() is one transaction: the records and the ingest state land together or not at all,
//   so a crash can neither lose nor double-count a journal line;
// - commit() is idempotent on requestId: a record whose id is stored already is skipped (not
//   replaced), and the count returned is of records really inserted;
// - a read is bounded: query() takes a limit (at most MAX_QUERY_LIMIT) and pages with a cursor,
//   aggregate() returns at most MAX_AGGREGATE_GROUPS groups; nothing loads a whole ledger;
// - filters, groups and metrics mean exactly what ledger-model.ts declares, in every backend;
// - bad input (unknown filter, wrong type, bad cursor or limit) throws StoreInputError.

import type { RequestRecord } from '../ledger/record.js';
import type { JournalPosition } from '../ledger/journal.js';
import type { AggregateOptions, AggregateRow, GroupBy, LedgerFilter, Metric, QueryOptions } from './ledger-model.js';
import type { Awaitable } from './types.js';

export * from './ledger-model.js';

/** How far the journal has been consumed, and how many lines could not be parsed. */
export interface IngestState extends JournalPosition {
  corrupt: number;
}

export const INITIAL_INGEST_STATE: Readonly<IngestState> = Object.freeze({ segment: 0, offset: 0, corrupt: 0 });

/** A record with the JSON line it was journaled as (stored as written, never re-serialised). */
export interface LedgerEntry {
  rec: RequestRecord;
  json: string;
}

export interface LedgerStore {
  /** Insert the records (skipping ids already stored) and move the state, in one transaction; returns rows inserted. */
  commit(batch: readonly LedgerEntry[], state: IngestState): Awaitable<number>;
  ingestState(): Awaitable<IngestState>;
  close(): Awaitable<void>;
}

export interface QueryPage {
  records: RequestRecord[];
  /** pass as `cursor` for the next page; absent when no record follows this page */
  next?: string;
  /** the ingest state these results are complete up to (read in the same snapshot) */
  position: IngestState;
}

export interface LedgerReader {
  query(filter: LedgerFilter, opts: QueryOptions): Awaitable<QueryPage>;
  aggregate(filter: LedgerFilter, groupBy: readonly GroupBy[], metrics: readonly Metric[], opts?: AggregateOptions): Awaitable<AggregateRow[]>;
}
