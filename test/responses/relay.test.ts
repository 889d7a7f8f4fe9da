// What goes upstream for a Responses client: the client's exact bytes to an upstream that speaks the
// Responses API (and the upstream's exact bytes back), and a rendered Chat Completions request when
// the bytes refer to state that upstream does not hold, or a lever changed the request. A recording
// proxy (a real HTTP server) sits between the gateway and the simulator.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { readLedger } from '../../src/ledger/read.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

interface Seen {
  path: string;
  body: Buffer;
  answer: Buffer;
}

let h: Harness;
let proxy: Server;
let seen: Seen[] = [];
let openai: OpenAI;

async function startProxy(target: () => string): Promise<string> {
  proxy = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(parts);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      const up = await fetch(target() + req.url, { method: req.method, headers, body: req.method === 'GET' ? undefined : body });
      const answer = Buffer.from(await up.arrayBuffer());
      seen.push({ path: req.url!, body, answer });
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
      res.end(answer);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  let simUrl = '';
  const proxyUrl = await startProxy(() => simUrl);
  h = await startHarness(
    {
      cache: { eligible: { maxTemperature: null } },
      routes: { cheap: { tiers: [{ name: 'only', models: ['gpt-4o-mini'] }] } },
    },
    {},
    {
      levers: false,
      extend: (base) => ({
        providers: [...base.providers, { name: 'recorded-openai', kind: 'openai', baseUrl: `${proxyUrl}/v1`, headers: { authorization: 'Bearer sim' } }],
        models: [...base.models, { name: 'gpt-4o-recorded', provider: 'recorded-openai', model: 'gpt-4o', price: { provider: 'openai', model: 'gpt-4o' } }],
      }),
    },
  );
  simUrl = h.sim.url;
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo-key', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
  await new Promise<void>((r) => proxy?.close(() => r()));
});

async function post(body: object): Promise<{ status: number; bytes: Buffer; sent: Buffer; headers: Headers }> {
  const sent = Buffer.from(JSON.stringify(body));
  const res = await fetch(`${h.gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer demo-key' }, body: sent });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), sent, headers: res.headers };
}

describe('relay to an upstream that speaks the Responses API', () => {
  it('whole: the client bytes go to /v1/responses untouched, the upstream bytes come back untouched', async () => {
    seen = [];
    const r = await post({ model: 'gpt-4o-recorded', input: 'Say something about bridges.', temperature: 0.3, metadata: { job: 'a' } });
    expect(r.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toBe('/v1/responses');
    // the model name is swapped (gpt-4o-recorded -> gpt-4o) and nothing else
    expect(seen[0]!.body.toString()).toBe(r.sent.toString().replace('"model":"gpt-4o-recorded"', '"model":"gpt-4o"'));
    expect(r.bytes.equals(seen[0]!.answer)).toBe(true);
  });

  it('streamed: the upstream event bytes reach the client as they were', async () => {
    seen = [];
    const r = await post({ model: 'gpt-4o-recorded', input: 'Tell me about rivers.', stream: true });
    expect(r.status).toBe(200);
    expect(seen[0]!.path).toBe('/v1/responses');
    expect(r.bytes.toString()).toBe(seen[0]!.answer.toString());
    expect(r.bytes.toString()).toContain('event: response.completed');
  });

  it('previous_response_id made there: relayed as is (the upstream holds it); made elsewhere: rendered with the whole conversation', async () => {
    const first = await openai.responses.create({ model: 'gpt-4o-recorded', input: 'My name is Ada.' });
    seen = [];
    const second = await openai.responses.create({ model: 'gpt-4o-recorded', input: 'What is my name?', previous_response_id: first.id });
    expect(seen.map((s) => s.path)).toEqual(['/v1/responses']);
    expect(JSON.parse(seen[0]!.body.toString()).previous_response_id).toBe(first.id);
    expect(second.previous_response_id).toBe(first.id);

    // a turn made on another provider: the upstream never saw it, so it gets the conversation itself
    const onClaude = await openai.responses.create({ model: 'claude-sonnet-4', input: 'My name is Grace.' });
    seen = [];
    const third = await openai.responses.create({ model: 'gpt-4o-recorded', input: 'What is my name?', previous_response_id: onClaude.id });
    expect(seen.map((s) => s.path)).toEqual(['/v1/chat/completions']);
    const rendered = JSON.parse(seen[0]!.body.toString()) as { messages: { role: string; content: unknown }[] };
    expect(rendered.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(rendered.messages[0]!.content).toBe('My name is Grace.');
    expect(rendered.messages[1]!.content).toBe(onClaude.output_text);
    expect(third.previous_response_id).toBe(onClaude.id);
    expect(third.output_text.length).toBeGreaterThan(0);
  });
});

describe('a stream that fails mid-way', () => {
  it.each(['claude-sonnet-4', 'gpt-4o'])('%s: the client gets an error event and no response.completed; the record says so', async (model) => {
    const res = await fetch(`${h.gw.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-key', 'x-sim-fault': 'error-event;at=0.5' },
      body: JSON.stringify({ model, input: 'Tell me a story.', stream: true }),
    });
    const text = await res.text();
    expect(text).toContain('event: error');
    expect(text).not.toContain('response.completed');
    await h.gw.ledger.flush();
    const rec = readLedger(h.dataDir, { last: 100 }).find((r) => r.requestId === res.headers.get('x-tollgate-request-id'));
    expect(rec).toMatchObject({ endpoint: '/v1/responses', stream: true });
    expect(rec!.errorClass).toBeDefined();
  });
});

describe('levers see Responses traffic', () => {
  it('a cache hit answers in Responses shape, under a new id, recorded as a hit at /v1/responses', async () => {
    const body = { model: 'gpt-4o', input: 'What is the capital of Portugal?', store: false };
    const a = await openai.responses.create(body).withResponse();
    const b = await openai.responses.create(body).withResponse();
    expect(b.response.headers.get('x-tollgate-cache')).toMatch(/hit/);
    expect(b.data.object).toBe('response');
    expect(b.data.output_text).toBe(a.data.output_text);
    expect(b.data.id).not.toBe(a.data.id);
    const streamed = await openai.responses.create({ ...body, stream: true });
    let text = '';
    for await (const ev of streamed) if (ev.type === 'response.output_text.delta') text += ev.delta;
    expect(text).toBe(a.data.output_text);
    await h.gw.ledger.flush();
    const rec = readLedger(h.dataDir, { last: 100 }).find((r) => r.requestId === b.response.headers.get('x-tollgate-request-id'));
    expect(rec).toMatchObject({ endpoint: '/v1/responses', apiFormat: 'openai-responses' });
    expect(rec!.cacheStatus).toBe('hit');
    expect(rec!.costUsd).toBe(0);
  });

  it('a route picks the model: the relay swaps only the model name', async () => {
    seen = [];
    const { data, response } = await openai.responses.create({ model: 'cheap', input: 'Hello there.' }).withResponse();
    expect(data.output_text.length).toBeGreaterThan(0);
    await h.gw.ledger.flush();
    const rec = readLedger(h.dataDir, { last: 100 }).find((r) => r.requestId === response.headers.get('x-tollgate-request-id'));
    expect(rec).toMatchObject({ endpoint: '/v1/responses', route: 'cheap', model: 'gpt-4o-mini' });
    expect(rec!.costUsd).toBeGreaterThan(0);
  });
});
