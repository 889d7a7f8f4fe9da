// Request/response codecs: validation errors in each format's style, and translation round trips.

import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../src/core/canonical.js';
import { AllAttemptsFailedError, GatewayError, UpstreamError } from '../../src/core/errors.js';
import { renderAnthropicError } from '../../src/providers/anthropic/error.js';
import { parseAnthropicMessagesRequest } from '../../src/providers/anthropic/parse-messages-request.js';
import { parseAnthropicMessagesResponse } from '../../src/providers/anthropic/parse-messages-response.js';
import { renderAnthropicMessagesRequest } from '../../src/providers/anthropic/render-messages-request.js';
import { renderAnthropicMessagesResponse } from '../../src/providers/anthropic/render-messages-response.js';
import { finishReasonFromAnthropic, finishReasonToAnthropic } from '../../src/providers/anthropic/map-stop-reason.js';
import { codecFor } from '../../src/providers/index.js';
import { renderOpenAIError } from '../../src/providers/openai/error.js';
import { finishReasonFromOpenAI, finishReasonToOpenAI } from '../../src/providers/openai/map-finish-reason.js';
import { parseOpenAIChatRequest } from '../../src/providers/openai/parse-chat-request.js';
import { parseOpenAIChatResponse } from '../../src/providers/openai/parse-chat-response.js';
import { renderOpenAIChatRequest } from '../../src/providers/openai/render-chat-request.js';
import { renderOpenAIChatResponse } from '../../src/providers/openai/render-chat-response.js';
import { parseOpenAIEmbeddingsRequest } from '../../src/providers/openai/embeddings.js';
import { fixtureJson } from './helpers.js';

function gatewayError(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

const weatherTool = { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] };

describe('parseOpenAIChatRequest validation', () => {
  const base = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
  it.each([
    ['non-object body', [], 'body'],
    ['missing model', { messages: base.messages }, 'model'],
    ['model not a string', { ...base, model: 4 }, 'model'],
    ['missing messages', { model: 'gpt-4o' }, 'messages'],
    ['empty messages', { ...base, messages: [] }, 'messages'],
    ['bad role', { ...base, messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
    ['content wrong type', { ...base, messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 5 }] }, 'messages[1].content'],
    ['bad part type', { ...base, messages: [{ role: 'user', content: [{ type: 'video' }] }] }, 'messages[0].content[0].type'],
    ['tool message without id', { ...base, messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
    ['stream_options without stream', { ...base, stream_options: { include_usage: true } }, 'stream_options'],
    ['include_usage not boolean', { ...base, stream: true, stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage'],
    ['stream not boolean', { ...base, stream: 'true' }, 'stream'],
    ['temperature too high', { ...base, temperature: 3 }, 'temperature'],
    ['max_tokens not integer', { ...base, max_tokens: 1.5 }, 'max_tokens'],
    ['stop too long', { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
    ['tool without function', { ...base, tools: [{ type: 'function' }] }, 'tools[0].function'],
    ['bad tool_choice', { ...base, tool_choice: 'always' }, 'tool_choice'],
  ])('%s -> 400 with param %s', (_n, body, param) => {
    const e = gatewayError(() => parseOpenAIChatRequest(body));
    expect(e.status).toBe(400);
    expect(e.param).toBe(param);
    const r = renderOpenAIError(e);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { message: e.message, type: 'invalid_request_error', param, code: 'invalid_request' } });
  });

  it('hoists system and developer messages in order, keeps unknown fields in extra', () => {
    const r = parseOpenAIChatRequest({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'S1' },
        { role: 'user', content: 'U1' },
        { role: 'developer', content: [{ type: 'text', text: 'D1' }] },
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } }] },
      ],
      max_tokens: 10,
      max_completion_tokens: 20,
      frequency_penalty: 0.5,
      parallel_tool_calls: false,
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } },
    });
    expect(r.system).toEqual([{ type: 'text', text: 'S1' }, { type: 'text', text: 'D1' }]);
    expect(r.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'U1' }] },
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', url: 'https://x/y.png' }] },
    ]);
    expect(r.maxTokens).toBe(20);
    expect(r.includeUsage).toBe(true);
    expect(r.extra).toEqual({ frequency_penalty: 0.5, parallel_tool_calls: false });
    expect(r.responseFormat).toEqual({ type: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true });
  });
});

describe('parseAnthropicMessagesRequest validation', () => {
  const base = { model: 'claude-sonnet-4', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
  it.each([
    ['missing max_tokens', { model: 'c', messages: base.messages }, 'max_tokens'],
    ['max_tokens zero', { ...base, max_tokens: 0 }, 'max_tokens'],
    ['bad role', { ...base, messages: [{ role: 'system', content: 'x' }] }, 'messages.0.role'],
    ['tool_use in a user turn', { ...base, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'a', name: 'b', input: {} }] }] }, 'messages.0.content.0'],
    ['tool without input_schema', { ...base, tools: [{ name: 'x' }] }, 'tools.0.input_schema'],
    ['bad tool_choice', { ...base, tool_choice: { type: 'sometimes' } }, 'tool_choice.type'],
    ['bad cache_control', { ...base, system: [{ type: 'text', text: 's', cache_control: { type: 'forever' } }] }, 'system.0.cache_control'],
  ])('%s -> 400 naming %s', (_n, body, param) => {
    const e = gatewayError(() => parseAnthropicMessagesRequest(body));
    expect(e.status).toBe(400);
    expect(e.param).toBe(param);
    expect(renderAnthropicError(e)).toEqual({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: e.message } } });
  });

  it('keeps cache_control, tool_choice, stop_sequences, metadata.user_id; thinking goes to extra', () => {
    const r = parseAnthropicMessagesRequest({
      ...base,
      system: [{ type: 'text', text: 'long', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      tools: [{ name: 'get_weather', input_schema: weatherTool, cache_control: { type: 'ephemeral' } }],
      tool_choice: { type: 'any' },
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      top_k: 5,
    });
    expect(r.system).toEqual([{ type: 'text', text: 'long', cacheControl: { type: 'ephemeral', ttl: '1h' } }]);
    expect(r.tools).toEqual([{ name: 'get_weather', parameters: weatherTool, cacheControl: { type: 'ephemeral' } }]);
    expect(r.toolChoice).toBe('required');
    expect(r.stop).toEqual(['END']);
    expect(r.user).toBe('u-1');
    expect(r.extra).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 }, top_k: 5 });
  });
});

describe('translation round trips', () => {
  const openaiBody = {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Paris and time?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      { role: 'tool', tool_call_id: 'call_2', content: '14:00' },
      { role: 'user', content: 'Thanks. Summarize.' },
    ],
    tools: [
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: weatherTool } },
      { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
    ],
    tool_choice: 'auto',
    temperature: 1.4,
    stop: ['END'],
    logprobs: true,
  };

  it('OpenAI request -> Anthropic: system hoisted, tool results merged into one user turn first, max_tokens defaulted, OpenAI extras dropped', () => {
    const canonical = parseOpenAIChatRequest(openaiBody);
    const a = renderAnthropicMessagesRequest(canonical, 'claude-sonnet-4-20250514', { maxTokensDefault: 2048 });
    expect(a).toEqual({
      model: 'claude-sonnet-4-20250514',
      max_tokens: 2048,
      system: 'You are terse.',
      messages: [
        { role: 'user', content: 'Weather in Paris and time?' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
            { type: 'tool_use', id: 'call_2', name: 'get_time', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '18C' },
            { type: 'tool_result', tool_use_id: 'call_2', content: '14:00' },
            { type: 'text', text: 'Thanks. Summarize.' },
          ],
        },
      ],
      tools: [
        { name: 'get_weather', description: 'Weather', input_schema: weatherTool },
        { name: 'get_time', input_schema: { type: 'object', properties: {} } },
      ],
      tool_choice: { type: 'auto' },
      temperature: 1,
      stop_sequences: ['END'],
    });
    // and it is a valid Anthropic request by our own Anthropic parser, meaning the same thing
    const back = parseAnthropicMessagesRequest(a);
    const again = renderOpenAIChatRequest(back, 'gpt-4o');
    expect(again.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Paris and time?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      { role: 'tool', tool_call_id: 'call_2', content: '14:00' },
      { role: 'user', content: 'Thanks. Summarize.' },
    ]);
    expect(again.tools).toEqual(openaiBody.tools);
    expect(again.logprobs).toBeUndefined(); // came through Anthropic: its extras are not OpenAI's
  });

  it('Anthropic request -> OpenAI: system blocks, images, tool_result blocks, streaming asks for usage', () => {
    const body = {
      model: 'claude-sonnet-4',
      max_tokens: 300,
      stream: true,
      system: [{ type: 'text', text: 'Part one.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Part two.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool_use', id: 'tu_1', name: 'zoom', input: { level: 2 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: [{ type: 'text', text: 'a cat' }], is_error: false }] },
      ],
      tools: [{ name: 'zoom', input_schema: { type: 'object', properties: { level: { type: 'number' } } } }],
      tool_choice: { type: 'tool', name: 'zoom' },
      thinking: { type: 'enabled', budget_tokens: 1024 },
    };
    const canonical = parseAnthropicMessagesRequest(body);
    const o = renderOpenAIChatRequest(canonical, 'gpt-4o', { forceIncludeUsage: true });
    expect(o).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Part one.' },
        { role: 'system', content: 'Part two.' },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } }] },
        { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'tu_1', type: 'function', function: { name: 'zoom', arguments: '{"level":2}' } }] },
        { role: 'tool', tool_call_id: 'tu_1', content: [{ type: 'text', text: 'a cat' }] },
      ],
      tools: [{ type: 'function', function: { name: 'zoom', parameters: { type: 'object', properties: { level: { type: 'number' } } } } }],
      tool_choice: { type: 'function', function: { name: 'zoom' } },
      max_completion_tokens: 300,
      stream: true,
      stream_options: { include_usage: true },
    });
    // back through OpenAI parsing and Anthropic rendering: the same request again (data URL -> base64)
    const back = renderAnthropicMessagesRequest(parseOpenAIChatRequest(o), 'claude-sonnet-4');
    expect(back.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool_use', id: 'tu_1', name: 'zoom', input: { level: 2 } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: [{ type: 'text', text: 'a cat' }] }] },
    ]);
    expect(back.thinking).toBeUndefined();
    // same-format: Anthropic extras survive an Anthropic render
    expect(renderAnthropicMessagesRequest(canonical, 'c').thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
  });

  it('responses: OpenAI <-> canonical <-> Anthropic keep text, tools, finish reason and usage buckets', () => {
    const fromOpenAI = parseOpenAIChatResponse(fixtureJson('openai-chat-tools.json'));
    const asAnthropic = renderAnthropicMessagesResponse(fromOpenAI, { model: 'gpt-4o-mini' });
    expect(asAnthropic).toMatchObject({
      id: 'msg_tools2',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'call_abc123', name: 'get_weather', input: { location: 'Paris' } }],
      stop_reason: 'tool_use',
      usage: { input_tokens: 82, output_tokens: 17, cache_read_input_tokens: 0 },
    });
    const fromAnthropic = parseAnthropicMessagesResponse(fixtureJson('anthropic-messages.json'));
    expect(fromAnthropic.usage).toEqual({ input: 12, cacheRead: 4096, cacheWrite5m: 2048, cacheWrite1h: 0, output: 10, reasoning: 0 });
    const asOpenAI = renderOpenAIChatResponse(fromAnthropic, { model: 'claude-sonnet-4' });
    expect(asOpenAI).toMatchObject({
      id: 'chatcmpl-01XFDUDYJgAACzvnptvVoYEL',
      object: 'chat.completion',
      model: 'claude-sonnet-4',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today?', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 6156, completion_tokens: 10, total_tokens: 6166, prompt_tokens_details: { cached_tokens: 4096, cache_write_tokens: 2048 } },
    });
    // and back: the disjoint buckets survive the trip through OpenAI's inclusive prompt_tokens
    expect(parseOpenAIChatResponse(asOpenAI).usage).toEqual(fromAnthropic.usage);
  });

  it('finish/stop reasons map both ways', () => {
    expect(finishReasonFromAnthropic('end_turn')).toBe('stop');
    expect(finishReasonFromAnthropic('stop_sequence')).toBe('stop');
    expect(finishReasonFromAnthropic('max_tokens')).toBe('length');
    expect(finishReasonFromAnthropic('tool_use')).toBe('tool_calls');
    expect(finishReasonToAnthropic('stop')).toBe('end_turn');
    expect(finishReasonToAnthropic('stop', 'stop_sequence')).toBe('stop_sequence');
    expect(finishReasonToAnthropic('length')).toBe('max_tokens');
    expect(finishReasonToAnthropic('tool_calls')).toBe('tool_use');
    expect(finishReasonFromOpenAI('tool_calls')).toBe('tool_calls');
    expect(finishReasonFromOpenAI('length')).toBe('length');
    expect(finishReasonFromOpenAI(null)).toBe('error');
    expect(finishReasonToOpenAI('error')).toBe('stop');
  });

  it('Anthropic render refuses n > 1 with a clear error', () => {
    const req: ChatRequest = parseOpenAIChatRequest({ model: 'x', messages: [{ role: 'user', content: 'hi' }], n: 2 });
    expect(gatewayError(() => renderAnthropicMessagesRequest(req, 'c')).param).toBe('n');
  });
});

describe('error rendering', () => {
  const openaiBody = '{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
  const anthropicBody = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
  const up = (status: number | null, body: string, errorClass: UpstreamError['errorClass'] = 'server') =>
    new UpstreamError({ provider: 'p', model: 'm', status, body, message: 'p answered', errorClass, retryable: true });

  it('upstream errors keep status; a same-format body goes out as is, a foreign one is translated', () => {
    expect(renderOpenAIError(up(429, openaiBody))).toEqual({ status: 429, body: JSON.parse(openaiBody) });
    expect(renderAnthropicError(up(529, anthropicBody))).toEqual({ status: 529, body: JSON.parse(anthropicBody) });
    expect(renderOpenAIError(up(529, anthropicBody))).toEqual({ status: 529, body: { error: { message: 'Overloaded', type: 'api_error', param: null, code: 'overloaded_error' } } });
    expect(renderAnthropicError(up(429, openaiBody))).toEqual({ status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit reached for gpt-4o' } } });
  });

  it('connection failures and timeouts map to 502/504; all-attempts-failed renders the last attempt', () => {
    expect(renderOpenAIError(up(null, '', 'connection')).status).toBe(502);
    expect(renderAnthropicError(up(null, '', 'timeout')).status).toBe(504);
    const all = new AllAttemptsFailedError([up(500, 'x'), up(529, anthropicBody, 'overloaded')]);
    expect(renderAnthropicError(all)).toEqual({ status: 529, body: JSON.parse(anthropicBody) });
  });

  it('anything else is a 500 that leaks nothing', () => {
    const secret = new Error('ECONNRESET at /home/user/secret.ts: key sk-live-123');
    for (const r of [renderOpenAIError(secret), renderAnthropicError(secret)]) {
      expect(r.status).toBe(500);
      expect(JSON.stringify(r.body)).not.toContain('sk-live');
      expect(JSON.stringify(r.body)).not.toContain('secret.ts');
    }
  });

  it('codecFor gives the server each format without branching', () => {
    expect(codecFor('openai').renderError(new GatewayError('model_not_found', 'no such model')).body).toEqual({
      error: { message: 'no such model', type: 'invalid_request_error', param: null, code: 'model_not_found' },
    });
    expect(codecFor('anthropic').renderError(new GatewayError('body_too_large', 'too big'))).toEqual({ status: 413, body: { type: 'error', error: { type: 'request_too_large', message: 'too big' } } });
  });

  it('embeddings requests: string or array input, encoding format checked', () => {
    expect(parseOpenAIEmbeddingsRequest({ model: 'e', input: 'a' })).toEqual({ model: 'e', input: ['a'], single: true });
    expect(parseOpenAIEmbeddingsRequest({ model: 'e', input: ['a', 'b'], encoding_format: 'base64' })).toMatchObject({ single: false, encodingFormat: 'base64' });
    expect(gatewayError(() => parseOpenAIEmbeddingsRequest({ model: 'e', input: 'a', encoding_format: 'int8' })).param).toBe('encoding_format');
    expect(gatewayError(() => parseOpenAIEmbeddingsRequest({ model: 'e' })).param).toBe('input');
  });
});
