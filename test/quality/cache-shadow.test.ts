// The semantic cache's live false-hit estimate and its self-tightening, end to end: the gateway (a
// judge in config, cacheShadowRate 1) in front of the simulator with answer quality on. To the
// simulator a question is its meaning (case, punctuation and "please" aside), so which semantic
// hits are false is known: a hit is false when the cached answer's final token is not the one the
// model gives this question. The estimate's interval must contain the rate the judge would report;
// a cache serving near-miss answers must raise its threshold, say `tightened` in the trail, send a
// signed notice to a local webhook, and keep the raised threshold across a restart.

import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/ledger/read.js';
import { REFERENCE_JUDGE_NOISE, finalAnswerLine, finalToken } from '../../src/sim/quality.js';
import { startRestartable, type Restartable } from './restartable.js';

const SIM_SEED = 7;
const MODEL = 'gpt-4o-mini';
const STRENGTH = 0.85; // the simulator's gpt-4o-mini

const TEMPLATES = [
  (w: string) => `How do I bake ${w} bread at home?`,
  (w: string) => `What is the best way to learn ${w}?`,
  (w: string) => `How many calories are in a bowl of ${w}?`,
  (w: string) => `What is the origin of the word ${w}?`,
];
const WORDS = (
  'banana sourdough rye corn garlic potato walnut pumpkin olive cheese ' +
  'french german spanish italian chess guitar piano drawing cooking swimming ' +
  'oatmeal rice pasta chili soup cereal granola yogurt noodles lentils ' +
  'serendipity quarantine salary muscle window budget tragedy orange robot alcohol ' +
  'zucchini carrot onion raisin cinnamon honey almond coconut apple pear ' +
  'japanese korean latin greek calculus painting archery knitting surfing poetry ' +
  'beans barley quinoa couscous porridge broth stew ramen tofu hummus ' +
  'avocado ketchup disaster sabotage muffin canyon hazard mortgage jargon panic ' +
  'spinach cabbage mango lemon ginger pepper mustard vinegar butter bacon ' +
  'russian arabic hindi dutch swahili algebra sculpture fencing rowing juggling ' +
  'millet spelt buckwheat sorghum farro miso kimchi salsa pesto gravy ' +
  'harbor blizzard treaty lantern glacier orbit saddle fortune velvet compass'
).split(' ');

/** a fresh answer's final token, as the simulator's model gives it */
const truthToken = (q: string): string => finalToken(finalAnswerLine(SIM_SEED, MODEL, STRENGTH, q))!;

interface Asked {
  q: string;
  semantic: boolean;
  similarity?: number;
  text: string;
}

async function ask(h: Restartable, q: string, headers: Record<string, string> = {}): Promise<Asked> {
  const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer demo-client', ...headers },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: q }], temperature: 0, max_tokens: 4096 }),
  });
  expect(res.status).toBe(200);
  const j = (await res.json()) as { choices: { message: { content: string } }[] };
  const sim = res.headers.get('x-tollgate-cache-similarity');
  return { q, semantic: sim !== null, similarity: sim === null ? undefined : Number(sim), text: j.choices[0]!.message.content };
}

interface CacheView {
  n: number;
  falseHits: number;
  estimate: number | null;
  interval: [number, number] | null;
  threshold: number;
  baseThreshold: number;
  maxFalseHitRate: number;
  tightened: number;
}

async function cacheView(h: Restartable): Promise<{ view: CacheView | undefined; body: any }> {
  const r = await h.admin('GET', '/admin/quality');
  expect(r.status).toBe(200);
  return { view: r.body.cache[MODEL], body: r.body };
}

const semanticConfig = (threshold: number, tighten: boolean, hookUrl: string) => ({
  // the thresholds here are on the cosine's scale (near-misses sit at 0.6-0.9), so the pair scorer is off
  cache: { semantic: { enabled: true, embedder: { kind: 'builtin', pairScorer: false }, threshold, tightenStep: 0.1, maxFalseHitRate: 0.01, guards: { negation: false, antonyms: false, numbers: false, entities: false } } },
  judge: { model: 'gpt-4o', sampleRate: 0, shadowRate: 0, cacheShadowRate: 1, minSamples: 20, queueSize: 2000, tighten },
  alerts: { intervalSeconds: 3600, channels: [{ name: 'ops', type: 'webhook', url: hookUrl, secret: 'hook-secret' }] },
});

describe("the semantic cache's live false-hit estimate", () => {
  let h: Restartable;
  beforeAll(async () => {
    h = await startRestartable((hook) => semanticConfig(0.6, false, hook), { quality: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shadow-checks every hit, and its interval contains the rate the judge reports on known near-misses and paraphrases', { timeout: 300_000 }, async () => {
    // seeds: stored, never read (no-cache); then a paraphrase of each (the same question to the
    // simulator: a true hit) and a near-miss (another word: another question, a false hit)
    const seeds: string[] = [];
    const nearMisses: string[] = [];
    for (let i = 0; i < 40; i++) {
      const t = TEMPLATES[i % TEMPLATES.length]!;
      seeds.push(t(WORDS[i]!));
      nearMisses.push(t(WORDS[40 + i]!));
    }
    for (const q of seeds) expect((await ask(h, q, { 'cache-control': 'no-cache' })).semantic).toBe(false);
    await new Promise((r) => setTimeout(r, 300)); // stored entries are embedded off the request path
    const asked: Asked[] = [];
    for (let i = 0; i < seeds.length; i++) {
      asked.push(await ask(h, `Please, ${seeds[i]!.toLowerCase()}`));
      asked.push(await ask(h, nearMisses[i]!));
    }
    const hits = asked.filter((a) => a.semantic);
    await h.gw.engine.quality!.idle();

    // the truth, from the simulator's own functions
    const falseHit = hits.map((a) => finalToken(a.text) !== truthToken(a.q));
    const trueRate = falseHit.filter(Boolean).length / hits.length;
    const judgedRate = falseHit.reduce((s, f) => s + (f ? 1 - REFERENCE_JUDGE_NOISE : REFERENCE_JUDGE_NOISE), 0) / hits.length;
    expect(falseHit.some((f) => f)).toBe(true);
    expect(falseHit.some((f) => !f)).toBe(true);

    const { view, body } = await cacheView(h);
    expect(view).toBeDefined();
    // a check whose fresh answer was cut by max_tokens has no reference: skipped, and counted
    expect(view!.n + body.cacheNoReference).toBe(hits.length);
    expect(view!.n).toBeGreaterThan(hits.length * 0.9);
    expect(view!.interval![0]).toBeLessThanOrEqual(judgedRate);
    expect(view!.interval![1]).toBeGreaterThanOrEqual(judgedRate);
    expect(view!.interval![0]).toBeLessThanOrEqual(trueRate);
    expect(view!.interval![1]).toBeGreaterThanOrEqual(trueRate);
    expect(view!.interval![1] - view!.interval![0]).toBeLessThan(0.3);
    // tighten: false: the estimate is above the bound, and nothing moved
    expect(view!.tightened).toBe(0);
    expect(view!.threshold).toBe(0.6);
    expect(body.cacheShadowed).toBe(hits.length);
    expect(body.dropped).toBe(0);
    console.log(`[cache-shadow] ${hits.length} semantic hits of ${asked.length}: true false-hit rate ${trueRate.toFixed(3)}, estimate ${view!.estimate!.toFixed(3)} [${view!.interval!.map((x) => x.toFixed(3)).join(', ')}]`);

    // each check is the gateway's own calls: an upstream shadow and a judge call, priced, keyed tollgate:judge
    await h.gw.ledger.flush();
    const records = readLedger(h.dataDir, { last: 5000 });
    const shadows = records.filter((r) => r.endpoint === 'internal:shadow');
    expect(shadows.length).toBe(hits.length);
    expect(shadows.every((r) => r.keyId === 'tollgate:judge' && r.model === MODEL && r.attempts?.[0]?.purpose === 'shadow' && r.costUsd > 0)).toBe(true);
    expect(records.filter((r) => r.endpoint === 'internal:judge').length).toBe(hits.length);
  });
});

describe('the semantic cache tightens itself', () => {
  let h: Restartable;
  beforeAll(async () => {
    h = await startRestartable((hook) => semanticConfig(0.6, true, hook), { quality: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('raises its threshold when the judge finds its hits wrong, says so in the trail, alerts, and keeps the threshold across a restart', { timeout: 600_000 }, async () => {
    const seeds = Array.from({ length: 20 }, (_, i) => TEMPLATES[i % TEMPLATES.length]!(WORDS[i]!));
    for (const q of seeds) await ask(h, q, { 'cache-control': 'no-cache' });
    await new Promise((r) => setTimeout(r, 300));
    // near-misses only: every semantic hit answers another question
    const before: Asked[] = [];
    let view: CacheView | undefined;
    let next = 20;
    for (let round = 0; round < 4 && !(view?.tightened); round++) {
      for (let i = 0; i < 20 && next < WORDS.length; i++, next++) before.push(await ask(h, TEMPLATES[next % TEMPLATES.length]!(WORDS[next]!)));
      await h.gw.engine.quality!.idle();
      view = (await cacheView(h)).view;
    }
    expect(view!.tightened).toBeGreaterThanOrEqual(1);
    expect(view!.threshold).toBeGreaterThan(0.6);
    const raised = view!.threshold;
    expect(before.filter((a) => a.semantic).every((a) => finalToken(a.text) !== truthToken(a.q))).toBe(true);

    // the next semantic lookup's trail says so, once
    await ask(h, TEMPLATES[1]!('mandarin'));
    await h.gw.ledger.flush();
    const tightened = readLedger(h.dataDir, { last: 5000 }).filter((r) => r.trail.some((t) => t.stage === 'cache' && t.decision === 'tightened'));
    expect(tightened.length).toBe(1);
    expect(tightened[0]!.cacheStatus).toBe('semantic_hit');
    const step = tightened[0]!.trail.find((t) => t.decision === 'tightened')!;
    expect(step.reason).toMatch(/^semantic threshold 0\.6 -> 0\.7: false-hit rate 1\.000 \(lower bound 0\.\d+ at 0\.975, 20 of 20 judged hits\) > maxFalseHitRate 0\.01$/);
    expect(step.data).toMatchObject({ policy: MODEL, from: 0.6, to: 0.7 });

    // an alert: a signed notice on the local webhook, and the alert history
    for (let i = 0; i < 50 && !h.notices.some((n) => JSON.parse(n.body).rule === `tightened:cache:${MODEL}`); i++) await new Promise((r) => setTimeout(r, 100));
    const notice = h.notices.find((n) => JSON.parse(n.body).rule === `tightened:cache:${MODEL}`)!;
    expect(notice).toBeDefined();
    expect(JSON.parse(notice.body)).toMatchObject({ rule: `tightened:cache:${MODEL}`, state: 'firing', value: 1, threshold: 0.01, metric: 'false_hit_rate', detail: { lever: 'cache', name: MODEL, from: 0.6, to: 0.7, n: 20 } });
    expect(notice.sig).toBe('sha256=' + createHmac('sha256', 'hook-secret').update(notice.body).digest('hex'));
    const hist = await h.admin('GET', `/admin/alerts/history?rule=${encodeURIComponent(`tightened:cache:${MODEL}`)}`);
    expect(hist.body.events[hist.body.events.length - 1]).toMatchObject({ state: 'firing', value: 1, threshold: 0.01, delivered: ['ops'] });

    // more near-misses: the cache goes on tightening until they stop hitting
    const rounds: number[] = [];
    for (let round = 0; round < 8 && (await cacheView(h)).view!.threshold < 0.9 && next < WORDS.length; round++) {
      let hits = 0, asked = 0;
      for (let i = 0; i < 20 && next < WORDS.length; i++, next++, asked++) if ((await ask(h, TEMPLATES[next % TEMPLATES.length]!(WORDS[next]!))).semantic) hits++;
      rounds.push(hits / asked);
      await h.gw.engine.quality!.idle();
    }
    const last: Asked[] = [];
    for (let i = 0; i < 20 && next < WORDS.length; i++, next++) last.push(await ask(h, TEMPLATES[next % TEMPLATES.length]!(WORDS[next]!)));
    const lastShare = last.filter((a) => a.semantic).length / last.length;
    console.log(`[cache-tighten] near-miss hit share per round of 20 after the first tightening: ${rounds.map((r) => r.toFixed(2)).join(', ')}; last ${last.length}: ${lastShare.toFixed(2)} (first round: ${(before.slice(0, 20).filter((a) => a.semantic).length / 20).toFixed(2)})`);
    expect(lastShare).toBeLessThan(0.5);

    // a restart on the same data dir: the raised threshold and the estimate are back, no notice re-sent
    const noticesBefore = h.notices.length;
    const kept = (await cacheView(h)).view!;
    await h.restart();
    const after = (await cacheView(h)).view!;
    expect(after).toMatchObject({ threshold: kept.threshold, tightened: kept.tightened, n: kept.n, falseHits: kept.falseHits, baseThreshold: 0.6 });
    console.log(`[cache-tighten] first tightening after ${before.length} near-misses; threshold 0.6 -> ${raised} (then ${kept.threshold}, ${kept.tightened}x); after restart ${after.threshold}`);
    // a near-miss that 0.6 lets through (similarity ~0.72, see the seeds below) misses now
    await ask(h, 'What is the capital of France?', { 'cache-control': 'no-cache' });
    await new Promise((r) => setTimeout(r, 300));
    const nearMiss = await ask(h, 'What is the capital of Germany?');
    expect(kept.threshold).toBeGreaterThan(0.72);
    expect(nearMiss.semantic).toBe(false);
    expect(h.notices.length).toBe(noticesBefore);

    // a restart under another base threshold: the saved state is stale, and not applied
    await h.restart(semanticConfig(0.55, true, h.hookUrl));
    const stale = await cacheView(h);
    expect(stale.body.staleDiscarded).toBe(1);
    expect(stale.view).toBeUndefined();
    const hitNow = await ask(h, 'What is the capital of Spain?');
    expect(hitNow.semantic).toBe(true);
  });
});
