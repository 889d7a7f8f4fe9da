// The ledger store contract (src/stores/ledger.ts): every LedgerStore + LedgerReader runs it.
// Expected answers come from the records themselves (written out in the tests, not from any
// store's code), so a backend that drifts from the model fails here.
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/ledger/record.js';
import { MAX_QUERY_LIMIT, type LedgerReader, type LedgerStore } from '../../src/stores/ledger.js';
import { StoreInputError } from '../../src/stores/types.js';
import { makeRecord } from '../ledger/fixtures.js';

export type LedgerFactory = () => Promise<LedgerStore & LedgerReader> | (LedgerStore & LedgerReader);

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 30, 22, 0, 0); // 22:00 UTC: the records span two days

/** a varied, deterministic record set: models, routes, teams, keys, users, statuses, times */
export function varied(n: number): RequestRecord[] {
  return Array.from({ length: n }, (_, i) =>
    makeRecord(i, {
      receivedAt: T0 + i * 7 * 60_000, // every 7 minutes: several per hour, across midnight
      requestedModel: i % 5 === 0 ? 'claude-sonnet-4' : 'gpt-4o',
      model: i % 5 === 0 ? 'claude-sonnet-4' : i % 3 === 0 ? 'gpt-4o-mini' : i % 11 === 0 ? undefined : 'gpt-4o',
      provider: i % 5 === 0 ? 'anthropic' : 'openai',
      route: i % 4 === 0 ? undefined : i % 3 === 0 ? 'cheap' : 'default',
      team: ['search', 'support', 'ml'][i % 3],
      keyId: `key_${i % 4}`,
      user: i % 6 === 0 ? undefined : `u${i % 5}`,
      status: i % 13 === 0 ? 'error' : i % 17 === 0 ? 'aborted' : 'ok',
      errorClass: i % 13 === 0 ? 'rate_limit' : undefined,
      cacheStatus: i % 7 === 0 ? 'hit' : 'miss',
      latencyMs: 100 + ((i * 37) % 50) * 10,
      costUsd: (i % 9) * 0.00125,
      usage: { input: 100 + i, cacheRead: i % 3 === 0 ? 64 : 0, cacheWrite5m: i % 4, cacheWrite1h: i % 2, output: 10 * (i % 6), reasoning: i % 5 },
    }),
  );
}

const StoreInputErrorOf = (e: unknown) => e instanceof StoreInputError;
const entries = (recs: RequestRecord[]) => recs.map((rec) => ({ rec, json: JSON.stringify(rec) }));
const ids = (recs: RequestRecord[]) => recs.map((r) => r.requestId);
const newestFirst = (recs: RequestRecord[]) => [...recs].sort((a, b) => b.receivedAt - a.receivedAt);

export function ledgerContract(name: string, make: LedgerFactory): void {
  describe(`LedgerStore + LedgerReader contract: ${name}`, () => {
    it('commits records with the ingest state, and reads them back whole', async () => {
      const s = await make();
      const recs = varied(20);
      expect(await s.commit(entries(recs), { segment: 3, offset: 1234, corrupt: 1 })).toBe(20);
      expect(await s.ingestState()).toEqual({ segment: 3, offset: 1234, corrupt: 1 });
      const page = await s.query({}, { limit: 100 });
      expect(page.records).toEqual(newestFirst(recs).map((r) => JSON.parse(JSON.stringify(r))));
      expect(page.position).toEqual({ segment: 3, offset: 1234, corrupt: 1 });
      expect(page.next).toBeUndefined();
      await s.close();
    });

    it('is idempotent on requestId: a replayed batch inserts nothing and keeps the first version', async () => {
      const s = await make();
      const recs = varied(10);
      expect(await s.commit(entries(recs), { segment: 0, offset: 10, corrupt: 0 })).toBe(10);
      const changed = recs.map((r) => ({ ...r, costUsd: 99 }));
      expect(await s.commit(entries([...changed, makeRecord(500), makeRecord(500)]), { segment: 0, offset: 20, corrupt: 0 })).toBe(1);
      const all = (await s.query({}, { limit: 100 })).records;
      expect(all.length).toBe(11);
      expect(all.filter((r) => r.costUsd === 99)).toEqual([]);
      expect(await s.ingestState()).toEqual({ segment: 0, offset: 20, corrupt: 0 });
      await s.close();
    });

    it('a batch that cannot be stored changes nothing, not even the state', async () => {
      const s = await make();
      await s.commit(entries(varied(3)), { segment: 0, offset: 5, corrupt: 0 });
      const bad = { ...makeRecord(100) } as Partial<RequestRecord>;
      delete bad.requestedModel;
      await expect(async () => s.commit(entries([makeRecord(99), bad as RequestRecord]), { segment: 9, offset: 9, corrupt: 9 })).rejects.toThrow(/requestedModel/);
      expect((await s.query({}, { limit: 10 })).records.length).toBe(3);
      expect(await s.ingestState()).toEqual({ segment: 0, offset: 5, corrupt: 0 });
      await s.close();
    });

    it('orders newest or oldest first, equal times in storage order, and pages with a cursor', async () => {
      const s = await make();
      const tie = Date.UTC(2026, 11, 1);
      const recs = Array.from({ length: 25 }, (_, i) => makeRecord(i, { receivedAt: i < 10 ? tie : tie + i }));
      await s.commit(entries(recs.slice(0, 12)), { segment: 0, offset: 1, corrupt: 0 });
      await s.commit(entries(recs.slice(12)), { segment: 0, offset: 2, corrupt: 0 });
      const newest = ids([...recs].reverse()); // ties: later stored first
      const oldest = ids(recs);
      for (const [order, want] of [['newest', newest], ['oldest', oldest]] as const) {
        const got: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const p = await s.query({}, { limit: 4, order, cursor });
          got.push(...ids(p.records));
          cursor = p.next;
          pages++;
        } while (cursor);
        expect(got).toEqual(want);
        expect(pages).toBe(7); // 6 full pages, then the 25th record alone
      }
      // a page exactly at the end has no `next`
      expect((await s.query({}, { limit: 25 })).next).toBeUndefined();
      expect((await s.query({}, { limit: 24 })).next).toBeDefined();
      // a cursor combines with a filter
      const p1 = await s.query({ team: 'search' }, { limit: 3 });
      const p2 = await s.query({ team: 'search' }, { limit: 100, cursor: p1.next });
      expect([...ids(p1.records), ...ids(p2.records)]).toEqual(newest.filter((id) => recs.find((r) => r.requestId === id)!.team === 'search'));
      await s.close();
    });

    it('filters: each field, as ledger-model.ts defines it, and their AND', async () => {
      const s = await make();
      const recs = varied(120);
      await s.commit(entries(recs), { segment: 0, offset: 1, corrupt: 0 });
      const q = async (f: object) => ids((await s.query(f, { limit: MAX_QUERY_LIMIT })).records).sort();
      const want = (pred: (r: RequestRecord) => boolean) => ids(recs.filter(pred)).sort();
      expect(await q({})).toEqual(want(() => true));
      expect(await q({ model: 'gpt-4o-mini' })).toEqual(want((r) => r.model === 'gpt-4o-mini' || r.requestedModel === 'gpt-4o-mini'));
      expect(await q({ model: 'gpt-4o' })).toEqual(want((r) => r.model === 'gpt-4o' || r.requestedModel === 'gpt-4o'));
      expect(await q({ requestedModel: 'claude-sonnet-4' })).toEqual(want((r) => r.requestedModel === 'claude-sonnet-4'));
      expect(await q({ route: 'cheap' })).toEqual(want((r) => r.route === 'cheap'));
      expect(await q({ team: 'ml', keyId: 'key_2' })).toEqual(want((r) => r.team === 'ml' && r.keyId === 'key_2'));
      expect(await q({ user: 'u3' })).toEqual(want((r) => r.user === 'u3'));
      expect(await q({ status: 'error' })).toEqual(want((r) => r.status === 'error'));
      expect(await q({ errorClass: 'rate_limit', provider: 'openai' })).toEqual(want((r) => r.errorClass === 'rate_limit' && r.provider === 'openai'));
      expect(await q({ cacheStatus: 'hit' })).toEqual(want((r) => r.cacheStatus === 'hit'));
      const mid = recs[60]!.receivedAt;
      expect(await q({ since: mid })).toEqual(want((r) => r.receivedAt >= mid));
      expect(await q({ until: mid })).toEqual(want((r) => r.receivedAt < mid));
      expect(await q({ since: recs[10]!.receivedAt, until: recs[20]!.receivedAt, team: 'search' })).toEqual(
        want((r) => r.receivedAt >= recs[10]!.receivedAt && r.receivedAt < recs[20]!.receivedAt && r.team === 'search'),
      );
      // a field the record lacks never matches (no route is not route "")
      expect(await q({ route: '' })).toEqual([]);
      expect(await q({ model: 'nothing-like-this' })).toEqual([]);
      await s.close();
    });

    it('refuses malformed filters, limits and cursors with a StoreInputError', async () => {
      const s = await make();
      await s.commit(entries(varied(3)), { segment: 0, offset: 1, corrupt: 0 });
      const bad: [object, object][] = [
        [{ modle: 'x' }, { limit: 10 }],
        [{ since: '2026-01-01' }, { limit: 10 }],
        [{ since: Number.NaN }, { limit: 10 }],
        [{ team: 7 }, { limit: 10 }],
        [{}, { limit: 0 }],
        [{}, { limit: MAX_QUERY_LIMIT + 1 }],
        [{}, { limit: 1.5 }],
        [{}, {}],
        [{}, { limit: 10, order: 'sideways' }],
        [{}, { limit: 10, cursor: 'not a cursor' }],
        [{}, { limit: 10, cursor: Buffer.from('[1,"x"]').toString('base64url') }],
      ];
      for (const [f, o] of bad) await expect(async () => s.query(f as never, o as never)).rejects.toSatisfy(StoreInputErrorOf);
      await expect(async () => s.aggregate({}, ['colour' as never], ['count'])).rejects.toSatisfy(StoreInputErrorOf);
      await expect(async () => s.aggregate({}, ['team'], ['mean' as never])).rejects.toSatisfy(StoreInputErrorOf);
      await expect(async () => s.aggregate({}, ['team', 'team'], ['count'])).rejects.toSatisfy(StoreInputErrorOf);
      await expect(async () => s.aggregate({}, ['team'], [])).rejects.toSatisfy(StoreInputErrorOf);
      await expect(async () => s.aggregate({ nope: 1 } as never, ['team'], ['count'])).rejects.toSatisfy(StoreInputErrorOf);
      await expect(async () => s.aggregate({}, ['team'], ['count'], { limit: 0 })).rejects.toSatisfy(StoreInputErrorOf);
      await s.close();
    });

    it('aggregates: count, cost, tokens by kind and nearest-rank p50/p95 latency, per group', async () => {
      const s = await make();
      const lat = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10]; // sorted: 1..10 → p50 = 5th = 5, p95 = 10th = 10
      const recs = lat.map((latencyMs, i) =>
        makeRecord(i, {
          latencyMs,
          team: i < 6 ? 'a' : 'b',
          costUsd: 0.25 * (i + 1),
          usage: { input: 10 * i, cacheRead: i, cacheWrite5m: 2, cacheWrite1h: 1, output: 3 * i, reasoning: i % 2 },
        }),
      );
      await s.commit(entries(recs), { segment: 0, offset: 1, corrupt: 0 });
      const all = await s.aggregate({}, [], ['count', 'costUsd', 'inputTokens', 'cacheReadTokens', 'cacheWrite5mTokens', 'cacheWrite1hTokens', 'outputTokens', 'reasoningTokens', 'latencyP50Ms', 'latencyP95Ms']);
      expect(all).toEqual([
        {
          group: {},
          values: { count: 10, costUsd: 13.75, inputTokens: 450, cacheReadTokens: 45, cacheWrite5mTokens: 20, cacheWrite1hTokens: 10, outputTokens: 135, reasoningTokens: 5, latencyP50Ms: 5, latencyP95Ms: 10 },
        },
      ]);
      // team a: latencies 5 1 9 3 7 2 → sorted 1 2 3 5 7 9: p50 = rank 3 = 3, p95 = rank 6 = 9
      // team b: 8 4 6 10 → sorted 4 6 8 10: p50 = rank 2 = 6, p95 = rank 4 = 10
      expect(await s.aggregate({}, ['team'], ['count', 'latencyP50Ms', 'latencyP95Ms', 'costUsd'])).toEqual([
        { group: { team: 'a' }, values: { count: 6, latencyP50Ms: 3, latencyP95Ms: 9, costUsd: 5.25 } },
        { group: { team: 'b' }, values: { count: 4, latencyP50Ms: 6, latencyP95Ms: 10, costUsd: 8.5 } },
      ]);
      expect(await s.aggregate({ team: 'b' }, [], ['count'])).toEqual([{ group: {}, values: { count: 4 } }]);
      // nothing matches: no rows, not a row of zeros
      expect(await s.aggregate({ team: 'nobody' }, [], ['count', 'costUsd'])).toEqual([]);
      expect(await s.aggregate({ team: 'nobody' }, ['team'], ['count'])).toEqual([]);
      await s.close();
    });

    it('groups by time buckets (UTC hour and day starts), by several fields, NULL first, with a limit', async () => {
      const s = await make();
      const recs = varied(60); // 22:00 onwards, every 7 minutes: 7 hours, 2 days
      await s.commit(entries(recs), { segment: 0, offset: 1, corrupt: 0 });
      const byHour = await s.aggregate({}, ['hour'], ['count']);
      const hours = new Map<number, number>();
      for (const r of recs) hours.set(Math.floor(r.receivedAt / HOUR) * HOUR, (hours.get(Math.floor(r.receivedAt / HOUR) * HOUR) ?? 0) + 1);
      expect(byHour).toEqual([...hours].sort((a, b) => a[0] - b[0]).map(([hour, count]) => ({ group: { hour }, values: { count } })));
      const byDay = await s.aggregate({}, ['day'], ['count']);
      const midnight = Date.UTC(2026, 11, 1);
      expect(byDay).toEqual([
        { group: { day: Date.UTC(2026, 10, 30) }, values: { count: recs.filter((r) => r.receivedAt < midnight).length } },
        { group: { day: midnight }, values: { count: recs.filter((r) => r.receivedAt >= midnight).length } },
      ]);
      // route is absent on some records: its group is null and sorts first
      const byRouteStatus = await s.aggregate({}, ['route', 'status'], ['count']);
      const want = new Map<string, number>();
      for (const r of recs) want.set(JSON.stringify([r.route ?? null, r.status]), (want.get(JSON.stringify([r.route ?? null, r.status])) ?? 0) + 1);
      const order = (v: string | null) => (v === null ? '' : `~${v}`);
      const expected = [...want]
        .map(([k, count]) => ({ k: JSON.parse(k) as [string | null, string], count }))
        .sort((a, b) => order(a.k[0]).localeCompare(order(b.k[0])) || a.k[1].localeCompare(b.k[1]))
        .map(({ k, count }) => ({ group: { route: k[0], status: k[1] }, values: { count } }));
      expect(byRouteStatus).toEqual(expected);
      expect(byRouteStatus[0]!.group.route).toBeNull();
      expect(await s.aggregate({}, ['route', 'status'], ['count'], { limit: 2 })).toEqual(expected.slice(0, 2));
      // every group-by names a real field
      for (const g of ['model', 'requestedModel', 'provider', 'route', 'team', 'key', 'user', 'status', 'cacheStatus'] as const) {
        const rows = await s.aggregate({}, [g], ['count']);
        expect(rows.reduce((a, r) => a + r.values.count!, 0)).toBe(60);
      }
      expect((await s.aggregate({}, ['key'], ['count'])).map((r) => r.group.key)).toEqual(['key_0', 'key_1', 'key_2', 'key_3']);
      await s.close();
    });
  });
}
