// What the pieces of one request cost in process (dist build): the nesting check, parsing the
// client's body and the upstream's answer into canonical form, the bounded ledger line, metrics.
// `npm run build && node bench/hot-path-parts.mjs`; µs per call, after a warm-up.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { parseOpenAIChatRequest } = await import(`${root}/providers/openai/parse-chat-request.js`);
const { parseOpenAIChatResponse } = await import(`${root}/providers/openai/parse-chat-response.js`);
const { recordLine } = await import(`${root}/ledger/bound-record.js`);
const { GatewayMetrics } = await import(`${root}/telemetry/metrics.js`);
const { jsonDeeperThan } = await import(`${root}/core/json-depth.js`);
const REQUEST = { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Write one sentence about the sea.' }], max_tokens: 64 };
const body = Buffer.from(JSON.stringify(REQUEST));
const resp = Buffer.from(JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog while the gateway counts' }, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 42, completion_tokens: 20, total_tokens: 62, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } } }));
function time(name, fn, n = 200000) {
  for (let i = 0; i < 20000; i++) fn();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  console.log(name.padEnd(28), (Number(process.hrtime.bigint() - t) / n / 1000).toFixed(2), 'µs');
}
time('jsonDeeperThan', () => jsonDeeperThan(body));
time('JSON.parse req', () => JSON.parse(body.toString('utf8')));
time('parse canonical req', () => parseOpenAIChatRequest(JSON.parse(body.toString('utf8'))));
time('parse canonical resp', () => parseOpenAIChatResponse(JSON.parse(resp.toString('utf8'))));
const rec = { requestId: 'tg-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed', keyId: 'demo', team: 'demo', endpoint: '/v1/chat/completions', apiFormat: 'openai', requestedModel: 'gpt-4o-mini', provider: 'mock', model: 'gpt-4o-mini', stream: false, receivedAt: 1764750000000.123, upstreamSentAt: 1764750000000.3, firstByteAt: 1764750000000.9, lastTokenAt: 1764750000001, completedAt: 1764750000001.2, latencyMs: 1.1, upstreamMs: 0.7, overheadMs: 0.4, usage: { input: 42, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 20, reasoning: 0 }, costUsd: 0.0000183, attempts: [{ provider: 'mock', model: 'gpt-4o-mini', status: 200, startedAt: 1764750000000.3, endedAt: 1764750000001, usage: { input: 42, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 20, reasoning: 0 }, costUsd: 0.0000183 }], baselineCostUsd: 0.0000183, baselineModel: 'gpt-4o-mini', trail: [{ stage: 'cache', decision: 'bypass', reason: 'temperature 1 is above 0' }], status: 'ok', httpStatus: 200, finishReason: 'stop', cacheStatus: 'bypass' };
time('JSON.stringify record', () => JSON.stringify(rec));
time('recordLine', () => recordLine(rec));
const m = new GatewayMetrics();
time('metrics.observe', () => m.observe(rec, { provider: 'openai', operation: 'chat' }));

// Prompt anatomy and the record's prompt fields (issue 8): tokenizing and hashing the prompt runs
// while the upstream works (engine/anatomy.ts preparePrompt); promptFields runs at the record.
const { preparePrompt, promptFields, PrefixMemory } = await import(`${root}/engine/anatomy.js`);
const { PriceCatalog } = await import(`${root}/core/prices/catalog.js`);
const price = PriceCatalog.load().lookup('openai', 'gpt-4o-mini');
const small = parseOpenAIChatRequest(REQUEST);
const DOCS = Array.from({ length: 4 }, (_, i) => `<document title="doc-${i}">${'Refunds are accepted within 30 days of purchase with a receipt. '.repeat(30)}</document>`).join('\n');
const rag = parseOpenAIChatRequest({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a support assistant for Acme. Answer from the documents and cite them. '.repeat(10) },
    { role: 'user', content: 'Hi, I bought a kettle.' },
    { role: 'assistant', content: 'Hello! How can I help with your kettle?' },
    { role: 'user', content: `<context>\n${DOCS}\n</context>\nCan I get a refund after 40 days?` },
  ],
});
console.log(`rag request: ${JSON.stringify(rag).length} characters`);
time('preparePrompt small', () => preparePrompt(small), 20000);
time('preparePrompt rag 8 KB', () => preparePrompt(rag), 2000);
const prepared = preparePrompt(rag);
const memory = new PrefixMemory();
const ragUsage = { input: 1400, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, output: 80, reasoning: 0 };
time('promptFields (at record)', () => promptFields(prepared, ragUsage, price, { model: 'gpt-4o-mini', memory, memoryKey: 'team\u0000route' }));

// OpenTelemetry: observe() only queues; the spans and measurements are made a turn later (drain)
const { OtelTelemetry } = await import(`${root}/telemetry/otel.js`);
const { telemetryConfigSchema } = await import(`${root}/telemetry/otel-config.js`);
// a closed port: exports fail in the background (counted), what is timed is the building
const otelConfig = { ...telemetryConfigSchema.parse({ endpoint: 'http://127.0.0.1:9', maxQueueSize: 100000, maxExportBatchSize: 100000, scheduledDelayMs: 3600000, exportIntervalMs: 3600000 }) };
const otel = new OtelTelemetry({ config: otelConfig });
const extra = { operation: 'chat', providerName: () => 'openai' };
time('otel.observe (queue only)', () => otel.observe(rec, extra), 2000);
time('otel spans+metrics per record', () => {
  otel.observe(rec, extra);
  otel['drain']();
}, 20000);
await otel.shutdown();
