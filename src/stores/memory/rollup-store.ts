// The in-memory rollup store (tests, the SDK's memory ledger): the cells in maps per grain.
// Memory grows with the hours of traffic and the dimension values seen; minute cells are pruned
// like the SQLite store's.

import type { RequestRecord } from '../../ledger/record.js';
import { DIMENSIONS, MINUTE_MS, MINUTE_RETENTION_MS, PendingWrites, RollupBatch, emptyCell, mergeCell, type CellDelta, type Grain, type RollupCell } from '../../insights/rollup-model.js';
import { GROUP_SEPARATOR, MAX_ROLLUP_ROWS, bucketStart, checkRead, groupDims, type RollupRead, type RollupRow, type RollupStore } from '../rollups.js';
import { StoreInputError } from '../types.js';

interface Stored {
  cube: number;
  t: number;
  dims: string[];
  cell: RollupCell;
}

export class MemoryRollupStore implements RollupStore {
  private readonly cells: Record<Grain, Map<string, Stored>> = { minute: new Map(), hour: new Map(), day: new Map() };
  private readonly pending = new PendingWrites();
  private newest = -Infinity;

  add(records: readonly RequestRecord[]): void {
    const batch = new RollupBatch(this.pending, this.newest - MINUTE_RETENTION_MS);
    for (const r of records) batch.add(r);
    this.apply(batch.deltas());
    this.pending.changes();
    if (batch.newestAt > this.newest) {
      this.newest = batch.newestAt;
      this.prune();
    }
  }

  private apply(deltas: readonly CellDelta[]): void {
    for (const d of deltas) {
      const key = `${d.cube}\u0001${d.t}\u0001${d.dims.join('\u0001')}`;
      const map = this.cells[d.grain];
      const s = map.get(key);
      if (s) mergeCell(s.cell, d.cell);
      else map.set(key, { cube: d.cube, t: d.t, dims: d.dims, cell: d.cell });
    }
  }

  private prune(): void {
    const cutoff = Math.floor((this.newest - MINUTE_RETENTION_MS) / MINUTE_MS) * MINUTE_MS;
    for (const [k, s] of this.cells.minute) if (s.t < cutoff) this.cells.minute.delete(k);
  }

  read(q: RollupRead): RollupRow[] {
    const cube = checkRead(q);
    const filters = Object.entries(q.filters ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([d, v]) => [DIMENSIONS.indexOf(d as never), v] as const);
    const g = groupDims(q).map((d) => DIMENSIONS.indexOf(d));
    const out = new Map<string, RollupRow>();
    for (const s of this.cells[q.grain].values()) {
      if (s.cube !== cube || s.t < q.from || s.t >= q.to) continue;
      if (!filters.every(([i, v]) => s.dims[i] === v)) continue;
      const t = bucketStart(q, s.t);
      const key = g.length === 0 ? 'all' : g.map((i) => s.dims[i]!).join(GROUP_SEPARATOR);
      const id = `${t}\u0001${key}`;
      let row = out.get(id);
      if (!row) {
        if (out.size >= MAX_ROLLUP_ROWS) throw new StoreInputError(`the read has more than ${MAX_ROLLUP_ROWS} rows; narrow it`);
        out.set(id, (row = { t, key, cell: emptyCell() }));
      }
      if (q.parts === 'sums') for (let i = 0; i < s.cell.sums.length; i++) row.cell.sums[i]! += s.cell.sums[i]!;
      else mergeCell(row.cell, s.cell);
    }
    return [...out.values()].sort((a, b) => a.t - b.t || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  minuteCoverage(): { from: number; to: number } | null {
    let from = Infinity;
    let to = -Infinity;
    for (const s of this.cells.minute.values()) {
      if (s.cube !== 0) continue;
      if (s.t < from) from = s.t;
      if (s.t > to) to = s.t;
    }
    return from === Infinity ? null : { from, to };
  }

  close(): void {}
}
