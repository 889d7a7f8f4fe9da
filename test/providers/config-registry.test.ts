import { describe, expect, it } from 'vitest';
import { createProvider, providerConfigSchema, registerProviderKind, registeredProviderKinds } from '../../src/providers/index.js';
import type { ProviderAdapter } from '../../src/providers/contract.js';

describe('providerConfigSchema', () => {
  it('accepts a full entry and rejects unknown keys, bad URLs and keys written in place of env names', () => {
    const ok = providerConfigSchema.parse({ name: 'gemini', kind: 'openai-compatible', baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai', apiKeyEnv: 'GEMINI_API_KEY', timeoutMs: 30000, connections: 16, maxTokensDefault: 1024, headers: { 'x-a': 'b' } });
    expect(ok.kind).toBe('openai-compatible');
    const issues = (v: unknown) => providerConfigSchema.safeParse(v).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(issues({ name: 'a', kind: 'openai', baseUrl: 'https://x', apiKey: 'sk-1' })).toEqual(['']);
    expect(issues({ name: 'a', kind: 'openai', baseUrl: 'not a url' })).toEqual(['baseUrl']);
    // kind is an open string here: the config loader checks it against the registered kinds (test/config/)
    expect(issues({ name: 'a', kind: 'bedrock', baseUrl: 'https://x' })).toEqual([]);
    expect(issues({ name: 'a', kind: 'openai', baseUrl: 'https://x', apiKeyEnv: 'sk-live-abc' })).toEqual(['apiKeyEnv']);
  });
});

describe('provider registry', () => {
  it('creates built-in kinds, accepts new kinds, and names the unknown one', () => {
    expect(registeredProviderKinds()).toEqual(expect.arrayContaining(['openai', 'anthropic', 'openai-compatible']));
    const fake: ProviderAdapter = { name: 'x', kind: 'echo', wireFormat: 'openai', otelProviderName: 'echo', chat: async () => Promise.reject(new Error('unused')) };
    registerProviderKind('echo', () => fake);
    expect(createProvider({ name: 'x', kind: 'echo' as never, baseUrl: 'http://127.0.0.1:1' })).toBe(fake);
    expect(() => createProvider({ name: 'y', kind: 'nope' as never, baseUrl: 'http://127.0.0.1:1' })).toThrow(/provider "y": unknown kind "nope"/);
  });
});
