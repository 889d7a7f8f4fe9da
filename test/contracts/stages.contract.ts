// The contract every lever's stage keeps (the rules of next() in src/pipeline/stage.ts), run for
// each lever the registry lists, built the way the engine builds it.

import { expect, it } from 'vitest';
import type { ChatRequest, ChatResponse } from '../../src/core/canonical.js';
import { UpstreamError } from '../../src/core/errors.js';
import { createContext } from '../../src/engine/context.js';
import type { OwnCalls } from '../../src/engine/own-calls.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import type { ChatResult, GatewayContext, Stage } from '../../src/pipeline/stage.js';

export interface StageUnderTest {
  stage: Stage;
  /** a request the stage serves in its ordinary way (a real model name, a route it knows) */
  request(): ChatRequest;
  own: OwnCalls;
}

const answer = (text: string): ChatResponse => ({ id: 'r1', model: 'gpt-4o-mini', created: 0, content: [{ type: 'text', text }], finishReason: 'stop', usage: { input: 12, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 3, reasoning: 0 } });

function ctxFor(t: StageUnderTest): GatewayContext {
  const ctx = createContext({ format: 'openai', endpoint: '/v1/chat/completions', headers: {} }, t.own);
  const request = t.request();
  ctx.request = request;
  (ctx as { rawBody: Buffer }).rawBody = Buffer.from(JSON.stringify({ model: request.model, messages: [{ role: 'user', content: 'contract' }] }));
  ctx.target ??= { provider: 'sim-openai', model: 'gpt-4o-mini' };
  return ctx;
}

/** a terminal that answers every call, counting them */
function terminal(ctx: GatewayContext, fail?: () => Error) {
  const calls: { request: ChatRequest; target: GatewayContext['target'] }[] = [];
  const next = async (): Promise<ChatResult> => {
    calls.push({ request: ctx.request, target: ctx.target && { ...ctx.target } });
    if (fail) throw fail();
    return { kind: 'complete', response: answer(`answer ${calls.length}`), source: 'upstream' };
  };
  return { next, calls };
}

export function stageContract(name: string, make: () => Promise<StageUnderTest>): void {
  it(`${name}: its name is the one the pipeline lists`, async () => {
    const t = await make();
    expect(t.stage.name).toBe(name);
    await t.stage.close?.();
  });

  it(`${name}: an ordinary request goes downstream once and its answer comes back unchanged`, async () => {
    const t = await make();
    const ctx = ctxFor(t);
    const term = terminal(ctx);
    const out = await t.stage.handle(ctx, term.next);
    expect(term.calls).toHaveLength(1);
    expect(out.kind).toBe('complete');
    expect(out.kind === 'complete' && out.response.content[0]).toMatchObject({ text: 'answer 1' });
    await t.stage.close?.();
  });

  it(`${name}: an upstream error it does not handle passes through unchanged`, async () => {
    const t = await make();
    const ctx = ctxFor(t);
    const err = new UpstreamError({ provider: 'sim-openai', model: 'gpt-4o-mini', status: 400, message: 'bad request', errorClass: 'client', retryable: false });
    const term = terminal(ctx, () => err);
    await expect(t.stage.handle(ctx, term.next)).rejects.toBe(err);
    await t.stage.close?.();
  });

  it(`${name}: it changes the request only by saying so, and never swaps it for a call of its own`, async () => {
    const t = await make();
    const ctx = ctxFor(t);
    const original = ctx.request;
    const term = terminal(ctx);
    await t.stage.handle(ctx, term.next);
    // what went downstream is the request the context holds at the end: no swap behind the answer
    for (const c of term.calls) expect(c.request).toBe(ctx.request);
    if (ctx.request !== original) expect(ctx.rewritten).toBe(true);
    await t.stage.close?.();
  });

  it(`${name}: its trail entries carry its name`, async () => {
    const t = await make();
    const ctx = ctxFor(t);
    await t.stage.handle(ctx, terminal(ctx).next);
    for (const e of ctx.trail) expect(e.stage).toBe(name);
    await t.stage.close?.();
  });

  it(`${name}: it handles the same context again (a retry or fallback upstream of it) and answers both times`, async () => {
    const t = await make();
    const ctx = ctxFor(t);
    const term = terminal(ctx);
    // a stage upstream of this one that retries: the same stage handles the same context twice
    // (the second may be answered without downstream, e.g. from the cache the first filled)
    const first = await t.stage.handle(ctx, term.next);
    const second = await t.stage.handle(ctx, term.next);
    expect([first.kind, second.kind]).toEqual(['complete', 'complete']);
    expect(term.calls.length).toBeGreaterThanOrEqual(1);
    await t.stage.close?.();
  });

  it(`${name}: its record hook never throws, whatever the record`, async () => {
    const t = await make();
    const ctx = ctxFor(t);
    const minimal = { requestId: 'x', endpoint: '/v1/chat/completions', apiFormat: 'openai', requestedModel: '', stream: false, receivedAt: 0, completedAt: 0, latencyMs: 0, overheadMs: 0, usage: { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 }, costUsd: 0, trail: [], status: 'error', httpStatus: 500 } as RequestRecord;
    expect(() => t.stage.onRecord?.(minimal, ctx)).not.toThrow();
    await t.stage.close?.();
  });
}
