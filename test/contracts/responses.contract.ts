// The response store contract (src/stores/responses.ts): every ResponseStore runs it.
import { describe, expect, it } from 'vitest';
import { storedBytes, type ResponseStore, type StoredResponse } from '../../src/stores/responses.js';
import { StoreInputError } from '../../src/stores/types.js';

/** a store with the given cap; `reopen` (when the backend persists) gives a new handle on the same data */
export type ResponseStoreFactory = (maxTotalBytes: number) => { store: ResponseStore; reopen?: () => ResponseStore };

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);
const DAY = 86_400_000;

export function entry(id: string, opts: Partial<StoredResponse> & { pad?: number } = {}): StoredResponse {
  const inputItems = JSON.stringify([{ id: `msg_${id}_i0`, type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x'.repeat(opts.pad ?? 10) }] }]);
  const response = JSON.stringify({ id, object: 'response', output: [{ id: `msg_${id}_o0`, type: 'message' }] });
  const { pad: _p, ...rest } = opts;
  return {
    id,
    scope: 'team:a',
    createdAt: T0,
    expiresAt: T0 + 30 * DAY,
    model: 'gpt-4o',
    itemIds: [`msg_${id}_i0`, `msg_${id}_o0`],
    inputItems,
    response,
    bytes: storedBytes(inputItems, response),
    ...rest,
  };
}

export function responseStoreContract(name: string, make: ResponseStoreFactory): void {
  describe(`ResponseStore contract: ${name}`, () => {
    it('puts and gets back an entry as it was put, at once and after a reopen', async () => {
      const f = make(1 << 20);
      const e = { ...entry('resp_1'), upstreamProvider: 'openai' };
      await f.store.put(e);
      expect(await f.store.get('team:a', 'resp_1', T0)).toEqual(e);
      expect(await f.store.getByItem('team:a', 'msg_resp_1_o0', T0)).toEqual(e);
      expect(await f.store.getByItem('team:a', 'msg_resp_1_i0', T0)).toEqual(e);
      await f.store.close();
      if (f.reopen) {
        const again = f.reopen();
        expect(await again.get('team:a', 'resp_1', T0)).toEqual(e);
        expect(await again.stats()).toEqual({ entries: 1, bytes: e.bytes });
        await again.close();
      }
    });

    it("another scope's id is not found: get, getByItem and delete all answer as if it did not exist", async () => {
      const { store } = make(1 << 20);
      await store.put(entry('resp_1'));
      expect(await store.get('team:b', 'resp_1', T0)).toBeUndefined();
      expect(await store.getByItem('team:b', 'msg_resp_1_o0', T0)).toBeUndefined();
      expect(await store.delete('team:b', 'resp_1')).toBe(false);
      expect(await store.get('team:a', 'resp_1', T0)).toBeDefined();
      // the same id in two scopes is two entries
      await store.put(entry('resp_1', { scope: 'team:b', model: 'claude-sonnet-4' }));
      expect((await store.get('team:a', 'resp_1', T0))!.model).toBe('gpt-4o');
      expect((await store.get('team:b', 'resp_1', T0))!.model).toBe('claude-sonnet-4');
      await store.close();
    });

    it('expired entries are never returned, and sweep removes them', async () => {
      const { store } = make(1 << 20);
      await store.put(entry('resp_old', { expiresAt: T0 + 1000 }));
      await store.put(entry('resp_new'));
      expect(await store.get('team:a', 'resp_old', T0 + 999)).toBeDefined();
      expect(await store.get('team:a', 'resp_old', T0 + 1000)).toBeUndefined();
      expect(await store.getByItem('team:a', 'msg_resp_old_o0', T0 + 1000)).toBeUndefined();
      expect(await store.sweep(T0 + 1000)).toBe(1);
      expect(await store.sweep(T0 + 1000)).toBe(0);
      expect((await store.stats()).entries).toBe(1);
      expect(await store.get('team:a', 'resp_new', T0 + 1000)).toBeDefined();
      await store.close();
    });

    it('delete removes the entry and its items; a second delete is false', async () => {
      const { store } = make(1 << 20);
      await store.put(entry('resp_1'));
      expect(await store.delete('team:a', 'resp_1')).toBe(true);
      expect(await store.get('team:a', 'resp_1', T0)).toBeUndefined();
      expect(await store.getByItem('team:a', 'msg_resp_1_o0', T0)).toBeUndefined();
      expect(await store.delete('team:a', 'resp_1')).toBe(false);
      expect(await store.stats()).toEqual({ entries: 0, bytes: 0 });
      await store.close();
    });

    it('put replaces by id; getByItem finds the newest entry holding an item', async () => {
      const { store } = make(1 << 20);
      await store.put(entry('resp_1'));
      await store.put(entry('resp_1', { model: 'gpt-4o-mini' }));
      expect((await store.get('team:a', 'resp_1', T0))!.model).toBe('gpt-4o-mini');
      expect((await store.stats()).entries).toBe(1);
      // a later turn holds the earlier item too (its history)
      await store.put(entry('resp_2', { createdAt: T0 + 1, itemIds: ['msg_resp_1_o0', 'msg_resp_2_o0'] }));
      expect((await store.getByItem('team:a', 'msg_resp_1_o0', T0))!.id).toBe('resp_2');
      await store.close();
    });

    it('stays under maxTotalBytes, evicting the oldest first; an entry larger than the cap is refused', async () => {
      const one = entry('resp_0', { pad: 1000 }).bytes;
      const { store } = make(one * 3);
      for (let i = 0; i < 5; i++) await store.put(entry(`resp_${i}`, { pad: 1000, createdAt: T0 + i }));
      const stats = await store.stats();
      expect(stats.bytes).toBeLessThanOrEqual(one * 3);
      expect(stats.entries).toBe(3);
      expect(await store.get('team:a', 'resp_0', T0)).toBeUndefined();
      expect(await store.get('team:a', 'resp_1', T0)).toBeUndefined();
      expect(await store.get('team:a', 'resp_4', T0)).toBeDefined();
      expect(() => store.put(entry('resp_big', { pad: one * 4 }))).toThrow(StoreInputError);
      await store.close();
    });
  });
}
