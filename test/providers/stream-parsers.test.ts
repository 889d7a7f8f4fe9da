import { describe, expect, it } from 'vitest';
import { createAnthropicStreamParser } from '../../src/providers/anthropic/stream-parser.js';
import type { StreamChunk } from '../../src/providers/contract.js';
import { createOpenAIStreamParser } from '../../src/providers/openai/stream-parser.js';
import { SseDecoder, parseSseEvent } from '../../src/providers/shared/sse-decoder.js';
import { allEvents, fixture, fold } from './helpers.js';

type Parser = { push(b: Buffer): StreamChunk[]; end(): StreamChunk[] };

function feedWhole(make: () => Parser, bytes: Buffer): StreamChunk[] {
  const p = make();
  return [...p.push(bytes), ...p.end()];
}

function feedBytewise(make: () => Parser, bytes: Buffer): StreamChunk[] {
  const p = make();
  const out: StreamChunk[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...p.push(bytes.subarray(i, i + 1)));
  return [...out, ...p.end()];
}

function feedRandom(make: () => Parser, bytes: Buffer, seed: number): StreamChunk[] {
  const p = make();
  const out: StreamChunk[] = [];
  let s = seed;
  let i = 0;
  while (i < bytes.length) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (s % 97);
    out.push(...p.push(bytes.subarray(i, i + n)));
    i += n;
  }
  return [...out, ...p.end()];
}

const cases: [string, () => Parser][] = [
  ['openai-chat-text.sse', createOpenAIStreamParser],
  ['openai-chat-tools.sse', createOpenAIStreamParser],
  ['openai-chat-vllm.sse', createOpenAIStreamParser],
  ['openai-chat-midstream-error.sse', createOpenAIStreamParser],
  ['anthropic-text.sse', createAnthropicStreamParser],
  ['anthropic-tools.sse', createAnthropicStreamParser],
  ['anthropic-overloaded.sse', createAnthropicStreamParser],
];

describe('stream parsers across byte splits', () => {
  for (const [name, make] of cases) {
    it(`${name}: byte by byte and random splits give the same events as whole, and raw bytes add up exactly`, () => {
      const bytes = fixture(name);
      const whole = feedWhole(make, bytes);
      const bytewise = feedBytewise(make, bytes);
      const random = feedRandom(make, bytes, 7);
      const norm = (evs: ReturnType<typeof allEvents>) => evs.map((e) => (e.type === 'start' ? { ...e, created: 0 } : e));
      expect(norm(allEvents(bytewise))).toEqual(norm(allEvents(whole)));
      expect(norm(allEvents(random))).toEqual(norm(allEvents(whole)));
      for (const chunks of [whole, bytewise, random]) {
        expect(Buffer.concat(chunks.map((c) => c.raw)).equals(bytes)).toBe(true);
      }
      expect(allEvents(whole).length).toBeGreaterThan(2);
    });
  }
});

describe('OpenAI stream parser', () => {
  it('parses text, finish and the usage chunk (cached tokens split out of prompt_tokens)', () => {
    const acc = fold(allEvents(feedWhole(createOpenAIStreamParser, fixture('openai-chat-text.sse'))));
    const r = acc.toResponse();
    expect(r.id).toBe('chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT');
    expect(r.model).toBe('gpt-4o-2024-08-06');
    expect(r.created).toBe(1741569952);
    expect(r.content).toEqual([{ type: 'text', text: 'Hello! How can I help — café ☕?' }]);
    expect(r.finishReason).toBe('stop');
    expect(r.usage).toEqual({ input: 176, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, output: 9, reasoning: 0 });
    expect(acc.complete).toBe(true);
  });

  it('parses parallel tool calls by tool index', () => {
    const events = allEvents(feedWhole(createOpenAIStreamParser, fixture('openai-chat-tools.sse')));
    const r = fold(events).toResponse();
    expect(r.content).toEqual([
      { type: 'tool_call', id: 'call_abc123', name: 'get_weather', arguments: '{"location": "Paris"}' },
      { type: 'tool_call', id: 'call_def456', name: 'get_time', arguments: '{"tz":"CET"}' },
    ]);
    expect(r.finishReason).toBe('tool_calls');
    expect(events.filter((e) => e.type === 'block_stop')).toHaveLength(2);
    expect(r.usage.input).toBe(85);
    expect(r.usage.output).toBe(32);
  });

  it('reads vLLM streams: CRLF framing and a usage chunk with choices null', () => {
    const r = fold(allEvents(feedBytewise(createOpenAIStreamParser, fixture('openai-chat-vllm.sse')))).toResponse();
    expect(r.content).toEqual([{ type: 'text', text: 'Hi there' }]);
    expect(r.finishReason).toBe('length');
    expect(r.usage).toMatchObject({ input: 12, output: 2 });
  });

  it('turns a {"error":...} data line into an error event; the stream is not complete', () => {
    const events = allEvents(feedWhole(createOpenAIStreamParser, fixture('openai-chat-midstream-error.sse')));
    expect(events.at(-1)).toEqual({ type: 'error', error: { type: 'server_error', message: 'The server had an error while processing your request. Sorry about that!' } });
    const acc = fold(events);
    expect(acc.complete).toBe(false);
    expect(acc.text()).toBe('Partial');
  });

  it('a stream cut before the finish simply yields what came: no finish, no usage', () => {
    const bytes = fixture('openai-chat-text.sse');
    // cut in the middle of the finish chunk's JSON: the half event is dropped, not misread
    const cut = bytes.subarray(0, bytes.indexOf('finish_reason":"stop"') - 20);
    const acc = fold(allEvents(feedWhole(createOpenAIStreamParser, cut)));
    expect(acc.complete).toBe(false);
    expect(acc.sawUsage).toBe(false);
    expect(acc.text()).toBe('Hello! How can I help — café ☕?');
  });
});

describe('Anthropic stream parser', () => {
  it('takes input and cache usage from message_start and cumulative output from message_delta', () => {
    const events = allEvents(feedWhole(createAnthropicStreamParser, fixture('anthropic-text.sse')));
    expect(events.filter((e) => e.type === 'ping')).toHaveLength(1);
    const acc = fold(events);
    const r = acc.toResponse();
    expect(r.id).toBe('msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY');
    expect(r.content).toEqual([{ type: 'text', text: 'Hello! Grüße 👋' }]);
    expect(r.finishReason).toBe('stop');
    expect(r.rawFinishReason).toBe('end_turn');
    expect(r.usage).toEqual({ input: 25, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 1500, output: 15, reasoning: 0 });
  });

  it('parses thinking, text and tool_use blocks, and tolerates unknown event types', () => {
    const r = fold(allEvents(feedBytewise(createAnthropicStreamParser, fixture('anthropic-tools.sse')))).toResponse();
    expect(r.content).toEqual([
      { type: 'thinking', text: 'The user wants weather.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' },
      { type: 'text', text: "Okay, let's check the weather for San Francisco, CA:" },
      { type: 'tool_call', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', arguments: '{"location": "San Francisco, CA"}' },
    ]);
    expect(r.finishReason).toBe('tool_calls');
    expect(r.usage).toMatchObject({ input: 472, output: 89 });
  });

  it('an error event after HTTP 200 becomes a canonical error event', () => {
    const acc = fold(allEvents(feedWhole(createAnthropicStreamParser, fixture('anthropic-overloaded.sse'))));
    expect(acc.error).toEqual({ type: 'overloaded_error', message: 'Overloaded' });
    expect(acc.complete).toBe(false);
    expect(acc.text()).toBe('Par');
  });
});

describe('SSE decoder', () => {
  it('handles LF, CRLF and CR terminators, comments, multi-line data and a last event without its blank line', () => {
    const d = new SseDecoder();
    const a = d.push(Buffer.from(': keepalive\n\nevent: x\ndata: one\ndata: two\r\n\r\ndata: three\r\rdata: tail'));
    expect(a?.events).toEqual([
      { event: 'x', data: 'one\ntwo', hasData: true },
      { data: 'three', hasData: true, event: undefined },
    ]);
    expect(d.end()?.events).toEqual([{ data: 'tail', hasData: true, event: undefined }]);
  });

  it('reads single data-line events (the fast path) exactly as the general parser does', () => {
    const cases: [string, { data: string; hasData: boolean; event?: string }][] = [
      ['data: {"a":1}\n\n', { data: '{"a":1}', hasData: true }],
      ['data: \n\n', { data: '', hasData: true }],
      ['data:  two spaces\n\n', { data: ' two spaces', hasData: true }],
      ['data: cr\r\n\r\n', { data: 'cr', hasData: true }],
      ['data: a\ndata: b\n\n', { data: 'a\nb', hasData: true }],
      ['data: x\nevent: e\n\n', { data: 'x', hasData: true, event: 'e' }],
      ['data:nospace\n\n', { data: 'nospace', hasData: true }],
    ];
    for (const [text, want] of cases) expect(parseSseEvent(text), text).toEqual({ event: undefined, ...want });
    // events split across pushes at every byte still come out whole, with their exact bytes
    const wire = 'data: {"n":1}\n\ndata: {"n":2}\n\n';
    for (let cut = 1; cut < wire.length; cut++) {
      const d = new SseDecoder();
      const a = d.push(Buffer.from(wire.slice(0, cut)));
      const b = d.push(Buffer.from(wire.slice(cut)));
      const events = [...(a?.events ?? []), ...(b?.events ?? [])];
      expect(events.map((e) => e.data)).toEqual(['{"n":1}', '{"n":2}']);
      expect(Buffer.concat([a?.raw ?? Buffer.alloc(0), b?.raw ?? Buffer.alloc(0)]).toString()).toBe(wire);
    }
  });
});
