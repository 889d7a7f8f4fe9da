// The synthetic ledger: deterministic, exactly `count` records in time order inside the range, and
// each record's savedByLever telescopes like the gateway's (costUsd + Σ = the counterfactual).
import { describe, expect, it } from 'vitest';
import { syntheticRecords } from '../../src/insights/synthetic-ledger.js';
import { rowOf } from '../../src/stores/ledger.js';

const FROM = Date.UTC(2026, 10, 1);
const TO = FROM + 3 * 86_400_000;

describe('syntheticRecords', () => {
  it('is deterministic, exact in count, ordered, inside the range, and storable', () => {
    const a = [...syntheticRecords({ from: FROM, to: TO, count: 5000, seed: 9 })];
    const b = [...syntheticRecords({ from: FROM, to: TO, count: 5000, seed: 9 })];
    expect(a).toHaveLength(5000);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify([...syntheticRecords({ from: FROM, to: TO, count: 5000, seed: 10 })]));
    for (let i = 0; i < a.length; i++) {
      expect(a[i]!.receivedAt).toBeGreaterThanOrEqual(FROM);
      expect(a[i]!.receivedAt).toBeLessThan(TO);
      if (i) expect(a[i]!.receivedAt).toBeGreaterThanOrEqual(a[i - 1]!.receivedAt);
      expect(() => rowOf(a[i]!)).not.toThrow();
    }
    expect(new Set(a.map((r) => r.requestId)).size).toBe(5000);
    // a believable mix: several models, routes and teams, errors and cache hits
    expect(new Set(a.map((r) => r.model)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(a.map((r) => r.team)).size).toBe(5);
    expect(a.some((r) => r.status === 'error')).toBe(true);
    expect(a.some((r) => r.cacheStatus === 'hit')).toBe(true);
    expect(a.some((r) => r.promptCache?.writeTokens)).toBe(true);
  });

  it('costUsd + Σ savedByLever is the counterfactual: the baseline cost when answered, 0 when not', () => {
    for (const r of syntheticRecords({ from: FROM, to: TO, count: 3000, seed: 4 })) {
      const cf = r.costUsd + Object.values(r.savedByLever ?? {}).reduce((s, v) => s + v, 0);
      expect(cf).toBeCloseTo(r.status === 'ok' ? r.baselineCostUsd! : 0, 12);
      const inputUsd = Object.values(r.costByComponent ?? {}).reduce((s, v) => s + v, 0);
      expect(inputUsd).toBeLessThanOrEqual(r.costUsd + 1e-12);
    }
  });
});
