// The alert store contract (src/stores/alerts.ts): every AlertStore runs it.
import { describe, expect, it } from 'vitest';
import type { AlertStore } from '../../src/stores/alerts.js';
import { StoreInputError } from '../../src/stores/types.js';

export type AlertStoreFactory = () => { store: AlertStore; reopen?: () => AlertStore };

export function alertStoreContract(name: string, make: AlertStoreFactory): void {
  describe(`AlertStore contract: ${name}`, () => {
    it('appends events, reads them newest first, by rule, paged by seq, bounded', async () => {
      const s = make().store;
      const a = await s.append({ at: 1, rule: 'spend', state: 'firing', value: 3, threshold: 1, delivered: ['hook'], detail: { x: 1 } });
      const b = await s.append({ at: 2, rule: 'errors', state: 'firing', value: 0.5, threshold: 0.1, delivered: [], failed: [{ channel: 'hook', error: 'HTTP 500' }] });
      const c = await s.append({ at: 3, rule: 'spend', state: 'resolved', value: 0.5, threshold: 1, delivered: ['hook'] });
      expect(b.seq).toBeGreaterThan(a.seq);
      expect((await s.history(10)).map((e) => e.seq)).toEqual([c.seq, b.seq, a.seq]);
      expect((await s.history(10, undefined, 'spend')).map((e) => e.state)).toEqual(['resolved', 'firing']);
      expect(await s.history(10, c.seq)).toEqual([b, a]);
      expect(() => s.history(0)).toThrow(StoreInputError);
      expect(() => s.history(501)).toThrow(StoreInputError);
      await s.close();
    });

    it('keeps rules added at run time by name, replaced whole', async () => {
      const s = make().store;
      await s.putRule('p95', { name: 'p95', metric: 'p95_latency_ms', threshold: 1000 });
      await s.putRule('p95', { name: 'p95', metric: 'p95_latency_ms', threshold: 2000 });
      expect(await s.rules()).toEqual([{ name: 'p95', metric: 'p95_latency_ms', threshold: 2000 }]);
      expect(await s.deleteRule('p95')).toBe(true);
      expect(await s.deleteRule('p95')).toBe(false);
      expect(await s.rules()).toEqual([]);
      await s.close();
    });

    it('keeps history and rules across a reopen (when the backend persists)', async () => {
      const f = make();
      if (!f.reopen) return;
      await f.store.append({ at: 1, rule: 'r', state: 'firing', value: 1, threshold: 0, delivered: [] });
      await f.store.putRule('r2', { name: 'r2' });
      await f.store.close();
      const again = f.reopen();
      expect((await again.history(5)).map((e) => e.rule)).toEqual(['r']);
      expect(await again.rules()).toEqual([{ name: 'r2' }]);
      await again.close();
    });
  });
}
