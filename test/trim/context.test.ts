// Retrieved context: the top k chunks by BM25 relevance to the latest question, within a token
// budget, in their original order; chunks recognised as the prompt anatomy documents them.
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../src/core/canonical.js';
import { promptAnatomy } from '../../src/core/prompt-anatomy.js';
import { estimateInputTokens } from '../../src/core/tokens.js';
import { pickChunks, trimContext } from '../../src/levers/trim/context.js';
import { ctxFor, downstream, request, stage, user } from './helpers.js';

const DOCS = [
  ['shipping', 'Orders ship within two business days from our warehouse. Shipping is free above fifty dollars.'],
  ['refunds', 'Refunds are issued to the original payment method within 14 days of receiving the returned item.'],
  ['warranty', 'The warranty covers manufacturing defects for two years; accidental damage is not covered.'],
  ['accounts', 'You can change your password from the account settings page under security.'],
  ['returns', 'Returns are accepted within 30 days; the item must be unused and in its original packaging for a refund.'],
  ['stores', 'Our stores open at nine and close at six, Monday to Saturday.'],
  ['gift-cards', 'Gift cards never expire and can be used online or in any store.'],
  ['refund-exceptions', 'Final-sale items and opened software are not eligible for a refund.'],
  ['loyalty', 'Loyalty points are earned on every purchase and expire after a year.'],
  ['careers', 'We are hiring engineers and store staff in several cities.'],
];

const tagged = (question: string): ChatRequest =>
  request([user(`<context>\n${DOCS.map(([t, b]) => `<document title="${t}">${b}</document>`).join('\n')}\n</context>\n\nQuestion: ${question}`)]);

const titlesIn = (r: ChatRequest) => promptAnatomy(r).chunks.map((c) => c.title);

describe('context top-k', () => {
  it('keeps the k chunks most relevant to the question, in their original order', () => {
    const req = tagged('How do I get a refund for an item I returned?');
    const out = trimContext(req, { topK: 3 })!;
    expect(out.chunks).toBe(10);
    expect(titlesIn(out.request)).toEqual(['refunds', 'returns', 'refund-exceptions']);
    expect(out.kept).toEqual([1, 4, 7]);
    // the question itself is untouched
    expect((out.request.messages[0]!.content[0] as { text: string }).text).toContain('Question: How do I get a refund for an item I returned?');
    expect(estimateInputTokens(out.request)).toBeLessThan(estimateInputTokens(req));
  });

  it('within a token budget: the best chunks that fit', () => {
    expect(pickChunks([5, 9, 1, 7], [10, 40, 10, 30], undefined, 50)).toEqual([0, 1]);
    expect(pickChunks([5, 9, 1, 7], [10, 40, 10, 30], 1, undefined)).toEqual([1]);
    expect(pickChunks([0, 0, 0], [10, 10, 10], 2, undefined)).toEqual([0, 1]);
  });

  it('Anthropic document blocks and messages named by x-tollgate-context are chunks too', async () => {
    const docs: ChatRequest = request([
      { role: 'user', content: [...DOCS.map(([t, b]) => ({ type: 'text' as const, text: b, document: { title: t } })), { type: 'text', text: 'Which items cannot be refunded?' }] },
    ]);
    const out = trimContext(docs, { topK: 2 })!;
    expect(out.request.messages[0]!.content.map((p) => (p as { document?: { title?: string } }).document?.title ?? 'question')).toEqual(['refunds', 'refund-exceptions', 'question']);

    const byHeader = request([user(DOCS[0]![1]), user(DOCS[1]![1]), user(DOCS[7]![1]), user('Are opened software packages refundable?')]);
    const s = stage({ enabled: true, context: { topK: 1 } });
    const ctx = ctxFor(byHeader, { headers: { 'x-tollgate-context': '0-2' } });
    const d = downstream();
    await s.handle(ctx, () => d.next(ctx));
    expect(d.seen[0]!.messages.map((m) => (m.content[0] as { text: string }).text)).toEqual([DOCS[7]![1], 'Are opened software packages refundable?']);
    const e = ctx.trail.find((t) => t.stage === 'trim')!;
    expect(e.decision).toBe('context');
    expect(e.data).toMatchObject({ chunks: 3, kept: [2] });
    expect(ctx.trim!.inputTokensRemoved).toBe(estimateInputTokens(byHeader) - estimateInputTokens(d.seen[0]!));
  });

  it('nothing marked, or every chunk kept: the request is untouched', () => {
    expect(trimContext(request([user('plain question')]), { topK: 1 })).toBeUndefined();
    expect(trimContext(tagged('refund?'), { topK: 10 })).toBeUndefined();
  });
});
