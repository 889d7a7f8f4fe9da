// The evaluator's bounds: at most `concurrency` calls in flight, at most `queueSize` waiting, the
// rest dropped and counted; the judge's own records are never sampled again. The calls here are
// held open by the test (the gateway's real calls are in shadow.test.ts), so the bounds are exact.

import { describe, expect, it } from 'vitest';
import type { ChatRequest, ChatResponse } from '../../src/core/canonical.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { judgeConfigSchema } from '../../src/quality/config.js';
import { QUALITY_KEY_ID, QualityEvaluator } from '../../src/quality/evaluator.js';
import { PairedRatio, zFor } from '../../src/quality/estimator.js';

const request: ChatRequest = { model: 'm', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'What is 2 + 2?' }] }], stream: false, includeUsage: false, extra: {} };
const response = (text: string): ChatResponse => ({ id: 'r', model: 'm', created: 0, content: [{ type: 'text', text }], finishReason: 'stop', usage: { input: 1, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 1, reasoning: 0 } });
const record = (over: Partial<RequestRecord> = {}): RequestRecord => ({ requestId: 'x', keyId: 'k', status: 'ok', ...over }) as RequestRecord;

describe('QualityEvaluator bounds', () => {
  it('runs at most `concurrency` calls, queues at most `queueSize`, drops and counts the rest', async () => {
    const cfg = judgeConfigSchema.parse({ model: 'judge', sampleRate: 1, concurrency: 2, queueSize: 3 })!;
    const held: (() => void)[] = [];
    let inFlight = 0;
    let peak = 0;
    const q = new QualityEvaluator(cfg, {
      call: (_purpose, _model, _req) =>
        new Promise<ChatResponse>((resolve) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          held.push(() => {
            inFlight--;
            resolve(response('Score: 7'));
          });
        }),
    });
    for (let i = 0; i < 10; i++) q.observe(record(), request, response('4'));
    expect(held.length).toBe(2);
    expect(q.counts.dropped).toBe(5);
    while (held.length) {
      held.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await q.idle();
    expect(peak).toBe(2);
    expect(q.counts.judged).toBe(5);
    expect((q.view() as { meanScore: number }).meanScore).toBeCloseTo(0.7, 10);
  });

  it("never samples its own records, failed requests or cache hits", () => {
    const cfg = judgeConfigSchema.parse({ model: 'judge', sampleRate: 1 })!;
    let calls = 0;
    const q = new QualityEvaluator(cfg, { call: async () => (calls++, response('Score: 1')) });
    q.observe(record({ keyId: QUALITY_KEY_ID }), request, response('4'));
    q.observe(record({ status: 'error' }), request, response('4'));
    q.observe(record({ cacheStatus: 'hit' }), request, response('4'));
    expect(calls).toBe(0);
  });
});

describe('the paired ratio interval', () => {
  it('is the delta-method normal interval', () => {
    expect(zFor(0.95)).toBeCloseTo(1.959964, 5);
    expect(zFor(0.99)).toBeCloseTo(2.575829, 5);
    const r = new PairedRatio();
    const pairs: [number, number][] = [[1, 1], [0, 1], [1, 1], [1, 0], [0, 1], [1, 1], [0, 0], [1, 1]];
    for (const [w, s] of pairs) r.add(w, s);
    const e = r.estimate(0.95);
    const w = pairs.map((p) => p[0]);
    const s = pairs.map((p) => p[1]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const R = mean(w) / mean(s);
    const d = pairs.map(([a, b]) => a - R * b);
    const varD = d.reduce((acc, x) => acc + (x - mean(d)) ** 2, 0) / (d.length - 1);
    const se = Math.sqrt(varD / d.length) / mean(s);
    expect(e.estimate).toBeCloseTo(R, 12);
    expect(e.interval![0]).toBeCloseTo(R - 1.959964 * se, 5);
    expect(e.interval![1]).toBeCloseTo(R + 1.959964 * se, 5);
  });
});
