// The false-hit rate's interval (Wilson score) covers the true rate about as often as it says, and
// is not degenerate with no false hits at all (where a normal interval would be [0, 0]).
import { expect, it } from 'vitest';
import { Proportion, lookConfidence } from '../../src/quality/estimator.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

it('covers the true rate in about 95% of samples, for small and moderate rates', () => {
  const r = rng(3);
  for (const p of [0.02, 0.1, 0.4]) {
    let covered = 0;
    const runs = 2000;
    for (let k = 0; k < runs; k++) {
      const x = new Proportion();
      for (let i = 0; i < 100; i++) x.add(r() < p);
      const [lo, hi] = x.estimate(0.95).interval!;
      if (lo <= p && p <= hi) covered++;
    }
    expect(covered / runs).toBeGreaterThan(0.92);
    expect(covered / runs).toBeLessThan(0.99);
  }
});

it('says something with no events: an upper bound above zero, a lower bound of zero', () => {
  const x = new Proportion();
  for (let i = 0; i < 50; i++) x.add(false);
  const e = x.estimate(0.95);
  expect(e).toMatchObject({ n: 50, k: 0, estimate: 0 });
  expect(e.interval![0]).toBe(0);
  expect(e.interval![1]).toBeGreaterThan(0.03);
  expect(e.interval![1]).toBeLessThan(0.1);
  expect(new Proportion().estimate(0.95).interval).toBeNull();
  expect(Proportion.from(x.toJSON()).estimate(0.95)).toEqual(e);
});

it('looked at after every sample, a rate at its bound crosses it by chance far less often with lookConfidence than at a fixed level', () => {
  const r = rng(11);
  const bound = 0.05;
  let fixed = 0;
  let spent = 0;
  const runs = 300;
  for (let k = 0; k < runs; k++) {
    const x = new Proportion();
    let fixedFired = false;
    let spentFired = false;
    for (let i = 1; i <= 600; i++) {
      x.add(r() < bound);
      if (i < 30) continue;
      if (!fixedFired && x.estimate(0.95).interval![0] > bound) fixedFired = true;
      if (!spentFired && x.estimate(lookConfidence(0.95, 30, i)).interval![0] > bound) spentFired = true;
    }
    if (fixedFired) fixed++;
    if (spentFired) spent++;
  }
  console.log(`[looks] a rate at its bound, checked 570 times: crossed in ${fixed} of ${runs} runs at a fixed 95%, ${spent} with lookConfidence`);
  // a fixed 95% lower bound checked 570 times is crossed in far more than 2.5% of runs
  expect(fixed / runs).toBeGreaterThan(0.1);
  expect(spent / runs).toBeLessThanOrEqual(0.05);
  // and a rate well above the bound is still caught quickly
  const high = new Proportion();
  let at = 0;
  for (let i = 1; i <= 200 && !at; i++) {
    high.add(r() < 0.3);
    if (i >= 30 && high.estimate(lookConfidence(0.95, 30, i)).interval![0] > bound) at = i;
  }
  console.log(`[looks] a rate of 0.3 against a bound of 0.05: tightened at sample ${at}`);
  expect(at).toBeGreaterThan(0);
  expect(at).toBeLessThan(100);
});
