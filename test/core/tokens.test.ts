// Token counts and estimates: checked against gpt-tokenizer's own chat encoder for gpt-4o (an
// independent implementation of OpenAI's chat format with its special tokens).
import { describe, expect, it } from 'vitest';
import { encodeChat } from 'gpt-tokenizer/model/gpt-4o';
import type { ChatRequest } from '../../src/core/canonical.js';
import { countTextTokens, estimateInputTokens, estimateUsage } from '../../src/core/tokens.js';

const req = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-4o',
  system: [{ type: 'text', text: 'You are a helpful assistant. Answer briefly.' }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'What is the capital of France?' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Paris.' }] },
    { role: 'user', content: [{ type: 'text', text: 'And of Italy? Explain in one line.' }] },
  ],
  stream: true,
  includeUsage: true,
  extra: {},
  ...over,
});

describe('countTextTokens', () => {
  it('counts o200k_base tokens', () => {
    expect(countTextTokens('')).toBe(0);
    expect(countTextTokens('Hello, world!')).toBe(4);
    expect(countTextTokens('a'.repeat(1000))).toBeLessThan(1000);
  });

  it('treats special-token text in user content as plain text instead of throwing', () => {
    expect(countTextTokens('<|endoftext|>')).toBeGreaterThan(1);
  });
});

describe('estimateInputTokens', () => {
  it('matches the OpenAI chat format (gpt-tokenizer encodeChat for gpt-4o) for plain messages', () => {
    const r = req();
    const chat = [
      { role: 'system' as const, content: r.system[0]!.text },
      ...r.messages.map((m) => ({ role: m.role as 'user' | 'assistant', content: (m.content[0] as { text: string }).text })),
    ];
    expect(estimateInputTokens(r)).toBe(encodeChat(chat).length);
  });

  it('adds tool definitions, tool calls, tool results and images', () => {
    const base = estimateInputTokens(req());
    const withTools = estimateInputTokens(
      req({ tools: [{ name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] }),
    );
    expect(withTools).toBeGreaterThan(base + 20);
    const withCall = estimateInputTokens(
      req({
        messages: [
          ...req().messages,
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c1', name: 'get_weather', arguments: '{"city":"Rome"}' }] },
          { role: 'tool', content: [{ type: 'tool_result', toolCallId: 'c1', content: 'Sunny, 31C' }] },
          { role: 'user', content: [{ type: 'image', url: 'https://example.com/x.png' }] },
        ],
      }),
    );
    expect(withCall).toBeGreaterThan(base + 765);
  });
});

describe('estimateUsage', () => {
  it('estimates everything when nothing was reported, and marks it', () => {
    const u = estimateUsage(req(), 'Rome is the capital of Italy.');
    expect(u).toEqual({
      input: estimateInputTokens(req()),
      cacheRead: 0,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      output: countTextTokens('Rome is the capital of Italy.'),
      reasoning: 0,
      estimated: true,
    });
  });

  it('keeps known fields; subtracts known cache counts from an estimated input', () => {
    const est = estimateInputTokens(req());
    expect(estimateUsage(req(), 'x', { cacheRead: 10 })).toMatchObject({ input: est - 10, cacheRead: 10 });
    expect(estimateUsage(req(), 'Rome.', { input: 7, output: 500, reasoning: 100 })).toMatchObject({ input: 7, output: 500, reasoning: 100 });
  });
});
