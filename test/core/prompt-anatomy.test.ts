// Prompt anatomy on the shapes clients send: OpenAI Chat Completions and Anthropic Messages bodies
// parsed by the gateway's own codecs, then split into components and context chunks.
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../src/core/canonical.js';
import { contextMessagesFrom, promptAnatomy, taggedChunks } from '../../src/core/prompt-anatomy.js';
import { TokenBudget, countTextTokens, estimateInputTokens } from '../../src/core/tokens.js';
import '../../src/providers/index.js';
import { codecFor } from '../../src/providers/registry.js';
import { renderAnthropicMessagesRequest } from '../../src/providers/anthropic/render-messages-request.js';

const openai = (body: unknown): ChatRequest => codecFor('openai').parseChatRequest(body);
const anthropic = (body: unknown): ChatRequest => codecFor('anthropic').parseChatRequest(body);
const sum = (o: Record<string, number | undefined>): number => Object.values(o).reduce<number>((s, v) => s + (v ?? 0), 0);

const SYSTEM = 'You are a support assistant for Acme Corp. Answer from the documents; say when they do not cover it.';
const DOC_A = 'Refunds are accepted within 30 days of purchase with a receipt. Store credit is offered after 30 days.';
const DOC_B = 'Shipping to Canada takes 5 to 8 business days. Express shipping is available for a fee of $25.';
const TOOLS = [
  { type: 'function', function: { name: 'lookup_order', description: 'Look an order up by its id', parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } } },
];

describe('components of an OpenAI chat request', () => {
  const body = {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'Hi, I bought a kettle last week.' },
      { role: 'assistant', content: 'Hello! How can I help with your kettle?' },
      { role: 'user', content: `<context>\n<document title="refunds">${DOC_A}</document>\n<document title="shipping">${DOC_B}</document>\n</context>\nCan I get a refund?` },
    ],
    tools: TOOLS,
  };

  it('splits system, tools, context, history and user, and the parts add up to the whole', () => {
    const req = openai(body);
    const a = promptAnatomy(req);
    expect(Object.keys(a.tokens).sort()).toEqual(['context', 'history', 'system', 'tools', 'user']);
    expect(a.total).toBe(sum(a.tokens));
    // the untagged count of the same request differs only by the tokens merged across a tag's edge
    expect(Math.abs(a.total - estimateInputTokens(req))).toBeLessThanOrEqual(4);
    expect(a.tokens.system).toBe(3 + countTextTokens('system') + countTextTokens(SYSTEM));
    expect(a.tokens.tools).toBe(estimateInputTokens({ ...req, system: [], messages: [] }) - 3);
    expect(a.chunks.map((c) => [c.source, c.message, c.title])).toEqual([
      ['tag', 2, 'refunds'],
      ['tag', 2, 'shipping'],
    ]);
    expect(a.tokens.context).toBe(a.chunks[0]!.tokens + a.chunks[1]!.tokens);
    // a chunk's range is exactly its element (the context wrapper goes with the first and last)
    const text = (req.messages[2]!.content[0] as { text: string }).text;
    expect(text.slice(a.chunks[0]!.start, a.chunks[0]!.end)).toMatch(/^<context>\n<document title="refunds">Refunds.*<\/document>$/);
    expect(text.slice(a.chunks[1]!.start, a.chunks[1]!.end)).toMatch(/^<document title="shipping">Shipping.*<\/document>\n<\/context>$/);
    expect(text.slice(a.chunks[1]!.end)).toBe('\nCan I get a refund?');
  });

  it('without any mark there is no context: the same text is the user turn', () => {
    const plain = { ...body, messages: [...body.messages.slice(0, 3), { role: 'user', content: `${DOC_A}\n${DOC_B}\nCan I get a refund?` }] };
    const a = promptAnatomy(openai(plain));
    expect(a.tokens.context).toBeUndefined();
    expect(a.chunks).toEqual([]);
    expect(a.total).toBe(estimateInputTokens(openai(plain)));
    expect(a.tokens.user).toBeGreaterThan(countTextTokens(DOC_A));
  });

  it('the x-tollgate-context header names wire indices, system messages counted', () => {
    const rag = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: DOC_A },
        { role: 'user', content: DOC_B },
        { role: 'user', content: 'Can I get a refund?' },
      ],
    };
    const req = openai(rag);
    const ctx = contextMessagesFrom('1, 2', req);
    expect(ctx).toEqual(new Set([0, 1]));
    const a = promptAnatomy(req, { contextMessages: ctx as Set<number> });
    expect(a.chunks.map((c) => [c.source, c.message, c.part])).toEqual([
      ['header', 0, -1],
      ['header', 1, -1],
    ]);
    expect(a.tokens.history).toBeUndefined();
    expect(a.total).toBe(estimateInputTokens(req));
    expect(contextMessagesFrom('1-2', req)).toEqual(new Set([0, 1]));
    expect(contextMessagesFrom('0', req)).toEqual(new Set()); // the system message stays system
    expect(contextMessagesFrom('x', req)).toEqual({ error: expect.stringContaining('not a message index') });
    expect(contextMessagesFrom('5-1', req)).toEqual({ error: expect.stringContaining('ends before') });
    expect(contextMessagesFrom('0-999999', req)).toEqual({ error: expect.stringContaining('at most') });
  });

  it('tool results after the latest user turn are history; the latest turn is the last user text', () => {
    const agent = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: 'Where is order 42?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup_order', arguments: '{"id":"42"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '{"status":"shipped"}' },
      ],
      tools: TOOLS,
    };
    const a = promptAnatomy(openai(agent));
    expect(a.blocks.map((b) => Object.keys(b.components))).toEqual([['tools'], ['user'], ['history'], ['history', 'user']]);
  });
});

describe('components of an Anthropic Messages request', () => {
  const body = {
    model: 'claude-sonnet-4-5',
    max_tokens: 512,
    system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }],
    tools: [{ name: 'lookup_order', description: 'Look an order up by its id', input_schema: { type: 'object', properties: { id: { type: 'string' } } } }],
    messages: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello! How can I help?' },
      {
        role: 'user',
        content: [
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: DOC_A }, title: 'Refund policy' },
          { type: 'document', source: { type: 'content', content: [{ type: 'text', text: DOC_B }] }, title: 'Shipping' },
          { type: 'text', text: 'Can I get a refund?' },
        ],
      },
    ],
  };

  it('document blocks are context, one chunk each, and render back as documents', () => {
    const req = anthropic(body);
    const a = promptAnatomy(req);
    expect(a.chunks.map((c) => [c.source, c.message, c.part, c.title])).toEqual([
      ['document', 2, 0, 'Refund policy'],
      ['document', 2, 1, 'Shipping'],
    ]);
    expect(a.chunks[0]!.tokens).toBe(countTextTokens(DOC_A));
    expect(a.tokens.context).toBe(countTextTokens(DOC_A) + countTextTokens(DOC_B));
    expect(a.tokens.user).toBe(3 + countTextTokens('user') + countTextTokens('Can I get a refund?') + 3);
    expect(a.total).toBe(estimateInputTokens(req));
    expect(a.blocks.map((b) => b.kind)).toEqual(['tools', 'system', 'message', 'message', 'message']);
    const rendered = renderAnthropicMessagesRequest(req, 'claude-sonnet-4-5') as { messages: Array<{ content: unknown[] }> };
    expect(rendered.messages[2]!.content[0]).toMatchObject({ type: 'document', source: { type: 'text', data: DOC_A }, title: 'Refund policy' });
  });

  it('a PDF document is refused with an Anthropic-style error naming the field', () => {
    const pdf = { ...body, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] }] };
    expect(() => anthropic(pdf)).toThrow(/messages\.0\.content\.0\.source\.type/);
  });

  it('tags inside the system prompt are context too', () => {
    const req = anthropic({ ...body, system: `${SYSTEM}\n<document source="faq.md">${DOC_A}</document>` });
    const a = promptAnatomy(req);
    expect(a.chunks[0]).toMatchObject({ source: 'tag', message: -1, part: 0, title: 'faq.md' });
  });
});

describe('the tag scan', () => {
  it('ignores look-alike tags and unclosed elements', () => {
    expect(taggedChunks('<documents>x</documents> <contextual>y</contextual>')).toEqual([]);
    expect(taggedChunks('<document>never closed')).toEqual([]);
    const text = 'a <context>b</context> c <document id="d1">e</document>';
    expect(taggedChunks(text)).toEqual([
      { start: 2, end: 22, title: undefined },
      { start: 25, end: text.length, title: 'd1' },
    ]);
  });

  it('hostile input (200,000 unclosed tags) yields no chunk and bounded tokenizer work', () => {
    const hostile = '<document <context '.repeat(200_000);
    let calls = 0;
    const budget = new TokenBudget(undefined, (t) => {
      calls++;
      return Math.ceil(t.length / 4);
    });
    expect(taggedChunks(hostile)).toEqual([]);
    const req = anthropic({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: hostile }] });
    const a = promptAnatomy(req, { budget });
    expect(a.tokens.context).toBeUndefined();
    // the tokenizer saw at most its budget of characters, in a bounded number of calls
    expect(budget.exactChars).toBeLessThanOrEqual(budget.limit);
    expect(calls).toBeLessThan(10_000);
  });
});

describe('the tokenizer per model', () => {
  it('GPT-4 / GPT-3.5 models count with cl100k once loaded; current models with o200k', async () => {
    const { tokenCounterFor, loadTokenizerFor } = await import('../../src/core/tokens.js');
    const { countTokens: cl100k } = await import('gpt-tokenizer/encoding/cl100k_base');
    const text = 'Retrieval-augmented generation costs tokens: 東京で会いましょう, naïve café!';
    expect(tokenCounterFor('gpt-4o')(text)).toBe(countTextTokens(text));
    await loadTokenizerFor('gpt-4o'); // not a cl100k model: loads nothing
    await loadTokenizerFor('gpt-4-0613');
    expect(tokenCounterFor('gpt-4-0613')(text)).toBe(cl100k(text));
    expect(tokenCounterFor('openai/gpt-3.5-turbo')(text)).toBe(cl100k(text));
    expect(cl100k(text)).not.toBe(countTextTokens(text));
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-5', 'claude-sonnet-4']) expect(tokenCounterFor(m)(text)).toBe(countTextTokens(text));
  });
});
