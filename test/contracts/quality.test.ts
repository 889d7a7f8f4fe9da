// The quality store contract (src/stores/quality.ts), run for every implementation.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { MemoryQualityStore } from '../../src/stores/memory/quality-store.js';
import { SqliteQualityStore } from '../../src/stores/sqlite/quality-store.js';
import type { LeverQualityState, QualityStore } from '../../src/stores/quality.js';
import { tempDataDir } from '../ledger/fixtures.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const state = (lever: LeverQualityState['lever'], name: string, threshold: number | null, tightened = 0): LeverQualityState => ({
  lever,
  name,
  baseThreshold: lever === 'cache' ? 0.9 : null,
  threshold,
  tightened,
  ...(tightened ? { lastTightening: { at: 5, from: 0.9, to: threshold!, bound: 0.01, estimate: 0.2 } } : {}),
  evidence: lever === 'cache' ? { n: 40, k: 8 } : { n: 3, sw: 2, ss: 3, sww: 2, sss: 3, sws: 2 },
  updatedAt: 10,
});

function contract(name: string, make: () => { store: QualityStore; reopen?: () => QualityStore }): void {
  describe(`QualityStore contract: ${name}`, () => {
    it('keeps one state per lever and name, replaced whole, and returns copies', async () => {
      const s = make().store;
      await s.put(state('cache', 'faq', 0.9));
      await s.put(state('router', 'faq', null));
      await s.put(state('cache', 'faq', 0.91, 1));
      const list = await s.list();
      expect(list.map((x) => [x.lever, x.name, x.threshold, x.tightened])).toEqual([
        ['cache', 'faq', 0.91, 1],
        ['router', 'faq', null, 0],
      ]);
      list[0]!.evidence.n = 0;
      expect((await s.list())[0]!.evidence.n).toBe(40);
      await s.close();
    });
    it('keeps them across a reopen (when the backend persists)', async () => {
      const f = make();
      if (!f.reopen) return;
      await f.store.put(state('cache', 'kept', 0.95, 2));
      await f.store.close();
      const again = f.reopen();
      expect(await again.list()).toEqual([state('cache', 'kept', 0.95, 2)]);
      await again.close();
    });
  });
}

contract('memory', () => ({ store: new MemoryQualityStore() }));
contract('sqlite', () => {
  const dir = tempDataDir('tollgate-quality-');
  dirs.push(dir);
  return { store: SqliteQualityStore.open(dir), reopen: () => SqliteQualityStore.open(dir) };
});
