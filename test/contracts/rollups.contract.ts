// The rollup store contract (src/stores/rollups.ts): what every implementation answers for the
// same records. Figures are checked against sums computed here from the records themselves.
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/ledger/record.js';
import { HIST_RELATIVE_ERROR, percentile } from '../../src/insights/histogram.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, MINUTE_RETENTION_MS, NONE, get } from '../../src/insights/rollup-model.js';
import { MAX_ROLLUP_ROWS, type RollupStore } from '../../src/stores/rollups.js';
import { StoreInputError } from '../../src/stores/types.js';
import { syntheticRecords } from '../../src/insights/synthetic-ledger.js';

/** a store to test, and how records reach it (directly, or through a ledger commit) */
export interface RollupSubject {
  store: RollupStore;
  ingest(records: RequestRecord[]): Promise<void> | void;
}

export const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);

export function rec(i: number, over: Partial<RequestRecord> = {}): RequestRecord {
  const receivedAt = T0 + i * 1000;
  return {
    requestId: `r${i}`,
    keyId: i % 2 ? 'k1' : 'k2',
    team: i % 2 ? 'search' : 'support',
    route: i % 3 === 0 ? 'cheap' : 'default',
    endpoint: '/v1/chat/completions',
    apiFormat: 'openai',
    requestedModel: 'gpt-4o',
    provider: 'openai',
    model: i % 3 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
    stream: true,
    receivedAt,
    firstTokenAt: receivedAt + 50,
    lastTokenAt: receivedAt + 90,
    completedAt: receivedAt + 100,
    latencyMs: 10 * (i + 1),
    ttftMs: 50,
    overheadMs: 1,
    usage: { input: 100, cacheRead: 10, cacheWrite5m: 0, cacheWrite1h: 0, output: 20, reasoning: 0 },
    costUsd: 0.01,
    trail: [],
    cacheStatus: 'miss',
    status: 'ok',
    httpStatus: 200,
    ...over,
  };
}

export function rollupContract(name: string, make: () => RollupSubject): void {
  describe(`rollup store contract: ${name}`, () => {
    it('sums counts, tokens and cost; groups by each dimension; filters', async () => {
      const s = make();
      const recs = Array.from({ length: 60 }, (_, i) => rec(i, i === 7 ? { status: 'error', httpStatus: 502 } : i === 8 ? { cacheStatus: 'hit' } : {}));
      await s.ingest(recs);
      const all = await s.store.read({ grain: 'hour', from: T0, to: T0 + HOUR_MS, filters: {}, bucketMs: 0 });
      expect(all).toHaveLength(1);
      const c = all[0]!.cell;
      expect(all[0]!.key).toBe('all');
      expect(get(c, 'requests')).toBe(60);
      expect(get(c, 'errors')).toBe(1);
      expect(get(c, 'lookups')).toBe(60);
      expect(get(c, 'exactHits')).toBe(1);
      expect(get(c, 'inputTokens')).toBe(6000);
      expect(get(c, 'cacheReadTokens')).toBe(600);
      expect(get(c, 'costUsd')).toBeCloseTo(0.6, 12);
      const byModel = await s.store.read({ grain: 'hour', from: T0, to: T0 + HOUR_MS, filters: {}, groupBy: 'model', bucketMs: 0, parts: 'sums' });
      expect(byModel.map((r) => [r.key, get(r.cell, 'requests')])).toEqual([
        ['gpt-4o', 40],
        ['gpt-4o-mini', 20],
      ]);
      const searchCheap = await s.store.read({ grain: 'minute', from: T0, to: T0 + HOUR_MS, filters: { team: 'search', route: 'cheap' }, bucketMs: 0 });
      expect(get(searchCheap[0]!.cell, 'requests')).toBe(recs.filter((r) => r.team === 'search' && r.route === 'cheap').length);
      // three filters: the cube of all seven dimensions answers the same
      const three = await s.store.read({ grain: 'hour', from: T0, to: T0 + HOUR_MS, filters: { team: 'search', route: 'cheap', model: 'gpt-4o-mini' }, bucketMs: 0 });
      expect(get(three[0]!.cell, 'requests')).toBe(recs.filter((r) => r.team === 'search' && r.route === 'cheap' && r.model === 'gpt-4o-mini').length);
      for (const d of ['route', 'team', 'key', 'status', 'cacheStatus', 'variant'] as const) {
        const rows = await s.store.read({ grain: 'hour', from: T0, to: T0 + HOUR_MS, filters: {}, groupBy: d, bucketMs: 0, parts: 'sums' });
        expect(rows.reduce((n, r) => n + get(r.cell, 'requests'), 0)).toBe(60);
        if (d === 'variant') expect(rows.map((r) => r.key)).toEqual([NONE]);
      }
      const flows = await s.store.read({ grain: 'hour', from: T0, to: T0 + HOUR_MS, filters: {}, groupBy: ['route', 'model'], bucketMs: 0, parts: 'sums' });
      expect(flows.map((r) => r.key)).toEqual(['cheap\u0000gpt-4o-mini', 'default\u0000gpt-4o']);
    });

    it('buckets: minutes, hours, and days that are the sum of their hours', async () => {
      const s = make();
      // one record every 20 minutes for two days
      const recs = Array.from({ length: 144 }, (_, i) => rec(i, { receivedAt: T0 + i * 20 * MINUTE_MS, requestId: `b${i}` }));
      await s.ingest(recs);
      const hours = await s.store.read({ grain: 'hour', from: T0, to: T0 + 2 * DAY_MS, filters: {}, bucketMs: HOUR_MS, parts: 'sums' });
      expect(hours).toHaveLength(48);
      expect(hours.every((h) => get(h.cell, 'requests') === 3)).toBe(true);
      const days = await s.store.read({ grain: 'hour', from: T0, to: T0 + 2 * DAY_MS, filters: {}, bucketMs: DAY_MS, parts: 'sums' });
      expect(days.map((d) => [d.t, get(d.cell, 'requests')])).toEqual([
        [T0, 72],
        [T0 + DAY_MS, 72],
      ]);
      // day cells: the same sums, histograms and groups as their 24 hours, in one row per day
      const dayCells = await s.store.read({ grain: 'day', from: T0, to: T0 + 2 * DAY_MS, filters: {}, groupBy: 'model', bucketMs: DAY_MS });
      const dayOfHours = await s.store.read({ grain: 'hour', from: T0, to: T0 + 2 * DAY_MS, filters: {}, groupBy: 'model', bucketMs: DAY_MS });
      expect(dayCells.map((d) => [d.t, d.key, [...d.cell.latency].sort()])).toEqual(dayOfHours.map((d) => [d.t, d.key, [...d.cell.latency].sort()]));
      dayCells.forEach((d, i) => d.cell.sums.forEach((v, f) => expect(v).toBeCloseTo(dayOfHours[i]!.cell.sums[f]!, 9)));
      expect(dayCells.length).toBeGreaterThan(0);
      const minutes = await s.store.read({ grain: 'minute', from: T0 + DAY_MS, to: T0 + DAY_MS + HOUR_MS, filters: {}, bucketMs: MINUTE_MS, parts: 'sums' });
      expect(minutes.map((m) => m.t)).toEqual([T0 + DAY_MS, T0 + DAY_MS + 20 * MINUTE_MS, T0 + DAY_MS + 40 * MINUTE_MS]);
    });

    it('percentiles from merged histograms are within the stated bound of the exact nearest-rank value', async () => {
      const s = make();
      const recs = Array.from({ length: 500 }, (_, i) => rec(i, { requestId: `p${i}`, latencyMs: 5 + ((i * 7919) % 1000) * 3.7, ttftMs: 1 + (i % 50) }));
      await s.ingest(recs);
      const rows = await s.store.read({ grain: 'hour', from: T0, to: T0 + HOUR_MS, filters: {}, groupBy: 'team', bucketMs: 0 });
      // merge the two teams' histograms here, as a range over several cells would
      const merged = rows[0]!.cell;
      for (const [i, n] of rows[1]!.cell.latency) merged.latency.set(i, (merged.latency.get(i) ?? 0) + n);
      const sorted = recs.map((r) => r.latencyMs).sort((a, b) => a - b);
      for (const p of [50, 95, 99]) {
        const exact = sorted[Math.ceil((sorted.length * p) / 100) - 1]!;
        const got = percentile(merged.latency, p)!;
        expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(HIST_RELATIVE_ERROR + 1e-12);
      }
      expect(percentile(merged.ttft, 50)).toBeGreaterThan(0);
    });

    it('savings per lever, the counterfactual, anatomy, attempts and own calls', async () => {
      const s = make();
      await s.ingest([
        rec(1, {
          costUsd: 1,
          savedByLever: { tiering: 2, prompt_caching: 0.5 },
          costByComponent: { system: 0.2, user: 0.1 },
          tokensByComponent: { system: 200, user: 100 },
          stablePrefixTokens: 55,
        }),
        rec(2, {
          costUsd: 0.1,
          cacheStatus: 'hit',
          savedByLever: { exact_cache: 4, own_calls: -0.1 },
          attempts: [{ purpose: 'cache-embedder', provider: 'openai', model: 'e', status: 200, startedAt: 0, endedAt: 1, costUsd: 0.1 }],
          trail: [{ stage: 'cache', decision: 'hit', data: { stale: true } }],
        }),
        rec(3, {
          costUsd: 0.3,
          status: 'error',
          savedByLever: { retries: -0.3 },
          failedAttemptsCostUsd: 0.3,
          attempts: [
            { provider: 'openai', model: 'gpt-4o', status: 500, errorClass: 'server', startedAt: 0, endedAt: 1, costUsd: 0.1 },
            { provider: 'openai', model: 'gpt-4o', status: null, errorClass: 'timeout', startedAt: 1, endedAt: 2, costUsd: 0.2 },
          ],
        }),
      ]);
      const [row] = await s.store.read({ grain: 'hour', from: T0, to: T0 + HOUR_MS, filters: {}, bucketMs: 0 });
      const c = row!.cell;
      expect(get(c, 'costUsd')).toBeCloseTo(1.4, 12);
      expect(get(c, 'counterfactualUsd')).toBeCloseTo(7.5, 12);
      expect(get(c, 'saved_tiering')).toBe(2);
      expect(get(c, 'saved_exact_cache')).toBe(4);
      expect(get(c, 'saved_retries')).toBeCloseTo(-0.3, 12);
      expect(get(c, 'cost_system')).toBeCloseTo(0.2, 12);
      expect(get(c, 'tokens_user')).toBe(100);
      expect(get(c, 'failedAttempts')).toBe(2);
      expect(get(c, 'retries')).toBe(1);
      expect(get(c, 'failedAttemptsUsd')).toBeCloseTo(0.3, 12);
      expect(get(c, 'ownCalls')).toBe(1);
      expect(c.ownCallsUsd).toEqual({ 'cache-embedder': 0.1 });
      expect(get(c, 'staleHits')).toBe(1);
      expect(get(c, 'stablePrefixTokens')).toBe(55);
      expect(get(c, 'stablePrefixInputTokens')).toBe(110);
    });

    it('prompt-cache writes never read within their TTL are counted in the bucket of the write', async () => {
      const s = make();
      const pc = (prefixHash: string, w: number, r: number) => ({ promptCache: { prefixHash, writeTokens: w, readTokens: r, ttlSeconds: 300 } });
      await s.ingest([
        rec(0, { ...pc('A', 1000, 0), cacheWritePremiumUsd: 0.01 }), // read 100 s later: not counted
        rec(100, pc('A', 0, 1000)),
        rec(200, { ...pc('B', 2000, 0), cacheWritePremiumUsd: 0.02 }), // read only after its TTL: counted
      ]);
      await s.ingest([rec(600, pc('B', 0, 2000)), rec(3700, { requestId: 'later' })]);
      const [row] = await s.store.read({ grain: 'hour', from: T0, to: T0 + 2 * HOUR_MS, filters: {}, bucketMs: HOUR_MS, parts: 'sums' });
      expect(row!.t).toBe(T0);
      expect(get(row!.cell, 'unreadWriteTokens')).toBe(2000);
      expect(get(row!.cell, 'unreadWriteUsd')).toBeCloseTo(0.02, 12);
      expect(get(row!.cell, 'cacheWritePremiumUsd')).toBeCloseTo(0.03, 12);
      const byTeam = await s.store.read({ grain: 'hour', from: T0, to: T0 + 2 * HOUR_MS, filters: { team: 'support' }, bucketMs: 0, parts: 'sums' });
      expect(get(byTeam[0]!.cell, 'unreadWriteTokens')).toBe(2000); // record 200 is team support
    });

    it('keeps minute cells for MINUTE_RETENTION_MS behind the newest record, hours for good', async () => {
      const s = make();
      await s.ingest([rec(0, { requestId: 'old' })]);
      await s.ingest([rec(0, { requestId: 'new', receivedAt: T0 + MINUTE_RETENTION_MS + 2 * HOUR_MS })]);
      const cov = await s.store.minuteCoverage();
      expect(cov!.from).toBeGreaterThan(T0);
      const minutes = await s.store.read({ grain: 'minute', from: T0, to: T0 + HOUR_MS, filters: {}, bucketMs: 0 });
      expect(minutes).toEqual([]);
      const hours = await s.store.read({ grain: 'hour', from: T0, to: T0 + HOUR_MS, filters: {}, bucketMs: 0 });
      expect(get(hours[0]!.cell, 'requests')).toBe(1);
    });

    it('a synthetic day: every view adds up to the same totals', async () => {
      const s = make();
      const recs = [...syntheticRecords({ from: T0, to: T0 + DAY_MS, count: 3000, seed: 3 })];
      await s.ingest(recs);
      const cost = recs.reduce((a, r) => a + r.costUsd, 0);
      for (const groupBy of [undefined, 'model', 'route', 'team', 'key', 'status', 'cacheStatus', 'variant'] as const) {
        const rows = await s.store.read({ grain: 'hour', from: T0, to: T0 + DAY_MS, filters: {}, groupBy, bucketMs: HOUR_MS, parts: 'sums' });
        expect(rows.reduce((a, r) => a + get(r.cell, 'requests'), 0)).toBe(3000);
        expect(rows.reduce((a, r) => a + get(r.cell, 'costUsd'), 0)).toBeCloseTo(cost, 9);
      }
      const cf = recs.reduce((a, r) => a + r.costUsd + Object.values(r.savedByLever ?? {}).reduce((x, y) => x + y, 0), 0);
      const [all] = await s.store.read({ grain: 'hour', from: T0, to: T0 + DAY_MS, filters: {}, bucketMs: 0, parts: 'sums' });
      expect(get(all!.cell, 'counterfactualUsd')).toBeCloseTo(cf, 9);
    });

    it('bad reads are StoreInputErrors; reads are bounded', async () => {
      const s = make();
      const base = { grain: 'hour' as const, from: T0, to: T0 + HOUR_MS, filters: {}, bucketMs: 0 };
      const bad = [
        { ...base, grain: 'week' },
        { ...base, bucketMs: 1234 },
        { ...base, filters: { colour: 'red' } },
        { ...base, groupBy: 'colour' },
        { ...base, from: Number.NaN },
        { ...base, grain: 'minute', filters: { route: 'a', model: 'b' } },
        { ...base, grain: 'minute', bucketMs: MINUTE_MS, to: T0 + (MAX_ROLLUP_ROWS + 1) * MINUTE_MS },
      ];
      for (const q of bad) await expect(async () => s.store.read(q as never)).rejects.toBeInstanceOf(StoreInputError);
    });
  });
}
