// Azure OpenAI and the Gemini native API as provider kinds, replayed from fixtures (written from
// the vendors' documented shapes: see test/fixtures/providers/README.md) by a server on 127.0.0.1
// that checks what each vendor requires (Azure: deployment path, api-version, api-key; Gemini:
// models/{model}:generateContent or :streamGenerateContent?alt=sse, x-goog-api-key), behind the
// gateway, called with the official SDKs.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { fixture, startServer, type TestServer } from './helpers.js';

const AZURE_KEY = 'azure-test-key-0123456789';
const GEMINI_KEY = 'gemini-test-key-0123456789';

let upstream: TestServer;
let gw: RunningGateway;
let dataDir: string;
let openai: OpenAI;
let anthropic: Anthropic;

const send = (res: import('node:http').ServerResponse, status: number, name: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': name.endsWith('.sse') ? 'text/event-stream' : 'application/json', ...headers });
  res.end(fixture(name));
};

beforeAll(async () => {
  upstream = await startServer((req, res, body) => {
    const url = new URL(req.url!, 'http://x');
    const json = JSON.parse(body.toString('utf8') || '{}') as Record<string, any>;
    const azure = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(url.pathname);
    if (azure) {
      if (req.headers['api-key'] !== AZURE_KEY) return send(res, 401, 'azure-rate-limit.json');
      if (url.searchParams.get('api-version') !== '2024-10-21') return void res.writeHead(404).end('{"error":{"code":"404","message":"Resource not found"}}');
      if (azure[1] === 'limited') return send(res, 429, 'azure-rate-limit.json', { 'retry-after': '1' });
      if (JSON.stringify(json.messages).includes('jailbreak')) return send(res, 400, 'azure-content-filter.json');
      return send(res, 200, json.stream ? 'azure-chat.sse' : 'azure-chat.json');
    }
    const gemini = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(url.pathname);
    if (gemini) {
      if (req.headers['x-goog-api-key'] !== GEMINI_KEY) return void res.writeHead(403).end('{"error":{"code":403,"message":"API key not valid.","status":"PERMISSION_DENIED"}}');
      if (gemini[1] === 'gemini-limited') return send(res, 429, 'gemini-rate-limit.json');
      if (gemini[2] === 'streamGenerateContent') {
        if (url.searchParams.get('alt') !== 'sse') return void res.writeHead(400).end();
        return send(res, 200, 'gemini-stream.sse');
      }
      return send(res, 200, json.tools ? 'gemini-generate-tools.json' : 'gemini-generate.json');
    }
    res.writeHead(404).end();
  });
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-azure-gemini-'));
  const config = resolveConfig(
    {
      server: { port: 0 },
      dataDir,
      auth: { mode: 'demo' },
      retry: { maxRetries: 0 },
      providers: [
        { name: 'azure', kind: 'azure-openai', baseUrl: upstream.url, apiKeyEnv: 'TEST_AZURE_KEY', apiVersion: '2024-10-21' },
        { name: 'gemini', kind: 'gemini', baseUrl: `${upstream.url}/v1beta`, apiKeyEnv: 'TEST_GEMINI_KEY' },
      ],
      models: [
        { name: 'gpt-4o', provider: 'azure', model: 'my-gpt-4o', price: { provider: 'openai', model: 'gpt-4o' } },
        { name: 'gpt-4o-limited', provider: 'azure', model: 'limited', price: { provider: 'openai', model: 'gpt-4o' } },
        { name: 'gemini-2.5-flash', provider: 'gemini', price: { provider: 'google', model: 'gemini-2.5-flash' } },
        { name: 'gemini-limited', provider: 'gemini', model: 'gemini-limited', price: { provider: 'google', model: 'gemini-2.5-flash' } },
      ],
    },
    '(test)',
    { TEST_AZURE_KEY: AZURE_KEY, TEST_GEMINI_KEY: GEMINI_KEY },
  );
  gw = await startGateway({ config, port: 0 });
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'demo', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'demo', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const recordOf = async (r: Response) => (await openai.get(`/tollgate/requests/${r.headers.get('x-tollgate-request-id')}`)) as RequestRecord;
const lastUpstream = () => upstream.requests.at(-1)!;

describe('Azure OpenAI (kind azure-openai)', () => {
  it('a deployment URL with api-version and api-key; the answer relayed, cached tokens priced as reads', async () => {
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'What is a toll road?' }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe('A toll road is a road you pay to use.');
    expect(lastUpstream().url).toBe('/openai/deployments/my-gpt-4o/chat/completions?api-version=2024-10-21');
    expect(lastUpstream().headers.authorization).toBeUndefined();
    const rec = await recordOf(response);
    expect(rec.usage).toMatchObject({ input: 276, cacheRead: 1024, output: 11 });
    // gpt-4o: $2.50 / 1M input, $1.25 / 1M cached, $10 / 1M output
    expect(rec.costUsd).toBeCloseTo((276 * 2.5 + 1024 * 1.25 + 11 * 10) / 1e6, 12);
    expect(rec.provider).toBe('azure');
  });

  it('streams: the choice-less prompt_filter_results chunk is skipped, usage from the last chunk', async () => {
    const { data: stream, response } = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Why tolls?' }], stream: true }).withResponse();
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Tolls pay for roads.');
    const rec = await recordOf(response);
    expect(rec.usage).toMatchObject({ input: 14, output: 5 });
    // and to an Anthropic client, translated
    const m = await anthropic.messages.create({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: 'Why tolls?' }] });
    expect(m.content[0]).toMatchObject({ type: 'text', text: 'A toll road is a road you pay to use.' });
  });

  it('errors: a 429 is a rate limit in the caller format, a content filter a 400', async () => {
    const e = await openai.chat.completions.create({ model: 'gpt-4o-limited', messages: [{ role: 'user', content: 'x' }] }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    const f = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'a jailbreak' }] }).catch((err: unknown) => err);
    expect(f).toBeInstanceOf(OpenAI.BadRequestError);
    expect((f as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('content management policy');
  });
});

describe('Gemini native API (kind gemini)', () => {
  it('generateContent: the request rendered in Gemini form, usageMetadata priced (cached reads, thoughts as output)', async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: 'gemini-2.5-flash', max_tokens: 300, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is a toll road?' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('A toll road charges drivers for using it.');
    const sent = lastUpstream();
    expect(sent.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(JSON.parse(sent.body.toString())).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'What is a toll road?' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 300 },
    });
    const rec = await recordOf(response);
    expect(rec.usage).toMatchObject({ input: 52, cacheRead: 2048, output: 151, reasoning: 142 });
    // gemini-2.5-flash: $0.30 / 1M input, $0.03 / 1M cached, $2.50 / 1M output (thoughts included)
    expect(rec.costUsd).toBeCloseTo((52 * 0.3 + 2048 * 0.03 + 151 * 2.5) / 1e6, 12);
    expect(data.usage).toMatchObject({ prompt_tokens: 2100, completion_tokens: 151 });
  });

  it('tools: functionDeclarations out, a functionCall back as an OpenAI tool call; the tool result goes back as a functionResponse', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const c = await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools });
    const call = c.choices[0]!.message.tool_calls![0]!;
    expect(c.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(JSON.parse(lastUpstream().body.toString()).tools).toEqual([{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: tools[0]!.function.parameters }] }]);
    await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      tools,
      messages: [{ role: 'user', content: 'Weather in Paris?' }, c.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
    });
    const contents = JSON.parse(lastUpstream().body.toString()).contents;
    expect(contents[1]).toEqual({ role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] });
    expect(contents[2]).toEqual({ role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: 'sunny' } } }] });
  });

  it('streamGenerateContent?alt=sse, to an OpenAI and to an Anthropic client, usage from the last event', async () => {
    const { data: stream, response } = await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Why tolls?' }], stream: true, stream_options: { include_usage: true } }).withResponse();
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(lastUpstream().url).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(text).toBe('Tolls pay for the road, é.');
    expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 28 });
    expect((await recordOf(response)).usage).toMatchObject({ input: 12, output: 28, reasoning: 21 });
    const s = anthropic.messages.stream({ model: 'gemini-2.5-flash', max_tokens: 100, messages: [{ role: 'user', content: 'Why tolls?' }] });
    const final = await s.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Tolls pay for the road, é.' });
    expect(final.usage.output_tokens).toBe(28);
  });

  it('a RESOURCE_EXHAUSTED 429 is a rate limit in the caller format', async () => {
    await expect(anthropic.messages.create({ model: 'gemini-limited', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.RateLimitError);
  });
});
