// An alert action through the gateway: a rule on a route's spend fires, its action sets a flag, and
// the next request obeys it; the notice reaches the webhook signed; the rule's history and state
// are on the admin API.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HARNESS_ADMIN_KEY, startHarness, type Harness } from '../gateway/helpers.js';

let hook: Server;
const notices: { body: string; sig?: string }[] = [];
let h: Harness;

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      notices.push({ body, sig: req.headers['x-tollgate-signature'] as string | undefined });
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
  h = await startHarness(
    {
      alerts: {
        intervalSeconds: 3600, // evaluated on demand below
        channels: [{ name: 'ops', type: 'webhook', url: hookUrl, secret: 'hook-secret' }],
        rules: [
          {
            name: 'auto-spend',
            metric: 'spend_usd',
            threshold: 0,
            window: '1h',
            scope: { route: 'auto' },
            action: { setFlag: { name: 'auto-cheap-only', target: 'auto', overlay: { maxTier: 'cheap' } } },
          },
        ],
      },
    },
    {},
    { levers: true },
  );
});
afterAll(async () => {
  await h?.close();
  await new Promise<void>((r) => hook.close(() => r()));
});

const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${h.gw.url}${path}`, { method, headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

it('a firing rule flips a flag and the next request obeys it', { timeout: 60_000 }, async () => {
  const ai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo-client', maxRetries: 0 });
  await admin('PUT', '/admin/flags', { name: 'auto-strong', value: true, target: 'auto', overlay: { tier: 'strong' }, reason: 'the test starts on the strong tier' });
  const first = await ai.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Derive the Euler-Lagrange equations from the principle of stationary action.' }], max_tokens: 20 });
  expect(['gpt-4o', 'claude-sonnet-4']).toContain(first.model);

  // the record reaches the rollups once the ingester has committed it
  await h.gw.ledger.flush();
  let states: { rule: string; state: string; lastValue: number | null }[] = [];
  for (let i = 0; i < 50; i++) {
    states = ((await (await admin('POST', '/admin/alerts/evaluate')).json()) as { states: typeof states }).states;
    if (states[0]?.state === 'firing') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(states[0]).toMatchObject({ rule: 'auto-spend', state: 'firing' });
  expect(states[0]!.lastValue!).toBeGreaterThan(0);

  const notice = notices.find((n) => JSON.parse(n.body).rule === 'auto-spend')!;
  expect(JSON.parse(notice.body)).toMatchObject({ rule: 'auto-spend', state: 'firing', threshold: 0, metric: 'spend_usd' });
  expect(notice.sig).toBe('sha256=' + createHmac('sha256', 'hook-secret').update(notice.body).digest('hex'));

  const flags = (await (await admin('GET', '/admin/flags')).json()) as { flags: { name: string; updatedBy: string; reason: string }[] };
  expect(flags.flags.find((f) => f.name === 'auto-cheap-only')).toMatchObject({ updatedBy: 'alert:auto-spend', reason: expect.stringMatching(/^alert auto-spend fired: spend_usd/) });

  const next = await ai.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Prove the spectral theorem for real symmetric matrices.' }], max_tokens: 20 });
  expect(['gpt-4o-mini', 'claude-3-5-haiku']).toContain(next.model);

  const hist = (await (await admin('GET', '/admin/alerts/history?rule=auto-spend')).json()) as { events: { state: string; delivered: string[] }[] };
  expect(hist.events).toEqual([expect.objectContaining({ state: 'firing', delivered: ['ops'] })]);
  // rules can be added through the admin API too, checked like the config's
  expect((await admin('PUT', '/admin/alerts/rules', { name: 'p95', metric: 'p95_latency_ms', threshold: 5000, window: '5m', channels: ['ops'] })).status).toBe(200);
  expect((await admin('PUT', '/admin/alerts/rules', { name: 'bad', metric: 'p95_latency_ms', threshold: 5000, channels: ['pager'] })).status).toBe(400);
  expect(((await (await admin('GET', '/admin/alerts')).json()) as { rules: { name: string }[] }).rules.map((r) => r.name)).toEqual(['auto-spend', 'p95']);
  expect((await admin('DELETE', '/admin/alerts/rules?name=p95')).status).toBe(200);
});
