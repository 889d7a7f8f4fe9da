// The cache persistence contract (src/stores/cache-persistence.ts): every CachePersistence runs it.
import { describe, expect, it } from 'vitest';
import type { CacheEntry, CachePersistence } from '../../src/stores/cache-persistence.js';

/** `reopen` gives a handle on the same data (after close), like the next start of the gateway */
export type CachePersistenceFactory = () => { open: () => CachePersistence | Promise<CachePersistence> };

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);

export function entry(id: number, over: Partial<CacheEntry> = {}): CacheEntry {
  return {
    id,
    key: `k${id}`,
    scope: id % 2 ? 'team-a' : '',
    name: 'default',
    policyVersion: 'v1',
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
    tags: ['faq', `n${id}`],
    response: {
      id: `chatcmpl-${id}`,
      model: 'gpt-4o-mini',
      content: [{ type: 'text', text: `answer ${id} ✓` }],
      finishReason: 'stop',
      usage: { input: 10, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 3, reasoning: 0 },
    } as unknown as CacheEntry['response'],
    latencyMs: 120.5,
    // the store's own accounting; a persistence hands back 0 and the store recounts
    bytes: 0,
    target: { provider: 'openai', model: 'gpt-4o-mini' },
    ...(id % 3 === 0 ? { contextHash: 'ctx', query: `what is ${id}?`, embedder: 'builtin', embedding: new Float32Array([0.1 * id, -0.5, 1e-7, 3.25]) } : {}),
    ...over,
  };
}

export function cachePersistenceContract(name: string, make: CachePersistenceFactory): void {
  describe(`CachePersistence contract: ${name}`, () => {
    it('entries put come back whole (vectors included), in id order, after a reopen', async () => {
      const f = make();
      const p = await f.open();
      const es = [3, 1, 2, 6].map((i) => entry(i));
      await p.write({ put: es, delete: [] });
      await p.close();
      const q = await f.open();
      const back = await q.loadAll(T0, 100);
      expect(back.map((e) => e.id)).toEqual([1, 2, 3, 6]);
      expect(back).toEqual([1, 2, 3, 6].map((i) => entry(i)));
      expect(back[2]!.embedding).toBeInstanceOf(Float32Array);
      await q.close();
    });

    it('put replaces by id; deletes and puts land together; an entry deleted in its own batch is not written', async () => {
      const f = make();
      const p = await f.open();
      await p.write({ put: [entry(1), entry(2), entry(3)], delete: [] });
      await p.write({ put: [entry(2, { tags: ['changed'] }), entry(4), entry(5)], delete: [1, 5] });
      await p.close();
      const q = await f.open();
      const back = await q.loadAll(T0, 100);
      expect(back.map((e) => e.id)).toEqual([2, 3, 4]);
      expect(back[0]!.tags).toEqual(['changed']);
      await q.close();
    });

    it('loadAll drops expired entries and all but the newest maxEntries, for good', async () => {
      const f = make();
      const p = await f.open();
      await p.write({ put: Array.from({ length: 10 }, (_, i) => entry(i + 1, { expiresAt: i === 8 ? T0 + 10 : T0 + 3_600_000 })), delete: [] });
      expect((await p.loadAll(T0 + 10, 4)).map((e) => e.id)).toEqual([6, 7, 8, 10]); // 9 expired at T0 + 10
      await p.close();
      const q = await f.open();
      expect((await q.loadAll(T0, 100)).map((e) => e.id)).toEqual([6, 7, 8, 10]); // the dropped ones are gone
      expect(await q.loadAll(T0, 0)).toEqual([]);
      await q.close();
    });

    it('a stored entry is a copy: changing the caller object after write changes nothing', async () => {
      const f = make();
      const p = await f.open();
      const e = entry(3);
      await p.write({ put: [e], delete: [] });
      e.tags.push('mutated');
      e.embedding![0] = 42;
      const back = await p.loadAll(T0, 10);
      expect(back[0]!.tags).toEqual(['faq', 'n3']);
      expect(back[0]!.embedding![0]).toBeCloseTo(0.3, 6);
      await p.close();
    });
  });
}
