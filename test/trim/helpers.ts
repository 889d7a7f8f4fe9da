// Fixtures for the trim tests: conversations built from real text, the stage with the engine's
// real pricing (the price catalog, the demo's models), and a context as the engine makes it.
import type { ChatRequest, Message } from '../../src/core/canonical.js';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import { createContext } from '../../src/engine/context.js';
import { Pricing } from '../../src/engine/pricing.js';
import { createTrimStage, type ProviderCacheInfo } from '../../src/levers/trim/stage.js';
import type { TrimConfigInput } from '../../src/levers/trim/config.js';
import { ModelRegistry } from '../../src/pipeline/model-registry.js';
import type { ChatResult, GatewayContext } from '../../src/pipeline/stage.js';

export const MODELS = [
  { name: 'gpt-4o', provider: 'sim-openai', price: { provider: 'openai', model: 'gpt-4o' } },
  { name: 'gpt-4o-mini', provider: 'sim-openai', price: { provider: 'openai', model: 'gpt-4o-mini' } },
  { name: 'claude-sonnet-4', provider: 'sim-anthropic', price: { provider: 'anthropic', model: 'claude-sonnet-4' } },
];

export function pricing(): Pricing {
  const registry = new ModelRegistry(MODELS, []);
  return new Pricing(PriceCatalog.load(), registry);
}

export const noBreakpoints: ProviderCacheInfo = { breakpoints: (_r, _m, req) => req.system.some((p) => p.cacheControl), ttlSeconds: () => 300 };

export function stage(config: TrimConfigInput, providerCache: ProviderCacheInfo = noBreakpoints) {
  const p = pricing();
  const registry = new ModelRegistry(MODELS, []);
  return createTrimStage(config, { costOf: p.cost, resolveModel: (n) => registry.resolve(n)?.target, providerCache });
}

const own = { chat: async () => Promise.reject(new Error('no own calls in this test')), embed: async () => [] };

export function ctxFor(request: ChatRequest, opts: { headers?: Record<string, string>; target?: { provider: string; model: string } } = {}): GatewayContext {
  const ctx = createContext({ format: 'openai', endpoint: '/v1/chat/completions', headers: opts.headers ?? {} }, own);
  ctx.request = request;
  ctx.target = opts.target ?? { provider: 'sim-openai', model: request.model };
  return ctx;
}

/** a downstream that records what it was given */
export function downstream() {
  const seen: ChatRequest[] = [];
  const next = async (ctx: GatewayContext): Promise<ChatResult> => {
    seen.push(ctx.request);
    return { kind: 'complete', source: 'upstream', response: { id: 'x', model: ctx.request.model, created: 0, content: [{ type: 'text', text: 'ok' }], finishReason: 'stop', usage: { input: 10, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 1, reasoning: 0 } } };
  };
  return { seen, next };
}

export const user = (text: string, over: Partial<Message> = {}): Message => ({ role: 'user', content: [{ type: 'text', text }], ...over });
export const assistant = (text: string): Message => ({ role: 'assistant', content: [{ type: 'text', text }] });

export function request(messages: Message[], over: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'gpt-4o', system: [{ type: 'text', text: 'You are a helpful assistant.' }], messages, stream: false, includeUsage: false, extra: {}, ...over };
}

/** n turns of user/assistant text, each about `words` words long */
export function conversation(turns: number, words = 50, topic = (i: number) => `topic${i}`): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < turns; i++) {
    out.push(user(`Question ${i} about ${topic(i)}: ${'explain the details of this subject please '.repeat(Math.ceil(words / 7)).trim()}`));
    if (i < turns - 1) out.push(assistant(`Answer ${i} on ${topic(i)}: ${'here is what matters about it in practice '.repeat(Math.ceil(words / 8)).trim()}`));
  }
  return out;
}
