// The gateway's own calls are not the users' traffic: a ledger seeded with user records and the
// records the judge and the shadow evaluation write (caller tollgate:judge, endpoint
// internal:judge / internal:shadow, one attempt with that purpose: src/engine/engine.ts ownRun),
// read back through a real gateway's admin query API and `tollgate report --json`. Request counts,
// error rates, cache hit rates, latency percentiles and model shares leave the own records out;
// total spend, the waterfall and the hidden costs keep their dollars.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../src/sim/index.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { resolveConfig } from '../../src/config/load.js';
import { demoConfig } from '../../src/config/demo.js';
import { hashKey } from '../../src/server/auth.js';
import { SqliteLedgerStore } from '../../src/stores/sqlite/ledger-store.js';
import { MemoryRollupStore } from '../../src/stores/memory/rollup-store.js';
import { QUALITY_KEY_ID } from '../../src/quality/evaluator.js';
import { HIST_RELATIVE_ERROR } from '../../src/insights/histogram.js';
import { isOwnTraffic } from '../../src/insights/rollup-model.js';
import * as Q from '../../src/insights/queries.js';
import { runReportCommand } from '../../src/cli/report.js';
import type { BreakdownAnswer, HiddenCostsAnswer, ModelsAnswer, OverviewAnswer, TimeseriesAnswer, WaterfallAnswer } from '../../src/insights/contract.js';
import type { ReportData } from '../../src/report/data.js';
import type { RequestRecord } from '../../src/ledger/record.js';

const ADMIN = 'tg_own_admin';
const T0 = Date.UTC(2026, 10, 2, 10);
const H = 3_600_000;
const RANGE = `from=${T0}&to=${T0 + 2 * H}`;

function rec(i: number, over: Partial<RequestRecord>): RequestRecord {
  const receivedAt = T0 + i * 60_000;
  return {
    requestId: `own-${i}`,
    endpoint: '/v1/chat/completions',
    apiFormat: 'openai',
    requestedModel: 'gpt-4o-mini',
    provider: 'openai',
    model: 'gpt-4o-mini',
    stream: false,
    receivedAt,
    completedAt: receivedAt + 100,
    latencyMs: 100,
    overheadMs: 1,
    usage: { input: 1000, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 100, reasoning: 0 },
    costUsd: 0.1,
    trail: [],
    status: 'ok',
    httpStatus: 200,
    ...over,
  };
}

/** what ownRun writes: the caller tollgate:judge, endpoint internal:<purpose>, one attempt with that purpose */
function own(i: number, purpose: 'judge' | 'shadow', over: Partial<RequestRecord>): RequestRecord {
  const r = rec(i, { keyId: QUALITY_KEY_ID, endpoint: `internal:${purpose}`, latencyMs: 9000, ...over });
  r.attempts = [{ purpose, provider: 'openai', model: r.model!, status: r.status === 'error' ? 502 : 200, startedAt: r.receivedAt, endedAt: r.receivedAt + 9000, costUsd: r.costUsd }];
  return r;
}

// users: 4 requests on route support (gpt-4o-mini), 0.10 each, 100..400 ms, two cache lookups (one hit).
// the gateway: 3 judge records on claude (0.02 each, one failed, 9 s) and one shadow on gpt-4o (0.25).
const USERS = [
  rec(0, { team: 'alpha', keyId: 'ka', route: 'support', latencyMs: 100, cacheStatus: 'miss' }),
  rec(1, { team: 'alpha', keyId: 'ka', route: 'support', latencyMs: 200, cacheStatus: 'hit', costUsd: 0, savedByLever: { exact_cache: 0.1 } }),
  rec(2, { team: 'alpha', keyId: 'ka', route: 'support', latencyMs: 300 }),
  rec(70, { team: 'alpha', keyId: 'ka', route: 'support', latencyMs: 400 }),
];
const OWN = [
  own(3, 'judge', { model: 'claude-3-5-haiku', requestedModel: 'claude-3-5-haiku', costUsd: 0.02 }),
  own(4, 'judge', { model: 'claude-3-5-haiku', requestedModel: 'claude-3-5-haiku', costUsd: 0.02, status: 'error', httpStatus: 502 }),
  own(71, 'judge', { model: 'claude-3-5-haiku', requestedModel: 'claude-3-5-haiku', costUsd: 0.02 }),
  own(72, 'shadow', { model: 'gpt-4o', requestedModel: 'gpt-4o', costUsd: 0.25 }),
];
const USER_USD = 0.3;
const OWN_USD = 0.31;

let sim: { url: string; close(): Promise<void> };
let gw: RunningGateway;
let dataDir: string;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0, seed: 7 });
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-own-traffic-'));
  const store = SqliteLedgerStore.open(dataDir);
  const all = [...USERS, ...OWN].sort((a, b) => a.receivedAt - b.receivedAt);
  store.commit(all.map((r) => ({ rec: r, json: JSON.stringify(r) })), { segment: 0, offset: 0, corrupt: 0 });
  store.flushRollups();
  store.close();
  const base = demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false });
  const config = resolveConfig({ ...base, auth: { mode: 'keys', keys: [{ id: 'ops', sha256: hashKey(ADMIN), role: 'admin' }] } }, '(test)', {});
  gw = await startGateway({ config, port: 0 });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${gw.url}/admin/api/${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}
const near = (got: number | null, exact: number) => expect(Math.abs(got! - exact) / exact).toBeLessThanOrEqual(HIST_RELATIVE_ERROR);

describe("the gateway's own calls through the admin query API", () => {
  it('the records the engine writes for the judge and shadow are own traffic; a user request with a verifier attempt is not', () => {
    for (const r of OWN) expect(isOwnTraffic(r), r.endpoint).toBe(true);
    for (const r of USERS) expect(isOwnTraffic(r)).toBe(false);
    const verified = rec(5, { attempts: [{ purpose: 'cascade-verifier', provider: 'openai', model: 'gpt-4o-mini', status: 200, startedAt: T0, endedAt: T0 + 1, costUsd: 0.001 }] });
    expect(isOwnTraffic(verified)).toBe(false);
  });

  it('overview: requests, error rate, cache hit rate and latency are the users’; spend is everything', async () => {
    const o = await api<OverviewAnswer>(`overview?${RANGE}`);
    expect(o.requests).toBe(USERS.length);
    expect(o.ownRequests).toBe(OWN.length);
    expect(o.costUsd).toBeCloseTo(USER_USD + OWN_USD, 12);
    expect(o.ownRequestsCostUsd).toBeCloseTo(OWN_USD, 12);
    expect(o.costPerRequestUsd).toBeCloseTo(USER_USD / USERS.length, 12);
    expect(o.errorRate).toBe(0); // the failed judge call is not the users' error
    expect(o.cacheHitRate).toBeCloseTo(0.5, 12);
    // users' latencies 100..400: p99 = 400, not the judges' 9 s
    near(o.latencyMs.p99, 400);
    near(o.latencyMs.p50, 200);
  });

  it('timeseries, breakdowns and model shares count the users’ requests; cost series keep every dollar', async () => {
    const reqs = await api<TimeseriesAnswer>(`timeseries?${RANGE}&metric=requests&bucket=hour`);
    expect(reqs.series).toEqual([{ key: 'all', points: [[T0, 3], [T0 + H, 1]] }]);
    const errors = await api<TimeseriesAnswer>(`timeseries?${RANGE}&metric=error_rate&bucket=hour`);
    expect(errors.series[0]!.points).toEqual([[T0, 0], [T0 + H, 0]]);
    const cost = await api<TimeseriesAnswer>(`timeseries?${RANGE}&metric=cost_usd&bucket=day`);
    expect(cost.series[0]!.points[0]![1]).toBeCloseTo(USER_USD + OWN_USD, 12);
    const byModel = await api<BreakdownAnswer>(`breakdown?${RANGE}&groupBy=model`);
    const rows = Object.fromEntries(byModel.rows.map((r) => [r.key, r]));
    expect(rows['gpt-4o-mini']!.requests).toBe(4);
    expect(rows['claude-3-5-haiku']!.requests).toBe(0);
    expect(rows['claude-3-5-haiku']!.ownRequests).toBe(3);
    expect(rows['claude-3-5-haiku']!.costUsd).toBeCloseTo(0.06, 12);
    expect(rows['gpt-4o']!.costUsd).toBeCloseTo(0.25, 12);
    const byKey = await api<BreakdownAnswer>(`breakdown?${RANGE}&groupBy=key`);
    const judge = byKey.rows.find((r) => r.key === QUALITY_KEY_ID)!;
    expect([judge.requests, judge.ownRequests, judge.errors]).toEqual([0, 4, 0]);
    const m = await api<ModelsAnswer>(`models?${RANGE}&bucket=day`);
    expect(m.share.map((s) => [s.key, s.points[0]![1]])).toEqual([['gpt-4o-mini', 1]]);
    expect(m.flows.map((f) => [f.route, f.model, f.requests])).toEqual([['support', 'gpt-4o-mini', 4]]);
  });

  it('hidden costs show the own calls with their dollars; the waterfall ends at the whole spend', async () => {
    const hc = await api<HiddenCostsAnswer>(`hidden-costs?${RANGE}`);
    const ownRow = hc.rows.find((r) => r.ownCallsUsdByPurpose.judge !== undefined)!;
    expect(ownRow.ownCallsUsdByPurpose.judge).toBeCloseTo(0.06, 12);
    expect(ownRow.ownCallsUsdByPurpose.shadow).toBeCloseTo(0.25, 12);
    expect(ownRow.requests).toBe(0);
    expect(hc.rows.find((r) => r.route === 'support')!.requests).toBe(4);
    const w = await api<WaterfallAnswer>(`waterfall?${RANGE}`);
    expect(w.actualUsd).toBeCloseTo(USER_USD + OWN_USD, 12);
  });

  it('the memory rollup store agrees', async () => {
    const rollups = new MemoryRollupStore();
    rollups.add([...USERS, ...OWN].sort((a, b) => a.receivedAt - b.receivedAt));
    const src = { rollups, ledger: { query: () => ({ records: [], position: { segment: 0, offset: 0, corrupt: 0 } }) } as never, now: () => T0 + 2 * H };
    const o = await Q.overview(src, { from: T0, to: T0 + 2 * H });
    expect([o.requests, o.ownRequests, o.errorRate]).toEqual([4, 4, 0]);
    expect(o.costUsd).toBeCloseTo(USER_USD + OWN_USD, 12);
  });
});

describe("tollgate report --json leaves the gateway's own calls out of the users' traffic", () => {
  it('requests, error rate and model distribution are the users’; spend and hidden costs include the own calls', async () => {
    let out = '';
    let err = '';
    const code = await runReportCommand(
      { since: new Date(T0).toISOString(), until: new Date(T0 + 2 * H).toISOString(), json: true, dataDir },
      { out: (s: string) => void (out += s), err: (s: string) => void (err += s), progress: false },
      {},
    );
    expect(code, err).toBe(0);
    const r = JSON.parse(out) as ReportData;
    expect(r.overview.requests).toBe(4);
    expect(r.overview.errorRate).toBe(0);
    expect(r.overview.costUsd).toBeCloseTo(USER_USD + OWN_USD, 12);
    expect(r.byRoute.rows.find((x) => x.key === 'support')!.requests).toBe(4);
    expect(r.models.flows.map((f) => f.requests)).toEqual([4]);
    const judged = r.hiddenCosts.rows.find((x) => x.ownCallsUsdByPurpose.judge !== undefined)!;
    expect(judged.ownCallsUsdByPurpose.judge).toBeCloseTo(0.06, 12);
    expect(r.waterfall.actualUsd).toBeCloseTo(USER_USD + OWN_USD, 12);
  });
});
