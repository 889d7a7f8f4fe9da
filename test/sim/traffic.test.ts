import { describe, expect, it } from 'vitest';
import { drawCall, loadDemoData, startTrafficGenerator, toWire, DEMO_MODELS } from '../../src/demo/traffic.js';
import { Rng } from '../../src/sim/random.js';
import { startSimulator } from '../../src/sim/index.js';

const draws = (seed: number, n: number, cross = 0.15) => {
  const rng = new Rng(seed);
  const data = loadDemoData();
  return Array.from({ length: n }, () => drawCall(rng, data, DEMO_MODELS, cross));
};

describe('demo traffic mix', () => {
  it('loads the bundled data slices', () => {
    const d = loadDemoData();
    expect(d.arena.length).toBe(120);
    expect(d.mmlu.length).toBe(100);
    expect(d.mtBench.length).toBe(80);
    expect(d.faq.length).toBe(40);
  });

  it('is deterministic for a seed and varied across seeds', () => {
    expect(draws(5, 50)).toEqual(draws(5, 50));
    expect(draws(6, 50)).not.toEqual(draws(5, 50));
  });

  it('mixes formats, streaming, system prompts, tools, sources and models, and repeats FAQ questions', () => {
    const calls = draws(9, 400);
    const count = (f: (c: (typeof calls)[number]) => boolean) => calls.filter(f).length;
    expect(count((c) => c.format === 'openai')).toBeGreaterThan(100);
    expect(count((c) => c.format === 'anthropic')).toBeGreaterThan(60);
    // cross-format calls exist (the gateway translates them)
    expect(count((c) => c.format === 'anthropic' && !c.model.startsWith('claude'))).toBeGreaterThan(0);
    expect(count((c) => c.stream)).toBeGreaterThan(120);
    expect(count((c) => !c.stream)).toBeGreaterThan(120);
    expect(count((c) => c.system !== undefined)).toBeGreaterThan(100);
    expect(count((c) => c.tools)).toBeGreaterThan(5);
    for (const k of ['faq', 'arena', 'mmlu', 'mt-bench'] as const) expect(count((c) => c.kind === k)).toBeGreaterThan(30);
    expect(new Set(calls.map((c) => c.model))).toEqual(new Set(DEMO_MODELS));
    const faq = calls.filter((c) => c.kind === 'faq').map((c) => c.messages[0]!.content);
    expect(new Set(faq).size).toBeLessThan(faq.length / 2);
    // the FAQ system prompt is long enough for provider prompt caching
    const wire = toWire(calls.find((c) => c.kind === 'faq' && c.format === 'anthropic')!, 'k');
    expect((wire.body.system as { cache_control?: unknown }[])[0]!.cache_control).toEqual({ type: 'ephemeral' });
  });
});

describe('traffic generator against the simulator', () => {
  it('sends a mix of calls that all succeed, in both formats and across models', async () => {
    const sim = await startSimulator({ latencyScale: 0 });
    const gen = startTrafficGenerator({ gatewayUrl: sim.url, ratePerSec: 40, seed: 3, crossFormatShare: 0 });
    try {
      while (gen.stats().ok < 40) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await gen.stop();
    }
    const s = gen.stats();
    expect(s.failed).toBe(0);
    expect(s.ok).toBe(s.sent);
    const stats = await (await fetch(`${sim.url}/_sim/stats`)).json();
    const byModel = stats.requests as Record<string, number>;
    expect(Object.keys(byModel).filter((m) => m.startsWith('claude')).length).toBeGreaterThan(0);
    expect(Object.keys(byModel).filter((m) => m.startsWith('gpt')).length).toBeGreaterThan(0);
    await sim.close();
  });

  it('counts failed calls (faults injected by the simulator)', async () => {
    const sim = await startSimulator({ latencyScale: 0, models: Object.fromEntries(DEMO_MODELS.map((m) => [m, { faults: [{ kind: '500' as const }] }])) });
    const gen = startTrafficGenerator({ gatewayUrl: sim.url, ratePerSec: 40, seed: 4, crossFormatShare: 0 });
    try {
      while (gen.stats().failed < 5) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await gen.stop();
    }
    expect(gen.stats().ok).toBe(0);
    await sim.close();
  });
});
