// Every lever in the registry runs the stage contract, built through its Lever definition with the
// engine's real dependencies (pricing, registry, own calls; providers that are never reached).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { demoConfig } from '../../src/config/demo.js';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import { createOwnCalls } from '../../src/engine/own-calls.js';
import { Pricing } from '../../src/engine/pricing.js';
import { LEVERS } from '../../src/levers/registry.js';
import { ModelRegistry } from '../../src/pipeline/model-registry.js';
import { runPipeline, type ChatResult, type Stage } from '../../src/pipeline/stage.js';
import { createProvider } from '../../src/providers/registry.js';
import '../../src/providers/index.js';
import { GatewayMetrics } from '../../src/telemetry/metrics.js';
import { createContext } from '../../src/engine/context.js';
import { stageContract } from './stages.contract.js';

async function build(name: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-contract-'));
  // the demo's levers: a route, the cache on it, prompt caching, retries; nothing is reachable
  const config = resolveConfig(demoConfig({ simUrl: 'http://127.0.0.1:9', dataDir, levers: true }), '(contract)', {});
  const providers = new Map(config.providers.map((p) => [p.name, createProvider(p)]));
  const registry = new ModelRegistry(config.models, Object.keys(config.routes ?? {}));
  const pricing = new Pricing(PriceCatalog.load(config.prices), registry);
  const own = createOwnCalls({ registry, providers, pricing });
  const lever = LEVERS.find((l) => l.name === name)!;
  const stage = await lever.create(config, { dataDir, costOf: pricing.cost, registry, providers, metrics: new GatewayMetrics(), own });
  const route = Object.keys(config.routes ?? {})[0];
  return { stage, own, request: () => ({ model: name === 'router' && route ? route : 'gpt-4o-mini', system: [], messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'contract' }] }], stream: false, includeUsage: false, extra: {}, maxTokens: 16 }) };
}

for (const lever of LEVERS) describe(`lever ${lever.name}`, () => stageContract(lever.name, () => build(lever.name)));

describe('runPipeline', () => {
  const own = { chat: async () => Promise.reject(new Error('none')), embed: async () => [] };
  const stage = (name: string, log: string[], times = 1): Stage => ({
    name,
    async handle(_ctx, next) {
      log.push(`${name}>`);
      let out: ChatResult | undefined;
      for (let i = 0; i < times; i++) out = await next();
      log.push(`<${name}`);
      return out!;
    },
  });

  it('runs the stages in order around the terminal', async () => {
    const log: string[] = [];
    const ctx = createContext({ format: 'openai', endpoint: '/v1/chat/completions', headers: {} }, own);
    await runPipeline([stage('a', log), stage('b', log)], ctx, async () => {
      log.push('upstream');
      return { kind: 'complete', response: { id: '', model: '', created: 0, content: [], finishReason: 'stop', usage: { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 } }, source: 'upstream' };
    });
    expect(log).toEqual(['a>', 'b>', 'upstream', '<b', '<a']);
  });

  it('a stage that calls next() again runs the rest of the pipeline again', async () => {
    const log: string[] = [];
    const ctx = createContext({ format: 'openai', endpoint: '/v1/chat/completions', headers: {} }, own);
    await runPipeline([stage('retry', log, 2), stage('b', log)], ctx, async () => {
      log.push('upstream');
      return { kind: 'complete', response: { id: '', model: '', created: 0, content: [], finishReason: 'stop', usage: { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 } }, source: 'upstream' };
    });
    expect(log).toEqual(['retry>', 'b>', 'upstream', '<b', 'b>', 'upstream', '<b', '<retry']);
  });

  it('with no stages the terminal answers', async () => {
    const ctx = createContext({ format: 'openai', endpoint: '/v1/chat/completions', headers: {} }, own);
    const out = await runPipeline([], ctx, async () => ({ kind: 'stream', chunks: (async function* () {})(), source: 'upstream' }));
    expect(out.kind).toBe('stream');
  });
});
