// The in-memory ledger store and reader (tests, the SDK): the records in insertion order, with
// the same extracted columns the SQLite store keeps, filtered and grouped by ledger-model.ts.
// Memory grows with the records committed; a long-running process wants the SQLite store.

import type { RequestRecord } from '../../ledger/record.js';
import {
  INITIAL_INGEST_STATE,
  checkAggregate,
  checkQueryOptions,
  compareValues,
  encodeCursor,
  groupValue,
  matcher,
  percentileRank,
  rowOf,
  metricDef,
  type AggregateOptions,
  type AggregateRow,
  type ColumnValue,
  type GroupBy,
  type IngestState,
  type LedgerEntry,
  type LedgerFilter,
  type LedgerReader,
  type LedgerRow,
  type LedgerStore,
  type Metric,
  type QueryOptions,
  type QueryPage,
} from '../ledger.js';
import { MemoryRollupStore } from './rollup-store.js';

interface Stored {
  seq: number;
  row: LedgerRow;
  json: string;
}

export class MemoryLedgerStore implements LedgerStore, LedgerReader {
  private readonly rows: Stored[] = [];
  private readonly ids = new Set<string>();
  private state: IngestState = { ...INITIAL_INGEST_STATE };
  private seq = 0;
  /** the rollups over these records: a commit folds in the records it inserted */
  readonly rollups = new MemoryRollupStore();

  commit(batch: readonly LedgerEntry[], state: IngestState): number {
    // validate the whole batch first: a transaction that fails must change nothing
    const rows = batch.map(({ rec, json }) => ({ row: rowOf(rec), json }));
    let inserted = 0;
    const added: RequestRecord[] = [];
    for (let i = 0; i < rows.length; i++) {
      const { row, json } = rows[i]!;
      const id = row.requestId as string;
      if (this.ids.has(id)) continue;
      this.ids.add(id);
      this.rows.push({ seq: ++this.seq, row, json });
      added.push(batch[i]!.rec);
      inserted++;
    }
    this.rollups.add(added);
    this.state = { segment: state.segment, offset: state.offset, corrupt: state.corrupt };
    return inserted;
  }

  ingestState(): IngestState {
    return { ...this.state };
  }

  close(): void {}

  query(filter: LedgerFilter, opts: QueryOptions): QueryPage {
    const test = matcher(filter);
    const { limit, order, after } = checkQueryOptions(opts);
    const newest = order === 'newest';
    const sign = newest ? -1 : 1;
    const key = (s: Stored): [number, number] => [s.row.receivedAt as number, s.seq];
    const cmp = (a: [number, number], b: [number, number]): number => (a[0] - b[0] || a[1] - b[1]) * sign;
    const hits = this.rows.filter((s) => test(s.row) && (after === undefined || cmp(key(s), [after.receivedAt, after.seq]) > 0));
    hits.sort((a, b) => cmp(key(a), key(b)));
    const page = hits.slice(0, limit);
    const last = page[page.length - 1];
    return {
      records: page.map((s) => JSON.parse(s.json) as RequestRecord),
      next: hits.length > limit && last ? encodeCursor({ receivedAt: last.row.receivedAt as number, seq: last.seq }) : undefined,
      position: this.ingestState(),
    };
  }

  aggregate(filter: LedgerFilter, groupBy: readonly GroupBy[], metrics: readonly Metric[], opts?: AggregateOptions): AggregateRow[] {
    const test = matcher(filter);
    const limit = checkAggregate(groupBy, metrics, opts);
    const groups = new Map<string, { keys: ColumnValue[]; rows: LedgerRow[] }>();
    for (const s of this.rows) {
      if (!test(s.row)) continue;
      const keys = groupBy.map((g) => groupValue(g, s.row));
      const id = JSON.stringify(keys);
      let grp = groups.get(id);
      if (!grp) groups.set(id, (grp = { keys, rows: [] }));
      grp.rows.push(s.row);
    }
    const sorted = [...groups.values()].sort((a, b) => {
      for (let i = 0; i < a.keys.length; i++) {
        const c = compareValues(a.keys[i]!, b.keys[i]!);
        if (c !== 0) return c;
      }
      return 0;
    });
    return sorted.slice(0, limit).map(({ keys, rows }) => {
      const group: AggregateRow['group'] = {};
      groupBy.forEach((g, i) => (group[g] = keys[i]!));
      const values: AggregateRow['values'] = {};
      for (const m of metrics) values[m] = metricOf(m, rows);
      return { group, values };
    });
  }
}

function metricOf(m: Metric, rows: LedgerRow[]): number {
  const def = metricDef(m);
  if (def.fn === 'count') return rows.length;
  const vals = rows.map((r) => r[def.column!] as number);
  if (def.fn === 'sum') return vals.reduce((a, b) => a + b, 0);
  vals.sort((a, b) => a - b);
  return vals[percentileRank(vals.length, def.p!) - 1]!;
}
