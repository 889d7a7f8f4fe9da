// Upstream failures through the gateway: errors keep the provider's status and body, cut streams
// are billed from an estimate (and marked so), a client that disconnects aborts the upstream call
// and the ledger still records what was used.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/config/load.js';
import { startGateway } from '../../src/server/gateway.js';
import { readLedger } from '../../src/ledger/read.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  // no retries here: these tests look at single upstream failures
  h = await startHarness({ retry: { max_retries: 0 } });
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: 'k', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

async function recordOf(id: string): Promise<RequestRecord> {
  await h.gw.ledger.flush();
  const rec = readLedger(h.dataDir, { last: 500 }).find((r) => r.requestId === id);
  if (!rec) throw new Error(`no ledger record for ${id}`);
  return rec;
}

describe('upstream errors', () => {
  it('a quota error keeps the provider status and body, in OpenAI format', async () => {
    const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'x-sim-fault': 'quota' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(429);
    const body = await res.json();
    expect(body.error.code ?? body.error.type).toMatch(/insufficient_quota/);
    const rec = await recordOf(res.headers.get('x-tollgate-request-id')!);
    expect(rec.status).toBe('error');
    expect(rec.errorClass).toBe('quota');
    expect(rec.attempts).toHaveLength(1);
    expect(rec.attempts![0]!.status).toBe(429);
  });

  it('an Anthropic overloaded error reaches an Anthropic client as overloaded_error', async () => {
    const err = await anthropic.messages
      .create({ model: 'claude-3-5-haiku', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-sim-fault': '529' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect(JSON.stringify((err as InstanceType<typeof Anthropic.APIError>).error)).toContain('overloaded_error');
  });

  it('an error event after HTTP 200 reaches the OpenAI client as a stream error and is recorded', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Tell me a long story.' }], stream: true }, { headers: { 'x-sim-fault': 'error-event;at=0.3' } })
      .withResponse();
    let text = '';
    const failed = await (async () => {
      try {
        for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
        return false;
      } catch {
        return true;
      }
    })();
    expect(failed).toBe(true);
    const rec = await recordOf(response.headers.get('x-tollgate-request-id')!);
    expect(rec.status).toBe('error');
    expect(rec.errorClass).toBe('stream_error');
    expect(text.length).toBeGreaterThan(0);
  });
});

describe('cut streams and disconnects', () => {
  it('a stream cut before its usage chunk is billed from an estimate and marked estimated', async () => {
    const res = await request(`${h.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'x-sim-fault': 'cut;at=0.5' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Explain tides in detail.' }], stream: true, stream_options: { include_usage: true } }),
    });
    const text = await res.body.text();
    expect(text).not.toContain('[DONE]');
    const rec = await recordOf(res.headers['x-tollgate-request-id'] as string);
    expect(rec.errorClass).toBe('stream_cut');
    expect(rec.usage.estimated).toBe(true);
    expect(rec.usage.input).toBeGreaterThan(0);
    expect(rec.usage.output).toBeGreaterThan(0);
    expect(rec.costUsd).toBeGreaterThan(0);
  });

  it('an Anthropic stream cut keeps the input usage from message_start', async () => {
    const res = await request(`${h.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'x-sim-fault': 'cut;at=0.5' },
      body: JSON.stringify({ model: 'claude-sonnet-4', max_tokens: 400, messages: [{ role: 'user', content: 'Explain tides in detail.' }], stream: true }),
    });
    await res.body.text();
    const rec = await recordOf(res.headers['x-tollgate-request-id'] as string);
    expect(rec.usage.estimated).toBe(true);
    expect(rec.usage.input).toBeGreaterThan(0);
    expect(rec.usage.output).toBeGreaterThan(1);
  });

  it('a client that disconnects mid-stream aborts the upstream call and is still recorded', async () => {
    // an upstream that streams forever, one chunk every 20 ms, and notices when its caller leaves
    let upstreamClosed = false;
    const upstream = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const timer = setInterval(() => {
        const chunk = { id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'slow', choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: 'word ' } : { content: 'word ' }, finish_reason: null }] };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        i++;
      }, 20);
      res.on('close', () => {
        clearInterval(timer);
        upstreamClosed = true;
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-abort-'));
    const config = resolveConfig(
      {
        auth: { mode: 'demo' },
        dataDir,
        providers: [{ name: 'slow', kind: 'openai', baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1` }],
        models: [{ name: 'gpt-4o-mini', provider: 'slow' }],
      },
      '(test)',
      {},
    );
    const gw = await startGateway({ config, port: 0 });
    try {
      const ac = new AbortController();
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Write a long essay.' }], stream: true }),
        signal: ac.signal,
      });
      const id = res.headers.get('x-tollgate-request-id')!;
      const reader = res.body!.getReader();
      let got = '';
      while ((got.match(/word/g) ?? []).length < 5) got += new TextDecoder().decode((await reader.read()).value);
      ac.abort();
      for (let i = 0; i < 100 && !upstreamClosed; i++) await new Promise((r) => setTimeout(r, 20));
      expect(upstreamClosed).toBe(true);
      await gw.ledger.flush();
      const rec = readLedger(dataDir, { last: 10 }).find((r) => r.requestId === id);
      expect(rec).toBeDefined();
      expect(rec!.status).toBe('aborted');
      expect(rec!.usage.estimated).toBe(true);
      expect(rec!.usage.output).toBeGreaterThanOrEqual(5);
      expect(rec!.costUsd).toBeGreaterThan(0);
    } finally {
      await gw.close();
      upstream.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
