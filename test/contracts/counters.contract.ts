// The counter store contract (src/stores/counters.ts): every CounterStore runs it. Clocks are
// injected, so windows roll exactly where a test says, never with the machine's speed.
import { describe, expect, it } from 'vitest';
import type { CounterStore, CounterWindow } from '../../src/stores/counters.js';
import { StoreInputError } from '../../src/stores/types.js';

/** a store on the given clock; `second` opens another handle on the same data where the backend has one */
export interface CounterFactory {
  (now: () => number): CounterStore | Promise<CounterStore>;
}

const MIN: CounterWindow = { kind: 'fixed', ms: 60_000 };
const SLIDE: CounterWindow = { kind: 'sliding', ms: 60_000 };
const TOTAL: CounterWindow = { kind: 'total' };
const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);

export function counterContract(name: string, make: CounterFactory): void {
  describe(`CounterStore contract: ${name}`, () => {
    it('increments atomically and returns the new value; keys and windows are separate', async () => {
      let t = T0;
      const s = await make(() => t);
      expect(await s.get('a', MIN)).toBe(0);
      expect(await s.incrementBy('a', 5, MIN)).toBe(5);
      expect(await s.incrementBy('a', 2.5, MIN)).toBe(7.5);
      expect(await s.incrementBy('a', -1.5, MIN)).toBe(6);
      expect(await s.incrementBy('b', 1, MIN)).toBe(1);
      expect(await s.get('a', MIN)).toBe(6);
      t += 59_999;
      expect(await s.get('a', MIN)).toBe(6);
      t += 1; // the next minute: a fixed window starts from zero
      expect(await s.get('a', MIN)).toBe(0);
      expect(await s.incrementBy('a', 1, MIN)).toBe(1);
      expect(await s.incrementBy('forever', 3, TOTAL)).toBe(3);
      t += 365 * 86_400_000;
      expect(await s.get('forever', TOTAL)).toBe(3);
      await s.close();
    });

    it('a sliding window weighs the previous fixed window by how much of it is still inside', async () => {
      let t = T0;
      const s = await make(() => t);
      await s.incrementBy('k', 100, SLIDE);
      t += 60_000 + 15_000; // a quarter into the next window: 75% of the last one still counts
      expect(await s.get('k', SLIDE)).toBeCloseTo(75, 9);
      expect(await s.incrementBy('k', 10, SLIDE)).toBeCloseTo(85, 9);
      t += 30_000; // three quarters in
      expect(await s.get('k', SLIDE)).toBeCloseTo(35, 9);
      t += 60_000; // two windows on: only the 10 of the last window, weighted by 1/4
      expect(await s.get('k', SLIDE)).toBeCloseTo(2.5, 9);
      t += 60_000;
      expect(await s.get('k', SLIDE)).toBe(0);
      await s.close();
    });

    it('reserve counts the estimate at once, refuses what would pass the limit, commit settles the actual', async () => {
      let t = T0;
      const s = await make(() => t);
      const r1 = await s.reserve('budget', 60, 100, MIN);
      expect(r1).not.toBeNull();
      expect(await s.get('budget', MIN)).toBe(60);
      expect(await s.reserve('budget', 50, 100, MIN)).toBeNull(); // 110 > 100
      expect(await s.get('budget', MIN)).toBe(60); // a refusal counts nothing
      const r2 = (await s.reserve('budget', 40, 100, MIN))!; // exactly the limit is allowed
      expect(r2).not.toBeNull();
      expect(await s.commit(r1!, 25)).toBe(65); // the actual was cheaper than the estimate
      expect(await s.commit(r1!, 25)).toBe(65); // settling twice changes nothing
      await s.release(r2);
      expect(await s.get('budget', MIN)).toBe(25);
      await s.release(r2);
      expect(await s.commit(r2, 1000)).toBe(25); // released: a late commit changes nothing either
      // the actual may exceed the estimate: it is counted (the limit applies to reservations)
      const r3 = (await s.reserve('budget', 10, 100, MIN))!;
      expect(await s.commit(r3, 90)).toBe(115);
      expect(await s.reserve('budget', 1, 100, MIN)).toBeNull();
      // settled after its window passed: nothing to adjust in a window nobody counts any more
      const r4 = (await s.reserve('other', 10, 100, MIN))!;
      t += 60_000;
      expect(await s.commit(r4, 50)).toBe(0);
      await s.close();
    });

    it('a sliding reservation settled in the next window still corrects the window it was counted in', async () => {
      let t = T0;
      const s = await make(() => t);
      const r = (await s.reserve('k', 80, 100, SLIDE))!;
      t += 60_000; // start of the next window: all of the last one still counts
      expect(await s.get('k', SLIDE)).toBeCloseTo(80, 9);
      expect(await s.commit(r, 20)).toBeCloseTo(20, 9);
      await s.close();
    });

    it('concurrent reservations from Promise.all never pass the limit together', async () => {
      const s = await make(() => T0);
      const results = await Promise.all(Array.from({ length: 200 }, () => Promise.resolve().then(() => s.reserve('rl', 3, 100, MIN))));
      const granted = results.filter((r) => r !== null);
      expect(granted.length).toBe(33); // floor(100 / 3)
      expect(await s.get('rl', MIN)).toBe(99);
      // interleaved settle and reserve: whatever the order, the value stays within the limit
      const ops = granted.flatMap((r, i) => [
        Promise.resolve().then(() => (i % 2 ? s.commit(r!, 1) : s.release(r!))),
        Promise.resolve().then(() => s.reserve('rl', 3, 100, MIN)),
      ]);
      await Promise.all(ops);
      expect(await s.get('rl', MIN)).toBeLessThanOrEqual(100);
      await s.close();
    });

    it('refuses malformed input with a StoreInputError', async () => {
      const s = await make(() => T0);
      const bad: (() => unknown)[] = [
        () => s.incrementBy('', 1, MIN),
        () => s.incrementBy('k', Number.NaN, MIN),
        () => s.incrementBy('k', 1, { kind: 'fixed', ms: 0 }),
        () => s.incrementBy('k', 1, { kind: 'weekly' } as never),
        () => s.get('k', null as never),
        () => s.reserve('k', 1, Number.POSITIVE_INFINITY, MIN),
        () => s.commit({} as never, 1),
      ];
      for (const f of bad) await expect(async () => f()).rejects.toBeInstanceOf(StoreInputError);
      await s.close();
    });
  });
}
