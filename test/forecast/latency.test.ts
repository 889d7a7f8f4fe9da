// The latency model of price-only replay: the simulator's per-model figures, and a per-minute
// request limit that makes arrivals beyond it wait for the window to move.

import { describe, expect, it } from 'vitest';
import { Histogram, LatencyModel } from '../../src/forecast/replay/latency.js';

const usage = { input: 1000, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 110, reasoning: 0 };

describe('LatencyModel', () => {
  it('queue + TTFT + prefill per uncached token + decode, from the simulator settings of gpt-4o', () => {
    const m = new LatencyModel();
    const l = m.latency('gpt-4o', usage, 0);
    // 20 queue + 450 ttft + 0.05 x 1000 prefill = 520; + 110 tokens at 110/s = 1 s
    expect(l.ttftMs).toBeCloseTo(520, 6);
    expect(l.latencyMs).toBeCloseTo(1520, 6);
    expect(m.latency('gpt-4o', { ...usage, input: 0, cacheRead: 1000 }, 1).ttftMs).toBeCloseTo(470, 6);
  });

  it('beyond the requests-per-minute limit, a request waits until the oldest leaves the window', () => {
    const m = new LatencyModel({ 'gpt-4o': { requestsPerMin: 2 } });
    expect(m.latency('gpt-4o', usage, 0).waitMs).toBe(0);
    expect(m.latency('gpt-4o', usage, 1000).waitMs).toBe(0);
    expect(m.latency('gpt-4o', usage, 2000).waitMs).toBe(58_000);
    expect(m.queuedRequests).toBe(1);
    // a minute later the window has room again
    expect(m.latency('gpt-4o', usage, 200_000).waitMs).toBe(0);
  });
});

describe('Histogram', () => {
  it('nearest-rank percentiles within 1%', () => {
    const h = new Histogram();
    for (let i = 1; i <= 1000; i++) h.add(i);
    expect(Math.abs(h.percentile(50) - 500) / 500).toBeLessThan(0.01);
    expect(Math.abs(h.percentile(95) - 950) / 950).toBeLessThan(0.01);
    expect(h.n).toBe(1000);
  });
});
