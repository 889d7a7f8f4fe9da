// The admin query API on a real gateway: a ledger seeded with records whose answers are worked out
// by hand (counts, sums, percentiles, the waterfall's bars), then live traffic through the OpenAI
// SDK, tenant scoping, and every kind of bad parameter answered as a 400 in the OpenAI shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startSimulator } from '../../src/sim/index.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { resolveConfig } from '../../src/config/load.js';
import { demoConfig } from '../../src/config/demo.js';
import { hashKey } from '../../src/server/auth.js';
import { SqliteLedgerStore } from '../../src/stores/sqlite/ledger-store.js';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import { costOf } from '../../src/core/cost.js';
import { HIST_RELATIVE_ERROR } from '../../src/insights/histogram.js';
import { INSIGHT_ENDPOINTS, type OverviewAnswer, type WaterfallAnswer } from '../../src/insights/contract.js';
import type { RequestRecord } from '../../src/ledger/record.js';

const KEYS = { ops: 'tg_api_ops', betaAdmin: 'tg_api_beta_admin', client: 'tg_api_client' };
const T0 = Date.UTC(2026, 10, 2, 10);
const H = 3_600_000;
const RANGE = `from=${T0}&to=${T0 + 2 * H}`;

function seeded(i: number, over: Partial<RequestRecord>): RequestRecord {
  const receivedAt = T0 + i * 60_000;
  return {
    requestId: `seed-${i}`,
    endpoint: '/v1/chat/completions',
    apiFormat: 'openai',
    requestedModel: 'support',
    provider: 'openai',
    stream: false,
    receivedAt,
    completedAt: receivedAt + 100,
    latencyMs: 100,
    overheadMs: 1,
    usage: { input: 1000, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 100, reasoning: 0 },
    costUsd: 0,
    trail: [],
    status: 'ok',
    httpStatus: 200,
    ...over,
  };
}

// alpha: six requests on route support (five in the first hour), 0.10 each, tiering saved 0.20 each,
// latencies 100..600 ms. beta: an exact-cache hit, two misses (one with a failed attempt), an error.
const SEED: RequestRecord[] = [
  ...[0, 1, 2, 3, 4, 70].map((m, j) =>
    seeded(m, { team: 'alpha', keyId: 'ka', route: 'support', model: 'claude-3-5-haiku', latencyMs: 100 * (j + 1), costUsd: 0.1, savedByLever: { tiering: 0.2 } }),
  ),
  seeded(80, { requestId: 'seed-beta-hit', team: 'beta', keyId: 'kb', route: 'search', model: 'gpt-4o-mini', latencyMs: 1000, cacheStatus: 'hit', costUsd: 0.01, savedByLever: { exact_cache: 0.5, own_calls: -0.01 } }),
  seeded(81, { requestId: 'seed-beta-miss-1', team: 'beta', keyId: 'kb', route: 'search', model: 'gpt-4o-mini', latencyMs: 1000, cacheStatus: 'miss', costUsd: 0.05, savedByLever: { prompt_caching: 0.02 } }),
  seeded(82, {
    requestId: 'seed-beta-miss-2',
    team: 'beta',
    keyId: 'kb',
    route: 'search',
    model: 'gpt-4o-mini',
    latencyMs: 1000,
    cacheStatus: 'miss',
    costUsd: 0.05,
    failedAttemptsCostUsd: 0.03,
    savedByLever: { prompt_caching: 0.02, retries: -0.03 },
  }),
  seeded(83, { requestId: 'seed-beta-error', team: 'beta', keyId: 'kb', route: 'search', model: 'gpt-4o-mini', latencyMs: 1000, status: 'error', httpStatus: 502, costUsd: 0.04, savedByLever: { retries: -0.04 } }),
];

let sim: { url: string; close(): Promise<void> };
let gw: RunningGateway;
let dataDir: string;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0, seed: 7 });
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-api-'));
  const store = SqliteLedgerStore.open(dataDir);
  store.commit(SEED.map((rec) => ({ rec, json: JSON.stringify(rec) })), { segment: 0, offset: 0, corrupt: 0 });
  store.flushRollups();
  store.close();
  const base = demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false });
  const config = resolveConfig(
    {
      ...base,
      auth: {
        mode: 'keys',
        keys: [
          { id: 'ops', sha256: hashKey(KEYS.ops), role: 'admin' },
          { id: 'beta-admin', sha256: hashKey(KEYS.betaAdmin), team: 'beta', role: 'admin' },
          { id: 'client', sha256: hashKey(KEYS.client), team: 'gamma' },
        ],
      },
      routes: { chat: { tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }], baseline: 'gpt-4o' } },
    },
    '(test)',
    {},
  );
  gw = await startGateway({ config, port: 0 });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(path: string, key = KEYS.ops): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.url}/admin/api/${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json() };
}

describe('the admin query API over a seeded ledger', () => {
  it('overview: counts, sums, rates and percentiles worked out by hand', async () => {
    const { status, body } = await api(`overview?${RANGE}`);
    expect(status).toBe(200);
    const o = body as OverviewAnswer;
    expect(o.requests).toBe(10);
    expect(o.costUsd).toBeCloseTo(0.75, 12);
    expect(o.counterfactualCostUsd).toBeCloseTo(2.41, 12);
    expect(o.savedUsd).toBeCloseTo(1.66, 12);
    expect(o.costPerRequestUsd).toBeCloseTo(0.075, 12);
    expect(o.errorRate).toBeCloseTo(0.1, 12);
    expect(o.cacheHitRate).toBeCloseTo(1 / 3, 12);
    // latencies 100..600 and four of 1000: nearest rank p50 = 500 (5th), p95 = p99 = 1000
    const near = (got: number | null, exact: number) => expect(Math.abs(got! - exact) / exact).toBeLessThanOrEqual(HIST_RELATIVE_ERROR);
    near(o.latencyMs.p50, 500);
    near(o.latencyMs.p95, 1000);
    near(o.latencyMs.p99, 1000);
    expect(o.ttftMs.p50).toBeNull();
    const alpha = (await api(`overview?${RANGE}&team=alpha`)).body as OverviewAnswer;
    expect(alpha.requests).toBe(6);
    near(alpha.latencyMs.p50, 300);
  });

  it('waterfall: the bars by hand, telescoping from the counterfactual to the actual cost', async () => {
    const w = (await api(`waterfall?${RANGE}`)).body as WaterfallAnswer;
    expect(w.counterfactualUsd).toBeCloseTo(2.41, 12);
    expect(w.actualUsd).toBeCloseTo(0.75, 12);
    expect(w.bars.map((b) => b.lever)).toEqual(['tiering', 'exact_cache', 'prompt_caching', 'retries', 'own_calls']);
    const bars = Object.fromEntries(w.bars.map((b) => [b.lever, b.savedUsd]));
    expect(bars.tiering).toBeCloseTo(1.2, 12);
    expect(bars.exact_cache).toBeCloseTo(0.5, 12);
    expect(bars.prompt_caching).toBeCloseTo(0.04, 12);
    expect(bars.retries).toBeCloseTo(-0.07, 12);
    expect(bars.own_calls).toBeCloseTo(-0.01, 12);
    expect(w.counterfactualUsd - w.bars.reduce((s, b) => s + b.savedUsd, 0)).toBeCloseTo(w.actualUsd, 12);
  });

  it('timeseries by hour and day, grouped; breakdown by team; models and flows', async () => {
    const hourly = (await api(`timeseries?${RANGE}&metric=requests&bucket=hour`)).body;
    expect(hourly.series).toEqual([{ key: 'all', points: [[T0, 5], [T0 + H, 5]] }]);
    const byTeam = (await api(`timeseries?${RANGE}&metric=cost_usd&bucket=day&groupBy=team`)).body;
    expect(byTeam.series.map((s: { key: string; points: [number, number][] }) => [s.key, s.points[0]![0], Number(s.points[0]![1].toFixed(10))])).toEqual([
      ['alpha', Date.UTC(2026, 10, 2), 0.6],
      ['beta', Date.UTC(2026, 10, 2), 0.15],
    ]);
    const errors = (await api(`timeseries?${RANGE}&metric=error_rate&bucket=hour`)).body;
    expect(errors.series[0].points).toEqual([[T0, 0], [T0 + H, 0.2]]);
    const b = (await api(`breakdown?${RANGE}&groupBy=team`)).body;
    expect(b.rows.map((r: { key: string; requests: number; errors: number }) => [r.key, r.requests, r.errors])).toEqual([
      ['alpha', 6, 0],
      ['beta', 4, 1],
    ]);
    expect(b.rows[0].costPerRequestUsd).toBeCloseTo(0.1, 12);
    const m = (await api(`models?${RANGE}&bucket=day`)).body;
    expect(m.share.map((s: { key: string; points: [number, number][] }) => [s.key, s.points[0]![1]])).toEqual([
      ['claude-3-5-haiku', 0.6],
      ['gpt-4o-mini', 0.4],
    ]);
    expect(m.flows.map((f: { route: string; model: string; requests: number }) => [f.route, f.model, f.requests])).toEqual([
      ['support', 'claude-3-5-haiku', 6],
      ['search', 'gpt-4o-mini', 4],
    ]);
  });

  it('cache, latency and hidden costs', async () => {
    const c = (await api(`cache?${RANGE}&bucket=hour`)).body;
    expect(c.points).toEqual([
      { t: T0, lookups: 0, exactHits: 0, semanticHits: 0, staleHits: 0 },
      { t: T0 + H, lookups: 3, exactHits: 1, semanticHits: 0, staleHits: 0 },
    ]);
    expect(c.savedUsd).toBeCloseTo(0.5, 12);
    expect(c.staleRatio).toBe(0);
    const l = (await api(`latency?${RANGE}&bucket=hour`)).body;
    expect(l.points).toHaveLength(2);
    expect(l.components.overheadMs).toBe(1);
    const hc = (await api(`hidden-costs?${RANGE}`)).body;
    const search = hc.rows.find((r: { route: string }) => r.route === 'search');
    expect(search.requests).toBe(4);
    expect(search.failedAttemptsUsd).toBeCloseTo(0.03, 12);
  });

  it('requests: newest first, searchable, paged; request by id', async () => {
    const page = (await api(`requests?${RANGE}&limit=3`)).body;
    expect(page.records.map((r: RequestRecord) => r.requestId)).toEqual(['seed-beta-error', 'seed-beta-miss-2', 'seed-beta-miss-1']);
    const next = (await api(`requests?${RANGE}&limit=3&cursor=${page.next}`)).body;
    expect(next.records[0].requestId).toBe('seed-beta-hit');
    const found = (await api(`requests?${RANGE}&q=miss`)).body;
    expect(found.records.map((r: RequestRecord) => r.requestId)).toEqual(['seed-beta-miss-2', 'seed-beta-miss-1']);
    const errs = (await api(`requests?${RANGE}&status=error`)).body;
    expect(errs.records.map((r: RequestRecord) => r.requestId)).toEqual(['seed-beta-error']);
    const one = await api('request?id=seed-3');
    expect(one.status).toBe(200);
    expect(one.body.team).toBe('alpha');
    expect((await api('request?id=nope')).status).toBe(404);
  });

  it('a tenant admin sees only its team', async () => {
    const o = (await api(`overview?${RANGE}`, KEYS.betaAdmin)).body as OverviewAnswer;
    expect(o.requests).toBe(4);
    expect(o.query.team).toBe('beta');
    const b = (await api(`breakdown?${RANGE}&groupBy=team`, KEYS.betaAdmin)).body;
    expect(b.rows.map((r: { key: string }) => r.key)).toEqual(['beta']);
    const other = await api(`overview?${RANGE}&team=alpha`, KEYS.betaAdmin);
    expect(other.status).toBe(403);
    expect(other.body.error.type).toBe('invalid_request_error');
    expect((await api('request?id=seed-3', KEYS.betaAdmin)).status).toBe(404);
    const list = (await api(`requests?${RANGE}`, KEYS.betaAdmin)).body;
    expect(list.records.every((r: RequestRecord) => r.team === 'beta')).toBe(true);
    expect((await api(`overview?${RANGE}`, KEYS.client)).status).toBe(403);
    expect((await fetch(`${gw.url}/admin/api/overview`)).status).toBe(401);
  });

  it('bad parameters are 400s in the OpenAI error shape, naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['overview?from=yesterday', 'from'],
      ['overview?from=2026-13-45T99:00Z', 'from'],
      [`overview?from=${T0 + H}&to=${T0}`, 'from'],
      ['overview?colour=red', 'colour'],
      ['overview?team=a&team=b', 'team'],
      ['timeseries?bucket=hour', 'metric'],
      ['timeseries?metric=requests&bucket=week', 'bucket'],
      ['timeseries?metric=vibes', 'metric'],
      ['breakdown', 'groupBy'],
      ['breakdown?groupBy=colour', 'groupBy'],
      ['requests?limit=0', 'limit'],
      ['requests?limit=100000', 'limit'],
      ['requests?status=maybe', 'status'],
      ['request', 'id'],
    ];
    for (const [path, param] of cases) {
      const { status, body } = await api(path);
      expect(status, path).toBe(400);
      expect(body.error.type, path).toBe('invalid_request_error');
      expect(body.error.param, path).toBe(param);
      expect(typeof body.error.message).toBe('string');
    }
    // store-level mistakes too: a cursor that is not one, minute buckets by three dimensions, too many minute buckets
    expect((await api('requests?cursor=xyz')).status).toBe(400);
    expect((await api(`timeseries?${RANGE}&metric=requests&bucket=minute&route=a&model=b`)).status).toBe(400);
    expect((await api('timeseries?metric=requests&bucket=minute&from=60d')).status).toBe(400);
    for (const e of INSIGHT_ENDPOINTS) expect((await api(`${e}?from=x`)).status, e).toBe(400);
  });
});

describe('live traffic through the gateway', () => {
  it('records from the OpenAI SDK show up in the rollups; savedByLever telescopes on a routed request', async () => {
    const ai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEYS.client, maxRetries: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { response } = await ai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: `Say hello number ${i}` }] }).withResponse();
      ids.push(response.headers.get('x-tollgate-request-id')!);
    }
    await gw.ledger.flush();
    const o = (await api('overview?from=1h')).body as OverviewAnswer;
    expect(o.requests).toBe(2);
    expect(o.costUsd).toBeGreaterThan(0);
    const rec = (await api(`request?id=${ids[0]}`)).body as RequestRecord;
    expect(rec.model).toBe('gpt-4o-mini');
    const catalog = PriceCatalog.load();
    const at = new Date(rec.receivedAt);
    const expectedTiering = costOf(rec.usage, catalog.lookup('openai', 'gpt-4o', at)!).totalUsd - costOf(rec.usage, catalog.lookup('openai', 'gpt-4o-mini', at)!).totalUsd;
    expect(rec.savedByLever?.tiering).toBeCloseTo(expectedTiering, 12);
    const w = (await api('waterfall?from=1h')).body as WaterfallAnswer;
    expect(w.actualUsd).toBeCloseTo(o.costUsd, 12);
    expect(w.counterfactualUsd - w.bars.reduce((s, b) => s + b.savedUsd, 0)).toBeCloseTo(w.actualUsd, 12);
    expect(w.bars.find((b) => b.lever === 'tiering')!.savedUsd).toBeGreaterThan(0);
    const byKey = (await api('breakdown?from=1h&groupBy=key')).body;
    expect(byKey.rows).toEqual([expect.objectContaining({ key: 'client', requests: 2 })]);
  });
});
