import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routesConfigSchema } from '../../src/levers/router/config.js';
import { createRouterStage } from '../../src/levers/router/index.js';
import { RouterClassifier } from '../../src/levers/router/classifier/model.js';
import { HASH_VERSION } from '../../src/levers/router/classifier/features.js';
import { trainLogReg } from '../../src/lab/router/train.js';
import { curve, summarize } from '../../src/lab/router/metrics.js';
import { MODELS, makeCtx, record, request, response, routerDeps, scriptedTerminal } from './helpers.js';

const tiers = [
  { name: 'cheap', models: ['gpt-4o-mini', 'claude-3-5-haiku'] },
  { name: 'strong', models: ['claude-sonnet-4', 'gpt-4o'] },
];

function stage(route: Record<string, unknown>, deps = routerDeps()) {
  return createRouterStage(routesConfigSchema.parse({ 'support-chat': { tiers, ...route } }), deps);
}

async function routeOf(s: ReturnType<typeof stage>, ctx: ReturnType<typeof makeCtx>) {
  const t = scriptedTerminal(ctx, () => response('fine'));
  await s.handle(ctx, t.next);
  return { ctx, calls: t.calls };
}

describe('rules', () => {
  const s = stage({
    rules: [
      { name: 'long', when: { input_tokens_gt: 500 }, tier: 'strong' },
      { name: 'math', when: { regex: '(?i)\\bprove\\b' }, tier: 'strong' },
      { name: 'legal', when: { keywords: ['indemnity', 'force majeure'] }, model: 'gpt-4o' },
      { name: 'premium', when: { user_tier: 'premium' }, tier: 'strong' },
      { name: 'task', when: { header: { 'x-tollgate-task': ['summarize', 'classify'] } }, model: 'claude-3-5-haiku' },
      { name: 'meta', when: { json_path: { path: '$.metadata.priority', equals: 'high' } }, tier: 'strong' },
      { name: 'raw', when: { json_path: { path: '$.messages[-1].content', source: 'raw', regex: 'URGENT' } }, model: 'gpt-4o' },
      { name: 'tools', when: { tools: true }, model: 'claude-sonnet-4' },
      { name: 'schema', when: { all: [{ response_format: 'json_schema' }, { not: { stream: true } }] }, model: 'gpt-4o' },
    ],
  });

  it('sends a plain short prompt to the default (first) tier and explains it', async () => {
    const { ctx, calls } = await routeOf(s, makeCtx(request('hi there')));
    expect(calls).toEqual([MODELS['gpt-4o-mini']]);
    expect(ctx.route).toBe('support-chat');
    expect(ctx.route).toBe('support-chat');
    expect(ctx.baselineModel).toBe('claude-sonnet-4');
    expect(ctx.rewritten).toBe(true);
    expect(ctx.responseHeaders['x-tollgate-route']).toBe('route=support-chat;tier=cheap;model=gpt-4o-mini;by=default');
    expect(ctx.fallbacks).toEqual([MODELS['claude-3-5-haiku'], MODELS['claude-sonnet-4'], MODELS['gpt-4o']]);
    expect(ctx.trail[0]).toMatchObject({ stage: 'router', decision: 'route', data: { tier: 'cheap', by: 'default' } });
  });

  it.each([
    ['long', request('x '.repeat(2000)), {}, undefined, 'claude-sonnet-4'],
    ['math', request('Please PROVE that 2+2=4'), {}, undefined, 'claude-sonnet-4'],
    ['legal', request('what does the Force Majeure clause cover?'), {}, undefined, 'gpt-4o'],
    ['premium', request('hello'), { 'x-tollgate-user-tier': 'premium' }, undefined, 'claude-sonnet-4'],
    ['task', request('hello'), { 'x-tollgate-task': 'classify' }, undefined, 'claude-3-5-haiku'],
    ['meta', request('hello', { metadata: { priority: 'high' } }), {}, undefined, 'claude-sonnet-4'],
    ['raw', request('hello'), {}, { model: 'support-chat', messages: [{ role: 'user', content: 'URGENT: help' }] }, 'gpt-4o'],
    ['tools', request('hello', { tools: [{ name: 'f', parameters: {} }] }), {}, undefined, 'claude-sonnet-4'],
    ['schema', request('hello', { responseFormat: { type: 'json_schema', schema: { type: 'object' } } }), {}, undefined, 'gpt-4o'],
  ] as const)('rule %s matches', async (rule, req, headers, raw, model) => {
    const { ctx, calls } = await routeOf(s, makeCtx(req, headers as Record<string, string>, raw));
    expect(calls[0]).toEqual(MODELS[model]);
    expect(ctx.trail[0]!.data).toMatchObject({ by: 'rule', rule });
    expect(ctx.responseHeaders['x-tollgate-route']).toContain(`by=rule:${rule}`);
  });

  it('keywords match whole words only', async () => {
    const { calls } = await routeOf(s, makeCtx(request('indemnityX is not a word here')));
    expect(calls[0]).toEqual(MODELS['gpt-4o-mini']);
  });

  it('leaves requests for names that are not routes alone', async () => {
    const ctx = makeCtx(request('hi', { model: 'gpt-4o' }));
    ctx.target = MODELS['gpt-4o'];
    const { calls } = await routeOf(s, ctx);
    expect(calls).toEqual([MODELS['gpt-4o']]);
    expect(ctx.trail).toEqual([]);
    expect(ctx.rewritten).toBe(false);
  });

  it('a route attached to a real model keeps it as the baseline, and only rewrites when the model changes', async () => {
    const r = createRouterStage(
      routesConfigSchema.parse({ 'gpt-4o': { tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }, { name: 'asked', models: ['gpt-4o'] }], rules: [{ when: { tools: true }, tier: 'asked' }] } }),
      routerDeps(),
    );
    const a = await routeOf(r, makeCtx(request('hi', { model: 'gpt-4o' })));
    expect(a.calls[0]).toEqual(MODELS['gpt-4o-mini']);
    expect(a.ctx.baselineModel).toBe('gpt-4o');
    expect(a.ctx.rewritten).toBe(true);
    const b = await routeOf(r, makeCtx(request('hi', { model: 'gpt-4o', tools: [{ name: 'f', parameters: {} }] })));
    expect(b.calls[0]).toEqual(MODELS['gpt-4o']);
    expect(b.ctx.rewritten).toBe(false);
  });

  it('rejects bad config with the offending field named', () => {
    expect(() => stage({ rules: [{ when: { regex: '(' }, tier: 'strong' }] })).toThrow(/routes\.support-chat\.rules\[0\]\.when: bad regex/);
    expect(() => stage({ rules: [{ when: { tools: true }, tier: 'nope' }] })).toThrow(/unknown tier "nope"/);
    expect(() => createRouterStage(routesConfigSchema.parse({ r: { tiers: [{ name: 'a', models: ['gpt-5-imaginary'] }] } }), routerDeps())).toThrow(/routes\.r\.tiers\[0\]\.models\[0\]: unknown model/);
    expect(routesConfigSchema.safeParse({ r: { tiers: [{ name: 'a', models: ['x'] }], surprise: 1 } }).success).toBe(false);
  });
});

describe('learned classifier', () => {
  // a small synthetic task: "proof"-style prompts need the strong model, chit-chat does not
  const hard = ['prove the theorem about primes', 'derive the integral of x squared', 'prove that the series converges', 'derive a closed form for the recurrence'];
  const easy = ['hello how are you', 'what time is it', 'thanks a lot friend', 'tell me a joke please'];
  const examples = [...hard.map((text) => ({ text, y: 1 })), ...easy.map((text) => ({ text, y: 0 }))];
  const spec = { dim: 1 << 12, wordNgrams: 2, charNgrams: [3, 4] as [number, number], maxChars: 500, useTask: false, hashVersion: HASH_VERSION };
  const { weights, bias } = trainLogReg([...examples, ...examples, ...examples], spec, { epochs: 30, learningRate: 0.5, l2: 0, seed: 1 });
  const clf = new RouterClassifier(spec, weights, bias, [
    { threshold: 0.9, strongShare: 0.1, qualityRatio: 0.9, pgr: 0.3 },
    { threshold: 0.5, strongShare: 0.4, qualityRatio: 0.96, pgr: 0.8 },
    { threshold: 0.1, strongShare: 0.9, qualityRatio: 0.99, pgr: 0.97 },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'tg-router-'));
  const file = join(dir, 'w.json');
  writeFileSync(file, JSON.stringify(clf.toFile()));

  it('round-trips the weight file and scores the same', () => {
    const loaded = RouterClassifier.load(file);
    expect(loaded.score('prove the lemma')).toBeCloseTo(clf.score('prove the lemma'), 6);
    expect(loaded.score('prove that the sum converges')).toBeGreaterThan(loaded.score('hello friend how are you'));
  });

  it('routes by score against the threshold and says so', async () => {
    const s = stage({ classifier: { weights: file, threshold: 0.5 } });
    const a = await routeOf(s, makeCtx(request('prove that the integral converges')));
    expect(a.calls[0]).toEqual(MODELS['claude-sonnet-4']);
    expect(a.ctx.trail[0]!.data).toMatchObject({ by: 'classifier', threshold: 0.5 });
    expect(a.ctx.trail[0]!.data!.score as number).toBeGreaterThanOrEqual(0.5);
    expect(a.ctx.responseHeaders['x-tollgate-route']).toMatch(/by=classifier:0\.\d+>=0\.5/);
    const b = await routeOf(s, makeCtx(request('hello, thanks friend')));
    expect(b.calls[0]).toEqual(MODELS['gpt-4o-mini']);
    expect(b.ctx.responseHeaders['x-tollgate-route']).toMatch(/by=classifier:0\.\d+<0\.5/);
  });

  it('picks the operating point from a target', async () => {
    const s1 = stage({ classifier: { weights: file, target: { quality_ge: 0.95 } } }, routerDeps({ dataDir: dir }));
    const a = await routeOf(s1, makeCtx(request('hello')));
    expect(a.ctx.trail[0]!.data).toMatchObject({ threshold: 0.5 });
    const s2 = stage({ classifier: { weights: 'w.json', target: { strong_share_le: 0.2 } } }, routerDeps({ dataDir: dir }));
    const b = await routeOf(s2, makeCtx(request('hello')));
    expect(b.ctx.trail[0]!.data).toMatchObject({ threshold: 0.9 });
  });

  it('rules still win over the classifier', async () => {
    const s = stage({ rules: [{ when: { keywords: ['prove'] }, tier: 'cheap' }], classifier: { weights: file, threshold: 0.5 } });
    const a = await routeOf(s, makeCtx(request('prove the theorem')));
    expect(a.calls[0]).toEqual(MODELS['gpt-4o-mini']);
  });

  it('a missing weight file is a start-up error naming the field', () => {
    expect(() => stage({ classifier: { weights: '/nope/w.json', threshold: 0.5 } })).toThrow(/routes\.support-chat\.classifier\.weights: cannot read/);
  });
});

describe('eval metrics', () => {
  it('computes the curve, APGR and the cost at 95% quality', () => {
    // 4 prompts: strong helps on the two highest-scored ones
    const items = [
      { score: 0.9, weakQ: 0, strongQ: 1, weakCost: 1, strongCost: 10 },
      { score: 0.8, weakQ: 0, strongQ: 1, weakCost: 1, strongCost: 10 },
      { score: 0.2, weakQ: 1, strongQ: 1, weakCost: 1, strongCost: 10 },
      { score: 0.1, weakQ: 1, strongQ: 1, weakCost: 1, strongCost: 10 },
    ];
    const pts = curve(items);
    expect(pts.map((p) => p.pgr)).toEqual([0, 0.5, 1, 1, 1]);
    const s = summarize(items);
    expect(s.strongShareForPgr80).toBe(0.5);
    expect(s.at95).toMatchObject({ strongShare: 0.5, costUsd: 22, costReduction: 1 - 22 / 40 });
    expect(s.apgr).toBeCloseTo(0.0625 + 0.1875 + 0.25 + 0.25, 10);
  });
});

describe('cascade', () => {
  const cascadeRoute = { cascade: { checks: ['refusal', 'empty', 'truncated', 'json_schema'] } };

  it.each([
    ['refusal', response("I'm sorry, but I can't help with that.")],
    ['truncated', response('The answer is', 'length')],
    ['empty', response('   ')],
  ] as const)('escalates on %s, and every attempt is kept with its cost', async (check, cheapAnswer) => {
    const s = stage(cascadeRoute);
    const ctx = makeCtx(request('question'));
    const t = scriptedTerminal(ctx, (target) => (target.model === 'gpt-4o-mini' ? cheapAnswer : response('A full answer.')));
    const out = await s.handle(ctx, t.next);
    expect(out.kind === 'complete' && out.response.content).toEqual([{ type: 'text', text: 'A full answer.' }]);
    expect(t.calls).toEqual([MODELS['gpt-4o-mini'], MODELS['claude-sonnet-4']]);
    expect(ctx.attempts).toHaveLength(2);
    expect(ctx.attempts.every((a) => a.costUsd > 0)).toBe(true);
    expect(ctx.trail.find((e) => e.decision === 'escalate')?.reason).toContain(check === 'refusal' ? 'refusal' : check === 'truncated' ? 'truncated' : 'empty');
    expect(ctx.responseHeaders['x-tollgate-route']).toContain(`cascade=cheap(${check})>strong`);
  });

  it('escalates on a JSON schema violation and accepts a valid answer', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false };
    const s = stage(cascadeRoute);
    const ctx = makeCtx(request('give n', { responseFormat: { type: 'json_schema', schema } }));
    const t = scriptedTerminal(ctx, (target) => (target.model === 'gpt-4o-mini' ? response('{"n": "three"}') : response('{"n": 3}')));
    await s.handle(ctx, t.next);
    expect(t.calls).toHaveLength(2);
    expect(ctx.trail.find((e) => e.decision === 'escalate')?.reason).toMatch(/JSON schema violation: \/n must be integer/);

    const ok = makeCtx(request('give n', { responseFormat: { type: 'json_schema', schema } }));
    const t2 = scriptedTerminal(ok, () => response('{"n": 3}'));
    await s.handle(ok, t2.next);
    expect(t2.calls).toEqual([MODELS['gpt-4o-mini']]);
  });

  it('asks a verifier and escalates when it says no', async () => {
    const s = stage({ cascade: { checks: ['verifier'], verifier: { model: 'gpt-4o-mini' } } });
    const ctx = makeCtx(request('what is 2+2?'));
    const original = ctx.request;
    const t = scriptedTerminal(ctx, (target, call, req) => {
      if (call === 2) {
        expect(req.messages[0]!.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('Answer:\n5') });
        return response('NO');
      }
      return target.model === 'gpt-4o-mini' ? response('5') : response('4');
    });
    const out = await s.handle(ctx, t.next);
    expect(out.kind === 'complete' && out.response.content[0]).toMatchObject({ text: '4' });
    expect(t.calls.map((c) => c.model)).toEqual(['gpt-4o-mini', 'gpt-4o-mini', 'claude-sonnet-4']);
    expect(ctx.request).toBe(original);
    expect(ctx.attempts).toHaveLength(3);
    // the verifier's call is the gateway's own: in the record, neither the answer nor a failed try
    expect(ctx.attempts.map((a) => a.purpose)).toEqual([undefined, 'cascade-verifier', undefined]);
  });

  it('does not cascade streaming requests', async () => {
    const s = stage(cascadeRoute);
    const ctx = makeCtx(request('q', { stream: true }));
    const t = scriptedTerminal(ctx, () => response("I'm sorry, I can't"));
    await s.handle(ctx, t.next);
    expect(t.calls).toHaveLength(1);
  });
});

describe('load balancing and SLO-aware choice', () => {
  it('weighted balancing follows the weights', async () => {
    let r = 0;
    const s = createRouterStage(
      routesConfigSchema.parse({ lb: { tiers: [{ name: 't', models: [{ model: 'gpt-4o-mini', weight: 3 }, { model: 'claude-3-5-haiku', weight: 1 }] }], balance: 'weighted' } }),
      routerDeps({ random: () => r }),
    );
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      r = i / 100;
      const { calls } = await routeOf(s, makeCtx(request('hi', { model: 'lb' })));
      counts[calls[0]!.model] = (counts[calls[0]!.model] ?? 0) + 1;
    }
    expect(counts).toEqual({ 'gpt-4o-mini': 75, 'claude-3-5-haiku': 25 });
  });

  it('least_latency picks the model with the lower live percentile', async () => {
    const now = 1_000_000;
    const s = createRouterStage(routesConfigSchema.parse({ lb: { tiers: [{ name: 't', models: ['gpt-4o-mini', 'claude-3-5-haiku'] }], balance: 'least_latency' } }), routerDeps({ now: () => now }));
    for (let i = 0; i < 30; i++) {
      s.onRecord(record(MODELS['gpt-4o-mini']!, 900, 300, now - 1000));
      s.onRecord(record(MODELS['claude-3-5-haiku']!, 400, 100, now - 1000));
    }
    const { calls } = await routeOf(s, makeCtx(request('hi', { model: 'lb' })));
    expect(calls[0]).toEqual(MODELS['claude-3-5-haiku']);
  });

  it('moves off a slow model to the cheapest one meeting the SLO, and back when it recovers', async () => {
    let now = 10_000_000;
    const s = stage({ tiers, slo: { ttft_p95_ms: 500, window_s: 30, min_samples: 10, probe_share: 0 } }, routerDeps({ now: () => now }));
    const mini = MODELS['gpt-4o-mini']!;
    const haiku = MODELS['claude-3-5-haiku']!;
    // healthy: the cheapest candidate
    expect((await routeOf(s, makeCtx(request('hi')))).calls[0]).toEqual(mini);
    // gpt-4o-mini turns slow
    for (let i = 0; i < 20; i++) s.onRecord(record(mini, 3000, 2000, now));
    for (let i = 0; i < 20; i++) s.onRecord(record(haiku, 600, 200, now));
    const moved = await routeOf(s, makeCtx(request('hi')));
    expect(moved.calls[0]).toEqual(haiku);
    expect(moved.ctx.trail[0]!.data).toMatchObject({ slo: 'moved' });
    expect(moved.ctx.trail[0]!.data!.sloDetail).toMatch(/gpt-4o-mini\(ttft_p95=2000>500\)/);
    expect(moved.ctx.responseHeaders['x-tollgate-route']).toContain('slo=moved');
    expect(moved.ctx.fallbacks!.slice(0, 1)).toEqual([MODELS['gpt-4o']]); // breaching gpt-4o-mini goes last; then the cheaper strong model
    // the slow samples age out of the window while fresh fast ones arrive: back to the cheapest
    now += 31_000;
    for (let i = 0; i < 20; i++) s.onRecord(record(mini, 400, 150, now));
    const back = await routeOf(s, makeCtx(request('hi')));
    expect(back.calls[0]).toEqual(mini);
    expect(back.ctx.trail[0]!.data).toMatchObject({ slo: 'ok' });
  });

  it('keeps probing a breaching preferred model so recovery is seen', async () => {
    const now = 5_000_000;
    const s = stage({ tiers, slo: { e2e_p95_ms: 1000, min_samples: 5, probe_share: 0.5 } }, routerDeps({ now: () => now, random: () => 0.1 }));
    for (let i = 0; i < 10; i++) s.onRecord(record(MODELS['gpt-4o-mini']!, 5000, 100, now));
    const { ctx, calls } = await routeOf(s, makeCtx(request('hi')));
    expect(calls[0]).toEqual(MODELS['gpt-4o-mini']);
    expect(ctx.trail[0]!.data).toMatchObject({ slo: 'probe' });
  });
});
