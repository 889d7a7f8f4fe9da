// Virtual keys: only configured keys get in (by their hash); the ledger attributes each request to
// the key's team and user and never stores the key; a key's role decides what else it may call.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hashKey } from '../../src/server/auth.js';
import { readLedger } from '../../src/ledger/read.js';
import { HARNESS_ADMIN_KEY, startHarness, type Harness } from './helpers.js';

const KEY = 'tg_test_key_do_not_log_123';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ auth: { mode: 'keys', keys: [{ id: 'key-alice', sha256: hashKey(KEY), team: 'support', user: 'alice' }] } });
});
afterAll(async () => {
  await h?.close();
});

it('rejects unknown keys in each wire format and admits the configured one', async () => {
  const bad = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
  await expect(bad.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 401 });
  const badA = new Anthropic({ baseURL: h.gw.url, apiKey: 'wrong', maxRetries: 0 });
  await expect(badA.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);

  const good = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
  const { response } = await good.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
  const goodA = new Anthropic({ baseURL: h.gw.url, apiKey: KEY, maxRetries: 0 });
  await goodA.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] });

  await h.gw.ledger.flush();
  const rec = readLedger(h.dataDir, { last: 10 }).find((r) => r.requestId === response.headers.get('x-tollgate-request-id'));
  expect(rec).toMatchObject({ keyId: 'key-alice', team: 'support', user: 'alice', status: 'ok' });
  // the key itself is nowhere in the data directory
  const files = readdirSync(join(h.dataDir, 'ledger')).map((f) => join(h.dataDir, 'ledger', f));
  for (const f of [...files, join(h.dataDir, 'ledger.db')]) {
    try {
      expect(readFileSync(f).includes(KEY)).toBe(false);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
    }
  }
});

// Roles: a client key calls the model endpoints only; an admin key may also call /admin/* and
// /metrics; an admin key with a team is a tenant admin, kept to routes that scope by tenant.
describe('roles on keys', () => {
  const CLIENT_A = 'tg_client_team_a';
  const ADMIN_A = 'tg_admin_team_a';
  const OPS = 'tg_ops_all_tenants';
  let r: Harness;
  const admin = (path: string, key?: string, init: RequestInit = {}) =>
    fetch(`${r.gw.url}${path}`, { ...init, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.headers as Record<string, string> | undefined) } });

  beforeAll(async () => {
    r = await startHarness({
      // publicMetrics off, as a config file without it says (the demo's own config opens /metrics)
      server: { host: '127.0.0.1', port: 0, adminBodyLimitBytes: 1024 },
      auth: {
        mode: 'keys',
        keys: [
          { id: 'client-a', sha256: hashKey(CLIENT_A), team: 'team-a' },
          { id: 'admin-a', sha256: hashKey(ADMIN_A), team: 'team-a', role: 'admin' },
          { id: 'ops', sha256: hashKey(OPS), role: 'admin' },
        ],
      },
      cache: { eligible: { maxTemperature: 0 } },
    });
  });
  afterAll(async () => {
    await r?.close();
  });

  it('a client key gets an OpenAI-shaped 403 on every admin route and on /metrics; no key gets 401', async () => {
    for (const [method, path] of [
      ['GET', '/admin/cache/stats'],
      ['POST', '/admin/cache/purge'],
      ['GET', '/admin/upstreams'],
      ['GET', '/admin/no-such-route'],
      ['GET', '/metrics'],
    ] as const) {
      const res = await admin(path, CLIENT_A, { method, ...(method === 'POST' ? { body: '{"all":true}' } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'forbidden' } });
      const anon = await admin(path, undefined, { method });
      expect(anon.status, `${method} ${path} without a key`).toBe(401);
      expect(await anon.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });

  it('an admin key with no team reads /metrics and every admin route', async () => {
    const m = await admin('/metrics', OPS);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await m.text();
    expect(text).toContain('tollgate_');
    // the process's own figures, the event loop's delay among them (a frozen loop shows here)
    expect(text).toMatch(/^tollgate_event_loop_delay_max_seconds [0-9.e+-]+$/m);
    expect(text).toMatch(/^tollgate_process_resident_memory_bytes \d+/m);
    expect((await admin('/admin/upstreams', OPS)).status).toBe(200);
    const stats = await admin('/admin/cache/stats', OPS);
    expect(stats.status).toBe(200);
    expect(await stats.json()).toMatchObject({ entries: expect.any(Number), routes: expect.any(Object) });
  });

  it('a tenant admin is kept off figures that cover every tenant (/metrics, /admin/upstreams)', async () => {
    for (const path of ['/metrics', '/admin/upstreams']) {
      const res = await admin(path, ADMIN_A);
      expect(res.status, path).toBe(403);
      const body = (await res.json()) as { error: { message: string; code: string } };
      expect(body.error.code).toBe('forbidden');
      expect(body.error.message).toMatch(/every tenant/);
    }
    expect((await admin('/admin/cache/stats', ADMIN_A)).status).toBe(200);
  });

  it('the admin router: 404 for unknown routes, 405 with Allow, 413 past its body limit, 400 for bad JSON and bad fields', async () => {
    const unknown = await admin('/admin/no-such-route', OPS);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
    const wrongMethod = await admin('/admin/cache/purge', OPS);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const big = await admin('/admin/cache/purge', OPS, { method: 'POST', body: JSON.stringify({ tags: ['x'.repeat(2000)] }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'body_too_large' } });
    const notJson = await admin('/admin/cache/purge', OPS, { method: 'POST', body: '{"all":' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { code: 'invalid_json' } });
    const badField = await admin('/admin/cache/purge', OPS, { method: 'POST', body: '{"tags":"docs"}' });
    expect(badField.status).toBe(400);
    expect(await badField.json()).toMatchObject({ error: { code: 'invalid_request', param: 'tags' } });
    const empty = await admin('/admin/cache/purge', OPS, { method: 'POST', body: '{}' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { message: string } }).error.message).toMatch(/purge needs/);
  });

  it('/v1/models needs a valid key, in each SDK', async () => {
    await expect(new OpenAI({ baseURL: `${r.gw.url}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(new Anthropic({ baseURL: r.gw.url, apiKey: 'wrong', maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    const ids: string[] = [];
    for await (const m of new OpenAI({ baseURL: `${r.gw.url}/v1`, apiKey: CLIENT_A, maxRetries: 0 }).models.list()) ids.push(m.id);
    expect(ids).toContain('gpt-4o-mini');
    const aIds: string[] = [];
    for await (const m of new Anthropic({ baseURL: r.gw.url, apiKey: CLIENT_A, maxRetries: 0 }).models.list()) aIds.push(m.id);
    expect(aIds).toContain('claude-3-5-haiku');
  });

  it('an admin key also calls the model endpoints', async () => {
    const ai = new OpenAI({ baseURL: `${r.gw.url}/v1`, apiKey: OPS, maxRetries: 0 });
    const c = await ai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.choices[0]!.message.content).toBeTruthy();
  });
});

describe('server.publicMetrics: true', () => {
  let p: Harness;
  beforeAll(async () => {
    p = await startHarness({
      server: { host: '127.0.0.1', port: 0, publicMetrics: true },
      auth: { mode: 'keys', keys: [{ id: 'client', sha256: hashKey('tg_some_client'), role: 'client' }] },
    });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('opens /metrics to anyone, and only /metrics', async () => {
    expect((await fetch(`${p.gw.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${p.gw.url}/metrics`, { headers: { authorization: 'Bearer tg_some_client' } })).status).toBe(200);
    expect((await fetch(`${p.gw.url}/admin/upstreams`, { headers: { authorization: 'Bearer tg_some_client' } })).status).toBe(403);
  });
});

describe('demo auth mode', () => {
  // the harness runs the demo's config, whose admin key is HARNESS_ADMIN_KEY
  let d: Harness;
  beforeAll(async () => {
    d = await startHarness();
  });
  afterAll(async () => {
    await d?.close();
  });

  it('any key, or none, is a client; the configured admin key is the admin', async () => {
    const anyKey = new OpenAI({ baseURL: `${d.gw.url}/v1`, apiKey: 'anything', maxRetries: 0 });
    expect((await anyKey.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).choices).toHaveLength(1);
    expect((await fetch(`${d.gw.url}/admin/upstreams`, { headers: { authorization: 'Bearer anything' } })).status).toBe(403);
    expect((await fetch(`${d.gw.url}/admin/upstreams`)).status).toBe(403);
    expect((await fetch(`${d.gw.url}/admin/upstreams`, { headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}` } })).status).toBe(200);
    expect((await fetch(`${d.gw.url}/admin/upstreams`, { headers: { 'x-api-key': HARNESS_ADMIN_KEY } })).status).toBe(200);
    // the demo opens /metrics (a browser tab cannot send a key)
    expect((await fetch(`${d.gw.url}/metrics`)).status).toBe(200);
  });
});
