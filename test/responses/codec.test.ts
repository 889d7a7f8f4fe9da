// The Responses codec on its own: items to canonical messages and back, reasoning items and their
// signatures, usage buckets and their price, the upstream stream parser over split bytes.

import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { costOf } from '../../src/core/cost.js';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import { StreamAccumulator } from '../../src/core/stream-accumulator.js';
import { responsesCodec } from '../../src/providers/openai-responses/codec.js';
import { parseResponsesTurn } from '../../src/providers/openai-responses/parse-request.js';
import { renderAnthropicMessagesRequest } from '../../src/providers/anthropic/render-messages-request.js';

describe('parse', () => {
  it('a string input is one user message; instructions and developer items are the system prompt', () => {
    const { request, items } = parseResponsesTurn({
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Answer in French.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Hi' }, { type: 'input_image', image_url: 'https://example.com/a.png' }] },
      ],
    });
    expect(request.system.map((s) => s.text)).toEqual(['Be brief.', 'Answer in French.']);
    expect(request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image', url: 'https://example.com/a.png' }] }]);
    // instructions are this turn's only: the stored conversation does not hold them
    expect(items).toHaveLength(2);
    expect(parseResponsesTurn({ model: 'm', input: 'Hello' }).request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }]);
  });

  it('assistant text, reasoning and function calls merge into one assistant turn; outputs into one tool turn', () => {
    const { request } = parseResponsesTurn({
      model: 'm',
      input: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Two cities.' }], encrypted_content: 'sig-abc' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'c1', name: 'w', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'c2', name: 'w', arguments: '{"city":"Rome"}' },
        { type: 'function_call_output', call_id: 'c1', output: '21C' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: '25C' }] },
      ],
    });
    expect(request.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(request.messages[1]!.content).toEqual([
      { type: 'thinking', text: 'Two cities.', signature: 'sig-abc' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_call', id: 'c1', name: 'w', arguments: '{"city":"Paris"}' },
      { type: 'tool_call', id: 'c2', name: 'w', arguments: '{"city":"Rome"}' },
    ]);
    expect(request.messages[2]!.content).toEqual([
      { type: 'tool_result', toolCallId: 'c1', content: '21C' },
      { type: 'tool_result', toolCallId: 'c2', content: [{ type: 'text', text: '25C' }] },
    ]);
    // rendered for Anthropic: tool_use blocks answered by tool_result blocks, the signature intact
    const body = renderAnthropicMessagesRequest(request, 'claude-sonnet-4') as { messages: { role: string; content: { type: string; signature?: string }[] }[] };
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(body.messages[1]!.content.map((c) => c.type)).toEqual(['thinking', 'text', 'tool_use', 'tool_use']);
    expect(body.messages[1]!.content[0]!.signature).toBe('sig-abc');
    expect(body.messages[2]!.content.map((c) => c.type)).toEqual(['tool_result', 'tool_result']);
  });

  it('tools are flat function tools; tool_choice, text.format, max_output_tokens and metadata map to the canonical fields', () => {
    const { request } = parseResponsesTurn({
      model: 'm',
      input: 'x',
      tools: [{ type: 'function', name: 'get_weather', description: 'd', parameters: { type: 'object', properties: {} } }],
      tool_choice: { type: 'function', name: 'get_weather' },
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
      max_output_tokens: 100,
      metadata: { job: 'a' },
      reasoning: { effort: 'low' },
      store: false,
    });
    expect(request.tools).toEqual([{ name: 'get_weather', description: 'd', parameters: { type: 'object', properties: {} } }]);
    expect(request.toolChoice).toEqual({ name: 'get_weather' });
    expect(request.responseFormat).toEqual({ type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true });
    expect(request.maxTokens).toBe(100);
    expect(request.metadata).toEqual({ job: 'a' });
    expect(request.extra).toMatchObject({ reasoning: { effort: 'low' }, store: false, text: { verbosity: 'low' } });
    expect(request.extraFormat).toBe('openai-responses');
  });

  it.each([
    [{ model: 'm', input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type', 'unsupported'],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] }, 'input[0].content[0].type', 'unsupported'],
    [{ model: 'm', input: [{ type: 'computer_call' }] }, 'input[0].type', 'unsupported'],
    [{ model: 'm', input: 'x', background: true }, 'background', 'unsupported'],
    [{ model: 'm', input: [{ type: 'function_call', call_id: 'c', name: 'n' }] }, 'input[0].arguments', 'invalid_request'],
    [{ model: 'm', input: [] }, 'input', 'invalid_request'],
    [{ model: 'm', input: 'x', metadata: { k: 1 } }, 'metadata.k', 'invalid_request'],
  ])('%j is a client error naming %s', (body, param, code) => {
    let err: unknown;
    try {
      parseResponsesTurn(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).param).toBe(param);
    expect((err as GatewayError).code).toBe(code);
    expect((err as GatewayError).status).toBe(400);
  });
});

describe('render', () => {
  it('thinking becomes a reasoning item carrying the signature; text a message; calls function_call items', () => {
    const body = responsesCodec.renderChatResponse(
      {
        id: 'msg_x',
        model: 'claude-sonnet-4',
        created: 1,
        content: [
          { type: 'thinking', text: 'Hmm.', signature: 'sig-1' },
          { type: 'text', text: 'Hello' },
          { type: 'tool_call', id: 'toolu_1', name: 'w', arguments: '{}' },
        ],
        finishReason: 'tool_calls',
        usage: { input: 10, cacheRead: 20, cacheWrite5m: 5, cacheWrite1h: 0, output: 7, reasoning: 3 },
      },
      { model: 'claude-sonnet-4', id: 'resp_' + 'a'.repeat(48) },
    ) as { id: string; status: string; output: Record<string, unknown>[]; usage: Record<string, unknown> };
    expect(body.id).toBe('resp_' + 'a'.repeat(48));
    expect(body.status).toBe('completed');
    expect(body.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(body.output[0]).toMatchObject({ summary: [{ type: 'summary_text', text: 'Hmm.' }], encrypted_content: 'sig-1' });
    expect(body.output[2]).toMatchObject({ call_id: 'toolu_1', name: 'w', arguments: '{}', status: 'completed' });
    // the reasoning item handed back on the next turn keeps the signature for Anthropic
    const next = parseResponsesTurn({ model: 'm', input: [{ role: 'user', content: 'q' }, ...body.output, { type: 'function_call_output', call_id: 'toolu_1', output: 'ok' }] });
    expect(next.request.messages[1]!.content[0]).toEqual({ type: 'thinking', text: 'Hmm.', signature: 'sig-1' });
    // input_tokens include cache reads and writes; reasoning is part of output
    expect(body.usage).toEqual({ input_tokens: 35, input_tokens_details: { cached_tokens: 20 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 3 }, total_tokens: 42 });
  });

  it('a length stop is an incomplete response', () => {
    const body = responsesCodec.renderChatResponse(
      { id: 'x', model: 'm', created: 1, content: [{ type: 'text', text: 'cut' }], finishReason: 'length', usage: { input: 1, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 16, reasoning: 0 } },
      { model: 'm' },
    );
    expect(body).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });
});

describe('an upstream Responses answer: usage buckets and their price', () => {
  const upstream = {
    id: 'resp_up',
    object: 'response',
    created_at: 1,
    status: 'completed',
    model: 'o4-mini',
    output: [
      { id: 'rs_1', type: 'reasoning', summary: [] },
      { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Done.', annotations: [] }] },
    ],
    usage: { input_tokens: 2000, input_tokens_details: { cached_tokens: 1500 }, output_tokens: 500, output_tokens_details: { reasoning_tokens: 300 }, total_tokens: 2500 },
  };

  it('cached tokens are their own bucket, reasoning tokens are output, priced at the catalog rates', () => {
    const r = responsesCodec.parseChatResponse(upstream);
    expect(r.usage).toEqual({ input: 500, cacheRead: 1500, cacheWrite5m: 0, cacheWrite1h: 0, output: 500, reasoning: 300 });
    expect(r.content.find((p) => p.type === 'text')).toEqual({ type: 'text', text: 'Done.' });
    const price = PriceCatalog.load().lookup('openai', 'o4-mini')!;
    const cost = costOf(r.usage, price);
    // 2,000 input tokens are below any long-context tier: the base rates apply
    const perM = (n: number, rate: number) => (n * rate) / 1e6;
    const r0 = price;
    expect(r0.cacheRead).toBeLessThan(r0.input);
    expect(cost.totalUsd).toBeCloseTo(perM(500, r0.input) + perM(1500, r0.cacheRead) + perM(500, r0.output), 10);
    expect(cost.cacheReadUsd).toBeLessThan(perM(1500, r0.input));
  });

  it('the stream parser rebuilds the same answer from events split at every byte', () => {
    const sse = [
      { type: 'response.created', response: { id: 'resp_up', model: 'o4-mini', created_at: 1 } },
      { type: 'response.output_item.added', output_index: 0, item: { type: 'message', id: 'msg_1' } },
      { type: 'response.output_text.delta', output_index: 0, item_id: 'msg_1', delta: 'Do' },
      { type: 'response.output_text.delta', output_index: 0, item_id: 'msg_1', delta: 'ne.' },
      { type: 'response.output_item.done', output_index: 0, item: { type: 'message', id: 'msg_1' } },
      { type: 'response.output_item.added', output_index: 1, item: { type: 'function_call', id: 'fc_1', call_id: 'c1', name: 'w', arguments: '' } },
      { type: 'response.function_call_arguments.delta', output_index: 1, item_id: 'fc_1', delta: '{"a":1}' },
      { type: 'response.output_item.done', output_index: 1, item: { type: 'function_call', id: 'fc_1' } },
      { type: 'response.completed', response: { ...upstream, output: [upstream.output[1], { type: 'function_call', call_id: 'c1', name: 'w', arguments: '{"a":1}' }] } },
    ]
      .map((e, i) => `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`)
      .join('');
    const bytes = Buffer.from(sse);
    const parser = responsesCodec.createStreamParser();
    const acc = new StreamAccumulator();
    let relayed = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const c of parser.push(bytes.subarray(i, i + 1))) {
        relayed += c.raw.length;
        for (const ev of c.events) acc.push(ev);
      }
    }
    for (const c of parser.end()) for (const ev of c.events) acc.push(ev);
    expect(relayed).toBe(bytes.length);
    expect(acc.complete).toBe(true);
    const r = acc.toResponse();
    expect(r.id).toBe('resp_up');
    expect(r.content).toEqual([
      { type: 'text', text: 'Done.' },
      { type: 'tool_call', id: 'c1', name: 'w', arguments: '{"a":1}' },
    ]);
    expect(r.finishReason).toBe('tool_calls');
    expect(r.usage).toMatchObject({ input: 500, cacheRead: 1500, output: 500, reasoning: 300 });
    expect(responsesCodec.isTerminalChunk(Buffer.from(sse.slice(sse.lastIndexOf('event: response.completed'))))).toBe(true);
    expect(responsesCodec.isTerminalChunk(Buffer.from(sse.slice(0, 200)))).toBe(false);
  });
});

describe('the stream renderer', () => {
  it('reasoning, text and a call become items with their events; the stored object has the same item ids', () => {
    const id = 'resp_' + 'b'.repeat(48);
    const renderer = responsesCodec.createStreamRenderer({ model: 'claude-sonnet-4', includeUsage: true, id });
    const events = [
      { type: 'start', id: 'msg_up', model: 'claude-sonnet-4', created: 5, usage: { input: 12 } },
      { type: 'thinking_delta', index: 0, text: 'Let me ' },
      { type: 'thinking_delta', index: 0, text: 'think.' },
      { type: 'signature_delta', index: 0, signature: 'sig-streamed' },
      { type: 'block_stop', index: 0 },
      { type: 'text_delta', index: 1, text: 'Hel' },
      { type: 'text_delta', index: 1, text: 'lo' },
      { type: 'block_stop', index: 1 },
      { type: 'tool_call_start', index: 2, id: 'toolu_9', name: 'w' },
      { type: 'tool_call_delta', index: 2, argumentsDelta: '{"a":' },
      { type: 'tool_call_delta', index: 2, argumentsDelta: '1}' },
      { type: 'block_stop', index: 2 },
      { type: 'finish', finishReason: 'tool_calls' },
      { type: 'usage', usage: { output: 9, reasoning: 4 } },
    ] as const;
    const sse = events.map((e) => renderer.render(e as never)).join('') + renderer.end();
    const parsed = sse
      .trim()
      .split('\n\n')
      .map((block) => {
        const [ev, data] = block.split('\n');
        const json = JSON.parse(data!.slice('data: '.length)) as Record<string, unknown>;
        expect(ev).toBe(`event: ${json.type as string}`);
        return json;
      });
    expect(parsed.map((p) => p.sequence_number)).toEqual(parsed.map((_, i) => i));
    expect(parsed.map((p) => p.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const completed = parsed[parsed.length - 1]!.response as { id: string; output: { id: string; type: string }[]; usage: Record<string, unknown> };
    expect(completed.id).toBe(id);
    expect(completed.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(completed.output[0]).toMatchObject({ summary: [{ type: 'summary_text', text: 'Let me think.' }], encrypted_content: 'sig-streamed' });
    expect(completed.usage).toMatchObject({ input_tokens: 12, output_tokens: 9, output_tokens_details: { reasoning_tokens: 4 } });
    // what the gateway stores after the stream: rendered again from the folded events, same ids
    const acc = new StreamAccumulator();
    for (const e of events) acc.push(e as never);
    const stored = responsesCodec.renderChatResponse(acc.toResponse(), { model: 'claude-sonnet-4', id }) as typeof completed;
    expect(stored.output.map((o) => o.id)).toEqual(completed.output.map((o) => o.id));
    expect(stored.output).toEqual(completed.output);
  });
});
