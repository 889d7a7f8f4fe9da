// /dashboard over real HTTP: 401 and a sign-in page without credentials, the app with an admin
// Bearer key, 403 with a client key; the sign-in form sets a signed HttpOnly, SameSite=Strict
// session cookie (never the key) that reads GET /admin/api/* and the pages' five read-only admin
// GETs and nothing else, with every rule a key has (a tenant admin's session is refused where its
// key is); a forged or edited cookie is refused; assets come with their content types, gzip and ETags.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/server/auth.js';
import { SESSION_READ_PATHS } from '../../src/dashboard/reach.js';
import { createSessions } from '../../src/dashboard/session.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

const ADMIN = 'tg_dash_admin_key';
const TENANT_ADMIN = 'tg_dash_tenant_admin';
const CLIENT = 'tg_dash_client_key';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'ops', sha256: hashKey(ADMIN), role: 'admin' },
        { id: 'support-admin', sha256: hashKey(TENANT_ADMIN), team: 'support', role: 'admin' },
        { id: 'app', sha256: hashKey(CLIENT), team: 'support' },
      ],
    },
    budgets: [
      { scope: 'team', id: 'support', period: 'month', limitUsd: 50 },
      { scope: 'team', id: 'growth', period: 'day', limitUsd: 5 },
    ],
  });
});
afterAll(() => h?.close());

async function signIn(key: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${h.gw.url}/dashboard/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.gw.url, ...headers },
    body: new URLSearchParams({ key }).toString(),
  });
}

function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0]!;
}

describe('GET /dashboard', () => {
  it('answers 401 with a sign-in page without credentials', async () => {
    const res = await fetch(`${h.gw.url}/dashboard`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<form method="post" action="/dashboard/sign-in">');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('answers the app with Authorization: Bearer <admin key>', async () => {
    const res = await fetch(`${h.gw.url}/dashboard`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/dashboard/app/main.js">');
    expect(html).toContain('data-key-id="ops"');
    expect(html).not.toContain(ADMIN);
  });

  it('refuses a client key (403) and an unknown key (401), in the OpenAI error shape', async () => {
    const client = await fetch(`${h.gw.url}/dashboard`, { headers: { authorization: `Bearer ${CLIENT}` } });
    expect(client.status).toBe(403);
    expect(((await client.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const unknown = await fetch(`${h.gw.url}/dashboard`, { headers: { authorization: 'Bearer nope' } });
    expect(unknown.status).toBe(401);
  });
});

describe('sign-in', () => {
  it('sets a signed HttpOnly, SameSite=Strict session cookie that does not contain the key, and the cookie opens the app', async () => {
    const res = await signIn(ADMIN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(/^tollgate_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    expect(set).not.toContain(ADMIN);
    expect(set).not.toContain(hashKey(ADMIN));
    const app = await fetch(`${h.gw.url}/dashboard`, { headers: { cookie: cookieOf(res) } });
    expect(app.status).toBe(200);
    expect(await app.text()).toContain('data-session="cookie"');
  });

  it('refuses a client key, an unknown key and an empty form with the sign-in page and no cookie', async () => {
    for (const key of [CLIENT, 'tg_wrong', '']) {
      const res = await signIn(key);
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      const html = await res.text();
      expect(html).toContain('That is not an admin key.');
      if (key) expect(html).not.toContain(key);
    }
  });

  it('refuses a form posted from another site (login CSRF)', async () => {
    const res = await signIn(ADMIN, { origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    const fetchMeta = await signIn(ADMIN, { origin: h.gw.url, 'sec-fetch-site': 'cross-site' });
    expect(fetchMeta.status).toBe(403);
  });

  it('answers 413 to a body past the form limit', async () => {
    const res = await signIn('x'.repeat(10_000));
    expect(res.status).toBe(413);
  });

  it('sign-out clears the cookie', async () => {
    const res = await fetch(`${h.gw.url}/dashboard/sign-out`, { method: 'POST', redirect: 'manual', headers: { origin: h.gw.url } });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/^tollgate_session=; .*Max-Age=0$/);
  });
});

describe('what a session may do', () => {
  it('a forged, edited or expired cookie is no session', async () => {
    const good = cookieOf(await signIn(ADMIN)).split('=')[1]!;
    const [body, mac] = good.split('.');
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), t: undefined, k: 'someone' })).toString('base64url');
    const other = createSessions().issue({ keyId: 'ops', role: 'admin' });
    const expired = createSessions(Buffer.alloc(32)).issue({ keyId: 'ops', role: 'admin' }, 0);
    for (const v of [`${edited}.${mac}`, other, expired, 'garbage', `${body}.`]) {
      const res = await fetch(`${h.gw.url}/dashboard`, { headers: { cookie: `tollgate_session=${v}` } });
      expect(res.status).toBe(401);
    }
  });

  it('a session cannot call the admin API beyond GET /admin/api/* (no purge, no upstreams)', async () => {
    const cookie = cookieOf(await signIn(ADMIN));
    const purge = await fetch(`${h.gw.url}/admin/cache/purge`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    expect(purge.status).toBe(401);
    const upstreams = await fetch(`${h.gw.url}/admin/upstreams`, { headers: { cookie } });
    expect(upstreams.status).toBe(401);
    // a key, when present, decides alone: a client key with an admin's cookie is a client
    const mixed = await fetch(`${h.gw.url}/admin/upstreams`, { headers: { cookie, authorization: `Bearer ${CLIENT}` } });
    expect(mixed.status).toBe(403);
  });

  it("a tenant admin's session says its team, and its API calls see that team only", async () => {
    const cookie = cookieOf(await signIn(TENANT_ADMIN));
    const app = await fetch(`${h.gw.url}/dashboard`, { headers: { cookie } });
    expect(await app.text()).toContain('data-team="support"');
    const overview = await fetch(`${h.gw.url}/admin/api/overview?from=7d`, { headers: { cookie } });
    expect(overview.status).toBe(200);
    expect(((await overview.json()) as { query: { team?: string } }).query.team).toBe('support');
    const other = await fetch(`${h.gw.url}/admin/api/overview?from=7d&team=growth`, { headers: { cookie } });
    expect(other.status).toBe(403);
  });

  it("an admin's session reads GET /admin/api/*", async () => {
    const cookie = cookieOf(await signIn(ADMIN));
    const res = await fetch(`${h.gw.url}/admin/api/waterfall?from=24h`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ counterfactualUsd: 0, actualUsd: 0, bars: [] });
  });

  it("an admin's session reads the Budgets, Alerts and Experiments pages' five GETs, and they answer what the key gets", async () => {
    const cookie = cookieOf(await signIn(ADMIN));
    for (const path of SESSION_READ_PATHS) {
      const viaCookie = await fetch(`${h.gw.url}${path}`, { headers: { cookie } });
      expect(viaCookie.status, path).toBe(200);
      const viaKey = await fetch(`${h.gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(await viaCookie.json(), path).toEqual(await viaKey.json());
    }
  });

  it('a session changes nothing through those routes: their PUTs, POSTs and DELETEs, and the GETs beside them, need a key', async () => {
    const cookie = cookieOf(await signIn(ADMIN));
    const json = { cookie, 'content-type': 'application/json' };
    for (const [method, path, body] of [
      ['PUT', '/admin/budgets', JSON.stringify({ scope: 'team', id: 'support', period: 'day', limitUsd: 1 })],
      ['DELETE', '/admin/budgets?scope=team&id=support&period=month', undefined],
      ['POST', '/admin/alerts/evaluate', '{}'],
      ['PUT', '/admin/alerts/rules', JSON.stringify({ name: 'x', metric: 'spend_usd', window: '1h', threshold: 1 })],
      ['POST', '/admin/experiments', '{}'],
      ['POST', '/admin/experiments/stop?name=x&reason=y', '{}'],
      ['PUT', '/admin/flags', JSON.stringify({ name: 'x', value: true, reason: 'y' })],
      ['GET', '/admin/flags', undefined],
      ['GET', '/admin/experiments/status?name=x', undefined],
    ] as const) {
      const res = await fetch(`${h.gw.url}${path}`, { method, headers: json, body });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    const budgets = (await (await fetch(`${h.gw.url}/admin/budgets`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { budgets: { id: string; period: string; limitUsd: number }[] };
    expect(budgets.budgets.find((b) => b.id === 'support')).toMatchObject({ period: 'month', limitUsd: 50 });
  });

  it("a tenant admin's session is refused (403) where its key is, and its budgets are its team's only", async () => {
    const cookie = cookieOf(await signIn(TENANT_ADMIN));
    for (const path of ['/admin/alerts', '/admin/alerts/history', '/admin/experiments', '/admin/flags/audit']) {
      const viaKey = await fetch(`${h.gw.url}${path}`, { headers: { authorization: `Bearer ${TENANT_ADMIN}` } });
      expect(viaKey.status, path).toBe(403);
      const viaCookie = await fetch(`${h.gw.url}${path}`, { headers: { cookie } });
      expect(viaCookie.status, path).toBe(403);
      const error = ((await viaCookie.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('forbidden');
      expect(error.message).toContain('admin key with no team');
    }
    const budgets = await fetch(`${h.gw.url}/admin/budgets`, { headers: { cookie } });
    expect(budgets.status).toBe(200);
    const mine = ((await budgets.json()) as { budgets: { scope: string; id: string }[] }).budgets;
    expect(mine.map((b) => `${b.scope}:${b.id}`)).toEqual(['team:support']);
  });

  it('behind an HTTPS proxy the cookie is Secure', async () => {
    const res = await signIn(ADMIN, { 'x-forwarded-proto': 'https' });
    expect(res.headers.get('set-cookie')).toContain('; Secure');
  });
});

describe('assets', () => {
  it('serves the app and the libraries from the package with their content types, gzip and ETags', async () => {
    for (const [path, type] of [
      ['/dashboard/app/main.js', 'text/javascript; charset=utf-8'],
      ['/dashboard/app/charts.js', 'text/javascript; charset=utf-8'],
      ['/dashboard/app/style.css', 'text/css; charset=utf-8'],
      ['/dashboard/vendor/preact.mjs', 'text/javascript; charset=utf-8'],
      ['/dashboard/vendor/hooks.mjs', 'text/javascript; charset=utf-8'],
      ['/dashboard/vendor/htm.mjs', 'text/javascript; charset=utf-8'],
      ['/dashboard/vendor/echarts.mjs', 'text/javascript; charset=utf-8'],
    ] as const) {
      const res = await fetch(`${h.gw.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe(type);
      expect(res.headers.get('content-encoding'), path).toBe('gzip');
      expect((await res.text()).length, path).toBeGreaterThan(100);
      const again = await fetch(`${h.gw.url}${path}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status, path).toBe(304);
    }
  });

  it('knows only its table: unknown files and traversal attempts are 404s', async () => {
    for (const path of ['/dashboard/app/nope.js', '/dashboard/app/../../package.json', '/dashboard/vendor/%2e%2e/x', '/dashboard/app/charts.d.ts']) {
      const res = await fetch(`${h.gw.url}${path}`);
      expect(res.status, path).toBe(404);
    }
  });

  it('wrong methods are 405s with Allow', async () => {
    const res = await fetch(`${h.gw.url}/dashboard`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});
