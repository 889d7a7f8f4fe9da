// The query layer's ranges: whole hours from hour cells, the partial hours at either end from
// minute cells while they are kept (exact to the minute), widened to whole hours before that.
import { describe, expect, it } from 'vitest';
import { MemoryLedgerStore } from '../../src/stores/memory/ledger-store.js';
import { HOUR_MS, MINUTE_MS, MINUTE_RETENTION_MS } from '../../src/insights/rollup-model.js';
import { overview, sumRange, timeseries } from '../../src/insights/queries.js';
import { rec } from '../contracts/rollups.contract.js';

const T = Date.UTC(2026, 10, 20, 10);

function storeWith(times: number[]): MemoryLedgerStore {
  const s = new MemoryLedgerStore();
  s.commit(times.map((t, i) => ({ rec: rec(i, { requestId: `q${i}`, receivedAt: t }), json: '{}' })), { segment: 0, offset: 1, corrupt: 0 });
  return s;
}

describe('ranges', () => {
  // one record every 5 minutes from 10:00 to 12:55
  const times = Array.from({ length: 36 }, (_, i) => T + i * 5 * MINUTE_MS);
  const inRange = (from: number, to: number) => times.filter((t) => t >= Math.floor(from / MINUTE_MS) * MINUTE_MS && t < to).length;

  it('within the minute retention: exact to the minute at both ends', async () => {
    const s = storeWith(times);
    for (const [from, to] of [
      [T + 30 * MINUTE_MS, T + 2 * HOUR_MS + 15 * MINUTE_MS],
      [T + 7 * MINUTE_MS, T + 52 * MINUTE_MS],
      [T, T + 3 * HOUR_MS],
      [T + 59 * MINUTE_MS, T + 61 * MINUTE_MS],
    ] as const) {
      const o = await overview({ rollups: s.rollups, ledger: s, now: () => T + 3 * HOUR_MS }, { from, to });
      expect(o.requests, `${(from - T) / MINUTE_MS}..${(to - T) / MINUTE_MS} min`).toBe(inRange(from, to));
    }
  });

  it('before the minute retention: the ends widen to whole hours', async () => {
    const s = storeWith([...times, T + MINUTE_RETENTION_MS + 5 * HOUR_MS]);
    const all = await sumRange(s.rollups, { from: T + 30 * MINUTE_MS, to: T + 2 * HOUR_MS + 15 * MINUTE_MS }, undefined, 'sums');
    expect(all.get('all')!.sums[0]).toBe(36); // 10:00..12:59, whole hours
  });

  it('timeseries buckets start at the bucket containing `from`', async () => {
    const s = storeWith(times);
    const ts = await timeseries({ rollups: s.rollups, ledger: s }, { from: T + 30 * MINUTE_MS, to: T + 3 * HOUR_MS }, 'requests', 'hour');
    expect(ts.series[0]!.points).toEqual([
      [T, 12],
      [T + HOUR_MS, 12],
      [T + 2 * HOUR_MS, 12],
    ]);
  });
});
