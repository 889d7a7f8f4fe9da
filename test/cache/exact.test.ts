import { describe, expect, it } from 'vitest';
import { createCacheStage } from '../../src/levers/cache/index.js';
import { GatewayError } from '../../src/core/errors.js';
import { StreamAccumulator } from '../../src/core/stream-accumulator.js';
import { answer, context, costOf, drain, request, tmpDir, upstream } from './helpers.js';

describe('exact cache stage', () => {
  it('misses, stores, then hits the identical request with saved cost, time, header and trail', async () => {
    const stage = await createCacheStage({}, { dataDir: tmpDir(), costOf });
    const up = upstream();
    const c1 = context(request('What is a monad?'));
    const r1 = await stage.handle(c1, up.complete);
    expect(r1.source).toBe('upstream');
    expect(c1.responseHeaders['x-tollgate-cache']).toBe('miss');
    expect(c1.cache?.status).toBe('miss');
    const c2 = context(request('What is a monad?'));
    const r2 = await stage.handle(c2, up.complete);
    expect(up.calls).toBe(1);
    expect(r2.kind === 'complete' && r2.source === 'cache' && r2.raw === undefined).toBe(true);
    expect(r2.kind === 'complete' && r2.response.content).toEqual([{ type: 'text', text: 'the answer #1' }]);
    expect(c2.responseHeaders['x-tollgate-cache']).toBe('hit');
    expect(c2.cache?.status).toBe('hit');
    expect(c2.cache?.savedCostUsd).toBeCloseTo(1 + 1, 6);
    expect(c2.cache?.savedMs).toBeGreaterThanOrEqual(0);
    expect(c2.trail.find((t) => t.stage === 'cache')?.decision).toBe('hit');
    expect(stage.stats()['gpt-4o-mini']!.hits).toBe(1);
    await stage.close!();
  });

  it('keys on every output-changing parameter but not on the stream flag', async () => {
    const stage = await createCacheStage({}, { dataDir: tmpDir(), costOf });
    const up = upstream();
    await stage.handle(context(request('q')), up.complete);
    for (const over of [{ maxTokens: 5 }, { seed: 3 }, { stop: ['x'] }, { topP: 0.5 }, { responseFormat: { type: 'json_object' as const } }, { extra: { logit_bias: { 1: 2 } } }, { model: 'gpt-4o' }, { system: [{ type: 'text' as const, text: 'be brief' }] }]) {
      const c = context(request('q', over));
      await stage.handle(c, up.complete);
      expect(c.cache?.status, JSON.stringify(over)).toBe('miss');
    }
    const s = context(request('q', { stream: true }));
    const r = await stage.handle(s, up.stream());
    expect(s.cache?.status).toBe('hit');
    expect(r.kind).toBe('stream');
    await stage.close!();
  });

  it('serves a streaming hit as canonical events that fold back to the stored response', async () => {
    const stage = await createCacheStage({}, { dataDir: tmpDir(), costOf });
    const up = upstream();
    const first = await stage.handle(context(request('stream me', { stream: true })), up.stream());
    const passed = await drain(first); // the client reads the whole stream: stored
    expect(passed.length).toBe(5);
    const c = context(request('stream me', { stream: true }));
    const hit = await stage.handle(c, up.stream());
    expect(up.calls).toBe(1);
    expect(hit.kind === 'stream' && hit.rawFormat).toBeFalsy();
    const acc = new StreamAccumulator();
    for (const e of await drain(hit)) acc.push(e);
    expect(acc.complete).toBe(true);
    expect(acc.toResponse().content).toEqual([{ type: 'text', text: 'the answer #1' }]);
    expect(acc.usage.output).toBe(500);
    await stage.close!();
  });

  it('never stores an interrupted stream, an error event, or an error response', async () => {
    const stage = await createCacheStage({}, { dataDir: tmpDir(), costOf });
    const up = upstream();
    const r = await stage.handle(context(request('cut', { stream: true })), up.stream());
    if (r.kind !== 'stream') throw new Error('stream expected');
    for await (const _ of r.chunks) break; // client disconnects after the first chunk
    const errStream = await stage.handle(context(request('err', { stream: true })), up.stream([
      { type: 'start', id: 'x', model: 'm', created: 1 },
      { type: 'text_delta', index: 0, text: 'partial' },
      { type: 'error', error: { type: 'overloaded_error', message: 'overloaded' } },
      { type: 'finish', finishReason: 'stop' },
    ]));
    await drain(errStream);
    const noFinish = await stage.handle(context(request('nofinish', { stream: true })), up.stream([{ type: 'start', id: 'x', model: 'm', created: 1 }, { type: 'text_delta', index: 0, text: 'half' }]));
    await drain(noFinish);
    await stage.handle(context(request('errresp')), async () => ({ kind: 'complete', response: answer('', { finishReason: 'error' }), source: 'upstream' }));
    await expect(stage.handle(context(request('thrown')), async () => { throw new Error('upstream 500'); })).rejects.toThrow('upstream 500');
    expect(stage.store.size).toBe(0);
    for (const q of ['cut', 'err', 'nofinish']) {
      const c = context(request(q, { stream: true }));
      await drain(await stage.handle(c, up.stream()));
      expect(c.cache?.status).toBe('miss');
    }
    await stage.close!();
  });

  it('isolates tenants: a team never sees another team’s entries', async () => {
    const stage = await createCacheStage({}, { dataDir: tmpDir(), costOf });
    const up = upstream();
    await stage.handle(context(request('secret plan'), { team: 'red' }), up.complete);
    const other = context(request('secret plan'), { team: 'blue' });
    await stage.handle(other, up.complete);
    expect(other.cache?.status).toBe('miss');
    const noTeamOtherKey = context(request('secret plan'), { keyId: 'key2' });
    await stage.handle(noTeamOtherKey, up.complete);
    expect(noTeamOtherKey.cache?.status).toBe('miss');
    const same = context(request('secret plan'), { team: 'red', keyId: 'key9' });
    await stage.handle(same, up.complete);
    expect(same.cache?.status).toBe('hit');
    await stage.close!();
  });

  it('applies the eligibility policy and route opt-in', async () => {
    const stage = await createCacheStage({ routes: { creative: { enabled: true } } }, { dataDir: tmpDir(), costOf });
    const up = upstream();
    const warm = context(request('poem', { temperature: 0.8 }));
    await stage.handle(warm, up.complete);
    expect(warm.cache?.status).toBe('bypass');
    expect(warm.responseHeaders['x-tollgate-cache']).toBe('bypass');
    const dflt = context(request('poem', { temperature: undefined }));
    await stage.handle(dflt, up.complete);
    expect(dflt.cache?.status).toBe('bypass');
    const n2 = context(request('poem', { n: 2 }));
    await stage.handle(n2, up.complete);
    expect(n2.cache?.status).toBe('bypass');
    await stage.handle(context(request('poem', { temperature: 0.8 }), { route: 'creative' }), up.complete);
    const again = context(request('poem', { temperature: 0.8 }), { route: 'creative' });
    await stage.handle(again, up.complete);
    expect(again.cache?.status).toBe('hit');
    await stage.close!();
  });

  it('honours Cache-Control and x-tollgate-cache request headers', async () => {
    const stage = await createCacheStage({}, { dataDir: tmpDir(), costOf });
    const up = upstream();
    const h = (headers: Record<string, string>, q = 'h') => context(request(q), { headers });
    const ns = h({ 'cache-control': 'no-store' });
    await stage.handle(ns, up.complete);
    expect(ns.cache?.status).toBe('bypass');
    expect(stage.store.size).toBe(0);
    const ro = h({ 'x-tollgate-cache': 'read-only' });
    await stage.handle(ro, up.complete);
    expect(ro.cache?.status).toBe('miss');
    expect(stage.store.size).toBe(0);
    await expect(stage.handle(h({ 'x-tollgate-cache': 'only-if-cached' }), up.complete)).rejects.toSatisfy((e: unknown) => e instanceof GatewayError && e.code === 'only_if_cached_miss');
    const callsBefore = up.calls;
    const wo = h({ 'x-tollgate-cache': 'write-only' });
    await stage.handle(wo, up.complete);
    expect(up.calls).toBe(callsBefore + 1);
    const nc = h({ 'cache-control': 'no-cache' });
    await stage.handle(nc, up.complete);
    expect(nc.cache?.status).toBe('miss');
    const oic = h({ 'x-tollgate-cache': 'only-if-cached' });
    const r = await stage.handle(oic, up.complete);
    expect(r.kind === 'complete' && r.response.content).toEqual([{ type: 'text', text: 'the answer #4' }]); // no-cache refreshed the entry
    const off = h({ 'x-tollgate-cache': 'off' });
    await stage.handle(off, up.complete);
    expect(off.cache?.status).toBe('bypass');
    await stage.close!();
  });

  it('expires by TTL and max-age, invalidates on a policy version change, counts stale hits', async () => {
    let t = 1_000_000;
    const dir = tmpDir();
    const cfg = { ttlSeconds: 100, routes: { faq: { freshnessSeconds: 10, policyVersion: 'v1' } } };
    const stage = await createCacheStage(cfg, { dataDir: dir, costOf, now: () => t });
    const up = upstream();
    await stage.handle(context(request('ttl'), { route: 'faq' }), up.complete);
    t += 20_000;
    const stale = context(request('ttl'), { route: 'faq' });
    await stage.handle(stale, up.complete);
    expect(stale.cache?.status).toBe('hit');
    expect(stage.stats().faq!.staleRatio).toBe(1);
    const tooOld = context(request('ttl'), { route: 'faq', headers: { 'cache-control': 'max-age=5' } });
    await stage.handle(tooOld, up.complete);
    expect(tooOld.cache?.status).toBe('miss');
    t += 200_000;
    const expired = context(request('ttl'), { route: 'faq' });
    await stage.handle(expired, up.complete);
    expect(expired.cache?.status).toBe('miss');
    await stage.close!();
    const v2 = await createCacheStage({ ...cfg, routes: { faq: { policyVersion: 'v2' } } }, { dataDir: dir, costOf, now: () => t });
    const c = context(request('ttl'), { route: 'faq' });
    await v2.handle(c, up.complete);
    expect(c.cache?.status).toBe('miss');
    expect(v2.stats().faq!.superseded).toBe(1);
    await v2.close!();
  });

  it('persists entries across restarts and purges by tag, route and all', async () => {
    const dir = tmpDir();
    const s1 = await createCacheStage({}, { dataDir: dir, costOf });
    const up = upstream();
    await s1.handle(context(request('a'), { headers: { 'x-tollgate-cache-tags': 'docs, v1' } }), up.complete);
    await s1.handle(context(request('b'), { route: 'support' }), up.complete);
    await s1.handle(context(request('c')), up.complete);
    await s1.close!();
    const s2 = await createCacheStage({}, { dataDir: dir, costOf });
    expect(s2.store.size).toBe(3);
    const purge = s2.adminRoutes!.find((r) => r.path === '/admin/cache/purge')!;
    const admin = { caller: { keyId: 'ops', role: 'admin' as const }, tenant: undefined, tenantKeyIds: [] };
    await expect(purge.handler({}, new URLSearchParams(), admin)).rejects.toMatchObject({ status: 400 });
    expect((await purge.handler({ tags: ['docs'] }, new URLSearchParams(), admin)).body).toEqual({ purged: 1 });
    expect((await purge.handler({ route: 'support' }, new URLSearchParams(), admin)).body).toEqual({ purged: 1 });
    const hit = context(request('c'));
    await s2.handle(hit, up.complete);
    expect(hit.cache?.status).toBe('hit');
    expect((await purge.handler({ all: true }, new URLSearchParams(), admin)).body).toEqual({ purged: 1 });
    await s2.close!();
  });

  it('rejects unknown config keys', async () => {
    await expect(createCacheStage({ ttl: 5 } as never, { dataDir: tmpDir(), costOf })).rejects.toThrow();
  });
});
