// Shared fixtures for the cache tests: a GatewayContext as the server builds it, and a `next` that
// plays the upstream (counts calls, returns a canonical response or a canonical event stream).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatRequest, ChatResponse, StreamEvent } from '../../src/core/canonical.js';
import type { ChatResult, GatewayContext } from '../../src/pipeline/stage.js';
import type { StreamChunk } from '../../src/providers/contract.js';

export const tmpDir = (): string => mkdtempSync(join(tmpdir(), 'tollgate-cache-'));

export function request(text: string, over: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'gpt-4o-mini', system: [], messages: [{ role: 'user', content: [{ type: 'text', text }] }], stream: false, includeUsage: false, temperature: 0, extra: {}, ...over };
}

export function context(req: ChatRequest, opts: { headers?: Record<string, string>; team?: string; keyId?: string; route?: string } = {}): GatewayContext {
  return {
    requestId: 'req_' + Math.random().toString(36).slice(2),
    format: 'openai',
    endpoint: '/v1/chat/completions',
    caller: { keyId: opts.keyId ?? 'key1', team: opts.team },
    headers: opts.headers ?? {},
    request: req,
    rawBody: Buffer.alloc(0),
    rewritten: false,
    route: opts.route,
    target: { provider: 'openai', model: req.model },
    trail: [],
    attempts: [],
    responseHeaders: {},
    timings: {},
    signal: new AbortController().signal,
    receivedAt: Date.now(),
    callModel: async () => {
      throw new Error('no own calls in this test');
    },
  };
}

export function answer(text: string, over: Partial<ChatResponse> = {}): ChatResponse {
  return { id: 'chatcmpl-up', model: 'gpt-4o-mini', created: 1700000000, content: [{ type: 'text', text }], finishReason: 'stop', usage: { input: 1000, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 500, reasoning: 0 }, ...over };
}

export function upstream(reply = 'the answer') {
  const u = {
    calls: 0,
    complete: async (): Promise<ChatResult> => {
      u.calls++;
      return { kind: 'complete', response: answer(`${reply} #${u.calls}`), source: 'upstream' };
    },
    stream: (events?: StreamEvent[]) => async (): Promise<ChatResult> => {
      u.calls++;
      const evs: StreamEvent[] = events ?? [
        { type: 'start', id: 'chatcmpl-s', model: 'gpt-4o-mini', created: 1700000000 },
        { type: 'text_delta', index: 0, text: `${reply} ` },
        { type: 'text_delta', index: 0, text: `#${u.calls}` },
        { type: 'finish', finishReason: 'stop' },
        { type: 'usage', usage: { input: 1000, output: 500 } },
      ];
      return {
        kind: 'stream',
        source: 'upstream',
        rawFormat: 'openai',
        chunks: (async function* () {
          for (const e of evs) yield { raw: Buffer.from(JSON.stringify(e)), events: [e] } satisfies StreamChunk;
        })(),
      };
    },
  };
  return u;
}

export async function drain(r: ChatResult): Promise<StreamEvent[]> {
  if (r.kind !== 'stream') throw new Error('expected a stream');
  const out: StreamEvent[] = [];
  for await (const c of r.chunks) out.push(...c.events);
  return out;
}

/** $1 per 1k input tokens, $2 per 1k output: easy to check */
export const costOf = (_t: { provider: string; model: string }, u: { input: number; output: number }): number => u.input / 1000 + (u.output / 1000) * 2;
