// The stage in a tiny real node:http server speaking the OpenAI wire format (the repo's OpenAI
// codec renders canonical responses and events), driven by the official openai SDK.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { createCacheStage, type CacheStage } from '../../src/levers/cache/index.js';
import { parseOpenAIChatRequest } from '../../src/providers/openai/parse-chat-request.js';
import { renderOpenAIChatResponse } from '../../src/providers/openai/render-chat-response.js';
import { createOpenAIStreamRenderer } from '../../src/providers/openai/stream-renderer.js';
import { context, costOf, tmpDir, upstream } from './helpers.js';

let server: Server;
let stage: CacheStage;
let client: OpenAI;
const up = upstream('cached words');

beforeAll(async () => {
  stage = await createCacheStage({}, { dataDir: tmpDir(), costOf });
  server = createServer(async (req, res) => {
    const body: Buffer[] = [];
    for await (const c of req) body.push(c as Buffer);
    const canonical = parseOpenAIChatRequest(JSON.parse(Buffer.concat(body).toString()));
    const ctx = context(canonical, { headers: req.headers as Record<string, string> });
    const result = await stage.handle(ctx, canonical.stream ? up.stream() : up.complete);
    const headers = { ...ctx.responseHeaders };
    if (result.kind === 'complete') {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(renderOpenAIChatResponse(result.response, { model: canonical.model })));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', ...headers });
    const r = createOpenAIStreamRenderer({ model: canonical.model, includeUsage: canonical.includeUsage });
    for await (const chunk of result.chunks) for (const ev of chunk.events) res.write(r.render(ev));
    res.end(r.end());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  client = new OpenAI({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'test', maxRetries: 0 });
});

afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  await stage.close!();
});

describe('cache hits through the official openai SDK', () => {
  it('non-streaming: the second identical request is a hit', async () => {
    const first = await client.chat.completions.create({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content: 'Name a prime.' }] }).withResponse();
    expect(first.response.headers.get('x-tollgate-cache')).toBe('miss');
    const second = await client.chat.completions.create({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content: 'Name a prime.' }] }).withResponse();
    expect(second.response.headers.get('x-tollgate-cache')).toBe('hit');
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(second.data.usage?.completion_tokens).toBe(500);
  });

  it('streaming: the hit is a synthesized SSE stream the SDK parses', async () => {
    const params = { model: 'gpt-4o-mini', temperature: 0, stream: true as const, stream_options: { include_usage: true }, messages: [{ role: 'user' as const, content: 'Stream a fact.' }] };
    const read = async () => {
      const { data, response } = await client.chat.completions.create(params).withResponse();
      let text = '';
      let usage: unknown;
      for await (const chunk of data) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      return { text, usage, cache: response.headers.get('x-tollgate-cache') };
    };
    const a = await read();
    const b = await read();
    expect(a.cache).toBe('miss');
    expect(b.cache).toBe('hit');
    expect(b.text).toBe(a.text);
    expect(b.text.length).toBeGreaterThan(0);
    expect(b.usage).toMatchObject({ completion_tokens: 500 });
  });
});
