// History rules: whole turns only, a tool call keeps its result, pinned messages and the system
// prompt stay, the current turn stays; token budgets checked with the real tokenizer.
import { describe, expect, it } from 'vitest';
import type { ChatRequest, Message } from '../../src/core/canonical.js';
import { estimateInputTokens } from '../../src/core/tokens.js';
import { cutForLastTurns, dropUnits, parsePinHeader, unitsOf } from '../../src/levers/trim/history.js';
import { assistant, conversation, ctxFor, downstream, request, stage, user } from './helpers.js';

const noPins = { pinFirstTurns: 0, pinNames: [] as string[], pinnedIndices: new Set<number>() };

const toolTurn = (id: string, q: string): Message[] => [
  user(q),
  { role: 'assistant', content: [{ type: 'tool_call', id, name: 'lookup', arguments: `{"q":"${q}"}` }] },
  { role: 'tool', content: [{ type: 'tool_result', toolCallId: id, content: `result for ${q}` }] },
  assistant(`answer to ${q}`),
];

/** every tool result in `messages` has its call before it, and every call its result */
function pairsIntact(messages: readonly Message[]): boolean {
  const calls = new Set<string>();
  const results = new Set<string>();
  for (const m of messages)
    for (const p of m.content) {
      if (p.type === 'tool_call') calls.add(p.id);
      if (p.type === 'tool_result') {
        if (!calls.has(p.toolCallId)) return false;
        results.add(p.toolCallId);
      }
    }
  return [...calls].every((c) => results.has(c));
}

async function run(config: object, req: ChatRequest, headers: Record<string, string> = {}) {
  const s = stage({ enabled: true, ...config });
  const ctx = ctxFor(req, { headers });
  const d = downstream();
  await s.handle(ctx, () => d.next(ctx));
  return { ctx, sent: d.seen[0]! };
}

describe('history units', () => {
  it('a turn runs from a user message to the next one; a tool call and its result are in one unit', () => {
    const msgs = [...toolTurn('a', 'one'), ...toolTurn('b', 'two'), user('three')];
    const units = unitsOf(msgs, noPins);
    expect(units.map((u) => [u.start, u.end])).toEqual([[0, 4], [4, 8], [8, 9]]);
  });

  it('a tool result that comes after a later user message pulls both turns into one unit', () => {
    const msgs: Message[] = [
      user('start'),
      { role: 'assistant', content: [{ type: 'tool_call', id: 'x', name: 'slow', arguments: '{}' }] },
      user('are you there?'),
      { role: 'tool', content: [{ type: 'tool_result', toolCallId: 'x', content: 'done' }] },
      assistant('yes'),
      user('now'),
    ];
    const units = unitsOf(msgs, noPins);
    expect(units.map((u) => [u.start, u.end])).toEqual([[0, 5], [5, 6]]);
    const { request: r } = dropUnits(request(msgs), units, 1);
    expect(r.messages).toEqual([msgs[5]]);
  });

  it('Anthropic-style tool results (a user message of tool_result parts) continue the turn', () => {
    const msgs: Message[] = [
      user('weather?'),
      { role: 'assistant', content: [{ type: 'text', text: 'checking' }, { type: 'tool_call', id: 't1', name: 'weather', arguments: '{}' }] },
      { role: 'user', content: [{ type: 'tool_result', toolCallId: 't1', content: 'sunny' }] },
      assistant('sunny'),
      user('thanks'),
    ];
    expect(unitsOf(msgs, noPins).map((u) => [u.start, u.end])).toEqual([[0, 4], [4, 5]]);
  });

  it('pins: the first turns, messages by name, and indices from the x-tollgate-pin header', () => {
    const msgs = conversation(6);
    expect(unitsOf(msgs, { ...noPins, pinFirstTurns: 1 }).map((u) => u.pinned)).toEqual([true, false, false, false, false, false]);
    const named = msgs.map((m, i) => (i === 4 ? { ...m, name: 'pinned' } : m));
    expect(unitsOf(named, { ...noPins, pinNames: ['pinned'] }).map((u) => u.pinned)).toEqual([false, false, true, false, false, false]);
    expect(unitsOf(msgs, { ...noPins, pinnedIndices: parsePinHeader('3, 7,x,-1') }).map((u) => u.pinned)).toEqual([false, true, false, true, false, false]);
  });

  it('keepLastTurns counts the current turn and never the pinned ones', () => {
    const units = unitsOf(conversation(6), { ...noPins, pinFirstTurns: 1 });
    expect(cutForLastTurns(units, 2)).toBe(3);
    expect(cutForLastTurns(units, 10)).toBe(0);
  });
});

describe('the trim stage on history', () => {
  it('keeps the system prompt, the pinned turn and the last N turns, whole', async () => {
    const msgs = conversation(8);
    const { ctx, sent } = await run({ history: { keepLastTurns: 3, pinFirstTurns: 1 } }, request(msgs));
    expect(sent.system).toEqual([{ type: 'text', text: 'You are a helpful assistant.' }]);
    // turn 0 (pinned), then turns 5, 6 and 7 (the current one)
    expect(sent.messages).toEqual([msgs[0], msgs[1], ...msgs.slice(10)]);
    expect(sent.messages[0]!.role).toBe('user');
    expect(ctx.rewritten).toBe(true);
    expect(ctx.trim!.inputTokensRemoved).toBe(estimateInputTokens(request(msgs)) - estimateInputTokens(sent));
    const entry = ctx.trail.find((e) => e.stage === 'trim' && e.decision === 'history')!;
    expect(entry.data).toMatchObject({ droppedTurns: 4, tokensRemoved: ctx.trim!.inputTokensRemoved });
    expect(entry.data!.netUsd as number).toBeGreaterThan(0);
  });

  it('never splits a tool call from its result, whatever N', async () => {
    const msgs = [...toolTurn('a', 'one'), ...toolTurn('b', 'two'), ...toolTurn('c', 'three'), user('four')];
    for (const n of [1, 2, 3]) {
      const { sent } = await run({ history: { keepLastTurns: n } }, request(msgs));
      expect(pairsIntact(sent.messages)).toBe(true);
      expect(sent.messages[0]!.role).toBe('user');
      expect(sent.messages.length).toBe(1 + 4 * (n - 1));
    }
  });

  it('the current turn stays even when it alone is over the budget', async () => {
    const msgs = [...conversation(3), user('long '.repeat(3000))];
    const { sent } = await run({ history: { maxInputTokens: 500 } }, request(msgs));
    expect(sent.messages).toEqual([msgs[msgs.length - 1]]);
  });

  it('fits a token budget counted with the real tokenizer, dropping no more than needed (cutToRatio 1)', async () => {
    const msgs = conversation(12, 80);
    const full = estimateInputTokens(request(msgs));
    const budget = Math.floor(full * 0.6);
    const { sent } = await run({ history: { maxInputTokens: budget, cutToRatio: 1 } }, request(msgs));
    expect(estimateInputTokens(sent)).toBeLessThanOrEqual(budget);
    // one turn more would not have fitted
    const kept = sent.messages.length;
    const oneMore = request(msgs.slice(msgs.length - kept - 2));
    expect(estimateInputTokens(oneMore)).toBeGreaterThan(budget);
  });

  it('a request under its budget is not touched (the relay keeps the client bytes)', async () => {
    const msgs = conversation(3);
    const req = request(msgs);
    const { ctx, sent } = await run({ history: { maxInputTokens: 100_000 } }, req);
    expect(sent).toBe(req);
    expect(ctx.rewritten).toBe(false);
    expect(ctx.trim).toBeUndefined();
  });

  it('a route that is not enabled is not trimmed; a route section overrides the top level', async () => {
    const msgs = conversation(6);
    const off = await run({ enabled: false, history: { keepLastTurns: 1 } }, request(msgs));
    expect(off.sent.messages).toHaveLength(msgs.length);
    const s = stage({ enabled: false, history: { keepLastTurns: 1 }, routes: { 'gpt-4o': { enabled: true, history: { keepLastTurns: 2 } } } });
    const ctx = ctxFor(request(msgs));
    const d = downstream();
    await s.handle(ctx, () => d.next(ctx));
    expect(d.seen[0]!.messages).toEqual(msgs.slice(-3));
  });

  it('a long agent conversation (5,000 tool turns) is cut in one pass, every pair intact', async () => {
    const msgs: Message[] = [];
    for (let i = 0; i < 5000; i++) msgs.push(...toolTurn(`t${i}`, `q${i}`));
    msgs.push(user('done?'));
    const { sent } = await run({ history: { keepLastTurns: 3 } }, request(msgs));
    expect(sent.messages).toEqual(msgs.slice(-9));
    expect(pairsIntact(sent.messages)).toBe(true);
  });
});
