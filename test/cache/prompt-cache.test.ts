import { describe, expect, it } from 'vitest';
import { createPromptCacheStage, injectBreakpoints } from '../../src/levers/cache/prompt-cache.js';
import { context, request, upstream } from './helpers.js';
import type { ChatRequest } from '../../src/core/canonical.js';

const long = (n: number) => 'static policy text. '.repeat(Math.ceil(n / 20)).slice(0, n);

function agentRequest(): ChatRequest {
  return request('latest question', {
    model: 'claude-sonnet-4',
    tools: [{ name: 'search', description: long(5000), parameters: { type: 'object' } }],
    system: [{ type: 'text', text: long(6000) }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: long(8000) }] },
      { role: 'assistant', content: [{ type: 'text', text: 'noted' }] },
      { role: 'user', content: [{ type: 'text', text: 'latest question' }] },
    ],
  });
}

describe('Anthropic prompt-cache breakpoints', () => {
  it('places breakpoints on tools, system and history, with 1h before 5m', () => {
    const { request: r, added } = injectBreakpoints(agentRequest(), { minTokens: 1024, maxBreakpoints: 4, ttl: '5m', staticTtl: '1h', charsPerToken: 4 });
    expect(added).toBe(3);
    expect(r.tools![0]!.cacheControl).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(r.system[0]!.cacheControl).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect((r.messages[1]!.content[0] as { cacheControl?: unknown }).cacheControl).toEqual({ type: 'ephemeral' });
    expect((r.messages[2]!.content[0] as { cacheControl?: unknown }).cacheControl).toBeUndefined();
  });

  it('respects the minimum cacheable length and the four-breakpoint limit', () => {
    const short = request('hi', { model: 'claude-sonnet-4', system: [{ type: 'text', text: 'be brief' }] });
    expect(injectBreakpoints(short, { minTokens: 1024, maxBreakpoints: 4, ttl: '5m', charsPerToken: 4 }).added).toBe(0);
    const req = agentRequest();
    req.system = [{ type: 'text', text: long(6000), cacheControl: { type: 'ephemeral' } }];
    req.messages[0]!.content = [{ type: 'text', text: long(8000), cacheControl: { type: 'ephemeral' } }];
    req.tools![0]!.cacheControl = { type: 'ephemeral' };
    const { request: r, added } = injectBreakpoints(req, { minTokens: 1024, maxBreakpoints: 4, ttl: '5m', staticTtl: '1h', charsPerToken: 4 });
    expect(added).toBe(1);
    const all = [r.tools![0]!.cacheControl, r.system[0]!.cacheControl, ...r.messages.flatMap((m) => m.content.map((p) => ('cacheControl' in p ? p.cacheControl : undefined)))].filter(Boolean);
    expect(all.length).toBe(4);
    // a client 5m breakpoint came first: nothing after it may be 1h
    expect(all.every((c) => c!.ttl !== '1h')).toBe(true);
  });

  it('as a stage: rewrites only enabled routes on Claude, measures repeated prefixes, warns on variable content first', async () => {
    const stage = createPromptCacheStage({ routes: { agent: { promptCache: { enabled: true } } } });
    const up = upstream();
    const c1 = context(agentRequest(), { route: 'agent' });
    c1.target = { provider: 'anthropic', model: 'claude-sonnet-4' };
    await stage.handle(c1, up.complete);
    expect(c1.rewritten).toBe(true);
    expect(c1.trail.find((t) => t.decision === 'breakpoints')).toBeDefined();
    const c2 = context(agentRequest(), { route: 'agent' });
    await stage.handle(c2, up.complete);
    expect(stage.stats().agent!.cacheablePrefixShare).toBeGreaterThan(0.4);
    const other = context(agentRequest(), { route: 'other' });
    await stage.handle(other, up.complete);
    expect(other.rewritten).toBe(false);
    const dated = request('q', { system: [{ type: 'text', text: `Today is 2025-03-14 and the user is user: alice. ${long(2000)}` }] });
    const c3 = context(dated);
    await stage.handle(c3, up.complete);
    expect(c3.trail.find((t) => t.decision === 'warn')?.data).toMatchObject({ kind: 'date', segment: 'system' });
  });
});
