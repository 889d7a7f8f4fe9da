// The case-study workload: what it is made of, from the public data, and its trimmed variant.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSupportWorkload, systemPrompt } from '../../src/forecast/case-study.js';
import { countTextTokens } from '../../src/core/tokens.js';
import { promptAnatomy } from '../../src/core/prompt-anatomy.js';
import { replayPolicy } from '../../src/forecast/replay/run.js';
import type { ReplayItem } from '../../src/forecast/replay/item.js';

const opts = { sharedDataDir: '../shared/data', requests: 200, cheapModels: ['cheap-id'], strongModels: ['strong-id'] };

/** built from the public data beside the checkout (../shared/data); skipped without it */
describe.skipIf(!existsSync('../shared/data/gptcache-qqp'))('the support workload', () => {
  const items = existsSync('../shared/data/gptcache-qqp') ? buildSupportWorkload(opts) : [];

  it('has a long system prompt, ten retrieved chunks, multi-turn sessions and arrivals in order', () => {
    expect(items).toHaveLength(200);
    const sys = countTextTokens(systemPrompt(false));
    expect(sys).toBeGreaterThanOrEqual(2900);
    expect(sys).toBeLessThan(3300);
    const first = items[0]!.request.messages.at(-1)!.content[0]!;
    expect(first.type === 'text' && (first.text.match(/<document id="\d+">/g) ?? []).length).toBe(10);
    // the prompt anatomy sees the ten documents as ten chunks: what the trim lever's context.topK re-ranks
    expect(first.type === 'text' && promptAnatomy(items[0]!.request).chunks.length).toBe(10);
    expect(items.some((i) => i.request.messages.length > 1)).toBe(true);
    for (let k = 1; k < items.length; k++) expect(items[k]!.at).toBeGreaterThanOrEqual(items[k - 1]!.at);
  });

  it('repeats FAQ questions, carries recorded outcomes for the knowledge questions, marks background work and the engineering queue', () => {
    const users = items.map((i) => {
      const p = i.request.messages.at(-1)!.content[0]!;
      return p.type === 'text' ? p.text : '';
    });
    expect(new Set(users).size).toBeLessThan(users.length);
    const known = items.filter((i) => i.outcomes);
    expect(known.length).toBeGreaterThan(40);
    for (const i of known) expect(Object.keys(i.outcomes!)).toEqual(['cheap-id', 'strong-id']);
    expect(items.some((i) => i.background)).toBe(true);
    expect(items.some((i) => i.headers?.['x-support-queue'] === 'engineering')).toBe(true);
  });

  it('the short-system variant: the same questions and chunks with an ~800-token system prompt', () => {
    const short = buildSupportWorkload({ ...opts, shortSystemPrompt: true });
    expect(short.map((i) => i.id)).toEqual(items.map((i) => i.id));
    const sys = countTextTokens(systemPrompt(true));
    expect(sys).toBeGreaterThanOrEqual(780);
    expect(sys).toBeLessThan(1000);
    expect(short.map((i) => i.request.messages)).toEqual(items.map((i) => i.request.messages));
    const total = (xs: typeof items) => xs.reduce((a, i) => a + i.inputTokens, 0);
    // the workload's input counts are the gateway's estimates (exact for the first 8 Ki characters,
    // extrapolated past them), so the saving is checked against the system prompts' exact difference
    // within 15% (measured: 11% under), not to the token
    const saved = countTextTokens(systemPrompt(false)) - sys;
    expect(saved).toBeGreaterThan(2000);
    expect(total(items) - total(short)).toBeGreaterThan(0.85 * saved * items.length);
  });
});

/** The trimming step of the case study is the trim lever's policy, replayed: its bar is the lever's own. */
describe.skipIf(!existsSync('../shared/data/gptcache-qqp'))('the case study trimming step: the trim lever', () => {
  const SONNET = 'claude-sonnet-4-20250514';
  const policy = (trim: boolean) => ({
    providers: [{ name: 'anthropic', kind: 'anthropic', baseUrl: 'https://api.anthropic.com' }],
    models: [{ name: 'claude-sonnet-4', provider: 'anthropic', model: SONNET }],
    routes: { support: { tiers: [{ name: 'strong', models: ['claude-sonnet-4'] }], baseline: 'claude-sonnet-4' } },
    cache: { promptCache: { enabled: true } },
    ...(trim ? { trim: { enabled: true, context: { topK: 3 }, history: { keepLastTurns: 2 } } } : {}),
    pipeline: trim ? ['router', 'trim', 'prompt-cache', 'execute'] : ['router', 'prompt-cache', 'execute'],
  });
  async function* each(items: ReplayItem[]): AsyncGenerator<ReplayItem> {
    for (const it of items) yield { ...it };
  }

  it('cuts retrieved chunks (top 3 of 10) and old turns; the cost falls by what the records say trimming saved', async () => {
    const items = buildSupportWorkload({ ...opts, requests: 120, cheapModels: [], strongModels: [SONNET] });
    const whole = await replayPolicy(each(items), { policy: policy(false) });
    const trimmed = await replayPolicy(each(items), { policy: policy(true) });
    const sent = (r: typeof whole) => r.tokens.input + r.tokens.cacheRead + r.tokens.cacheWrite;
    expect(whole.savedByLever?.trimming).toBeUndefined();
    // ten ~250-token chunks per request, seven of them cut: well over 1,000 tokens a request
    expect(sent(whole) - sent(trimmed)).toBeGreaterThan(1000 * items.length);
    expect(trimmed.costUsd).toBeLessThan(whole.costUsd);
    // the prefix (the system prompt) is untouched: prompt caching reads as much as before
    expect(trimmed.tokens.cacheRead).toBe(whole.tokens.cacheRead);
    const bar = trimmed.savedByLever?.trimming ?? 0;
    expect(bar).toBeGreaterThan(0);
    expect(Math.abs(bar - (whole.costUsd - trimmed.costUsd))).toBeLessThan(0.02 * bar);
  }, 120_000);
});
