// OpenTelemetry export end to end: the gateway in front of the simulator exports over OTLP/HTTP to
// a real receiver on 127.0.0.1, which decodes what arrives; spans, attributes, units, bucket
// boundaries and values are checked against the ledger records of the same requests.

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/demo.js';
import { resolveConfig } from '../../src/config/load.js';
import { startGateway } from '../../src/server/gateway.js';
import { startSimulator } from '../../src/sim/index.js';
import { totalInput } from '../../src/core/canonical.js';
import { readLedger } from '../../src/ledger/read.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { GEN_AI_DURATION_BUCKETS, GEN_AI_TOKEN_BUCKETS, GEN_AI_TTFT_BUCKETS } from '../../src/telemetry/buckets.js';
import { GatewayMetrics } from '../../src/telemetry/metrics.js';
import { OtelTelemetry } from '../../src/telemetry/otel.js';
import { telemetryConfigSchema } from '../../src/telemetry/otel-config.js';
import { startHarness, HARNESS_ADMIN_KEY, type Harness } from '../gateway/helpers.js';
import { makeRecord } from '../ledger/fixtures.js';
import { attrs, startOtlpReceiver, type OtlpMetric, type OtlpReceiver, type OtlpSpan } from './otlp-receiver.js';

const SERVER = 2; // OTLP SPAN_KIND_SERVER
const CLIENT = 3; // OTLP SPAN_KIND_CLIENT
const ms = (ns: string | number): number => Number(BigInt(ns) / 1000n) / 1000;

let rx: OtlpReceiver;
let h: Harness;

beforeAll(async () => {
  rx = await startOtlpReceiver();
  h = await startHarness({
    telemetry: { endpoint: rx.url, scheduledDelayMs: 10, exportIntervalMs: 3_600_000, serviceName: 'tollgate-test' },
    retry: { maxRetries: 6, baseDelayMs: 0, maxDelayMs: 0, budget: { ratio: 10, minPerSecond: 100 }, breaker: { enabled: false } },
  });
});
afterAll(async () => {
  await h?.close();
  await rx?.close();
});

async function records(ids: string[]): Promise<RequestRecord[]> {
  await h.gw.ledger.flush();
  const all = readLedger(h.dataDir, { last: 500 });
  return ids.map((id) => {
    const r = all.find((x) => x.requestId === id);
    expect(r, id).toBeDefined();
    return r!;
  });
}

function requestSpan(id: string): OtlpSpan {
  const found = rx.spans().filter((s) => attrs(s.attributes)['tollgate.request_id'] === id);
  expect(found, `span of ${id}`).toHaveLength(1);
  return found[0]!;
}

const childrenOf = (span: OtlpSpan): OtlpSpan[] =>
  rx
    .spans()
    .filter((s) => s.parentSpanId === span.spanId && s.traceId === span.traceId)
    .sort((a, b) => Number(attrs(a.attributes)['tollgate.attempt.index']) - Number(attrs(b.attributes)['tollgate.attempt.index']));

function points(m: OtlpMetric | undefined) {
  expect(m).toBeDefined();
  return (m!.histogram?.dataPoints ?? []).map((p) => ({ attrs: attrs(p.attributes), count: Number(p.count), sum: p.sum ?? 0, bounds: p.explicitBounds }));
}

describe('OTLP/HTTP export from the gateway', () => {
  const ids: string[] = [];
  let retried: string | undefined;
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentId = '00f067aa0ba902b7';

  beforeAll(async () => {
    const openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo-key', maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: 'demo-key', maxRetries: 0 });
    const a = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Name three primes.' }] }, { headers: { traceparent: `00-${traceId}-${parentId}-01` } })
      .withResponse();
    ids.push(a.response.headers.get('x-tollgate-request-id')!);
    const stream = await anthropic.messages.create({ model: 'claude-3-5-haiku', max_tokens: 40, stream: true, messages: [{ role: 'user', content: 'Say hello.' }] }).withResponse();
    for await (const _ of stream.data) void _;
    ids.push(stream.response.headers.get('x-tollgate-request-id')!);
    // a fault that fires on half the attempts: some request needs a retry (the simulator's draws are seeded)
    for (let i = 0; i < 30 && !retried; i++) {
      const r = await openai.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: `Retry me ${i}` }] }, { headers: { 'x-sim-fault': '503;p=0.5;retry-after=0' } })
        .withResponse()
        .catch(() => undefined);
      if (!r) continue;
      const id = r.response.headers.get('x-tollgate-request-id')!;
      ids.push(id);
      const [rec] = await records([id]);
      if ((rec!.attempts?.length ?? 0) >= 2) retried = id;
    }
    await h.gw.otel!.flush();
  });

  it('one SERVER span per request, named by the conventions, with GenAI and tollgate attributes equal to the ledger', async () => {
    expect(retried).toBeDefined();
    expect(rx.resource()['service.name']).toBe('tollgate-test');
    expect([...rx.contentTypes]).toEqual(['application/json']);
    for (const rec of await records(ids)) {
      const span = requestSpan(rec.requestId);
      const a = attrs(span.attributes);
      expect(span.name).toBe(`chat ${rec.requestedModel}`);
      expect(span.kind).toBe(SERVER);
      expect(ms(span.startTimeUnixNano)).toBeCloseTo(rec.receivedAt, 2);
      expect(ms(span.endTimeUnixNano)).toBeCloseTo(rec.completedAt, 2);
      expect(a).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': rec.requestedModel,
        'gen_ai.response.model': rec.model,
        'gen_ai.request.stream': rec.stream,
        'gen_ai.usage.input_tokens': totalInput(rec.usage),
        'gen_ai.usage.output_tokens': rec.usage.output,
        'http.response.status_code': rec.httpStatus,
        'tollgate.cost_usd': rec.costUsd,
        'tollgate.baseline_cost_usd': rec.baselineCostUsd,
        'tollgate.decisions': rec.trail.map((e) => `${e.stage}:${e.decision}`),
      });
      expect(span.status?.code ?? 0).toBe(rec.status === 'ok' ? 0 : 2); // UNSET, or ERROR
      expect(a['gen_ai.provider.name']).toBe(rec.provider === 'sim-anthropic' ? 'anthropic' : 'openai');
      expect(a['gen_ai.system']).toBe(a['gen_ai.provider.name']);
      if (rec.finishReason) expect(a['gen_ai.response.finish_reasons']).toEqual([rec.finishReason]);
      if (rec.ttftMs !== undefined) expect(a['gen_ai.response.time_to_first_chunk']).toBeCloseTo(rec.ttftMs / 1000, 9);
      for (const [k, v] of Object.entries(rec.costByComponent ?? {})) expect(a[`tollgate.cost_usd.${k}`]).toBe(v);
      for (const [k, v] of Object.entries(rec.tokensByComponent ?? {})) expect(a[`tollgate.input_tokens.${k}`]).toBe(v);
      expect((span.events ?? []).map((e) => `${attrs(e.attributes)['tollgate.stage']}:${attrs(e.attributes)['tollgate.decision']}`)).toEqual(a['tollgate.decisions']);
    }
  });

  it("a caller's traceparent makes the request span a child in the caller's trace", () => {
    const span = requestSpan(ids[0]!);
    expect(span.traceId).toBe(traceId);
    expect(span.parentSpanId).toBe(parentId);
  });

  it('a CLIENT span per upstream attempt: the retried request has the failed try and the answer', async () => {
    const [rec] = await records([retried!]);
    const kids = childrenOf(requestSpan(rec!.requestId));
    expect(kids.length).toBe(rec!.attempts!.length);
    expect(kids.length).toBeGreaterThanOrEqual(2);
    kids.forEach((s, i) => {
      const at = rec!.attempts![i]!;
      const a = attrs(s.attributes);
      expect(s.name).toBe(`chat ${at.model}`);
      expect(s.kind).toBe(CLIENT);
      expect(ms(s.startTimeUnixNano)).toBeCloseTo(at.startedAt, 2);
      expect(ms(s.endTimeUnixNano)).toBeCloseTo(at.endedAt, 2);
      expect(a['http.response.status_code']).toBe(at.status);
      expect(a['tollgate.cost_usd']).toBe(at.costUsd);
      if (at.errorClass) {
        expect(a['error.type']).toBe(at.errorClass);
        expect(s.status?.code).toBe(2); // STATUS_CODE_ERROR
      } else {
        expect(a['gen_ai.usage.input_tokens']).toBe(totalInput(at.usage!));
        expect(a['gen_ai.usage.output_tokens']).toBe(at.usage!.output);
      }
    });
    expect(rec!.attempts!.some((a) => a.errorClass)).toBe(true);
  });

  it('metrics: names, units, advised bucket boundaries and values agree with the ledger', async () => {
    const recs = await records(ids);
    const m = rx.metrics();
    const usage = m.get('gen_ai.client.token.usage');
    expect(usage?.unit).toBe('{token}');
    const up = points(usage);
    for (const p of up) expect(p.bounds).toEqual(GEN_AI_TOKEN_BUCKETS);
    const attempts = recs.flatMap((r) => r.attempts ?? []);
    const billed = attempts.filter((a) => a.usage && !a.usage.estimated);
    const sumOf = (type: string) => up.filter((p) => p.attrs['gen_ai.token.type'] === type).reduce((s, p) => s + p.sum, 0);
    expect(sumOf('input')).toBe(billed.reduce((s, a) => s + totalInput(a.usage!), 0));
    expect(sumOf('output')).toBe(billed.reduce((s, a) => s + a.usage!.output, 0));
    for (const p of up) expect(p.attrs).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': expect.stringMatching(/^(openai|anthropic)$/) });

    const dur = m.get('gen_ai.client.operation.duration');
    expect(dur?.unit).toBe('s');
    const dp = points(dur);
    for (const p of dp) expect(p.bounds).toEqual(GEN_AI_DURATION_BUCKETS);
    expect(dp.reduce((s, p) => s + p.count, 0)).toBe(attempts.length);
    expect(dp.filter((p) => p.attrs['error.type'] !== undefined).reduce((s, p) => s + p.count, 0)).toBe(attempts.filter((a) => a.errorClass).length);
    expect(dp.reduce((s, p) => s + p.sum, 0)).toBeCloseTo(attempts.reduce((s, a) => s + (a.endedAt - a.startedAt) / 1000, 0), 6);

    const server = points(m.get('gen_ai.server.request.duration'));
    expect(server.reduce((s, p) => s + p.count, 0)).toBe(recs.length);
    expect(server.reduce((s, p) => s + p.sum, 0)).toBeCloseTo(recs.reduce((s, r) => s + r.latencyMs / 1000, 0), 6);
    const ttft = m.get('gen_ai.server.time_to_first_token');
    expect(ttft?.unit).toBe('s');
    const tp = points(ttft);
    for (const p of tp) expect(p.bounds).toEqual(GEN_AI_TTFT_BUCKETS);
    expect(tp.reduce((s, p) => s + p.count, 0)).toBe(recs.filter((r) => r.stream && r.ttftMs !== undefined).length);

    const cost = m.get('tollgate.cost');
    expect(cost?.unit).toBe('USD');
    expect(cost?.sum?.isMonotonic).toBe(true);
    const costSum = (cost?.sum?.dataPoints ?? []).reduce((s, p) => s + Number(p.asDouble ?? p.asInt ?? 0), 0);
    expect(costSum).toBeCloseTo(recs.reduce((s, r) => s + r.costUsd, 0), 12);
    const reqs = (m.get('tollgate.requests')?.sum?.dataPoints ?? []).reduce((s, p) => s + Number(p.asInt ?? p.asDouble ?? 0), 0);
    expect(reqs).toBe(recs.length);
  });

  it('/metrics counts what was dropped (nothing here)', async () => {
    const text = await (await fetch(`${h.gw.url}/metrics`, { headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}` } })).text();
    expect(text).toMatch(/^# TYPE tollgate_otel_dropped_total counter$/m);
    expect(text).toMatch(/^tollgate_otel_dropped_total\{signal="traces",reason="queue_full"\} 0$/m);
    expect(text).toMatch(/^tollgate_otel_dropped_total\{signal="traces",reason="export_failed"\} 0$/m);
  });
});

describe('a bounded export queue', () => {
  it('drops spans beyond maxQueueSize and spans of a refused export, and counts both', async () => {
    const rx2 = await startOtlpReceiver();
    const metrics = new GatewayMetrics();
    const config = telemetryConfigSchema.parse({ endpoint: rx2.url, maxQueueSize: 3, maxExportBatchSize: 3, scheduledDelayMs: 3_600_000, metrics: false });
    const otel = new OtelTelemetry({ config: { ...config, endpoint: rx2.url }, metrics });
    const attempt = { provider: 'openai', model: 'gpt-4o', status: 200, startedAt: 1_760_000_000_000, endedAt: 1_760_000_000_400, costUsd: 0.001 };
    const extra = { operation: 'chat' as const, providerName: (p: string) => p };
    // 5 records x (1 request span + 1 attempt span) = 10 spans into a queue of 3
    for (let i = 0; i < 5; i++) otel.observe(makeRecord(i, { attempts: [attempt] }), extra);
    await otel.flush();
    // the processor sends a batch as soon as one is full, so how many got in depends on its
    // timing; what must hold is that every span arrived or was counted
    const dropped = otel.droppedCounts().queueFull;
    expect(dropped).toBeGreaterThan(0);
    expect(rx2.spans().length + dropped).toBe(10);
    const received = rx2.spans().length;
    // the collector refuses the next export (400 is not retryable): its spans are counted as lost
    rx2.failNext(1, 400);
    otel.observe(makeRecord(9, { attempts: [attempt] }), extra);
    await otel.flush().catch(() => undefined);
    expect(otel.droppedCounts().exportFailed).toBe(2);
    expect(rx2.spans()).toHaveLength(received);
    const text = await metrics.render();
    expect(text).toMatch(new RegExp(`^tollgate_otel_dropped_total\\{signal="traces",reason="queue_full"\\} ${dropped}$`, 'm'));
    expect(text).toMatch(/^tollgate_otel_dropped_total\{signal="traces",reason="export_failed"\} 2$/m);
    await otel.shutdown();
    await rx2.close();
  });
});

describe('sampling', () => {
  it("samplingRatio 0 keeps no trace of its own, but follows a caller's sampled traceparent", async () => {
    const rx4 = await startOtlpReceiver();
    const config = telemetryConfigSchema.parse({ endpoint: rx4.url, samplingRatio: 0, metrics: false });
    const otel = new OtelTelemetry({ config: { ...config, endpoint: rx4.url } });
    const attempt = { provider: 'openai', model: 'gpt-4o', status: 200, startedAt: 1_760_000_000_000, endedAt: 1_760_000_000_400, costUsd: 0.001 };
    otel.observe(makeRecord(1, { attempts: [attempt] }), { operation: 'chat', providerName: (p) => p });
    otel.observe(makeRecord(2, { attempts: [attempt] }), { operation: 'chat', providerName: (p) => p, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    await otel.flush();
    expect(rx4.spans().map((s) => [s.name, attrs(s.attributes)['tollgate.request_id'] ?? attrs(s.attributes)['tollgate.attempt.index']])).toEqual([
      ['chat gpt-4o', 0],
      ['chat gpt-4o', makeRecord(2).requestId],
    ]);
    await otel.shutdown();
    await rx4.close();
  });
});

describe('OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('turns export on when the config has no telemetry endpoint; the config wins when it has one', async () => {
    const rx3 = await startOtlpReceiver();
    const sim = await startSimulator({ port: 0, latencyScale: 0, seed: 3 });
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-otel-env-'));
    const base = demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false, adminKey: HARNESS_ADMIN_KEY });
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: rx3.url };
    expect(resolveConfig({ ...base, telemetry: { endpoint: 'http://127.0.0.1:1' } }, '(test)', env).telemetry.endpoint).toBe('http://127.0.0.1:1');
    expect(resolveConfig(base, '(test)', {}).telemetry.endpoint).toBeUndefined();
    const gw = await startGateway({ config: resolveConfig(base, '(test)', env), port: 0 });
    try {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo-key' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      const id = res.headers.get('x-tollgate-request-id');
      await gw.otel!.flush();
      expect(rx3.spans().filter((s) => attrs(s.attributes)['tollgate.request_id'] === id).map((s) => s.name)).toEqual(['chat gpt-4o-mini']);
    } finally {
      await gw.close();
      await sim.close();
      await rx3.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
