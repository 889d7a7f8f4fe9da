// The budget store contract (src/stores/budgets.ts): every BudgetStore runs it.
import { describe, expect, it } from 'vitest';
import type { BudgetStore, StoredBudget } from '../../src/stores/budgets.js';
import { StoreInputError } from '../../src/stores/types.js';

export type BudgetStoreFactory = () => { store: BudgetStore; reopen?: () => BudgetStore };

const b = (over: Partial<StoredBudget> = {}): StoredBudget => ({ scope: 'team', id: 'search', period: 'month', limitUsd: 100, action: 'reject', source: 'store', updatedAt: 1, ...over });

export function budgetStoreContract(name: string, make: BudgetStoreFactory): void {
  describe(`BudgetStore contract: ${name}`, () => {
    it('puts, replaces by (scope, id, period), lists in identity order and deletes', async () => {
      const f = make();
      const s = f.store;
      await s.put(b({ id: 'z' }));
      await s.put(b({ scope: 'key', id: 'app', period: 'day', limitUsd: 5, thresholds: [0.5, 1], timeZone: 'Europe/Paris' }));
      await s.put(b({ id: 'z', limitUsd: 7 }));
      await s.put(b({ id: 'z', period: 'day', limitUsd: 1 }));
      const all = await s.list();
      expect(all.map((x) => `${x.scope}/${x.id}/${x.period}/${x.limitUsd}`)).toEqual(['key/app/day/5', 'team/z/day/1', 'team/z/month/7']);
      expect(all[0]).toEqual(b({ scope: 'key', id: 'app', period: 'day', limitUsd: 5, thresholds: [0.5, 1], timeZone: 'Europe/Paris' }));
      expect(await s.delete('team', 'z', 'day')).toBe(true);
      expect(await s.delete('team', 'z', 'day')).toBe(false);
      expect((await s.list()).length).toBe(2);
      await s.close();
      if (f.reopen) {
        const again = f.reopen();
        expect((await again.list()).map((x) => `${x.scope}/${x.id}/${x.period}/${x.limitUsd}`)).toEqual(['key/app/day/5', 'team/z/month/7']);
        await again.close();
      }
    });

    it('refuses malformed budgets with a StoreInputError', async () => {
      const s = make().store;
      expect(() => s.put(b({ limitUsd: -1 }))).toThrow(StoreInputError);
      expect(() => s.put(b({ scope: 'org' as 'team' }))).toThrow(StoreInputError);
      expect(() => s.put(b({ id: '' }))).toThrow(StoreInputError);
      expect(() => s.put(b({ period: 'week' as 'day' }))).toThrow(StoreInputError);
      expect(await s.list()).toEqual([]);
      await s.close();
    });
  });
}
