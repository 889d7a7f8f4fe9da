// Regressions for what the engine fixed (issue 13, findings 1, 8, 9): HTTP/1.0 streams, breakers
// scoped by caller, and timed-out attempts that the provider bills.

import { connect } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/ledger/read.js';
import { hashKey } from '../../src/server/auth.js';
import { startHarness, type Harness } from './helpers.js';

/** one raw HTTP/1.0 request; resolves with everything the server sent once it closes */
function http10(url: string, path: string, body: unknown): Promise<string> {
  const { hostname, port } = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname, () => {
      sock.write(`POST ${path} HTTP/1.0\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
    });
    let out = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => (out += d));
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

describe('HTTP/1.0 clients (a default nginx in front)', () => {
  let h: Harness;
  beforeAll(async () => {
    // one upstream connection: a stream left open would make the next request wait for it
    h = await startHarness({}, {}, { extend: (base) => ({ providers: base.providers.map((p) => ({ ...(p as object), connections: 1 })) }) });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('get a streamed answer with a close-delimited body, and no upstream connection is left busy', { timeout: 120_000 }, async () => {
    for (let i = 0; i < 3; i++) {
      const raw = await http10(h.gw.url, '/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: `hello ${i}` }] });
      const [head, body] = raw.split('\r\n\r\n', 2) as [string, string];
      expect(head).toMatch(/^HTTP\/1\.[01] 200 /);
      expect(head.toLowerCase()).not.toContain('transfer-encoding: chunked');
      expect(body).toContain('data: [DONE]');
    }
    const anthropic = await http10(h.gw.url, '/v1/messages', { model: 'claude-3-5-haiku', max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(anthropic).toMatch(/^HTTP\/1\.[01] 200 /);
    expect(anthropic).toContain('event: message_stop');
    // HTTP/1.1 traffic to the same one-connection upstream still flows
    const ai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo', maxRetries: 0 });
    const r = await ai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'after' }] });
    expect(r.choices[0]!.message.content).toBeTruthy();
    await h.gw.ledger.flush();
    const recs = readLedger(h.dataDir, { last: 10 });
    expect(recs.filter((x) => x.stream && x.status === 'ok')).toHaveLength(4);
  });
});

describe('circuit breakers are scoped by caller', () => {
  let h: Harness;
  const keys = { a: 'tg_team_a_key_123456', b: 'tg_team_b_key_123456' };
  beforeAll(async () => {
    h = await startHarness({
      auth: { mode: 'keys', keys: [{ id: 'key-a', sha256: hashKey(keys.a), team: 'a' }, { id: 'key-b', sha256: hashKey(keys.b), team: 'b' }] },
      retry: { max_retries: 0, breaker: { error_rate: 0.5, min_requests: 4, window_s: 30, open_ms: 60_000 } },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("team b's requests that make the upstream answer 500 do not turn team a away", { timeout: 120_000 }, async () => {
    const b = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: keys.b, maxRetries: 0 });
    const a = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: keys.a, maxRetries: 0 });
    const bad = () => b.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-sim-fault': '500' } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await bad().then(() => 200, (e: { status: number }) => e.status));
    // b's own breaker opened: its later requests fail fast, without reaching the upstream
    expect(statuses.slice(0, 4).every((s) => s === 500)).toBe(true);
    expect(statuses.at(-1)).not.toBe(500);
    await h.gw.ledger.flush();
    const last = readLedger(h.dataDir, { last: 1 })[0]!;
    expect(last).toMatchObject({ team: 'b', errorClass: 'circuit_open' });
    // a is served by the same upstream
    const ok = await a.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'fine?' }] });
    expect(ok.choices[0]!.message.content).toBeTruthy();
  });
});

describe('attempts the provider bills though they failed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(
      { retry: { max_retries: 0 } },
      {},
      { extend: (base) => ({ models: base.models.map((m) => ((m as { name: string }).name === 'gpt-4o-mini' ? { ...(m as object), timeoutMs: 300 } : m)) }) },
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a timed-out call is recorded with its input estimated and priced, marked estimated', { timeout: 60_000 }, async () => {
    const ai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo', maxRetries: 0 });
    const err = await ai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a question the provider started on '.repeat(20) }] }, { headers: { 'x-sim-fault': 'timeout' } })
      .then(() => undefined, (e: { status: number }) => e);
    expect(err?.status).toBe(504);
    await h.gw.ledger.flush();
    const rec = readLedger(h.dataDir, { last: 1 })[0]!;
    expect(rec.status).toBe('error');
    expect(rec.errorClass).toBe('timeout');
    const attempt = rec.attempts![0]!;
    expect(attempt.errorClass).toBe('timeout');
    expect(attempt.usage?.estimated).toBe(true);
    expect(attempt.usage!.input).toBeGreaterThan(100);
    expect(attempt.costUsd).toBeGreaterThan(0);
    expect(rec.costUsd).toBe(attempt.costUsd);
    expect(rec.costEstimated).toBe(true);
  });
});

describe('a stream the upstream cuts short', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ retry: { maxRetries: 0 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('ends with an error event in the caller\'s format, so no SDK takes it for a whole answer', { timeout: 60_000 }, async () => {
    const ai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo', maxRetries: 0 });
    const stream = await ai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, max_tokens: 60, messages: [{ role: 'user', content: 'tell me a story' }] }, { headers: { 'x-sim-fault': 'cut;at=0.5' } });
    let text = '';
    const read = async () => {
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    };
    await expect(read()).rejects.toThrow(/ended before the answer was complete/);
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    const an = new Anthropic({ baseURL: h.gw.url, apiKey: 'demo', maxRetries: 0 });
    const s2 = await an.messages.create({ model: 'claude-3-5-haiku', max_tokens: 60, stream: true, messages: [{ role: 'user', content: 'tell me a story' }] }, { headers: { 'x-sim-fault': 'cut;at=0.5' } });
    const read2 = async () => {
      for await (const _ of s2) void _;
    };
    await expect(read2()).rejects.toThrow(/ended before the answer was complete/);
    await h.gw.ledger.flush();
    const recs = readLedger(h.dataDir, { last: 2 });
    expect(recs.map((r) => r.errorClass)).toEqual(['stream_cut', 'stream_cut']);
    void text;
  });
});

describe('withModel: a routed request keeps the client bytes with only the model swapped', () => {
  it('swaps a single compact top-level model, and refuses anything ambiguous', async () => {
    const { withModel } = await import('../../src/engine/call-upstream.js');
    const raw = Buffer.from('{"model":"auto","messages":[{"role":"user","content":"say \\"model\\":\\"auto\\""}]}');
    expect(withModel(raw, 'auto', 'gpt-4o')?.toString()).toBe('{"model":"gpt-4o","messages":[{"role":"user","content":"say \\"model\\":\\"auto\\""}]}');
    // spaced or repeated: not ours to guess, the request is rendered instead
    expect(withModel(Buffer.from('{"model": "auto"}'), 'auto', 'gpt-4o')).toBeUndefined();
    expect(withModel(Buffer.from('{"model":"auto","metadata":{"model":"auto"}}'), 'auto', 'gpt-4o')).toBeUndefined();
  });
});
