// Break-even, not habit: a trim that breaks a prefix the provider has cached costs the lost
// cached-input discount (and the write again); the stage trims only when what it saves is more.
// Prices are the catalog's (gpt-4o: $2.50 input, $1.25 cached; claude-sonnet-4: $3, $0.30 read, $3.75 5-minute write).
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/core/canonical.js';
import { breakEven, PrefixMemory } from '../../src/levers/trim/break-even.js';
import { assistant, ctxFor, downstream, request, stage, user } from './helpers.js';
import { estimateInputTokens } from '../../src/core/tokens.js';

const big = (i: number) => `Section ${i}. ` + 'The quarterly report lists revenue, costs, headcount and risks by region. '.repeat(110);

/** a small first turn, then four long ones (each ~1,500 tokens) */
function longConversation(): Message[] {
  const out: Message[] = [user('hi'), assistant('hello')];
  for (let i = 1; i <= 4; i++) out.push(user(big(i)), assistant(`noted ${i}`));
  return out;
}

describe('breakEven (pure)', () => {
  it('nets the saved tokens against the cached prefix lost and the summary', () => {
    const p = { input: 2.5e-6, cacheRead: 1.25e-6, write: 2.5e-6 };
    const be = breakEven({ tokens: 10_000, cachedTokens: 8_000 }, { tokens: 9_000, cachedTokens: 1_000 }, p, 0.001);
    expect(be.tokensRemoved).toBe(1000);
    expect(be.grossUsd).toBeCloseTo(0.0025, 12);
    expect(be.lostCacheUsd).toBeCloseTo(7000 * 1.25e-6, 12);
    expect(be.netUsd).toBeCloseTo(0.0025 - 0.00875 - 0.001, 12);
  });
});

describe('PrefixMemory (the provider cache estimate)', () => {
  const prefixes = [{ hash: 'a', tokens: 500 }, { hash: 'b', tokens: 1500 }, { hash: 'c', tokens: 3000 }];
  it('the longest remembered prefix within the TTL and above the minimum counts as cached', () => {
    const m = new PrefixMemory(100);
    m.remember('r', prefixes.slice(0, 2), 0);
    expect(m.cachedTokens('r', prefixes, 300_000, 1024, 1000)).toBe(1500);
    expect(m.cachedTokens('other-route', prefixes, 300_000, 1024, 1000)).toBe(0);
    expect(m.cachedTokens('r', prefixes, 300_000, 1024, 300_001)).toBe(0);
    m.remember('r', prefixes.slice(0, 1), 0);
    expect(m.cachedTokens('r', [prefixes[0]!], 300_000, 1024, 1)).toBe(0);
  });
  it('is bounded in all routes together, the least recently sent forgotten first', () => {
    const m = new PrefixMemory(50);
    for (let r = 0; r < 100; r++) m.remember(`route${r}`, [{ hash: 'x', tokens: 2000 }, { hash: 'y', tokens: 4000 }], r);
    expect(m.size).toBe(50);
    expect(m.has('route99', 'y', 1000, 100)).toBe(true);
    expect(m.has('route0', 'x', 1000, 100)).toBe(false);
    m.remember('long', Array.from({ length: 500 }, (_, i) => ({ hash: `h${i}`, tokens: i * 10 })), 200);
    expect(m.size).toBe(50);
    expect(m.has('long', 'h499', 1000, 200)).toBe(true);
  });
});

describe('the stage decides by break-even', () => {
  it('does not trim a cached prefix when trimming costs more than it saves', async () => {
    // first request: under any budget we give the second one, so it goes whole (and is remembered as cached)
    const first = request([...longConversation(), user('summarise section 4')]);
    const second = request([...first.messages, assistant('Section 4 says...'), user('and the risks?')]);
    const budget = estimateInputTokens(second) - 5;
    const staged = stage({ enabled: true, history: { maxInputTokens: budget, cutToRatio: 1 } });
    for (const [req, expectTrim] of [[first, false], [second, false]] as const) {
      const ctx = ctxFor(req);
      const d = downstream();
      await staged.handle(ctx, () => d.next(ctx));
      if (!expectTrim) expect(d.seen[0]).toBe(req);
      if (req === second) {
        const e = ctx.trail.find((t) => t.stage === 'trim')!;
        expect(e.decision).toBe('keep');
        const data = e.data as { grossUsd: number; lostCacheUsd: number; netUsd: number; cachedTokensBefore: number; cachedTokensAfter: number; tokensRemoved: number };
        expect(data.cachedTokensBefore).toBeGreaterThan(6000);
        expect(data.tokensRemoved).toBeGreaterThan(0);
        expect(data.lostCacheUsd).toBeGreaterThan(data.grossUsd);
        expect(data.netUsd).toBeLessThan(0);
        expect(ctx.trim).toBeUndefined();
        expect(ctx.rewritten).toBe(false);
      }
    }
  });

  it('trims the same request when nothing is cached (a fresh memory)', async () => {
    const second = request([...longConversation(), user('summarise section 4'), assistant('Section 4 says...'), user('and the risks?')]);
    const staged = stage({ enabled: true, history: { maxInputTokens: estimateInputTokens(second) - 5, cutToRatio: 1 } });
    const ctx = ctxFor(second);
    const d = downstream();
    await staged.handle(ctx, () => d.next(ctx));
    const e = ctx.trail.find((t) => t.stage === 'trim')!;
    expect(e.decision).toBe('history');
    expect(d.seen[0]!.messages).toEqual(second.messages.slice(2));
    expect((e.data as { lostCacheUsd: number }).lostCacheUsd).toBe(0);
    expect(ctx.trim!.savedUsd).toBeCloseTo(ctx.trim!.inputTokensRemoved * 2.5e-6, 12);
  });

  it('trims a cached prefix when the tokens removed are worth more than the cache it breaks', async () => {
    // the old turns are the long ones: dropping them saves more than re-reading the short rest costs
    const msgs: Message[] = [];
    for (let i = 1; i <= 4; i++) msgs.push(user(big(i)), assistant(`noted ${i}`));
    const first = request([...msgs, user('q1')]);
    // the budget forces a cut on the second turn; cutting down to a quarter of it drops the long turns
    const staged = stage({ enabled: true, history: { maxInputTokens: estimateInputTokens(first) + 10, cutToRatio: 0.25 } });
    let ctx = ctxFor(first);
    let d = downstream();
    await staged.handle(ctx, () => d.next(ctx));
    expect(d.seen[0]).toBe(first);
    const second = request([...first.messages, assistant('a1'), user('q2 ' + 'x '.repeat(40))]);
    ctx = ctxFor(second);
    d = downstream();
    await staged.handle(ctx, () => d.next(ctx));
    const e = ctx.trail.find((t) => t.stage === 'trim')!;
    expect(e.decision).toBe('history');
    const data = e.data as { grossUsd: number; lostCacheUsd: number; netUsd: number; cachedTokensBefore: number; droppedTurns: number };
    expect(data.droppedTurns).toBe(4);
    expect(data.cachedTokensBefore).toBeGreaterThan(6000);
    expect(data.lostCacheUsd).toBeGreaterThan(0);
    expect(data.netUsd).toBeGreaterThan(0);
  });

  it('an Anthropic model without breakpoints has no cache to lose; with them the write price counts', async () => {
    const msgs = [...longConversation(), user('q')];
    const target = { provider: 'sim-anthropic', model: 'claude-sonnet-4' };
    const noCache = stage({ enabled: true, history: { keepLastTurns: 1 } }, { breakpoints: () => false, ttlSeconds: () => 300 });
    let ctx = ctxFor(request(msgs, { model: 'claude-sonnet-4' }), { target });
    await noCache.handle(ctx, () => downstream().next(ctx));
    const plain = ctx.trail.find((t) => t.stage === 'trim')!.data as { grossUsd: number; tokensRemoved: number };
    expect(plain.grossUsd).toBeCloseTo(plain.tokensRemoved * 3e-6, 12);
    const cached = stage({ enabled: true, history: { keepLastTurns: 1 } }, { breakpoints: () => true, ttlSeconds: () => 300 });
    ctx = ctxFor(request(msgs, { model: 'claude-sonnet-4' }), { target });
    await cached.handle(ctx, () => downstream().next(ctx));
    const written = ctx.trail.find((t) => t.stage === 'trim')!.data as { grossUsd: number; tokensRemoved: number };
    // every token it sends is written at 1.25x, so every token it removes saves that much
    expect(written.grossUsd).toBeCloseTo(written.tokensRemoved * 3.75e-6, 12);
  });

  it('a budget cut is made to cutToRatio and reused on the next turns, so its prefix stays cached', async () => {
    const msgs: Message[] = [];
    for (let i = 1; i <= 6; i++) msgs.push(user(big(i)), assistant(`noted ${i}`));
    const budget = 6000;
    const staged = stage({ enabled: true, history: { maxInputTokens: budget, cutToRatio: 0.6 } });
    const turns: { cut: number; cachedAfter: number; sentTokens: number }[] = [];
    let conv = [...msgs];
    for (let t = 0; t < 3; t++) {
      conv = [...conv, user(`follow-up ${t}`)];
      const ctx = ctxFor(request(conv));
      const d = downstream();
      await staged.handle(ctx, () => d.next(ctx));
      const e = ctx.trail.find((x) => x.stage === 'trim' && x.decision === 'history')!;
      turns.push({ cut: (e.data as { cut: number }).cut, cachedAfter: (e.data as { cachedTokensAfter: number }).cachedTokensAfter, sentTokens: estimateInputTokens(d.seen[0]!) });
      conv = [...conv, assistant(`reply ${t}`)];
    }
    expect(turns.every((t) => t.sentTokens <= budget)).toBe(true);
    expect(turns[0]!.sentTokens).toBeLessThanOrEqual(budget * 0.6);
    expect(turns[1]!.cut).toBe(turns[0]!.cut);
    expect(turns[2]!.cut).toBe(turns[0]!.cut);
    expect(turns[0]!.cachedAfter).toBe(0);
    expect(turns[1]!.cachedAfter).toBeGreaterThan(1024);
  });

  it('a window keeps its earlier cut while that prefix is cached, and moves on when moving pays', async () => {
    const msgs: Message[] = [];
    for (let i = 1; i <= 4; i++) msgs.push(user(big(i)), assistant(`noted ${i}`));
    const staged = stage({ enabled: true, history: { keepLastTurns: 3 } });
    const cuts: number[] = [];
    let conv = [...msgs];
    for (let t = 0; t < 6; t++) {
      conv = [...conv, user(t % 3 === 2 ? big(10 + t) : `follow-up ${t}`)];
      const ctx = ctxFor(request(conv));
      await staged.handle(ctx, () => downstream().next(ctx));
      const e = ctx.trail.find((x) => x.stage === 'trim')!;
      cuts.push(e.decision === 'history' ? (e.data as { cut: number }).cut : 0);
      conv = [...conv, assistant(`reply ${t}`)];
    }
    // the first cut keeps the last 3 turns; the short follow-ups reuse it (cached) instead of moving
    // the window one turn each time; a long turn makes moving worth it
    // (by habit the cuts would be 2, 3, 4, 5, 6, 7: a new prefix every turn)
    expect(cuts).toEqual([2, 2, 4, 4, 4, 7]);
  });
});
