// Every adapter passes the one provider contract (providers.contract.ts): the built-in kinds, the
// OpenAI-compatible vendor variants where they differ (vLLM's wire quirks, the output-limit field
// of the hosted vendors), and a kind registered from outside the providers folder, which also runs
// end to end through the gateway with the official OpenAI client.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Usage } from '../../src/core/canonical.js';
import { resolveConfig, type LoadedConfig } from '../../src/config/load.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import {
  COMPATIBLE_VENDORS,
  createHttpAdapter,
  createProvider,
  openAIVendorSpec,
  registerProviderKind,
  registeredProviderKinds,
  type ProviderConfig,
} from '../../src/providers/index.js';
import { fixture, startServer, type TestServer } from '../providers/helpers.js';
import { CONTRACT_KEY, providerContract, type ProviderSubject } from './providers.contract.js';

const u = (p: Partial<Usage>): Usage => ({ input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0, ...p });

const openAITools = (body: Record<string, unknown>): [string, unknown][] =>
  (body.tools as { function: { name: string; parameters: unknown } }[]).map((t) => [t.function.name, t.function.parameters]);

/** OpenAI's own fixtures (usage: prompt_tokens includes cached_tokens) */
const OPENAI_ANSWERS: Pick<ProviderSubject, 'text' | 'tools' | 'midstreamError' | 'rateLimit' | 'overload'> = {
  text: {
    json: { file: 'openai-chat.json', text: 'The capital of France is Paris.', finish: 'stop', usage: u({ input: 1117 - 1024, cacheRead: 1024, output: 46 }) },
    sse: { file: 'openai-chat-text.sse', text: 'Hello! How can I help — café ☕?', finish: 'stop', usage: u({ input: 1200 - 1024, cacheRead: 1024, output: 9 }) },
  },
  tools: {
    json: { file: 'openai-chat-tools.json', toolCalls: [{ name: 'get_weather', args: { location: 'Paris' } }], finish: 'tool_calls', usage: u({ input: 82, output: 17 }) },
    sse: {
      file: 'openai-chat-tools.sse',
      toolCalls: [
        { name: 'get_weather', args: { location: 'Paris' } },
        { name: 'get_time', args: { tz: 'CET' } },
      ],
      finish: 'tool_calls',
      usage: u({ input: 85, output: 32 }),
    },
  },
  midstreamError: { file: 'openai-chat-midstream-error.sse', type: 'server_error' },
  rateLimit: { file: 'openai-rate-limit.json', status: 429, errorClass: 'rate_limit', upstreamType: 'tokens' },
  overload: { file: 'openai-overloaded.json', status: 503, errorClass: 'server', upstreamType: 'server_error' },
};

/** vLLM's wire: usage chunk with `choices: null`, tool-call deltas without `arguments`, flat error bodies */
const VLLM_ANSWERS: typeof OPENAI_ANSWERS = {
  text: {
    json: { file: 'openai-chat-vllm.json', text: 'Hi there', finish: 'length', usage: u({ input: 12, output: 2 }) },
    sse: { file: 'openai-chat-vllm.sse', text: 'Hi there', finish: 'length', usage: u({ input: 12, output: 2 }) },
  },
  tools: {
    json: { file: 'openai-chat-vllm-tools.json', toolCalls: [{ name: 'get_weather', args: { location: 'Paris' } }], finish: 'tool_calls', usage: u({ input: 240, output: 22 }) },
    sse: { file: 'openai-chat-vllm-tools.sse', toolCalls: [{ name: 'get_weather', args: { location: 'Paris' } }], finish: 'tool_calls', usage: u({ input: 240, output: 22 }) },
  },
  midstreamError: { file: 'openai-chat-vllm-midstream-error.sse', type: 'ServiceUnavailableError' },
  rateLimit: { file: 'vllm-rate-limit.json', status: 429, errorClass: 'rate_limit' },
  overload: { file: 'vllm-error.json', status: 503, errorClass: 'server' },
};

function config(kind: string, baseUrl: string, over: Partial<ProviderConfig> = {}): ProviderConfig {
  return { name: `contract-${kind}`, kind: kind as ProviderConfig['kind'], baseUrl, apiKey: CONTRACT_KEY, ...over };
}

providerContract({
  label: 'openai',
  create: (origin, over) => createProvider(config('openai', `${origin}/v1`, over)),
  chatPath: '/v1/chat/completions',
  auth: ['authorization', `Bearer ${CONTRACT_KEY}`],
  maxTokensField: 'max_completion_tokens',
  streamUsageOnlyWhenAsked: true,
  toolsInBody: openAITools,
  ...OPENAI_ANSWERS,
});

providerContract({
  label: 'anthropic',
  create: (origin, over) => createProvider(config('anthropic', origin, over)),
  chatPath: '/v1/messages',
  auth: ['x-api-key', CONTRACT_KEY],
  maxTokensField: 'max_tokens',
  streamUsageOnlyWhenAsked: false,
  toolsInBody: (body) => (body.tools as { name: string; input_schema: unknown }[]).map((t) => [t.name, t.input_schema]),
  text: {
    // input_tokens excludes cache reads and writes; an absent TTL split means 5-minute writes
    json: { file: 'anthropic-messages.json', text: 'Hello! How can I help you today?', finish: 'stop', usage: u({ input: 12, cacheWrite5m: 2048, cacheRead: 4096, output: 10 }) },
    // message_start carries input and cache figures, message_delta the cumulative output
    sse: { file: 'anthropic-text.sse', text: 'Hello! Grüße 👋', finish: 'stop', usage: u({ input: 25, cacheWrite1h: 1500, output: 15 }) },
  },
  tools: {
    json: {
      file: 'anthropic-messages-tools.json',
      text: "I'll check the weather.",
      toolCalls: [{ name: 'get_weather', args: { location: 'San Francisco, CA', unit: 'celsius' } }],
      finish: 'tool_calls',
      usage: u({ input: 472, output: 89 }),
    },
    sse: { file: 'anthropic-tools.sse', toolCalls: [{ name: 'get_weather', args: { location: 'San Francisco, CA' } }], finish: 'tool_calls', usage: u({ input: 472, output: 89 }) },
  },
  midstreamError: { file: 'anthropic-overloaded.sse', type: 'overloaded_error' },
  rateLimit: { file: 'anthropic-rate-limit.json', status: 429, errorClass: 'rate_limit', upstreamType: 'rate_limit_error' },
  overload: { file: 'anthropic-overloaded.json', status: 529, errorClass: 'overloaded', upstreamType: 'overloaded_error' },
});

// Azure OpenAI: OpenAI's bodies at a deployment URL (the model id is the deployment), the key in api-key
providerContract({
  label: 'azure-openai',
  create: (origin, over) => createProvider(config('azure-openai', origin, over)),
  chatPath: '/openai/deployments/upstream-model/chat/completions?api-version=2024-10-21',
  auth: ['api-key', CONTRACT_KEY],
  maxTokensField: 'max_completion_tokens',
  streamUsageOnlyWhenAsked: true,
  toolsInBody: openAITools,
  ...OPENAI_ANSWERS,
});

// An unknown host (vLLM, Ollama, llama.cpp...) is the generic compatible vendor: max_tokens.
providerContract({
  label: 'openai-compatible (vLLM)',
  create: (origin, over) => createProvider(config('openai-compatible', `${origin}/v1`, over)),
  chatPath: '/v1/chat/completions',
  auth: ['authorization', `Bearer ${CONTRACT_KEY}`],
  maxTokensField: 'max_tokens',
  streamUsageOnlyWhenAsked: true,
  toolsInBody: openAITools,
  ...VLLM_ANSWERS,
});

// The hosted vendors differ only in data (vendors.ts), chosen by host; a test server is not on
// their hosts, so the adapter is built the way createOpenAICompatibleAdapter builds it for them.
for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
  const vendor = COMPATIBLE_VENDORS.find((v) => v.maxTokensField === field)!;
  providerContract({
    label: `openai-compatible (${vendor.host}: ${field})`,
    create: (origin, over) => {
      const cfg = config('openai-compatible', `${origin}/v1`, over);
      return createHttpAdapter(cfg, openAIVendorSpec(cfg, { kind: 'openai-compatible', ...vendor }));
    },
    chatPath: '/v1/chat/completions',
    auth: ['authorization', `Bearer ${CONTRACT_KEY}`],
    maxTokensField: field,
    streamUsageOnlyWhenAsked: true,
    toolsInBody: openAITools,
    ...OPENAI_ANSWERS,
  });
}

// A kind registered from outside src/providers/, the way a plug-in would: its own path and auth
// header over the shared HTTP machinery and the OpenAI wire.
const ACME = 'contract-acme';
function createAcmeAdapter(cfg: ProviderConfig) {
  const spec = openAIVendorSpec(cfg, { kind: ACME, otelProviderName: 'acme', maxTokensField: 'max_tokens' });
  return createHttpAdapter(cfg, { ...spec, chatPath: '/generate', headers: (key): Record<string, string> => (key ? { 'x-acme-key': key } : {}) });
}
registerProviderKind(ACME, createAcmeAdapter);

providerContract({
  label: `${ACME} (registered from outside)`,
  create: (origin, over) => createProvider(config(ACME, `${origin}/acme`, over)),
  chatPath: '/acme/generate',
  auth: ['x-acme-key', CONTRACT_KEY],
  maxTokensField: 'max_tokens',
  streamUsageOnlyWhenAsked: true,
  toolsInBody: openAITools,
  ...OPENAI_ANSWERS,
});

describe('a kind registered from outside, end to end through the gateway', () => {
  let upstream: TestServer;
  let gw: RunningGateway;
  let dataDir: string;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startServer((_req, res, body) => {
      const stream = (JSON.parse(body.toString('utf8')) as { stream?: boolean }).stream === true;
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.end(fixture(stream ? 'openai-chat-text.sse' : 'openai-chat.json'));
    });
    dataDir = mkdtempSync(join(tmpdir(), 'tollgate-contract-'));
    // The schema still lists the built-in kinds (another change opens it): validate the config
    // with a built-in kind, then hand the gateway the new one, as an open schema will.
    const resolved = resolveConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        dataDir,
        auth: { mode: 'demo' },
        providers: [{ name: 'acme', kind: 'openai', baseUrl: `${upstream.url}/acme` }],
        models: [{ name: 'acme-1', provider: 'acme', price: { provider: 'openai', model: 'gpt-4o' } }],
      },
      '(contract test)',
      {},
    );
    const config = { ...resolved, providers: resolved.providers.map((p) => ({ ...p, kind: ACME })) } as unknown as LoadedConfig;
    gw = await startGateway({ config, port: 0 });
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'demo-key', maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the registry lists it beside the built-ins', () => {
    expect(registeredProviderKinds()).toEqual(expect.arrayContaining(['openai', 'anthropic', 'openai-compatible', ACME]));
  });

  it('a complete answer through the official client; the upstream saw its own path', async () => {
    const r = await client.chat.completions.create({ model: 'acme-1', messages: [{ role: 'user', content: 'Capital of France?' }] });
    expect(r.choices[0]!.message.content).toBe('The capital of France is Paris.');
    expect(r.usage).toMatchObject({ prompt_tokens: 1117, completion_tokens: 46, prompt_tokens_details: { cached_tokens: 1024 } });
    expect(upstream.requests.at(-1)!.url).toBe('/acme/generate');
  });

  it('a streamed answer, without the usage chunk the client did not ask for', async () => {
    const stream = await client.chat.completions.create({ model: 'acme-1', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    let sawUsage = false;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) sawUsage = true;
    }
    expect(text).toBe('Hello! How can I help — café ☕?');
    expect(sawUsage).toBe(false);
    // the gateway asked for usage on the client's behalf, so the record is billed from it
    const sent = JSON.parse(upstream.requests.at(-1)!.body.toString('utf8')) as { stream_options?: { include_usage?: boolean } };
    expect(sent.stream_options?.include_usage).toBe(true);
  });
});
