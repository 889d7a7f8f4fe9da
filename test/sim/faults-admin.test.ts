import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSse, withSim } from './helpers.js';
import { parseFaults } from '../../src/sim/index.js';

let ctx: Awaited<ReturnType<typeof withSim>>;
beforeAll(async () => {
  ctx = await withSim({ seed: 3 });
});
afterAll(async () => {
  await ctx.sim.close();
});

const fault = (f: string) => ({ headers: { 'x-sim-fault': f } });
const oaReq = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello' }] };
const anReq = { model: 'claude-sonnet-4', max_tokens: 200, messages: [{ role: 'user' as const, content: 'hello' }] };

describe('fault header grammar', () => {
  it('parses kinds and parameters, rejects unknown ones', () => {
    expect(parseFaults('429;p=0.3;retry-after=2, cut;at=0.25')).toEqual([
      { kind: '429', p: 0.3, retryAfterS: 2 },
      { kind: 'cut', at: 0.25 },
    ]);
    expect(() => parseFaults('418')).toThrow(/unknown fault/);
    expect(() => parseFaults('429;p=2')).toThrow(/\[0, 1\]/);
    expect(() => parseFaults('500;x=1')).toThrow(/unknown parameter/);
  });

  it('a malformed header is a 400 in the provider shape', async () => {
    const e = await ctx.openai.chat.completions.create(oaReq, fault('nope')).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    const a = await ctx.anthropic.messages.create(anReq, fault('nope')).catch((x) => x);
    expect(a).toBeInstanceOf(Anthropic.BadRequestError);
  });
});

describe('faults seen through the OpenAI SDK', () => {
  it('429 carries retry-after and retry-after-ms', async () => {
    const e = await ctx.openai.chat.completions.create(oaReq, fault('429;retry-after=3')).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.headers.get('retry-after')).toBe('3');
    expect(e.headers.get('retry-after-ms')).toBe('3000');
  });

  it('insufficient_quota is a 429 with its own code and no retry-after', async () => {
    const e = await ctx.openai.chat.completions.create(oaReq, fault('quota')).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.code).toBe('insufficient_quota');
    expect(e.headers.get('retry-after')).toBeNull();
  });

  it('500, 503 and 529 are InternalServerErrors with their status', async () => {
    for (const s of [500, 503, 529]) {
      const e = await ctx.openai.chat.completions.create(oaReq, fault(String(s))).catch((x) => x);
      expect(e).toBeInstanceOf(OpenAI.InternalServerError);
      expect(e.status).toBe(s);
    }
  });

  it('timeout never answers: the client times out', async () => {
    const client = new OpenAI({ baseURL: `${ctx.sim.url}/v1`, apiKey: 'k', maxRetries: 0, timeout: 300 });
    const e = await client.chat.completions.create(oaReq, fault('timeout')).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('reset destroys the socket: a connection error', async () => {
    const e = await ctx.openai.chat.completions.create(oaReq, fault('reset')).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(e).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('cut stops the stream mid-way: no finish chunk, no usage chunk, no [DONE]', async () => {
    const full = await ctx.openai.chat.completions.create({ ...oaReq, max_tokens: 40 }, { headers: { 'x-sim-output-tokens': '40' } });
    expect(full.usage!.completion_tokens).toBe(40);
    const r = await fetch(`${ctx.sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json', 'x-sim-fault': 'cut', 'x-sim-output-tokens': '40' },
      body: JSON.stringify({ ...oaReq, stream: true, stream_options: { include_usage: true } }),
    });
    expect(r.status).toBe(200);
    const events = parseSse(await r.text());
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);
    const chunks = events.map((e) => JSON.parse(e.data));
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.length).toBeLessThan(40);
    expect(chunks.every((c) => c.usage === null && c.choices[0].finish_reason === null)).toBe(true);
    // the SDK sees a stream that simply ends early, without usage
    const s = await ctx.openai.chat.completions.create({ ...oaReq, stream: true, stream_options: { include_usage: true } }, fault('cut'));
    const got: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of s) got.push(c);
    expect(got.some((c) => c.usage)).toBe(false);
  });

  it('error-event: HTTP 200, then an {"error":...} data line that the SDK raises', async () => {
    const s = await ctx.openai.chat.completions.create({ ...oaReq, stream: true }, fault('error-event'));
    let n = 0;
    const e = await (async () => {
      for await (const _ of s) n++;
    })().catch((x) => x);
    expect(n).toBeGreaterThan(0);
    expect(e).toBeInstanceOf(OpenAI.APIError);
    expect(String(e.message)).toMatch(/server had an error/);
  });

  it('p draws: a 30% fault hits some requests and spares others', async () => {
    let failed = 0;
    for (let i = 0; i < 40; i++) {
      const ok = await ctx.openai.chat.completions.create({ ...oaReq, max_tokens: 1 }, fault('500;p=0.3')).then(() => true, () => false);
      if (!ok) failed++;
    }
    expect(failed).toBeGreaterThan(3);
    expect(failed).toBeLessThan(25);
  });

  it('embeddings honour status faults too', async () => {
    const e = await ctx.openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }, fault('503')).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.InternalServerError);
  });
});

describe('faults seen through the Anthropic SDK', () => {
  it('429 rate_limit_error with retry-after; 529 overloaded_error; 500 api_error', async () => {
    const r = await ctx.anthropic.messages.create(anReq, fault('429;retry-after=5')).catch((x) => x);
    expect(r).toBeInstanceOf(Anthropic.RateLimitError);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.error.error.type).toBe('rate_limit_error');
    const o = await ctx.anthropic.messages.create(anReq, fault('529')).catch((x) => x);
    expect(o).toBeInstanceOf(Anthropic.InternalServerError);
    expect(o.status).toBe(529);
    expect(o.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const s = await ctx.anthropic.messages.create(anReq, fault('500')).catch((x) => x);
    expect(s).toBeInstanceOf(Anthropic.InternalServerError);
    expect(s.error.error.type).toBe('api_error');
  });

  it('timeout and reset are connection errors', async () => {
    const client = new Anthropic({ baseURL: ctx.sim.url, apiKey: 'k', maxRetries: 0, timeout: 300 });
    expect(await client.messages.create(anReq, fault('timeout')).catch((x) => x)).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(await ctx.anthropic.messages.create(anReq, fault('reset')).catch((x) => x)).toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it('error-event after HTTP 200: the stream raises overloaded_error', async () => {
    const stream = ctx.anthropic.messages.stream(anReq, fault('error-event'));
    const e = await stream.finalMessage().catch((x) => x);
    expect(e).toBeInstanceOf(Anthropic.APIError);
    expect(JSON.stringify(e.error)).toContain('overloaded_error');
  });

  it('cut: message_start arrives, message_delta and message_stop never do', async () => {
    const r = await fetch(`${ctx.sim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-sim-fault': 'cut;at=0.5' },
      body: JSON.stringify({ ...anReq, stream: true }),
    });
    const names = parseSse(await r.text()).map((e) => e.event);
    expect(names[0]).toBe('message_start');
    expect(names).toContain('content_block_delta');
    expect(names).not.toContain('message_delta');
    expect(names).not.toContain('message_stop');
  });
});

describe('admin endpoint', () => {
  const admin = (path: string, method = 'GET', body?: unknown) =>
    fetch(`${ctx.sim.url}/_sim${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('reads, changes and resets model settings, including faults', async () => {
    const before = await (await admin('/models/gpt-4o')).json();
    expect(before.settings.tokensPerSec).toBeGreaterThan(0);
    const put = await admin('/models/gpt-4o', 'PUT', { ttftBaseMs: 5000, faults: '500' });
    expect(put.status).toBe(200);
    const after = await (await admin('/models/gpt-4o')).json();
    expect(after.settings.ttftBaseMs).toBe(5000);
    expect(after.settings.faults).toEqual([{ kind: '500' }]);
    const e = await ctx.openai.chat.completions.create({ ...oaReq, model: 'gpt-4o' }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.InternalServerError);
    const stats = await (await admin('/stats')).json();
    expect(stats.faults['500']).toBeGreaterThan(0);
    expect((await admin('/reset', 'POST')).status).toBe(200);
    const reset = await (await admin('/models/gpt-4o')).json();
    expect(reset.settings).toEqual(before.settings);
    await expect(ctx.openai.chat.completions.create({ ...oaReq, model: 'gpt-4o' })).resolves.toBeTruthy();
  });

  it('rejects bad settings with a message naming the field, and unknown models with 404', async () => {
    const r = await admin('/models/gpt-4o', 'PUT', { tokensPerSec: -1 });
    expect(r.status).toBe(400);
    expect((await r.json()).error.message).toMatch(/tokensPerSec/);
    expect((await admin('/models/gpt-4o', 'PUT', { warp: 9 })).status).toBe(400);
    expect((await admin('/models/gpt-4o', 'PUT', { faults: 'teapot' })).status).toBe(400);
    expect((await admin('/models/nope')).status).toBe(404);
  });
});

describe('latency model, changed at run time', () => {
  it('a model slowed down through the admin endpoint answers after a fast one', async () => {
    const fast = { queueMs: 0, ttftBaseMs: 0, prefillMsPerToken: 0, tokensPerSec: 1e6, jitterSigma: 0 };
    const sim = await withSim({ latencyScale: 1, models: { 'gpt-4o': fast, 'gpt-4o-mini': fast } });
    try {
      const order: string[] = [];
      const call = (model: string) =>
        sim.openai.chat.completions.create({ model, max_tokens: 5, messages: [{ role: 'user', content: 'race' }] }).then(() => order.push(model));
      // equal settings: both finish (no assertion on order)
      await Promise.all([call('gpt-4o'), call('gpt-4o-mini')]);
      order.length = 0;
      const r = await fetch(`${sim.sim.url}/_sim/models/gpt-4o-mini`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ttftBaseMs: 400 }) });
      expect(r.status).toBe(200);
      await Promise.all([call('gpt-4o-mini'), call('gpt-4o')]);
      expect(order).toEqual(['gpt-4o', 'gpt-4o-mini']);
      // and streaming: the slowed model's first token comes after the fast model's whole answer
      order.length = 0;
      const firstToken = async (model: string) => {
        const s = await sim.openai.chat.completions.create({ model, max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'race' }] });
        for await (const c of s) {
          if (c.choices[0]?.delta.content) {
            order.push(model);
            break;
          }
        }
      };
      await Promise.all([firstToken('gpt-4o-mini'), firstToken('gpt-4o')]);
      expect(order).toEqual(['gpt-4o', 'gpt-4o-mini']);
    } finally {
      await sim.sim.close();
    }
  });

  it('latencyScale set through /_sim/config takes effect', async () => {
    const sim = await withSim({ latencyScale: 0, models: { 'gpt-4o': { ttftBaseMs: 60_000 } } });
    try {
      const client = new OpenAI({ baseURL: `${sim.sim.url}/v1`, apiKey: 'k', maxRetries: 0, timeout: 300 });
      // at scale 0 a 60 s TTFT costs nothing
      await expect(client.chat.completions.create({ ...oaReq, model: 'gpt-4o', max_tokens: 2 })).resolves.toBeTruthy();
      const cfg = await fetch(`${sim.sim.url}/_sim/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyScale: 1 }) });
      expect((await cfg.json()).latencyScale).toBe(1);
      // at scale 1 it is real again: the client gives up first
      const e = await client.chat.completions.create({ ...oaReq, model: 'gpt-4o', max_tokens: 2 }).catch((x) => x);
      expect(e).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    } finally {
      await sim.sim.close();
    }
  });
});

describe('rate limits', () => {
  it('count down in headers; exceeding them is a real 429 only when enforced', async () => {
    const sim = await withSim({ models: { 'gpt-4o': { requestsPerMin: 2 } } });
    try {
      const req = { ...oaReq, model: 'gpt-4o', max_tokens: 1 };
      const a = await sim.openai.chat.completions.create(req).withResponse();
      expect(a.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
      await sim.openai.chat.completions.create(req);
      await expect(sim.openai.chat.completions.create(req)).resolves.toBeTruthy();
      await fetch(`${sim.sim.url}/_sim/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enforceRateLimits: true }) });
      const e = await sim.openai.chat.completions.create(req).catch((x) => x);
      expect(e).toBeInstanceOf(OpenAI.RateLimitError);
      expect(Number(e.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await sim.sim.close();
    }
  });
});
