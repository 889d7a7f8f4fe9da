// The cache lever inside the real gateway, in front of the simulator, driven by the official SDKs:
// exact hits (streamed and not, both wire formats), semantic hits with the guards, tenant isolation,
// per-request controls, and what the ledger says a hit saved.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { hashKey } from '../../src/server/auth.js';
import { readLedger } from '../../src/ledger/read.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startHarness, type Harness } from '../gateway/helpers.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../src/sim/index.js';
import { demoConfig } from '../../src/config/demo.js';
import { resolveConfig } from '../../src/config/load.js';
import { startGateway } from '../../src/server/gateway.js';

const KEY_A = 'tg_team_a_key';
const KEY_B = 'tg_team_b_key';
let h: Harness;
let a: OpenAI;
let b: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  h = await startHarness({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'key-a', sha256: hashKey(KEY_A), team: 'team-a' },
        { id: 'key-b', sha256: hashKey(KEY_B), team: 'team-b' },
      ],
    },
    cache: { eligible: { maxTemperature: 0 }, semantic: { enabled: true, threshold: 0.85 } },
  });
  a = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
  b = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: KEY_B, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: KEY_A, maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

async function record(id: string | null): Promise<RequestRecord> {
  await h.gw.ledger.flush();
  const rec = readLedger(h.dataDir, { last: 1000 }).find((r) => r.requestId === id);
  if (!rec) throw new Error(`no record ${id}`);
  return rec;
}

const ask = (client: OpenAI, content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}, headers: Record<string, string> = {}) =>
  client.chat.completions.create({ model: 'gpt-4o', temperature: 0, messages: [{ role: 'user', content }], ...extra }, { headers }).withResponse();

describe('exact cache through the gateway', () => {
  it('the second identical request is a hit: same answer, no upstream cost, savings in the ledger', async () => {
    const first = await ask(a, 'What is the capital of Australia?');
    expect(first.response.headers.get('x-tollgate-cache')).toBe('miss');
    const second = await ask(a, 'What is the capital of Australia?');
    expect(second.response.headers.get('x-tollgate-cache')).toBe('hit');
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(Number(second.response.headers.get('x-tollgate-cost-usd'))).toBe(0);
    const miss = await record(first.response.headers.get('x-tollgate-request-id'));
    const hit = await record(second.response.headers.get('x-tollgate-request-id'));
    expect(hit.cacheStatus).toBe('hit');
    expect(hit.costUsd).toBe(0);
    expect(hit.attempts ?? []).toHaveLength(0);
    expect(hit.savedCostUsd).toBeCloseTo(miss.costUsd, 12);
    expect(hit.baselineCostUsd).toBeCloseTo(miss.costUsd, 12);
  });

  it('a hit on a streaming request is a proper stream the SDK accepts', async () => {
    const q = 'List three rivers in Europe.';
    await ask(a, q);
    const stream = await a.chat.completions.create({ model: 'gpt-4o', temperature: 0, messages: [{ role: 'user', content: q }], stream: true, stream_options: { include_usage: true } }).withResponse();
    expect(stream.response.headers.get('x-tollgate-cache')).toBe('hit');
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream.data) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    const again = await ask(a, q);
    expect(text).toBe(again.data.choices[0]!.message.content);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('Anthropic clients get hits too, streamed and not', async () => {
    const params = { model: 'claude-3-5-haiku', max_tokens: 200, temperature: 0, messages: [{ role: 'user' as const, content: 'Name a prime number.' }] };
    const first = await anthropic.messages.create(params).withResponse();
    expect(first.response.headers.get('x-tollgate-cache')).toBe('miss');
    const second = anthropic.messages.stream(params);
    const final = await second.finalMessage();
    expect(final.content).toEqual(first.data.content);
  });

  it('entries are isolated per team: no cross-tenant hit', async () => {
    await ask(a, 'What is our internal refund policy?');
    const other = await ask(b, 'What is our internal refund policy?');
    expect(other.response.headers.get('x-tollgate-cache')).toBe('miss');
  });

  it('honours per-request controls', async () => {
    const q = 'Spell the word gateway backwards.';
    expect((await ask(a, q, {}, { 'x-tollgate-cache': 'off' })).response.headers.get('x-tollgate-cache')).toBe('bypass');
    await expect(ask(a, q, {}, { 'x-tollgate-cache': 'only-if-cached' })).rejects.toMatchObject({ status: 504 });
    await ask(a, q);
    expect((await ask(a, q, {}, { 'cache-control': 'no-cache' })).response.headers.get('x-tollgate-cache')).not.toBe('hit');
    expect((await ask(a, q, {}, { 'x-tollgate-cache': 'only-if-cached' })).response.headers.get('x-tollgate-cache')).toBe('hit');
  });

  it('is not used above the temperature policy, and never stores errors', async () => {
    const hot = await ask(a, 'Write a poem about caches.', { temperature: 0.9 });
    expect(hot.response.headers.get('x-tollgate-cache')).toBe('bypass');
    await expect(ask(a, 'Fail please.', {}, { 'x-sim-fault': 'quota' })).rejects.toMatchObject({ status: 429 });
    const after = await ask(a, 'Fail please.');
    expect(after.response.headers.get('x-tollgate-cache')).toBe('miss');
  });
});

describe('semantic cache through the gateway', () => {
  it('a paraphrase hits; a negation or a changed number does not', async () => {
    await ask(a, 'How do I reset my password?');
    const para = await ask(a, 'How can I reset my password?');
    expect(para.response.headers.get('x-tollgate-cache')).toBe('hit');
    expect(Number(para.response.headers.get('x-tollgate-cache-similarity'))).toBeGreaterThan(0.85);
    const rec = await record(para.response.headers.get('x-tollgate-request-id'));
    expect(rec.cacheStatus).toBe('semantic_hit');
    expect(rec.trail.some((t) => t.stage === 'cache' && typeof t.data?.similarity === 'number')).toBe(true);

    await ask(a, 'How do I enable two-factor authentication?');
    expect((await ask(a, 'How do I disable two-factor authentication?')).response.headers.get('x-tollgate-cache')).toBe('miss');
    await ask(a, 'Is the order shipped within 3 days?');
    expect((await ask(a, 'Is the order shipped within 5 days?')).response.headers.get('x-tollgate-cache')).toBe('miss');
  });

  it('multi-turn: the same last question after a different conversation does not hit', async () => {
    const turns = (topic: string) => [
      { role: 'user' as const, content: `Tell me about ${topic}.` },
      { role: 'assistant' as const, content: `${topic} is a large topic.` },
      { role: 'user' as const, content: 'How big is it?' },
    ];
    await a.chat.completions.create({ model: 'gpt-4o', temperature: 0, messages: turns('the Pacific Ocean') });
    const other = await a.chat.completions.create({ model: 'gpt-4o', temperature: 0, messages: turns('the Sahara') }).withResponse();
    expect(other.response.headers.get('x-tollgate-cache')).toBe('miss');
  });

  it('exports per-route cache effectiveness on /metrics', async () => {
    const text = await (await fetch(`${h.gw.url}/metrics`)).text();
    const hits = /tollgate_cache_lookups_total\{route="gpt-4o",outcome="hit"\} (\d+)/.exec(text);
    expect(Number(hits?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/tollgate_cache_stale_ratio\{route="gpt-4o"\} 0/);
    expect(text).toMatch(/tollgate_cacheable_prefix_ratio\{route="gpt-4o"\} [0-9.]+/);
    expect(Number(/tollgate_saved_cost_usd_total\{[^}]*\} ([0-9.e-]+)/.exec(text)?.[1])).toBeGreaterThan(0);
  });
});

describe('semantic cache verifier', () => {
  it('borderline similarities go to the verifier model; its verdict decides and its cost is in the ledger', async () => {
    // a judge that says YES only when both requests are about passwords
    const judge = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const verdict = (body.match(/password/gi) ?? []).length >= 2 ? 'YES' : 'NO';
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'chatcmpl-j', object: 'chat.completion', created: 1, model: 'judge', choices: [{ index: 0, message: { role: 'assistant', content: verdict }, finish_reason: 'stop' }], usage: { prompt_tokens: 60, completion_tokens: 1, total_tokens: 61 } }));
      });
    });
    await new Promise<void>((r) => judge.listen(0, '127.0.0.1', r));
    const sim = await startSimulator({ port: 0, latencyScale: 0 });
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-verifier-'));
    const base = demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false }) as { providers: unknown[]; models: unknown[] };
    const config = resolveConfig(
      {
        ...base,
        providers: [...base.providers, { name: 'judge-p', kind: 'openai', baseUrl: `http://127.0.0.1:${(judge.address() as AddressInfo).port}/v1` }],
        models: [...base.models, { name: 'judge', provider: 'judge-p', price: { provider: 'openai', model: 'gpt-4o-mini' } }],
        cache: { eligible: { maxTemperature: 0 }, semantic: { enabled: true, threshold: 0.999, verifyFrom: 0.7, verifierModel: 'judge' } },
      },
      '(test)',
      {},
    );
    const gw = await startGateway({ config, port: 0 });
    try {
      const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const q = (content: string) => client.chat.completions.create({ model: 'gpt-4o', temperature: 0, messages: [{ role: 'user', content }] }).withResponse();
      await q('How do I reset my password?');
      const yes = await q('How can I reset my password?');
      expect(yes.response.headers.get('x-tollgate-cache')).toBe('hit');
      await q('How do I change my shipping address?');
      const no = await q('How can I change my shipping address?');
      expect(no.response.headers.get('x-tollgate-cache')).toBe('miss');
      await gw.ledger.flush();
      const recs = readLedger(dataDir, { last: 10 });
      const hit = recs.find((r) => r.requestId === yes.response.headers.get('x-tollgate-request-id'))!;
      expect(hit.attempts?.map((a) => a.purpose)).toEqual(['cache-verifier']);
      // 60 input + 1 output tokens at gpt-4o-mini's list price
      expect(hit.costUsd).toBeCloseTo((60 * 0.15 + 1 * 0.6) / 1e6, 12);
      expect(hit.trail.some((t) => t.decision === 'verified')).toBe(true);
      const miss = recs.find((r) => r.requestId === no.response.headers.get('x-tollgate-request-id'))!;
      expect(miss.attempts?.map((a) => a.purpose ?? 'answer')).toEqual(['cache-verifier', 'answer']);
      expect(miss.trail.some((t) => t.decision === 'verify_rejected')).toBe(true);
      expect(miss.failedAttemptsCostUsd).toBeUndefined();
      expect(miss.costUsd).toBeCloseTo(miss.attempts![0]!.costUsd + miss.attempts![1]!.costUsd, 12);
    } finally {
      await gw.close();
      await sim.close();
      judge.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('cache invalidation by policy', () => {
  it('changing a route\'s models retires the answers its old policy produced (across a restart)', async () => {
    const sim = await startSimulator({ port: 0, latencyScale: 0 });
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-policy-'));
    const boot = async (model: string) => {
      const base = demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false });
      const config = resolveConfig({ ...base, cache: { eligible: { maxTemperature: 0 } }, routes: { faq: { tiers: [{ name: 'only', models: [model] }] } } }, '(test)', {});
      return startGateway({ config, port: 0 });
    };
    const ask = async (url: string) => {
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'k', maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'faq', temperature: 0, messages: [{ role: 'user', content: 'What are your opening hours?' }] }).withResponse();
      return r.response.headers.get('x-tollgate-cache');
    };
    try {
      let gw = await boot('gpt-4o-mini');
      expect(await ask(gw.url)).toBe('miss');
      expect(await ask(gw.url)).toBe('hit');
      await gw.close();
      gw = await boot('gpt-4o-mini');
      expect(await ask(gw.url)).toBe('hit'); // same policy: the persisted entry still serves
      await gw.close();
      gw = await boot('gpt-4o');
      expect(await ask(gw.url)).toBe('miss'); // new policy: the old answer is not served
      await gw.close();
    } finally {
      await sim.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('semantic cache with an OpenAI-compatible embedder', () => {
  it('embeds through the gateway\'s own providers (the simulator\'s text-embedding-3-small)', async () => {
    const he = await startHarness({
      cache: { eligible: { maxTemperature: 0 }, semantic: { enabled: true, threshold: 0.95, embedder: { kind: 'openai-compatible', model: 'text-embedding-3-small' } } },
    });
    try {
      const client = new OpenAI({ baseURL: `${he.gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const q = (content: string) => client.chat.completions.create({ model: 'gpt-4o', temperature: 0, messages: [{ role: 'user', content }] }).withResponse();
      await q('How do I reset my password?');
      // same words, other case and punctuation: a different exact key, the same bag of words
      const near = await q('how do I reset my password');
      expect(near.response.headers.get('x-tollgate-cache')).toBe('hit');
      const far = await q('What is the weather in Lisbon today?');
      expect(far.response.headers.get('x-tollgate-cache')).toBe('miss');
      const stats = await (await fetch(`${he.sim.url}/_sim/stats`)).json();
      expect(JSON.stringify(stats)).toContain('text-embedding-3-small');
      // the embedding calls are paid for by the requests that needed them, in the ledger
      await he.gw.ledger.flush();
      const recs = readLedger(he.dataDir, { last: 10 });
      const hit = recs.find((r) => r.requestId === near.response.headers.get('x-tollgate-request-id'))!;
      expect(hit.attempts?.map((x) => x.purpose)).toEqual(['cache-embedding']);
      const emb = hit.attempts![0]!;
      expect(emb.model).toBe('text-embedding-3-small');
      expect(emb.usage!.input).toBeGreaterThan(0);
      // text-embedding-3-small lists at $0.02 per million input tokens
      expect(emb.costUsd).toBeCloseTo((emb.usage!.input * 0.02) / 1e6, 12);
      expect(hit.costUsd).toBeCloseTo(emb.costUsd, 12);
      const miss = recs.find((r) => r.requestId === far.response.headers.get('x-tollgate-request-id'))!;
      expect(miss.attempts?.map((x) => x.purpose ?? 'answer')).toEqual(['cache-embedding', 'answer']);
      expect(miss.costUsd).toBeCloseTo(miss.attempts!.reduce((sum, x) => sum + x.costUsd, 0), 12);
      // the embedding is neither a failed try at the answer nor part of what the caller would have
      // paid without the gateway
      expect(miss.failedAttemptsCostUsd).toBeUndefined();
      expect(miss.baselineCostUsd).toBeCloseTo(miss.attempts![1]!.costUsd, 12);
    } finally {
      await he.close();
    }
  });

  it('an embedder that fails makes a miss, never a failed request, and the failed call is in the ledger', async () => {
    const he = await startHarness(
      { cache: { eligible: { maxTemperature: 0 }, semantic: { enabled: true, threshold: 0.95, embedder: { kind: 'openai-compatible', model: 'emb-down' } } } },
      {},
      {
        // nothing listens on port 1: every embedding call fails to connect
        extend: (base) => ({
          providers: [...base.providers, { name: 'down', kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1' }],
          models: [...base.models, { name: 'emb-down', provider: 'down', price: { provider: 'openai', model: 'text-embedding-3-small' } }],
        }),
      },
    );
    try {
      const client = new OpenAI({ baseURL: `${he.gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'gpt-4o', temperature: 0, messages: [{ role: 'user', content: 'How do I reset my password?' }] }).withResponse();
      expect(r.data.choices[0]!.message.content).toBeTruthy();
      expect(r.response.headers.get('x-tollgate-cache')).toBe('miss');
      await he.gw.ledger.flush();
      const rec = readLedger(he.dataDir, { last: 5 }).find((x) => x.requestId === r.response.headers.get('x-tollgate-request-id'))!;
      expect(rec.status).toBe('ok');
      expect(rec.attempts?.map((x) => [x.purpose ?? 'answer', x.errorClass])).toEqual([
        ['cache-embedding', 'connection'],
        ['answer', undefined],
      ]);
      expect(rec.failedAttemptsCostUsd).toBeUndefined();
      expect(rec.trail.some((t) => t.decision === 'semantic_error')).toBe(true);
    } finally {
      await he.close();
    }
  });
});
