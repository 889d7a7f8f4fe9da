import { describe, expect, it } from 'vitest';
import { GatewayMetrics, OTHER_MODEL } from '../../src/telemetry/metrics.js';
import { GEN_AI_DURATION_BUCKETS, GEN_AI_TPOT_BUCKETS, GEN_AI_TTFT_BUCKETS, GEN_AI_TOKEN_BUCKETS } from '../../src/telemetry/buckets.js';
import { openLedger } from '../../src/ledger/ledger.js';
import { makeRecord, tempDataDir } from '../ledger/fixtures.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition -> samples and TYPE lines */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return { samples, types };
}

function pick(samples: Sample[], name: string, where: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
}
function one(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  const found = pick(samples, name, where);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(where)}`);
  return found[0]!.value;
}
/** cumulative bucket counts by le */
function buckets(samples: Sample[], name: string, where: Record<string, string> = {}): Map<string, number> {
  return new Map(pick(samples, `${name}_bucket`, where).map((s) => [s.labels.le!, s.value]));
}

const streamed = makeRecord(1); // odd: streaming, TTFT 180 ms, latency 421.5 ms, 256 output tokens
const plain = makeRecord(2); // even: not streaming, no TTFT; route cheap? 2 % 3 !== 0 -> default
const OK = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o', gen_ai_response_model: 'gpt-4o', route: 'default', status: 'ok' };

describe('GatewayMetrics', () => {
  it('puts a streaming request in the right buckets of every histogram', async () => {
    const m = new GatewayMetrics();
    m.observe(streamed, { provider: 'openai', operation: 'chat' });
    const { samples, types } = parse(await m.render());

    expect(types.get('gen_ai_server_request_duration_seconds')).toBe('histogram');
    const d = buckets(samples, 'gen_ai_server_request_duration_seconds', OK);
    expect([...d.keys()]).toEqual([...GEN_AI_DURATION_BUCKETS.map(String), '+Inf']);
    expect(d.get('0.32')).toBe(0); // 0.4215 s
    expect(d.get('0.64')).toBe(1);
    expect(d.get('+Inf')).toBe(1);
    expect(one(samples, 'gen_ai_server_request_duration_seconds_sum', OK)).toBeCloseTo(0.4215, 6);
    expect(one(samples, 'gen_ai_server_request_duration_seconds_count', OK)).toBe(1);

    const ttft = buckets(samples, 'gen_ai_server_time_to_first_token_seconds', OK);
    expect([...ttft.keys()]).toEqual([...GEN_AI_TTFT_BUCKETS.map(String), '+Inf']);
    expect(ttft.get('0.1')).toBe(0); // 0.18 s
    expect(ttft.get('0.25')).toBe(1);

    // (0.4215 - 0.18) / 255 = 0.000947 s
    const tpot = buckets(samples, 'gen_ai_server_time_per_output_token_seconds', OK);
    expect([...tpot.keys()]).toEqual([...GEN_AI_TPOT_BUCKETS.map(String), '+Inf']);
    expect(tpot.get('0.01')).toBe(1);
    expect(one(samples, 'gen_ai_server_time_per_output_token_seconds_sum', OK)).toBeCloseTo((0.4215 - 0.18) / 255, 9);

    const oh = buckets(samples, 'tollgate_gateway_overhead_seconds', OK); // 0.6 ms
    expect(oh.get('0.0005')).toBe(0);
    expect(oh.get('0.00075')).toBe(1);

    // semconv token usage: input includes cached input (1200 + 1024 = 2224)
    const tin = buckets(samples, 'gen_ai_client_token_usage', { ...OK, gen_ai_token_type: 'input' });
    expect([...tin.keys()]).toEqual([...GEN_AI_TOKEN_BUCKETS.map(String), '+Inf']);
    expect(tin.get('1024')).toBe(0);
    expect(tin.get('4096')).toBe(1);
    const tout = buckets(samples, 'gen_ai_client_token_usage', { ...OK, gen_ai_token_type: 'output' });
    expect(tout.get('64')).toBe(0);
    expect(tout.get('256')).toBe(1); // le is inclusive: 256 goes in the 256 bucket

    expect(types.get('tollgate_tokens_total')).toBe('counter');
    expect(one(samples, 'tollgate_tokens_total', { ...OK, gen_ai_token_type: 'input' })).toBe(1200);
    expect(one(samples, 'tollgate_tokens_total', { ...OK, gen_ai_token_type: 'cache_read' })).toBe(1024);
    expect(one(samples, 'tollgate_tokens_total', { ...OK, gen_ai_token_type: 'output' })).toBe(256);
    expect(one(samples, 'tollgate_cost_usd_total', OK)).toBeCloseTo(0.0058, 10);
    expect(one(samples, 'tollgate_requests_total', { ...OK, error_type: '', cache_status: 'miss' })).toBe(1);
  });

  it('reports TTFT and TPOT only for streams, TPOT only past one output token', async () => {
    const m = new GatewayMetrics();
    m.observe(plain, { provider: 'openai', operation: 'chat' });
    m.observe(plain, { provider: 'openai', operation: 'chat' });
    m.observe(makeRecord(1, { usage: { ...streamed.usage, output: 1 } }), { provider: 'openai', operation: 'chat' });
    const { samples } = parse(await m.render());
    expect(one(samples, 'gen_ai_server_request_duration_seconds_count', OK)).toBe(3);
    expect(one(samples, 'gen_ai_server_time_to_first_token_seconds_count', OK)).toBe(1);
    expect(one(samples, 'gen_ai_server_time_per_output_token_seconds_count', OK)).toBe(0);
    expect(one(samples, 'tollgate_requests_total', { ...OK, cache_status: 'miss' })).toBe(3);
  });

  it('labels errors, routes, served models and operations; estimated usage skips the token histogram', async () => {
    const m = new GatewayMetrics();
    m.observe(makeRecord(0), { provider: 'openai', operation: 'chat' }); // route cheap, served by gpt-4o-mini
    m.observe(
      makeRecord(5, { status: 'error', httpStatus: 429, errorClass: 'rate_limit', usage: { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 }, costUsd: 0 }),
      { provider: 'openai', operation: 'chat' },
    );
    m.observe(
      makeRecord(7, { usage: { input: 30, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 12, reasoning: 0, estimated: true }, stream: false, status: 'aborted', httpStatus: 499 }),
      { provider: 'openai', operation: 'chat' },
    );
    m.observe(makeRecord(8, { endpoint: '/v1/embeddings', requestedModel: 'text-embedding-3-small', model: 'text-embedding-3-small', usage: { input: 9, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 } }), { operation: 'embeddings' });
    const { samples } = parse(await m.render());

    const cheap = { ...OK, gen_ai_response_model: 'gpt-4o-mini', route: 'cheap' };
    expect(one(samples, 'gen_ai_server_request_duration_seconds_count', cheap)).toBe(1);
    expect(one(samples, 'gen_ai_server_request_duration_seconds_count', { ...OK, status: 'error', error_type: 'rate_limit' })).toBe(1);
    expect(one(samples, 'tollgate_requests_total', { ...OK, status: 'error', error_type: 'rate_limit' })).toBe(1);
    expect(one(samples, 'tollgate_requests_total', { ...OK, status: 'aborted', error_type: 'aborted' })).toBe(1);

    const aborted = { ...OK, status: 'aborted' };
    // estimated: semconv says do not report it (the series exists, nothing observed)
    expect(pick(samples, 'gen_ai_client_token_usage_count', aborted).map((s) => s.value)).toEqual([0, 0]);
    expect(one(samples, 'tollgate_tokens_total', { ...aborted, gen_ai_token_type: 'output' })).toBe(12);

    // provider from the record when the caller passes none
    const emb = { gen_ai_operation_name: 'embeddings', gen_ai_provider_name: 'openai', gen_ai_request_model: 'text-embedding-3-small' };
    expect(one(samples, 'tollgate_tokens_total', { ...emb, gen_ai_token_type: 'input' })).toBe(9);
  });

  it('never carries high-cardinality labels, and caps model names a client can invent', async () => {
    const m = new GatewayMetrics({ maxModelLabelValues: 3 });
    for (let i = 0; i < 50; i++) {
      m.observe(makeRecord(i, { requestedModel: `made-up-${i}`, model: undefined, status: 'error', httpStatus: 404, errorClass: 'model_not_found', user: `user-${i}`, session: `s-${i}` }), {
        provider: 'openai',
        operation: 'chat',
      });
    }
    const text = await m.render();
    for (const forbidden of ['req_', 'key_demo', 'user-', 'search', 'support', 's-1']) expect(text).not.toContain(forbidden);
    const { samples } = parse(text);
    const models = new Set(pick(samples, 'tollgate_requests_total').map((s) => s.labels.gen_ai_request_model));
    expect(models).toEqual(new Set(['made-up-0', 'made-up-1', 'made-up-2', OTHER_MODEL]));
    expect(pick(samples, 'tollgate_requests_total').reduce((n, s) => n + s.value, 0)).toBe(50);
  });

  it('exposes the ledger counters and lets other modules register their own metrics', async () => {
    const dataDir = tempDataDir('tollgate-metrics-');
    const ledger = await openLedger({ dataDir, onError: () => {} });
    const m = new GatewayMetrics();
    for (let i = 0; i < 3; i++) {
      const r = makeRecord(i);
      ledger.append(r);
      m.observe(r, { provider: 'openai', operation: 'chat' });
    }
    await ledger.flush();
    m.setLedgerStats(ledger.stats());
    await ledger.close();

    const retries = m.counter('tollgate_retries_total', 'Upstream retries.', ['reason']);
    expect(m.counter('tollgate_retries_total', 'Upstream retries.', ['reason'])).toBe(retries);
    retries.inc({ reason: 'rate_limit' }, 2);
    let entries = 0;
    m.gauge('tollgate_cache_entries', 'Entries in the response cache.', [], (g) => g.set(++entries * 10));

    const { samples, types } = parse(await m.render());
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(one(samples, 'tollgate_ledger_records_appended_total')).toBe(3);
    expect(one(samples, 'tollgate_ledger_records_stored_total')).toBe(3);
    expect(one(samples, 'tollgate_ledger_records_dropped_total')).toBe(0);
    expect(one(samples, 'tollgate_ledger_pending_bytes')).toBe(0);
    expect(types.get('tollgate_ledger_pending_bytes')).toBe('gauge');
    expect(one(samples, 'tollgate_retries_total', { reason: 'rate_limit' })).toBe(2);
    expect(one(samples, 'tollgate_cache_entries')).toBe(10);
    // its own registry: a second instance starts empty and does not collide
    const other = parse(await new GatewayMetrics().render()).samples;
    expect(pick(other, 'gen_ai_server_request_duration_seconds_count')).toEqual([]);
  });
});
