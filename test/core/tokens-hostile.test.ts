// Issue 13 finding 2: a long run of one character is one pre-tokenizer chunk and BPE merging is
// quadratic in it (50,000 'a' took 2.8 s on the event loop). The bound is checked by what the
// tokenizer is given (segment sizes and total characters), never by the clock.
import { describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer';
import type { ChatRequest } from '../../src/core/canonical.js';
import { EXACT_CHARS, MAX_CHUNK, TokenBudget, countTextTokens, estimateInputTokens } from '../../src/core/tokens.js';

const exact = (t: string): number => countTokens(t, { disallowedSpecial: new Set() });

/** a budget whose tokenizer calls are recorded */
function observed(limit?: number): { budget: TokenBudget; segments: number[] } {
  const segments: number[] = [];
  const budget = new TokenBudget(limit, (t) => {
    segments.push(t.length);
    return exact(t);
  });
  return { budget, segments };
}

const prose =
  'The quick brown fox jumps over the lazy dog. Tollgate records every request in a ledger, ' +
  'with its cost, latency and the levers that were pulled; numbers like 1234567 and punctuation!? ' +
  'are split as usual, and so are newlines\n\nand    runs of a few spaces. ';

describe('token counting on hostile input', () => {
  it('counts ordinary text exactly, in one tokenizer call', () => {
    const text = prose.repeat(Math.floor((EXACT_CHARS - 1) / prose.length));
    const { budget, segments } = observed();
    expect(countTextTokens(text, budget)).toBe(exact(text));
    expect(segments).toEqual([text.length]);
  });

  for (const [name, ch] of [['letter', 'a'], ['space', ' '], ['punctuation', '!'], ['CJK', '中'], ['emoji', '😀']] as const) {
    it(`gives BPE no chunk longer than ${MAX_CHUNK} for a 200,000-unit run of one ${name}`, () => {
      const text = ch.repeat(200_000 / ch.length);
      const { budget, segments } = observed();
      const n = countTextTokens(`before ${text} after`, budget);
      expect(Math.max(...segments)).toBeLessThanOrEqual(MAX_CHUNK + 'before '.length);
      // every character goes to the tokenizer at most once
      expect(segments.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(text.length + 13);
      // sane: the tokenizer's own count for a shorter run of the same kind, scaled
      const sample = ch.repeat(4_000 / ch.length);
      const rate = exact(sample) / sample.length;
      expect(n).toBeGreaterThan(text.length * rate * 0.8);
      expect(n).toBeLessThan(text.length * rate * 1.25 + 10);
    });
  }

  it('stays within a few percent of the exact count when a long chunk is split', () => {
    // long chunks within the exact budget for them (LONG_EXACT_CHARS)
    const text = `${prose}${'x'.repeat(2_000)} ${'abcdefghij'.repeat(150)} ${prose}`;
    const n = countTextTokens(text);
    expect(Math.abs(n - exact(text)) / exact(text)).toBeLessThan(0.05);
  });

  it('counts at most EXACT_CHARS characters per request and extrapolates the rest', () => {
    const big = prose.repeat(Math.ceil((3 * EXACT_CHARS) / prose.length));
    const req: ChatRequest = {
      model: 'gpt-4o',
      system: [{ type: 'text', text: big }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: big }] },
        { role: 'user', content: [{ type: 'text', text: big }] },
      ],
      stream: false,
      includeUsage: false,
      extra: {},
    };
    const { budget, segments } = observed();
    const n = estimateInputTokens(req, budget);
    expect(segments.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(EXACT_CHARS);
    const truth = 3 * exact(big);
    expect(Math.abs(n - truth) / truth).toBeLessThan(0.02);
  });

  it('never splits a surrogate pair', () => {
    const pieces: string[] = [];
    const text = 'a' + '😀'.repeat(1_000);
    countTextTokens(text, new TokenBudget(undefined, (t) => (pieces.push(t), exact(t))));
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) {
      expect(p.charCodeAt(0) >= 0xdc00 && p.charCodeAt(0) <= 0xdfff).toBe(false);
      const last = p.charCodeAt(p.length - 1);
      expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
    }
  });
});
