// Calendar periods in a time zone, and what happens when one ends: spend starts again at zero, the
// thresholds are announced afresh, and the ended period's counters leave memory.

import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import { createContext } from '../../src/engine/context.js';
import { Pricing } from '../../src/engine/pricing.js';
import { attemptRecord } from '../../src/engine/attempts.js';
import { ModelRegistry } from '../../src/pipeline/model-registry.js';
import { createSpend } from '../../src/spend/index.js';
import type { BudgetEvent } from '../../src/spend/notify.js';
import { periodAt } from '../../src/spend/periods.js';
import { inputTokensUpperBound } from '../../src/spend/token-bound.js';
import { estimateInputTokens } from '../../src/core/tokens.js';
import type { ChatRequest } from '../../src/core/canonical.js';

describe('calendar periods', () => {
  it('days and months start at local midnight, DST included', () => {
    const t = Date.UTC(2026, 2, 29, 12); // the day Paris moves to summer time
    const paris = periodAt('day', 'Europe/Paris', t);
    expect(paris.label).toBe('2026-03-29');
    expect(new Date(paris.startMs).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(paris.endMs).toISOString()).toBe('2026-03-29T22:00:00.000Z'); // a 23-hour day
    const la = periodAt('month', 'America/Los_Angeles', Date.UTC(2026, 11, 1, 3)); // still November there
    expect(la.label).toBe('2026-11');
    expect(new Date(la.endMs).toISOString()).toBe('2026-12-01T08:00:00.000Z');
    const utc = periodAt('month', 'UTC', Date.UTC(2026, 11, 31, 23, 59));
    expect([utc.label, new Date(utc.endMs).toISOString()]).toEqual(['2026-12', '2027-01-01T00:00:00.000Z']);
  });
});

describe('the byte bound on input tokens', () => {
  it('is never below the tokenizer count, for ASCII, CJK, emoji and tool calls', () => {
    const texts = ['Hello there, how are you?', '今日は良い天気ですね。東京タワーに行きましょう。', '🙂🙃🎉 emoji 🎉🙃🙂'.repeat(20), 'a'.repeat(5000), ' \n\t '.repeat(300)];
    for (const text of texts) {
      const req: ChatRequest = {
        model: 'm',
        system: [{ type: 'text', text }],
        messages: [
          { role: 'user', content: [{ type: 'text', text }] },
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c1', name: 'lookup', arguments: JSON.stringify({ q: text }) }] },
        ],
        tools: [{ name: 'lookup', description: text, parameters: { type: 'object', properties: { q: { type: 'string' } } } }],
        stream: false,
        includeUsage: false,
        extra: {},
      };
      expect(inputTokensUpperBound(req)).toBeGreaterThanOrEqual(estimateInputTokens(req));
    }
  });
});

describe('a period ends', () => {
  it('spend starts again at zero, thresholds are announced again, and the old counters leave memory', async () => {
    let clock = Date.UTC(2026, 11, 3, 22, 0);
    const config = resolveConfig({
      dataDir: '/tmp/tollgate-periods-test',
      auth: { mode: 'keys', keys: [{ id: 'app', sha256: 'a'.repeat(64), team: 't' }] },
      providers: [{ name: 'p', kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' }],
      models: [{ name: 'gpt-4o-mini', provider: 'p', price: { provider: 'openai', model: 'gpt-4o-mini' } }],
      budgets: [{ scope: 'team', id: 't', period: 'day', limitUsd: 0.001, thresholds: [0.5] }],
    }, '(test)', {});
    const registry = new ModelRegistry(config.models, []);
    const pricing = new Pricing(PriceCatalog.load(config.prices), registry);
    const events: BudgetEvent[] = [];
    const notifier = { send: (e: BudgetEvent) => void events.push(e), sent: 0, failed: 0, dropped: 0, idle: async () => undefined };
    const spend = await createSpend(config, { pricing, registry, stores: { notifier }, now: () => clock });
    const c = spend.control;
    const target = { provider: 'p', model: 'gpt-4o-mini' };
    const request: ChatRequest = { model: 'gpt-4o-mini', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], maxTokens: 100, stream: false, includeUsage: false, extra: {} };
    const own = { chat: async () => { throw new Error('unused'); }, embed: async () => [] };
    const call = (cost: number) => {
      const ctx = createContext({ format: 'openai', endpoint: '/v1/chat/completions', headers: {} }, own);
      (ctx as { caller: unknown }).caller = { keyId: 'app', team: 't' };
      const hold = c.reserve(ctx, target, request);
      c.attach(hold, attemptRecord(target, clock, { status: 200, costUsd: cost }));
      c.finish(ctx);
    };
    call(0.0006);
    expect(events.map((e) => `${e.type}@${e.threshold}:${e.periodLabel}`)).toEqual(['budget.threshold@0.5:2026-12-03']);
    expect(() => call(0.0001)).not.toThrow();
    const counters = c.deps.counters;
    const keysBefore = [...counters.keys()];
    expect(keysBefore.some((k) => k.endsWith('|2026-12-03'))).toBe(true);

    clock = Date.UTC(2026, 11, 4, 0, 0, 1); // a new day (UTC)
    call(0.0006);
    expect(events.map((e) => `${e.type}@${e.threshold}:${e.periodLabel}`)).toEqual(['budget.threshold@0.5:2026-12-03', 'budget.threshold@0.5:2026-12-04']);
    const keysAfter = [...counters.keys()];
    expect(keysAfter.some((k) => k.includes('2026-12-03'))).toBe(false);
    expect(keysAfter.some((k) => k.endsWith('|2026-12-04'))).toBe(true);
    await spend.close();
  });
});
