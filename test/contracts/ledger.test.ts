// Runs the ledger store contract for every implementation, then checks that the SQLite store's
// compiled SQL and the memory store's evaluation give identical answers on the same records.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { MemoryLedgerStore } from '../../src/stores/memory/ledger-store.js';
import { SqliteLedgerStore } from '../../src/stores/sqlite/ledger-store.js';
import { FILTER_FIELDS, GROUP_BY, METRICS, type GroupBy, type LedgerFilter, type Metric } from '../../src/stores/ledger.js';
import { tempDataDir } from '../ledger/fixtures.js';
import { ledgerContract, varied } from './ledger.contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function sqliteStore(): SqliteLedgerStore {
  const dir = tempDataDir('tollgate-ledger-contract-');
  dirs.push(dir);
  return SqliteLedgerStore.open(dir);
}

ledgerContract('memory', () => new MemoryLedgerStore());
ledgerContract('sqlite', sqliteStore);

describe('one filter model: SQLite and memory agree on every filter, group and metric', () => {
  const recs = varied(300);
  const batch = recs.map((rec) => ({ rec, json: JSON.stringify(rec) }));
  const mem = new MemoryLedgerStore();
  const sql = sqliteStore();
  mem.commit(batch, { segment: 0, offset: 1, corrupt: 0 });
  sql.commit(batch, { segment: 0, offset: 1, corrupt: 0 });

  // every filter field with each value the records hold (and one they do not), alone and paired
  const values = (f: keyof LedgerFilter): (string | number)[] => {
    if (f === 'since' || f === 'until') return [recs[0]!.receivedAt, recs[150]!.receivedAt, recs[299]!.receivedAt + 1];
    const field = f === 'keyId' ? 'keyId' : f;
    const seen = new Set<string>();
    for (const r of recs) {
      const v = (r as unknown as Record<string, unknown>)[field];
      if (typeof v === 'string') seen.add(v);
      if (f === 'model' && typeof r.requestedModel === 'string') seen.add(r.requestedModel);
    }
    return [...seen, 'absent-value'];
  };
  const single: LedgerFilter[] = FILTER_FIELDS.flatMap((f) => values(f).map((v) => ({ [f]: v }) as LedgerFilter));
  const pairs: LedgerFilter[] = [];
  for (let i = 0; i < single.length; i += 3) for (let j = i + 1; j < single.length; j += 5) pairs.push({ ...single[i], ...single[j] });

  it(`query: ${single.length + pairs.length} filters, both orders`, () => {
    let nonEmpty = 0;
    for (const f of [{}, ...single, ...pairs]) {
      for (const order of ['newest', 'oldest'] as const) {
        const a = mem.query(f, { limit: 10_000, order }).records.map((r) => r.requestId);
        const b = sql.query(f, { limit: 10_000, order }).records.map((r) => r.requestId);
        expect(b, JSON.stringify(f)).toEqual(a);
        if (a.length) nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(100); // the comparison is not between empty answers
  });

  it('aggregate: every group-by, pairs of them and every metric, under several filters', () => {
    const groups = Object.keys(GROUP_BY) as GroupBy[];
    const metrics = Object.keys(METRICS) as Metric[];
    const groupings: GroupBy[][] = [[], ...groups.map((g) => [g]), ['team', 'day'], ['model', 'status'], ['hour', 'route', 'user']];
    for (const f of [{}, single[3]!, single[10]!, pairs[7]!]) {
      for (const g of groupings) {
        const a = mem.aggregate(f, g, metrics);
        const b = sql.aggregate(f, g, metrics);
        expect(b.map((r) => r.group), JSON.stringify([f, g])).toEqual(a.map((r) => r.group));
        for (let i = 0; i < a.length; i++) {
          for (const m of metrics) expect(b[i]!.values[m]!, `${JSON.stringify([f, g, a[i]!.group])} ${m}`).toBeCloseTo(a[i]!.values[m]!, 9);
        }
      }
    }
  });
});
