// Issue 13 finding 7: 3,000-5,000 levels of nested JSON (~10 KB) overflowed the recursive cache-key
// serialiser and answered 500. Absurd nesting is now a 400 in the caller's wire format, with the
// cache on and off; nesting within the documented limit still works, the cache key included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { MAX_JSON_DEPTH, jsonDeeperThan } from '../../src/core/json-depth.js';
import { startHarness, type Harness } from './helpers.js';

const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
/** a body whose unnamed field `x_deep` nests `levels` deep below the body (which is level 1) */
const openaiBody = (levels: number): string =>
  `{"model":"gpt-4o","temperature":0,"messages":[{"role":"user","content":"deep?"}],"x_deep":${nested(levels)}}`;
const anthropicBody = (levels: number): string =>
  `{"model":"claude-sonnet-4","max_tokens":32,"temperature":0,"messages":[{"role":"user","content":"deep?"}],"x_deep":${nested(levels)}}`;

const post = (h: Harness, path: string, body: string) =>
  fetch(`${h.gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x', 'x-api-key': 'x', 'anthropic-version': '2023-06-01' },
    body,
  });

describe('jsonDeeperThan', () => {
  it('counts only brackets outside strings', () => {
    const b = (s: string) => Buffer.from(s);
    expect(jsonDeeperThan(b('{"a":[[1]]}'), 3)).toBe(false);
    expect(jsonDeeperThan(b('{"a":[[[1]]]}'), 3)).toBe(true);
    expect(jsonDeeperThan(b(JSON.stringify({ s: '[[[[[[{{{{\\"[[[' })), 2)).toBe(false);
    expect(jsonDeeperThan(b('["\\\\",[[1]]]'), 2)).toBe(true);
  });
});

for (const cacheOn of [true, false]) {
  describe(`absurd nesting through the gateway, cache ${cacheOn ? 'on' : 'off'}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ cache: cacheOn ? { eligible: { maxTemperature: 0 } } : { enabled: false } });
    });
    afterAll(async () => {
      await h?.close();
    });

    for (const levels of [3_000, 5_000]) {
      it(`OpenAI format: ${levels} levels is a 400 OpenAI error`, async () => {
        const res = await post(h, '/v1/chat/completions', openaiBody(levels));
        expect(res.status).toBe(400);
        const body = (await res.json()) as { error: { type: string; message: string } };
        expect(body.error.type).toBe('invalid_request_error');
        expect(body.error.message).toContain(`${MAX_JSON_DEPTH} levels`);
      });

      it(`Anthropic format: ${levels} levels is a 400 Anthropic error`, async () => {
        const res = await post(h, '/v1/messages', anthropicBody(levels));
        expect(res.status).toBe(400);
        const body = (await res.json()) as { type: string; error: { type: string; message: string } };
        expect(body.type).toBe('error');
        expect(body.error.type).toBe('invalid_request_error');
        expect(body.error.message).toContain(`${MAX_JSON_DEPTH} levels`);
      });
    }

    it('nesting at the limit is served in both formats (and cached when the cache is on)', async () => {
      const ok = MAX_JSON_DEPTH - 1; // the body is level 1
      for (const [path, body] of [['/v1/chat/completions', openaiBody(ok)], ['/v1/messages', anthropicBody(ok)]] as const) {
        const first = await post(h, path, body);
        expect(first.status).toBe(200);
        await first.arrayBuffer();
        const second = await post(h, path, body);
        expect(second.status).toBe(200);
        if (cacheOn) expect(second.headers.get('x-tollgate-cache')).toBe('hit');
        else expect(second.headers.get('x-tollgate-cache')).not.toBe('hit');
        await second.arrayBuffer();
      }
      expect((await post(h, '/v1/chat/completions', openaiBody(ok + 1))).status).toBe(400);
    });

    it('the official client gets a BadRequestError it can read', async () => {
      const client = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
      // the SDK cannot serialise 5,000 levels itself (JSON.stringify overflows), so nest just past the limit
      let deep: unknown = 1;
      for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
      const err = await client.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], x_deep: deep } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    });
  });
}
