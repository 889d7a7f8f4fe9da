// A GatewayContext and a terminal next() for stage-level tests (no gateway needed).
import type { ChatRequest, ChatResponse, Usage } from '../../src/core/canonical.js';
import { UpstreamError, type ErrorClass } from '../../src/core/errors.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import type { ChatResult, GatewayContext, Target } from '../../src/pipeline/stage.js';

export const MODELS: Record<string, Target> = {
  'gpt-4o-mini': { provider: 'openai', model: 'gpt-4o-mini' },
  'gpt-4o': { provider: 'openai', model: 'gpt-4o' },
  'claude-3-5-haiku': { provider: 'anthropic', model: 'claude-3-5-haiku' },
  'claude-sonnet-4': { provider: 'anthropic', model: 'claude-sonnet-4' },
};
/** USD per token, input and output, for the fake catalog */
const PRICE: Record<string, [number, number]> = {
  'gpt-4o-mini': [0.15e-6, 0.6e-6],
  'claude-3-5-haiku': [0.8e-6, 4e-6],
  'gpt-4o': [2.5e-6, 10e-6],
  'claude-sonnet-4': [3e-6, 15e-6],
};

export function routerDeps(extra: { now?: () => number; random?: () => number; dataDir?: string } = {}) {
  return {
    resolveModel: (name: string) => MODELS[name],
    costOf: (t: Target, u: Usage) => {
      const p = PRICE[t.model] ?? [1e-6, 1e-6];
      return u.input * p[0] + u.output * p[1];
    },
    estimateInputTokens: (req: ChatRequest) => Math.ceil(JSON.stringify(req.messages).length / 4),
    dataDir: extra.dataDir ?? '/nonexistent',
    now: extra.now,
    random: extra.random,
  };
}

export function request(text: string, over: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'support-chat', system: [], messages: [{ role: 'user', content: [{ type: 'text', text }] }], stream: false, includeUsage: false, extra: {}, ...over };
}

export function makeCtx(req: ChatRequest, headers: Record<string, string> = {}, rawBody?: unknown): GatewayContext {
  return {
    requestId: 'req-1',
    format: 'openai',
    endpoint: '/v1/chat/completions',
    caller: { keyId: 'k' },
    headers,
    request: req,
    rawBody: Buffer.from(JSON.stringify(rawBody ?? { model: req.model, messages: [] })),
    rewritten: false,
    trail: [],
    attempts: [],
    responseHeaders: {},
    timings: {} as GatewayContext['timings'],
    signal: new AbortController().signal,
    receivedAt: Date.now(),
    callModel: async () => {
      throw new Error('no own calls in this test (scriptedTerminal installs them)');
    },
  };
}

export function response(text: string, finishReason: ChatResponse['finishReason'] = 'stop'): ChatResponse {
  return { id: 'r', model: 'm', created: 0, content: [{ type: 'text', text }], finishReason, usage: { input: 10, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 5, reasoning: 0 } };
}

export function upstreamError(target: Target, errorClass: ErrorClass, status: number, extra: Partial<{ retryAfterMs: number; shouldRetry: boolean; retryable: boolean }> = {}): UpstreamError {
  return new UpstreamError({
    provider: target.provider,
    model: target.model,
    status,
    message: `${errorClass} ${status}`,
    errorClass,
    retryable: extra.retryable ?? !['quota', 'auth', 'client', 'not_found'].includes(errorClass),
    retryAfterMs: extra.retryAfterMs,
    shouldRetry: extra.shouldRetry,
  });
}

/**
 * A terminal next() like the gateway's: answers per target from a script, pushes an AttemptRecord
 * (with cost) for every call, success or failure.
 */
export function scriptedTerminal(ctx: GatewayContext, script: (target: Target, call: number, req: ChatRequest) => ChatResponse | UpstreamError) {
  const calls: Target[] = [];
  const call = (target: Target, req: ChatRequest, purpose?: string): ChatResponse => {
    calls.push(target);
    const out = script(target, calls.length, req);
    const t = Date.now();
    if (out instanceof UpstreamError) {
      ctx.attempts.push({ purpose, provider: target.provider, model: target.model, status: out.status, errorClass: out.errorClass, startedAt: t, endedAt: t, costUsd: 0 });
      throw out;
    }
    ctx.attempts.push({ purpose, provider: target.provider, model: target.model, status: 200, startedAt: t, endedAt: t, usage: out.usage, costUsd: out.usage.input * 1e-6 + out.usage.output * 2e-6 });
    return out;
  };
  const next = async (): Promise<ChatResult> => ({ kind: 'complete', response: call({ ...ctx.target! }, ctx.request), source: 'upstream' });
  // the gateway's own calls (a cascade verifier) go through the same script, tagged with their purpose
  ctx.callModel = async (model, req, opts) => call({ ...MODELS[model]! }, req, opts.purpose);
  return { next, calls };
}

export function record(target: Target, latencyMs: number, ttftMs: number, at: number): RequestRecord {
  return {
    requestId: 'x',
    endpoint: '/v1/chat/completions',
    apiFormat: 'openai',
    requestedModel: 'support-chat',
    provider: target.provider,
    model: target.model,
    stream: false,
    receivedAt: at - latencyMs,
    completedAt: at,
    latencyMs,
    ttftMs,
    overheadMs: 0,
    usage: { input: 1, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 1, reasoning: 0 },
    costUsd: 0,
    trail: [],
    status: 'ok',
    httpStatus: 200,
  };
}
