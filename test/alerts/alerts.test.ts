// Alerts (issue 9): every rule kind fires against a seeded ledger (folded into real rollups) and
// its notice, signed, reaches a local webhook; a rule that stops holding sends one resolved notice;
// nothing is sent twice; a Slack channel gets a Slack body.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Alerts } from '../../src/alerts/alerts.js';
import { alertsConfigSchema } from '../../src/alerts/config.js';
import { robustZ } from '../../src/alerts/evaluate.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { MemoryAlertStore } from '../../src/stores/memory/alert-store.js';
import { MemoryRollupStore } from '../../src/stores/memory/rollup-store.js';

const NOW = Date.UTC(2026, 11, 10, 12, 0, 30); // the 10th of a 31-day month
const MIN = 60_000;

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: Record<string, unknown>;
}

let server: Server;
let url = '';
const received: Received[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body, json: JSON.parse(body) });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let n = 0;
function rec(over: Partial<RequestRecord> & { at?: number } = {}): RequestRecord {
  const at = over.at ?? NOW - 2 * MIN;
  const { at: _ignored, ...rest } = over;
  return {
    requestId: `r${n++}`,
    endpoint: '/v1/chat/completions',
    apiFormat: 'openai',
    requestedModel: 'gpt-4o-mini',
    model: 'gpt-4o-mini',
    provider: 'openai',
    route: 'support',
    team: 'search',
    keyId: 'k1',
    stream: false,
    receivedAt: at,
    completedAt: at + 500,
    latencyMs: 500,
    overheadMs: 1,
    usage: { input: 100, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 50, reasoning: 0 },
    costUsd: 0.001,
    trail: [],
    status: 'ok',
    httpStatus: 200,
    ...rest,
  } as RequestRecord;
}

async function setup(rules: unknown[], records: RequestRecord[], channels?: unknown[]) {
  const config = alertsConfigSchema.parse({ channels: channels ?? [{ name: 'hook', type: 'webhook', url: `${url}/hook`, secret: 's3cret' }], rules });
  const rollups = new MemoryRollupStore();
  rollups.add(records);
  let now = NOW;
  const alerts = await Alerts.open({ config, store: new MemoryAlertStore(), rollups, dashboardUrl: () => 'http://gw.example:8787', now: () => now });
  for (const r of records) alerts.observe(r);
  return { alerts, rollups, setNow: (t: number) => (now = t) };
}

const fired = (rule: string) => received.filter((r) => r.json.rule === rule);

describe('alert rules over the rollups', () => {
  it('each metric fires once, with a notice signed with the channel secret, and a link to the dashboard view', async () => {
    received.length = 0;
    const records: RequestRecord[] = [];
    for (let i = 0; i < 40; i++) records.push(rec({ costUsd: 0.01, latencyMs: i < 30 ? 400 : 9_000, cacheStatus: i < 36 ? 'miss' : 'hit', status: i < 8 ? 'error' : 'ok', model: i < 30 ? 'gpt-4o' : 'gpt-4o-mini', session: `s${i % 4}`, user: i % 2 ? 'ana' : 'bo' }));
    records.push(rec({ session: 'whale', user: 'ana', costUsd: 2.5 }));
    const rules = [
      { name: 'spend', metric: 'spend_usd', threshold: 1, window: '5m' },
      { name: 'per-request', metric: 'cost_per_request_usd', threshold: 0.02, window: '5m', scope: { route: 'support' } },
      { name: 'per-session', metric: 'cost_per_session_usd', threshold: 1, window: '1h' },
      { name: 'ana-spend', metric: 'spend_usd', threshold: 2, window: '1h', scope: { user: 'ana' } },
      { name: 'hit-rate', metric: 'cache_hit_rate', threshold: 0.5, window: '5m' },
      { name: 'expensive', metric: 'expensive_model_share', threshold: 0.5, window: '5m', models: ['gpt-4o'] },
      { name: 'errors', metric: 'error_rate', threshold: 0.1, window: '5m' },
      { name: 'p95', metric: 'p95_latency_ms', threshold: 2000, window: '5m', scope: { team: 'search' } },
      { name: 'quiet', metric: 'spend_usd', threshold: 1, window: '5m', scope: { team: 'nobody' } },
    ];
    const { alerts } = await setup(rules, records);
    await alerts.evaluate();
    for (const r of rules.filter((x) => x.name !== 'quiet')) expect(fired(r.name).map((x) => x.json.state), r.name).toEqual(['firing']);
    expect(fired('quiet')).toEqual([]);
    const spend = fired('spend')[0]!;
    expect(spend.json).toMatchObject({ rule: 'spend', state: 'firing', threshold: 1, metric: 'spend_usd', window: '5m' });
    expect(spend.json.value).toBeCloseTo(40 * 0.01 + 2.5, 9);
    expect(spend.headers['x-tollgate-signature']).toBe('sha256=' + createHmac('sha256', 's3cret').update(spend.body).digest('hex'));
    expect(fired('per-session')[0]!.json).toMatchObject({ value: 2.5, detail: { session: 'whale', user: 'ana' } });
    expect(fired('ana-spend')[0]!.json.value).toBeCloseTo(20 * 0.01 + 2.5, 9);
    expect(fired('hit-rate')[0]!.json).toMatchObject({ value: 0.1, direction: 'below' });
    expect(fired('expensive')[0]!.json.value).toBeCloseTo(30 / 41, 9);
    expect(fired('errors')[0]!.json.value).toBeCloseTo(8 / 41, 9);
    expect(fired('p95')[0]!.json.value as number).toBeGreaterThan(8_000);
    expect(fired('p95')[0]!.json.link).toBe('http://gw.example:8787/dashboard#/latency?team=search&range=5m');
    // a second pass with nothing new: no second notice
    await alerts.evaluate();
    expect(received.filter((r) => r.json.state === 'firing')).toHaveLength(rules.length - 1);
    expect((await alerts.adminRoutes().find((r) => r.path === '/admin/alerts/history')!.handler(undefined, new URLSearchParams('limit=50'), undefined as never)).body).toMatchObject({ events: expect.arrayContaining([expect.objectContaining({ rule: 'spend', state: 'firing', delivered: ['hook'] })]) });
  });

  it('resolves once the metric is back within its threshold, with one resolved notice', async () => {
    received.length = 0;
    const { alerts, rollups, setNow } = await setup([{ name: 'errors', metric: 'error_rate', threshold: 0.2, window: '5m', minRequests: 5 }], Array.from({ length: 10 }, (_, i) => rec({ status: i < 5 ? 'error' : 'ok' })));
    await alerts.evaluate();
    expect(fired('errors').map((r) => r.json.state)).toEqual(['firing']);
    // ten minutes on, the window holds only healthy traffic
    rollups.add(Array.from({ length: 20 }, () => rec({ at: NOW + 9 * MIN })));
    setNow(NOW + 10 * MIN);
    await alerts.evaluate();
    await alerts.evaluate();
    expect(fired('errors').map((r) => r.json.state)).toEqual(['firing', 'resolved']);
    // with no traffic at all there is nothing to judge: no notice either way
    setNow(NOW + 60 * MIN);
    await alerts.evaluate();
    expect(fired('errors')).toHaveLength(2);
  });

  it('a token spike is judged against the trailing windows robustly (median and MAD), not a fixed number', async () => {
    received.length = 0;
    const records: RequestRecord[] = [];
    const end = Math.floor(NOW / (5 * MIN)) * 5 * MIN;
    // twelve ordinary 5-minute windows (one with a past burst), then a window with 10x the tokens
    for (let w = 12; w >= 1; w--) {
      const k = w === 7 ? 30 : 3;
      for (let i = 0; i < k; i++) records.push(rec({ at: end - w * 5 * MIN - 4 * MIN + i * 1000 }));
    }
    for (let i = 0; i < 30; i++) records.push(rec({ at: end - 4 * MIN + i * 1000 }));
    const { alerts } = await setup([{ name: 'spike', metric: 'tokens', threshold: 6, window: '5m', spike: { trailing: 12 } }], records);
    await alerts.evaluate();
    const [n] = fired('spike');
    expect(n!.json).toMatchObject({ state: 'firing', detail: { current: 30 * 150, trailingMedian: 3 * 150, windows: 12 } });
    expect(robustZ(3 * 150, [450, 450, 450, 4500]).z).toBeLessThan(1); // the one past burst does not set the bar
  });

  it('a burn-rate rule projects the month at the window’s pace and says the day the budget runs out', async () => {
    received.length = 0;
    // $100 spent this month so far (on the 2nd), and $1 in the last hour: $24 a day
    const records = [rec({ at: Date.UTC(2026, 11, 2), costUsd: 99 }), rec({ at: NOW - 30 * MIN, costUsd: 1 })];
    const { alerts } = await setup([{ name: 'burn', metric: 'spend_usd', burnRate: true, threshold: 400, window: '1h' }], records, [{ name: 'slack', type: 'slack', url: `${url}/slack` }]);
    await alerts.evaluate();
    const [n] = fired('burn');
    // 100 + 24/day × 21.5 days left ≈ 616 > 400; (400 - 100) / 24 = 12.5 days from the 10th at noon → the 23rd
    expect(n!.json.value as number).toBeCloseTo(100 + 24 * ((Date.UTC(2027, 0, 1) - NOW) / 86_400_000), 6);
    expect(n!.json.detail).toMatchObject({ monthToDateUsd: 100, budgetRunsOutOn: '2026-12-23' });
    expect(n!.json.text).toMatch(/FIRING burn: spend_usd .* > 400 over 1h; at this pace the budget runs out on 2026-12-23/);
    expect(n!.headers['x-tollgate-signature']).toBeUndefined(); // no secret, no signature
  });

  it('refuses rules the config cannot mean (exit-2 config errors)', () => {
    const bad = (rules: unknown[], channels: unknown[] = []) => alertsConfigSchema.safeParse({ channels, rules }).success;
    expect(bad([{ name: 'x', metric: 'expensive_model_share', threshold: 0.5 }])).toBe(false);
    expect(bad([{ name: 'x', metric: 'latency', threshold: 1 }])).toBe(false);
    expect(bad([{ name: 'x', metric: 'spend_usd', threshold: 1, window: '5 minutes' }])).toBe(false);
    expect(bad([{ name: 'x', metric: 'spend_usd', threshold: 1, channels: ['nope'] }])).toBe(false);
    expect(bad([{ name: 'x', metric: 'error_rate', threshold: 1, scope: { user: 'ana' } }])).toBe(false);
    expect(bad([{ name: 'x', metric: 'spend_usd', threshold: 1, window: '2d', scope: { user: 'ana' } }])).toBe(false);
    expect(bad([{ name: 'x', metric: 'spend_usd', threshold: 1 }, { name: 'x', metric: 'tokens', threshold: 1 }])).toBe(false);
    expect(bad([{ name: 'x', metric: 'spend_usd', threshold: 1, channels: ['a'] }], [{ name: 'a', type: 'webhook', url: 'http://127.0.0.1:1/x' }])).toBe(true);
  });
});
