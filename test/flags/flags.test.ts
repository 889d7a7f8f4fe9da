// Flags (issue 9): set through the admin API, read per request from a snapshot, so the next request
// obeys a change without a restart; every change audited; every request a flag touched says so in
// its trail, its x-tollgate-route header and the ledger's `flag` field.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/ledger/read.js';
import { SqliteFlagStore } from '../../src/stores/sqlite/flag-store.js';
import { FlagSnapshot } from '../../src/flags/snapshot.js';
import { HARNESS_ADMIN_KEY, startHarness, type Harness } from '../gateway/helpers.js';

const CHEAP = ['gpt-4o-mini', 'claude-3-5-haiku'];
const root = join(import.meta.dirname, '../..');
const cli = (args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) =>
    execFile(process.execPath, [join(root, 'bin/tollgate.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
const STRONG = ['gpt-4o', 'claude-sonnet-4'];

describe('flag snapshot', () => {
  const at = (n: number) => Date.UTC(2026, 11, 3) + n;
  const base = { updatedBy: 'key:ops', reason: 'test' };
  it("applies '*' overlays, then the target's own, later changes winning a field; a false flag is off", () => {
    const s = new FlagSnapshot([
      { ...base, name: 'all-no-cache', value: true, target: '*', overlay: { levers: { cache: false } }, updatedAt: at(1) },
      { ...base, name: 'auto-cheap', value: true, target: 'auto', overlay: { maxTier: 'cheap' }, updatedAt: at(2) },
      { ...base, name: 'auto-strong', value: false, target: 'auto', overlay: { tier: 'strong' }, updatedAt: at(3) },
      { ...base, name: 'banner', value: 'hi', updatedAt: at(4) },
    ]);
    expect(s.overlayFor('auto')).toEqual({ overlay: { levers: { cache: false }, maxTier: 'cheap' }, flags: ['all-no-cache', 'auto-cheap'] });
    expect(s.overlayFor('gpt-4o')).toEqual({ overlay: { levers: { cache: false } }, flags: ['all-no-cache'] });
    expect(s.get('banner')).toBe('hi');
    expect(new FlagSnapshot([]).overlayFor('auto')).toBeUndefined();
  });
});

describe('flags through the gateway', () => {
  let h: Harness;
  let ai: OpenAI;
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${h.gw.url}${path}`, { method, headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const ask = async (model: string, content: string) => {
    const { data, response } = await ai.chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 20 }).withResponse();
    return { model: data.model, id: response.headers.get('x-tollgate-request-id')!, route: response.headers.get('x-tollgate-route'), cache: response.headers.get('x-tollgate-cache') };
  };
  const record = async (id: string) => {
    await h.gw.ledger.flush();
    return readLedger(h.dataDir, { last: 200 }).find((r) => r.requestId === id)!;
  };

  beforeAll(async () => {
    h = await startHarness({}, {}, { levers: true });
    ai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo-client', maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a maxTier flag keeps a route off its expensive tier from the next request on, and unsetting it restores the route', { timeout: 60_000 }, async () => {
    // a hard question the classifier sends to the strong tier
    // distinct questions, so that none is a (semantic) cache hit of another
    const hard = ['Prove that the sum of the reciprocals of the primes diverges, with every step justified.', 'Derive the Black-Scholes partial differential equation from a delta-hedged portfolio.', 'Explain why the halting problem is undecidable, using a diagonal argument.'];
    const forced = await admin('PUT', '/admin/flags', { name: 'auto-strong', value: true, target: 'auto', overlay: { tier: 'strong' }, reason: 'baseline for the test' });
    expect(forced.status).toBe(200);
    const before = await ask('auto', hard[0]!);
    expect(STRONG).toContain(before.model);

    const res = await admin('PUT', '/admin/flags', { name: 'auto-cheap-only', value: true, target: 'auto', overlay: { maxTier: 'cheap' }, reason: 'P95 over SLA on the strong tier' });
    expect(res.status).toBe(200);
    const after = await ask('auto', hard[1]!);
    expect(CHEAP).toContain(after.model);
    expect(after.route).toMatch(/by=flag:auto-strong,auto-cheap-only/);
    const rec = await record(after.id);
    expect(rec.flag).toBe('auto-strong,auto-cheap-only');
    expect(rec.trail.find((t) => t.stage === 'flags')).toMatchObject({ decision: 'overlay', data: { flags: ['auto-strong', 'auto-cheap-only'] } });
    expect(rec.trail.find((t) => t.stage === 'router')?.reason).toMatch(/tier capped at cheap/);
    expect(rec.baselineModel).toBe('gpt-4o');

    expect((await admin('DELETE', '/admin/flags?name=auto-cheap-only&reason=SLA+back')).status).toBe(200);
    const restored = await ask('auto', hard[2]!);
    expect(STRONG).toContain(restored.model);
    expect((await record(restored.id)).flag).toBe('auto-strong');
    expect((await admin('DELETE', '/admin/flags?name=auto-strong&reason=done')).status).toBe(200);
    const free = await ask('auto', 'hello there, how are you?');
    expect((await record(free.id)).flag).toBeUndefined();
  });

  it('a model overlay sends a plain model request elsewhere; the baseline stays what was asked', async () => {
    expect((await admin('PUT', '/admin/flags', { name: 'no-4o', value: true, target: 'gpt-4o', overlay: { model: 'gpt-4o-mini' }, reason: 'cost spike' })).status).toBe(200);
    const r = await ask('gpt-4o', 'What is the capital of Portugal?');
    expect(r.model).toBe('gpt-4o-mini');
    const rec = await record(r.id);
    expect(rec).toMatchObject({ requestedModel: 'gpt-4o', model: 'gpt-4o-mini', baselineModel: 'gpt-4o', flag: 'no-4o' });
    expect(rec.baselineCostUsd!).toBeGreaterThan(rec.costUsd);
    await admin('DELETE', '/admin/flags?name=no-4o&reason=done');
  });

  it('a lever flag turns the cache off for the requests it targets', async () => {
    const q = 'Which ocean is the largest by area, in one word?';
    await ask('gpt-4o-mini', q);
    expect((await ask('gpt-4o-mini', q)).cache).toBe('hit');
    expect((await admin('PUT', '/admin/flags', { name: 'cache-off', value: true, target: 'gpt-4o-mini', overlay: { levers: { cache: false } }, reason: 'suspected stale answers' })).status).toBe(200);
    const off = await ask('gpt-4o-mini', q);
    expect(off.cache).toBeNull(); // the cache stage did not run at all
    expect((await record(off.id)).cacheStatus).toBeUndefined();
    await admin('DELETE', '/admin/flags?name=cache-off&reason=done');
    expect((await ask('gpt-4o-mini', q)).cache).toBe('hit');
  });

  it('refuses overlays the config cannot honour, and changes without a reason, with a 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'x', value: true, target: 'auto', overlay: { tier: 'platinum' }, reason: 'r' }, 'overlay.tier'],
      [{ name: 'x', value: true, target: 'auto', overlay: { model: 'gpt-5' }, reason: 'r' }, 'overlay.model'],
      [{ name: 'x', value: true, target: 'nope', overlay: { levers: { cache: false } }, reason: 'r' }, 'target'],
      [{ name: 'x', value: true, target: '*', overlay: { levers: { turbo: false } }, reason: 'r' }, 'overlay.levers.turbo'],
      [{ name: 'x', value: 'yes', target: 'auto', overlay: { tier: 'cheap' }, reason: 'r' }, 'value'],
      [{ name: 'x', value: true }, 'reason'],
      [{ name: 'bad name!', value: 1, reason: 'r' }, 'name'],
    ];
    for (const [body, param] of cases) {
      const res = await admin('PUT', '/admin/flags', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param } });
    }
    expect((await admin('DELETE', '/admin/flags?name=never-set&reason=r')).status).toBe(404);
    expect((await admin('DELETE', '/admin/flags?name=never-set')).status).toBe(400);
  });

  it('`tollgate flags set|list|unset` changes a running gateway through its admin API', { timeout: 120_000 }, async () => {
    const env = { TOLLGATE_ADMIN_KEY: HARNESS_ADMIN_KEY };
    const set = await cli(['flags', 'set', 'cli-no-cache', 'true', '--target', 'gpt-4o-mini', '--lever', 'cache=off', '--reason', 'from the CLI', '--url', h.gw.url], env);
    expect(set.stderr).toBe('');
    expect(set.stdout).toMatch(/^set cli-no-cache = true \(change #\d+\)/);
    const q = 'Name the longest river in Africa.';
    await ask('gpt-4o-mini', q);
    expect((await ask('gpt-4o-mini', q)).cache).toBeNull();
    const list = await cli(['flags', 'list', '--url', h.gw.url, '--json'], env);
    expect(JSON.parse(list.stdout).flags).toEqual([expect.objectContaining({ name: 'cli-no-cache', overlay: { levers: { cache: false } }, target: 'gpt-4o-mini', reason: 'from the CLI' })]);
    const bad = await cli(['flags', 'set', 'x', 'true', '--target', 'auto', '--tier', 'platinum', '--reason', 'r', '--url', h.gw.url], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/400: route 'auto' has no tier 'platinum'/);
    expect((await cli(['flags', 'list', '--url', h.gw.url], {})).stderr).toMatch(/admin key is needed/);
    const unset = await cli(['flags', 'unset', 'cli-no-cache', '--reason', 'done', '--url', h.gw.url], env);
    expect(unset.stdout).toMatch(/^unset cli-no-cache/);
    expect((await cli(['flags', 'list', '--audit', '--url', h.gw.url], env)).stdout).toMatch(/unset {2}cli-no-cache {2}by key:demo-admin: done/);
  });

  it('audits every change (who, when, why, before, after) and keeps flags in the data dir', async () => {
    const res = await admin('GET', '/admin/flags/audit?limit=500');
    const { changes } = (await res.json()) as { changes: { action: string; name: string; by: string; reason: string; at: number }[] };
    const mine = changes.filter((c) => c.name === 'auto-cheap-only');
    expect(mine.map((c) => c.action)).toEqual(['unset', 'set']);
    expect(mine[1]).toMatchObject({ by: 'key:demo-admin', reason: 'P95 over SLA on the strong tier' });
    expect(mine[0]!.reason).toBe('SLA back');
    await admin('PUT', '/admin/flags', { name: 'kept', value: 42, reason: 'survives a restart' });
    const listed = (await (await admin('GET', '/admin/flags')).json()) as { flags: { name: string; value: unknown }[] };
    expect(listed.flags).toEqual([expect.objectContaining({ name: 'kept', value: 42 })]);
    // another handle on the data dir (a restarted gateway, the CLI) reads the same flags
    const store = SqliteFlagStore.open(h.dataDir);
    expect(store.list().map((f) => f.value)).toEqual([42]);
    store.close();
    expect((await fetch(`${h.gw.url}/admin/flags`, { headers: { authorization: 'Bearer some-client' } })).status).toBe(403);
  });
});
