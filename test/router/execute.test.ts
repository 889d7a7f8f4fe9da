import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as undiciRequest } from 'undici';
import { AllAttemptsFailedError, UpstreamError } from '../../src/core/errors.js';
import { retryConfigSchema } from '../../src/levers/router/config.js';
import { createExecuteStage } from '../../src/levers/execute/index.js';
import { upstreamErrorFromResponse } from '../../src/providers/shared/classify-upstream-error.js';
import type { ChatResult, Target } from '../../src/pipeline/stage.js';
import { MODELS, makeCtx, request, response, scriptedTerminal, upstreamError } from './helpers.js';

const A = MODELS['gpt-4o-mini']!;
const B = MODELS['claude-3-5-haiku']!;

function executor(over: Record<string, unknown> = {}, clock = { t: 1_000_000 }) {
  const sleeps: number[] = [];
  const s = createExecuteStage(retryConfigSchema.parse(over), {
    now: () => clock.t,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { s, sleeps, clock };
}

function ctxFor(target: Target, fallbacks: Target[] = []) {
  const ctx = makeCtx(request('hi', { model: target.model }));
  ctx.target = target;
  ctx.fallbacks = fallbacks;
  return ctx;
}

describe('retries and fallbacks', () => {
  it('retries a 503 with full-jitter backoff, then falls back, and keeps every attempt', async () => {
    const { s, sleeps } = executor({ max_retries: 2, base_delay_ms: 100 });
    const ctx = ctxFor(A, [B]);
    const t = scriptedTerminal(ctx, (target) => (target.model === A.model ? upstreamError(A, 'server', 503) : response('ok')));
    const out = await s.handle(ctx, t.next);
    expect(out.kind).toBe('complete');
    expect(t.calls).toEqual([A, A, A, B]);
    expect(sleeps).toEqual([50, 100]); // random 0.5 × min(max, 100·2^attempt)
    expect(ctx.attempts).toHaveLength(4);
    expect(ctx.trail.filter((e) => e.decision === 'retry')).toHaveLength(2);
    expect(ctx.trail.find((e) => e.decision === 'fallback')?.reason).toMatch(/fallback to anthropic\/claude-3-5-haiku after server 503/);
    expect(ctx.target).toEqual(B);
    expect(ctx.rewritten).toBe(true);
  });

  it('never retries or falls back on a client error, and rethrows the provider error as is', async () => {
    const { s } = executor();
    const ctx = ctxFor(A, [B]);
    const err = upstreamError(A, 'client', 400);
    const t = scriptedTerminal(ctx, () => err);
    await expect(s.handle(ctx, t.next)).rejects.toBe(err);
    expect(t.calls).toEqual([A]);
  });

  it('never retries quota errors, even with x-should-retry: true, but moves to another provider', async () => {
    const { s } = executor();
    const C = MODELS['gpt-4o']!; // same provider as A: out of money too, skipped
    const ctx = ctxFor(A, [C, B]);
    const t = scriptedTerminal(ctx, (target) => (target.provider === 'openai' ? upstreamError(target, 'quota', 429, { shouldRetry: true }) : response('ok')));
    await s.handle(ctx, t.next);
    expect(t.calls).toEqual([A, B]);
    expect(ctx.trail.find((e) => e.decision === 'no_retry')?.reason).toMatch(/quota errors are never retried/);
  });

  it('honours retry-after and x-should-retry: false', async () => {
    const { s, sleeps } = executor();
    const ctx = ctxFor(A);
    let n = 0;
    const t = scriptedTerminal(ctx, () => (++n === 1 ? upstreamError(A, 'rate_limit', 429, { retryAfterMs: 1234 }) : response('ok')));
    await s.handle(ctx, t.next);
    expect(sleeps).toEqual([1234]);

    const ctx2 = ctxFor(A);
    const t2 = scriptedTerminal(ctx2, () => upstreamError(A, 'server', 500, { shouldRetry: false }));
    await expect(s.handle(ctx2, t2.next)).rejects.toBeInstanceOf(UpstreamError);
    expect(t2.calls).toHaveLength(1);
  });

  it('does not wait for a retry-after beyond the cap: goes to the fallback instead', async () => {
    const { s, sleeps } = executor({ max_retry_after_ms: 5000 });
    const ctx = ctxFor(A, [B]);
    const t = scriptedTerminal(ctx, (target) => (target.model === A.model ? upstreamError(A, 'rate_limit', 429, { retryAfterMs: 60_000 }) : response('ok')));
    await s.handle(ctx, t.next);
    expect(sleeps).toEqual([]);
    expect(t.calls).toEqual([A, B]);
  });

  it('throws AllAttemptsFailedError with every error when everything fails', async () => {
    const { s } = executor({ max_retries: 1 });
    const ctx = ctxFor(A, [B]);
    const t = scriptedTerminal(ctx, (target) => upstreamError(target, 'overloaded', 529));
    const err = await s.handle(ctx, t.next).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllAttemptsFailedError);
    expect((err as AllAttemptsFailedError).attempts.map((a) => a.model)).toEqual([A.model, A.model, B.model, B.model]);
  });
});

describe('retry budget', () => {
  it('keeps retries bounded when an upstream fails everything', async () => {
    // window 10 s, ratio 0.2, min 1/s: at most 0.2 × requests + 10 retries in a window
    const { s, clock } = executor({ max_retries: 3, breaker: { enabled: false } });
    let calls = 0;
    const requests = 500;
    for (let i = 0; i < requests; i++) {
      clock.t += 10; // 500 requests over 5 s: all inside one budget window
      const ctx = ctxFor(A);
      const t = scriptedTerminal(ctx, () => upstreamError(A, 'server', 503));
      await s.handle(ctx, t.next).catch(() => undefined);
      calls += t.calls.length;
    }
    const stats = s.stats()['openai/gpt-4o-mini']!;
    expect(stats.requests).toBe(requests);
    expect(stats.retries).toBe(calls - requests);
    expect(stats.retries).toBeLessThanOrEqual(0.2 * requests + 10);
    expect(stats.retries).toBeGreaterThan(0.2 * requests * 0.9); // the budget is used, not just refused
    expect(stats.retriesDenied).toBeGreaterThan(0);
    // without a budget, max_retries 3 would have made 4 calls per request
    expect(calls).toBeLessThan(requests * 1.3);
  });
});

describe('circuit breaker', () => {
  it('opens on error rate, skips the upstream, lets a probe through after open_ms, closes on recovery', async () => {
    const { s, clock } = executor({ max_retries: 0, breaker: { min_requests: 10, error_rate: 0.5, window_s: 10, open_ms: 5000, close_after: 2 } });
    let healthy = false;
    const run = async () => {
      const ctx = ctxFor(A, [B]);
      const t = scriptedTerminal(ctx, (target) => (target.model === A.model && !healthy ? upstreamError(A, 'overloaded', 503) : response('ok')));
      await s.handle(ctx, t.next);
      return { ctx, calls: t.calls };
    };
    for (let i = 0; i < 10; i++) await run();
    expect(s.stats()['openai/gpt-4o-mini']!.breaker).toBe('open');
    // open: A is not called at all, B answers
    const skipped = await run();
    expect(skipped.calls).toEqual([B]);
    expect(skipped.ctx.trail.some((e) => e.decision === 'circuit_open')).toBe(true);
    // after open_ms: half-open, a failing probe re-opens it
    clock.t += 5000;
    expect(s.stats()['openai/gpt-4o-mini']!.breaker).toBe('half_open');
    expect((await run()).calls).toEqual([A, B]);
    expect(s.stats()['openai/gpt-4o-mini']!.breaker).toBe('open');
    // recovered: probes succeed and it closes
    clock.t += 5000;
    healthy = true;
    expect((await run()).calls).toEqual([A]);
    expect(s.stats()['openai/gpt-4o-mini']!.breaker).toBe('half_open');
    expect((await run()).calls).toEqual([A]);
    expect(s.stats()['openai/gpt-4o-mini']!.breaker).toBe('closed');
  });
});

describe('breaker scope', () => {
  const breaker = { min_requests: 4, error_rate: 0.5, window_s: 10, open_ms: 5000, close_after: 1 };
  const callerCtx = (team: string) => {
    const ctx = ctxFor(A, [B]);
    (ctx as { caller: { keyId: string; team?: string } }).caller = { keyId: `key-${team}`, team };
    return ctx;
  };

  it("one caller's upstream 500s open only its own breaker; the same failures from two callers open it for everyone", async () => {
    const { s } = executor({ max_retries: 0, breaker });
    const send = async (team: string, fail: boolean) => {
      const ctx = callerCtx(team);
      const t = scriptedTerminal(ctx, (target) => (target.model === A.model && fail ? upstreamError(A, 'server', 500) : response('ok')));
      await s.handle(ctx, t.next);
      return t.calls.map((c) => c.model);
    };
    // team b's bodies make the upstream answer 500: its own breaker opens...
    for (let i = 0; i < 6; i++) await send('b', true);
    expect(await send('b', true)).toEqual([B.model]);
    // ...and team a still reaches the upstream
    expect(s.stats()['openai/gpt-4o-mini']).toMatchObject({ breaker: 'closed', callersOpen: 1 });
    expect(await send('a', false)).toEqual([A.model]);
    // a second caller failing the same way: that is the upstream, and it opens for everyone
    for (let i = 0; i < 4; i++) await send('c', true);
    expect(s.stats()['openai/gpt-4o-mini']!.breaker).toBe('open');
    expect(await send('a', false)).toEqual([B.model]);
  });

  it('a stream the upstream cuts counts against the upstream; one the client leaves does not', async () => {
    const { s } = executor({ max_retries: 0, breaker });
    const stream = async (cut: boolean, clientLeaves = false) => {
      const ctx = callerCtx('a');
      const client = new AbortController();
      Object.defineProperty(ctx, 'signal', { value: client.signal });
      const next = async (): Promise<ChatResult> => ({
        kind: 'stream',
        source: 'upstream',
        chunks: (async function* () {
          yield { raw: Buffer.from('x'), events: [{ type: 'text_delta' as const, index: 0, text: 'hi' }] };
          if (clientLeaves) client.abort();
          if (!cut) yield { raw: Buffer.from('y'), events: [{ type: 'finish' as const, finishReason: 'stop' as const }] };
        })(),
      });
      const out = await s.handle(ctx, next);
      if (out.kind === 'stream') for await (const _ of out.chunks) void _;
    };
    for (let i = 0; i < 4; i++) await stream(false);
    for (let i = 0; i < 4; i++) await stream(true, true);
    // the client left: nothing to say about the upstream
    expect(s.stats()['openai/gpt-4o-mini']).toMatchObject({ breaker: 'closed', errorRate: 0 });
    for (let i = 0; i < 4; i++) await stream(true);
    // cut by the upstream (stream_cut is an upstream-health class): 4 of 8 failed, the breaker opens
    expect(s.stats()['openai/gpt-4o-mini']).toMatchObject({ breaker: 'open', errorRate: 0.5 });
  });

  it('counts only the retries that were sent', async () => {
    const ctx = ctxFor(A);
    const gone = new AbortController();
    Object.defineProperty(ctx, 'signal', { value: gone.signal });
    const t = scriptedTerminal(ctx, () => {
      gone.abort(); // the client leaves while the executor backs off
      return upstreamError(A, 'server', 503);
    });
    const stage = createExecuteStage(retryConfigSchema.parse({ max_retries: 1, base_delay_ms: 10, breaker: { enabled: false } }));
    await expect(stage.handle(ctx, t.next)).rejects.toBeInstanceOf(AllAttemptsFailedError);
    expect(t.calls).toHaveLength(1);
    expect(stage.stats()['openai/gpt-4o-mini']).toMatchObject({ requests: 1, retries: 0 });
  });
});

describe('through real HTTP', () => {
  // two tiny upstreams: "flaky" fails the first two calls with 503 + retry-after-ms, "limited" always 429s with a long retry-after
  let flaky: Server;
  let limited: Server;
  let backup: Server;
  const hits = { flaky: 0, limited: 0, backup: 0 };
  const base: Record<string, string> = {};

  beforeAll(async () => {
    const serve = (name: keyof typeof hits, handler: (n: number) => { status: number; headers: Record<string, string>; body: unknown }) =>
      new Promise<Server>((resolve) => {
        const srv = createServer((req, res) => {
          req.resume();
          req.on('end', () => {
            const r = handler(++hits[name]);
            res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
            res.end(JSON.stringify(r.body));
          });
        });
        srv.listen(0, '127.0.0.1', () => {
          base[name] = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
          resolve(srv);
        });
      });
    const ok = { status: 200, headers: {}, body: { text: 'hello from upstream' } };
    flaky = await serve('flaky', (n) => (n <= 2 ? { status: 503, headers: { 'retry-after-ms': '5' }, body: { error: { type: 'server_error', message: 'busy' } } } : ok));
    limited = await serve('limited', () => ({ status: 429, headers: { 'retry-after': '120' }, body: { error: { type: 'rate_limit_error', message: 'slow down' } } }));
    backup = await serve('backup', () => ok);
  });
  afterAll(() => {
    for (const s of [flaky, limited, backup]) s.close();
  });

  /** a terminal like the gateway's: POST to the target's server, UpstreamError on a non-2xx */
  function httpTerminal(ctx: ReturnType<typeof ctxFor>) {
    return async (): Promise<ChatResult> => {
      const target = ctx.target!;
      const startedAt = Date.now();
      const res = await undiciRequest(`${base[target.provider]}/v1/chat/completions`, { method: 'POST', body: '{}' });
      const body = await res.body.text();
      if (res.statusCode >= 400) {
        const err = upstreamErrorFromResponse({ provider: target.provider, model: target.model, status: res.statusCode, headers: res.headers as Record<string, string>, body });
        ctx.attempts.push({ provider: target.provider, model: target.model, status: res.statusCode, errorClass: err.errorClass, startedAt, endedAt: Date.now(), costUsd: 0 });
        throw err;
      }
      ctx.attempts.push({ provider: target.provider, model: target.model, status: 200, startedAt, endedAt: Date.now(), costUsd: 0.0001 });
      return { kind: 'complete', response: response((JSON.parse(body) as { text: string }).text), source: 'upstream' };
    };
  }

  it('retries 503s honouring retry-after-ms, with real waiting of a few ms', async () => {
    const s = createExecuteStage(retryConfigSchema.parse({ max_retries: 3 }));
    const ctx = ctxFor({ provider: 'flaky', model: 'm' });
    const out = await s.handle(ctx, httpTerminal(ctx));
    expect(out.kind === 'complete' && out.response.content[0]).toMatchObject({ text: 'hello from upstream' });
    expect(hits.flaky).toBe(3);
    expect(ctx.attempts.map((a) => a.status)).toEqual([503, 503, 200]);
    expect(ctx.trail.filter((e) => e.decision === 'retry').map((e) => e.data!.delayMs)).toEqual([5, 5]);
  });

  it('falls back when the upstream asks for a wait longer than the cap (429 + retry-after: 120)', async () => {
    const s = createExecuteStage(retryConfigSchema.parse({}));
    const ctx = ctxFor({ provider: 'limited', model: 'm' }, [{ provider: 'backup', model: 'm' }]);
    const out = await s.handle(ctx, httpTerminal(ctx));
    expect(out.kind).toBe('complete');
    expect(hits.limited).toBe(1);
    expect(hits.backup).toBe(1);
    expect(ctx.attempts.map((a) => [a.provider, a.status, a.errorClass])).toEqual([
      ['limited', 429, 'rate_limit'],
      ['backup', 200, undefined],
    ]);
  });
});
