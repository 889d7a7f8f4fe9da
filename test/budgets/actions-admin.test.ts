// What happens at the thresholds (a signed webhook once per threshold per period; a downgrade to
// the route's cheaper tier, in the decision trail), the admin API (/admin/budgets: views with burn
// rate and forecast, set at run time, tenant admins limited to their team), and config mistakes
// that stop start-up.

import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../src/config/load.js';
import { AUTH, KEYS, admin, chatRaw, records, startBudgetHarness, type Harness } from './helpers.js';

let h: Harness;
let hook: Server;
const received: { body: string; signature: string | undefined }[] = [];
const SECRET = 'whsec_test_budget_hooks';

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ body, signature: req.headers['x-tollgate-signature'] as string | undefined });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  process.env.TG_TEST_HOOK_SECRET = SECRET;
  h = await startBudgetHarness({
    routes: { smart: { tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }, { name: 'strong', models: ['gpt-4o'] }], defaultTier: 'strong' } },
    budgets: [
      { scope: 'team', id: 'b', period: 'day', limitUsd: 0.02, thresholds: [0.25, 0.5], action: 'reject' },
      { scope: 'route', id: 'smart', period: 'month', limitUsd: 0.05, action: 'downgrade', downgradeAt: 0.5 },
    ],
    spend: { webhook: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, secretEnv: 'TG_TEST_HOOK_SECRET' } },
  });
});
afterAll(async () => {
  await h?.close();
  await new Promise((r) => hook.close(r));
  delete process.env.TG_TEST_HOOK_SECRET;
});

const events = () => received.map((r) => JSON.parse(r.body) as { type: string; threshold: number; scope: string; id: string; spentUsd: number });

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('notify', () => {
  it('posts each threshold once per period, signed with HMAC-SHA256 of the body, and the refusal once', async () => {
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      const res = await chatRaw(h, KEYS.beta, { model: 'gpt-4o', max_tokens: 200 }, { 'x-sim-output-tokens': '200' });
      status = res.status;
      await res.arrayBuffer();
    }
    expect(status).toBe(429);
    for (let i = 0; i < 3; i++) expect((await chatRaw(h, KEYS.beta, { model: 'gpt-4o', max_tokens: 200 })).status).toBe(429);
    await waitFor(() => events().filter((e) => e.id === 'b').length >= 3);
    const mine = events().filter((e) => e.id === 'b');
    expect(mine.map((e) => `${e.type}@${e.threshold}`)).toEqual(['budget.threshold@0.25', 'budget.threshold@0.5', 'budget.exceeded@1']);
    expect(mine[0]!.spentUsd).toBeGreaterThanOrEqual(0.005);
    for (const r of received) expect(r.signature).toBe(`sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`);
  });
});

describe('downgrade', () => {
  it('from downgradeAt on, the route goes to its cheaper tier, said in the trail; at the limit it still refuses', async () => {
    const first = await chatRaw(h, KEYS.alpha, { model: 'smart', max_tokens: 400 }, { 'x-sim-output-tokens': '400' });
    expect(first.status).toBe(200);
    const firstRec = (await records(h)).find((r) => r.requestId === first.headers.get('x-tollgate-request-id'))!;
    expect(firstRec.model).toBe('gpt-4o');
    let downgraded;
    for (let i = 0; i < 100 && !downgraded; i++) {
      const res = await chatRaw(h, KEYS.alpha, { model: 'smart', max_tokens: 400 }, { 'x-sim-output-tokens': '400' });
      expect(res.status).toBe(200);
      const rec = (await records(h)).find((r) => r.requestId === res.headers.get('x-tollgate-request-id'))!;
      if (rec.model === 'gpt-4o-mini') downgraded = rec;
    }
    expect(downgraded).toBeDefined();
    const entry = downgraded!.trail.find((t) => t.stage === 'budget');
    expect(entry).toMatchObject({ decision: 'downgrade', data: { scope: 'route', id: 'smart', from: 'sim-openai/gpt-4o', to: 'sim-openai/gpt-4o-mini' } });
    const view = (await admin(h, 'GET', '/admin/budgets')).body.budgets.find((b: { id: string }) => b.id === 'smart');
    expect(view.used).toBeGreaterThanOrEqual(0.5);
  });
});

describe('/admin/budgets', () => {
  it('lists each budget with spent, remaining, burn rate and forecast; a budget set at run time applies at once', async () => {
    const list = (await admin(h, 'GET', '/admin/budgets')).body.budgets as any[];
    const b = list.find((x) => x.scope === 'team' && x.id === 'b');
    expect(b).toMatchObject({ period: 'day', limitUsd: 0.02, action: 'reject', thresholds: [0.25, 0.5], timeZone: 'UTC', source: 'config' });
    expect(b.spentUsd + b.remainingUsd).toBeCloseTo(0.02, 9);
    expect(b.burnRateUsdPerDay).toBeGreaterThan(0);
    expect(Date.parse(b.resetsAt)).toBeGreaterThan(Date.now());
    expect(typeof b.exhaustsBeforeReset).toBe('boolean');

    const set = await admin(h, 'PUT', '/admin/budgets', { scope: 'key', id: 'alpha2', period: 'day', limitUsd: 0.0000001 });
    expect(set.status).toBe(200);
    expect(set.body.budget).toMatchObject({ scope: 'key', id: 'alpha2', source: 'store', spentUsd: 0 });
    const res = await chatRaw(h, KEYS.alpha2, { model: 'gpt-4o-mini', max_tokens: 10 });
    expect(res.status).toBe(429);
    expect((await res.json()).error.budget).toMatchObject({ scope: 'key', id: 'alpha2', period: 'day' });

    // a run-time budget survives a restart; DELETE removes it
    await h.restart();
    expect((await admin(h, 'GET', '/admin/budgets')).body.budgets.some((x: any) => x.id === 'alpha2' && x.source === 'store')).toBe(true);
    expect((await admin(h, 'DELETE', '/admin/budgets?scope=key&id=alpha2&period=day')).status).toBe(200);
    expect((await chatRaw(h, KEYS.alpha2, { model: 'gpt-4o-mini', max_tokens: 10 })).status).toBe(200);
    expect((await admin(h, 'DELETE', '/admin/budgets?scope=team&id=b&period=day')).status).toBe(400); // in the file
  });

  it('refuses bad budgets with a 400 naming the field, never a 500', async () => {
    const bad = [
      { scope: 'key', id: 'nobody', period: 'day', limitUsd: 1 },
      { scope: 'team', id: 'a', period: 'week', limitUsd: 1 },
      { scope: 'team', id: 'a', period: 'day', limitUsd: -1 },
      { scope: 'team', id: 'a', period: 'day', limitUsd: 1, action: 'downgrade' },
      { scope: 'team', id: 'a', period: 'day', limitUsd: 1, timeZone: 'Mars/Olympus' },
      'not an object',
    ];
    for (const body of bad) {
      const r = await admin(h, 'PUT', '/admin/budgets', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(/^Invalid budget: /);
    }
  });

  it('a tenant admin sees and sets only its own team and keys', async () => {
    const mine = (await admin(h, 'GET', '/admin/budgets', undefined, KEYS.tenantAdminA)).body.budgets as any[];
    expect(mine.every((b) => (b.scope === 'team' && b.id === 'a') || (b.scope === 'key' && ['alpha', 'alpha2', 'tenant-admin-a'].includes(b.id)))).toBe(true);
    expect(mine.some((b) => b.id === 'b' || b.id === 'smart')).toBe(false);
    expect((await admin(h, 'PUT', '/admin/budgets', { scope: 'team', id: 'b', period: 'month', limitUsd: 1000 }, KEYS.tenantAdminA)).status).toBe(403);
    expect((await admin(h, 'PUT', '/admin/budgets', { scope: 'team', id: 'a', period: 'month', limitUsd: 3 }, KEYS.tenantAdminA)).status).toBe(200);
    expect((await admin(h, 'GET', '/admin/budgets', undefined, KEYS.tenantAdminA)).body.budgets.map((b: any) => `${b.scope}/${b.id}/${b.period}`)).toEqual(['team/a/month']);
    // a client key is no admin
    expect((await admin(h, 'GET', '/admin/budgets', undefined, KEYS.alpha)).status).toBe(403);
  });
});

describe('config mistakes stop start-up (the CLI exits 2 on a ConfigError)', () => {
  const base = { providers: [{ name: 'p', kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' }], models: [{ name: 'm', provider: 'p' }, { name: 'm2', provider: 'p' }], auth: AUTH, dataDir: '/tmp/tollgate-budget-config' };
  const problem = (extra: Record<string, unknown>): string => {
    try {
      resolveConfig({ ...base, ...extra }, '(test)', {});
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('no ConfigError');
  };
  it('names the field of each mistake', () => {
    expect(problem({ budgets: [{ scope: 'key', id: 'ghost', period: 'day', limitUsd: 1 }] })).toMatch(/budgets\[0\]\.id: unknown key id 'ghost'/);
    expect(problem({ budgets: [{ scope: 'route', id: 'nope', period: 'day', limitUsd: 1 }] })).toMatch(/budgets\[0\]\.id: unknown route 'nope'/);
    expect(problem({ budgets: [{ scope: 'team', id: 'a', period: 'day', limitUsd: 1, action: 'downgrade' }] })).toMatch(/budgets\[0\]\.action: a downgrade needs a cheaper model/);
    expect(problem({ routes: { r: { tiers: [{ name: 'only', models: ['m'] }] } }, budgets: [{ scope: 'route', id: 'r', period: 'day', limitUsd: 1, action: 'downgrade' }] })).toMatch(/route 'r' has one tier/);
    expect(problem({ budgets: [{ scope: 'team', id: 'a', period: 'day', limitUsd: 1, action: 'downgrade', downgradeTo: 'gpt-9' }] })).toMatch(/budgets\[0\]\.downgradeTo: unknown model 'gpt-9'/);
    expect(problem({ budgets: [{ scope: 'team', id: 'a', period: 'week', limitUsd: 1 }] })).toMatch(/budgets\[0\]\.period/);
    expect(problem({ budgets: [{ scope: 'team', id: 'a', period: 'day', limitUsd: 0 }] })).toMatch(/budgets\[0\]\.limitUsd/);
    expect(problem({ budgets: [{ scope: 'team', id: 'a', period: 'day', limitUsd: 1, timeZone: 'Mars/Olympus' }] })).toMatch(/budgets\[0\]\.timeZone: unknown time zone/);
    expect(problem({ budgets: [{ scope: 'team', id: 'a', period: 'day', limitUsd: 1 }, { scope: 'team', id: 'a', period: 'day', limitUsd: 2 }] })).toMatch(/budgets\[1\]: a second day budget/);
    expect(problem({ budgets: [{ scope: 'team', id: 'a', period: 'day', limit_usd: 1 }] })).toMatch(/limitUsd|limit_usd/);
    expect(problem({ rateLimits: [{ scope: 'key', id: 'ghost', rpm: 5 }] })).toMatch(/rateLimits\[0\]\.id: unknown key id 'ghost'/);
    expect(problem({ rateLimits: [{ scope: 'team', id: 'a' }] })).toMatch(/rateLimits\[0\].*needs rpm, tpm or both/);
    expect(problem({ rateLimits: [{ scope: 'user', id: 'ana', rpm: 1 }] })).toMatch(/rateLimits\[0\]\.scope/);
    expect(problem({ spend: { timeZone: 'Nowhere/Land' } })).toMatch(/spend\.timeZone: unknown time zone/);
  });
});
