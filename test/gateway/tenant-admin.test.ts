// Tenant admins (issue 13, finding 5): before, any tenant's key purged every tenant's cache and read
// every tenant's figures. Now a client key purges nothing, and an admin key with a team sees and
// purges only its own team's entries and figures; an admin key with no team sees all.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { hashKey } from '../../src/server/auth.js';
import { startHarness, type Harness } from './helpers.js';

const KEYS = {
  clientA: 'tg_tenant_client_a',
  clientB: 'tg_tenant_client_b',
  adminB: 'tg_tenant_admin_b',
  ops: 'tg_tenant_ops',
};

interface Stats {
  tenant?: string;
  entries: number;
  routes: Record<string, { lookups: number; hits: number; misses: number; stores: number }>;
}

function harness(cacheScope: 'team' | 'key' | 'global'): Promise<Harness> {
  return startHarness({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'client-a', sha256: hashKey(KEYS.clientA), team: 'team-a' },
        { id: 'client-b', sha256: hashKey(KEYS.clientB), team: 'team-b' },
        { id: 'admin-b', sha256: hashKey(KEYS.adminB), team: 'team-b', role: 'admin' },
        { id: 'ops', sha256: hashKey(KEYS.ops), role: 'admin' },
      ],
    },
    cache: { scope: cacheScope, eligible: { maxTemperature: 0 } },
  });
}

async function ask(h: Harness, key: string, content: string): Promise<string | null> {
  const ai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: key, maxRetries: 0 });
  const { response } = await ai.chat.completions.create({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content }] }).withResponse();
  return response.headers.get('x-tollgate-cache');
}

function adminCall(h: Harness, key: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
  return fetch(`${h.gw.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
}

describe.each(['team', 'key'] as const)('cache.scope: %s', (scope) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(scope);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("team B's client key gets 403 on purge; team B's admin key purges only team B's entries", async () => {
    const question = 'What is the boiling point of water at sea level?';
    expect(await ask(h, KEYS.clientA, question)).toBe('miss');
    expect(await ask(h, KEYS.clientA, question)).toBe('hit');
    expect(await ask(h, KEYS.clientB, question)).toBe('miss');
    expect(await ask(h, KEYS.clientB, question)).toBe('hit');

    const denied = await adminCall(h, KEYS.clientB, 'POST', '/admin/cache/purge', { all: true });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect(await ask(h, KEYS.clientA, question)).toBe('hit');

    // naming another tenant's scope is refused, whatever the cache keeps per tenant
    const otherScope = scope === 'team' ? 't:team-a' : 'k:client-a';
    const foreign = await adminCall(h, KEYS.adminB, 'POST', '/admin/cache/purge', { all: true, scope: otherScope });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: { code: 'forbidden', param: 'scope' } });

    const purge = await adminCall(h, KEYS.adminB, 'POST', '/admin/cache/purge', { all: true });
    expect(purge.status).toBe(200);
    expect(await purge.json()).toEqual({ purged: 1 });
    expect(await ask(h, KEYS.clientA, question)).toBe('hit');
    expect(await ask(h, KEYS.clientB, question)).toBe('miss');
  });

  it("team B's admin sees only team B's cache figures; an admin with no team sees everyone's", async () => {
    const mine = (await (await adminCall(h, KEYS.adminB, 'GET', '/admin/cache/stats')).json()) as Stats;
    const all = (await (await adminCall(h, KEYS.ops, 'GET', '/admin/cache/stats')).json()) as Stats;
    // team B: 2 lookups, then purge, then 1 more (a miss, stored again); team A: 4 lookups
    expect(mine.tenant).toBe('team-b');
    expect(mine.routes['gpt-4o-mini']).toMatchObject({ lookups: 3, hits: 1, misses: 2, stores: 2 });
    expect(mine.entries).toBe(1);
    expect(all.routes['gpt-4o-mini']).toMatchObject({ lookups: 7, hits: 4, misses: 3, stores: 3 });
    expect(all.entries).toBe(2);
  });
});

describe('cache.scope: global (answers shared by every tenant)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness('global');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a tenant admin may not purge shared entries; an admin with no team may', async () => {
    expect(await ask(h, KEYS.clientA, 'Name a prime number.')).toBe('miss');
    expect(await ask(h, KEYS.clientB, 'Name a prime number.')).toBe('hit');
    const denied = await adminCall(h, KEYS.adminB, 'POST', '/admin/cache/purge', { all: true });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toMatch(/global/);
    expect(await ask(h, KEYS.clientA, 'Name a prime number.')).toBe('hit');
    const stats = (await (await adminCall(h, KEYS.adminB, 'GET', '/admin/cache/stats')).json()) as Stats;
    expect(stats).toMatchObject({ tenant: 'team-b', entries: 0 });
    expect(stats.routes['gpt-4o-mini']).toMatchObject({ lookups: 1, hits: 1 });
    expect(await (await adminCall(h, KEYS.ops, 'POST', '/admin/cache/purge', { all: true })).json()).toEqual({ purged: 1 });
    expect(await ask(h, KEYS.clientA, 'Name a prime number.')).toBe('miss');
  });
});
