// The flag store contract (src/stores/flags.ts): every FlagStore runs it.
import { describe, expect, it } from 'vitest';
import type { Flag, FlagStore } from '../../src/stores/flags.js';
import { StoreInputError } from '../../src/stores/types.js';

export type FlagFactory = () => { store: FlagStore | Promise<FlagStore>; reopen?: () => FlagStore | Promise<FlagStore> };

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);
const flag = (name: string, over: Partial<Flag> = {}): Flag => ({ name, value: true, updatedAt: T0, updatedBy: 'key:ops', reason: 'test', ...over });

export function flagContract(name: string, make: FlagFactory): void {
  describe(`FlagStore contract: ${name}`, () => {
    it('sets, replaces and unsets flags, each change audited with who, when, why, before and after', async () => {
      const s = await make().store;
      expect(await s.list()).toEqual([]);
      expect(await s.version()).toBe(0);
      const c1 = await s.set(flag('cheap-only', { target: 'auto', overlay: { maxTier: 'cheap' }, reason: 'P95 over SLA' }));
      expect(c1).toMatchObject({ seq: 1, action: 'set', name: 'cheap-only', by: 'key:ops', at: T0, reason: 'P95 over SLA' });
      expect(c1.before).toBeUndefined();
      const c2 = await s.set(flag('cheap-only', { value: false, updatedAt: T0 + 1, reason: 'resolved' }));
      expect(c2.seq).toBeGreaterThan(c1.seq);
      expect(c2.before).toMatchObject({ value: true, overlay: { maxTier: 'cheap' } });
      expect(c2.after).toMatchObject({ value: false });
      await s.set(flag('banner', { value: 'hello', updatedAt: T0 + 2 }));
      expect((await s.list()).map((f) => [f.name, f.value]).sort()).toEqual([['banner', 'hello'], ['cheap-only', false]]);
      const c3 = await s.unset('banner', { at: T0 + 3, by: 'key:ops', reason: 'done' });
      expect(c3).toMatchObject({ action: 'unset', name: 'banner', before: { value: 'hello' } });
      expect(await s.unset('banner', { at: T0 + 4, by: 'key:ops', reason: 'again' })).toBeNull();
      expect(await s.version()).toBe(c3!.seq);
      const log = await s.audit(10);
      expect(log.map((c) => [c.action, c.name])).toEqual([['unset', 'banner'], ['set', 'banner'], ['set', 'cheap-only'], ['set', 'cheap-only']]);
      expect((await s.audit(2, log[1]!.seq)).map((c) => c.seq)).toEqual([log[2]!.seq, log[3]!.seq]);
      await s.close();
    });

    it('returns copies: changing what it returned changes nothing stored', async () => {
      const s = await make().store;
      await s.set(flag('x', { overlay: { levers: { cache: false } }, target: '*' }));
      const [f] = await s.list();
      f!.overlay!.levers!.cache = true;
      expect((await s.list())[0]!.overlay).toEqual({ levers: { cache: false } });
      await s.close();
    });

    it('refuses an unbounded audit read', async () => {
      const s = await make().store;
      expect(() => s.audit(0)).toThrow(StoreInputError);
      expect(() => s.audit(100_000)).toThrow(StoreInputError);
      await s.close();
    });

    it('keeps flags and their audit across a reopen (when the backend persists)', async () => {
      const f = make();
      if (!f.reopen) return;
      const s = await f.store;
      await s.set(flag('kept', { value: 3 }));
      await s.close();
      const again = await f.reopen();
      expect((await again.list()).map((x) => x.value)).toEqual([3]);
      expect((await again.audit(5)).map((c) => c.name)).toEqual(['kept']);
      expect(await again.version()).toBe(1);
      await again.close();
    });
  });
}
