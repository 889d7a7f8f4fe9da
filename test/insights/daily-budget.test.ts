// The Overview's "spend today against budget" reads the budgets in force for the filtered scope.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HARNESS_ADMIN_KEY, startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    budgets: [
      { scope: 'team', id: 'search', period: 'day', limitUsd: 50 },
      { scope: 'team', id: 'search', period: 'month', limitUsd: 3100 },
      { scope: 'key', id: 'demo', period: 'month', limitUsd: 31 },
    ],
  });
});
afterAll(async () => {
  await h?.close();
});

const overview = async (q: string) =>
  (await (await fetch(`${h.gw.url}/admin/api/overview?${q}`, { headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}` } })).json()) as { dailyBudgetUsd?: number };

it('is the smallest daily budget of the scope (a monthly one as its day’s share), and absent without a scope', async () => {
  expect((await overview('team=search')).dailyBudgetUsd).toBe(50);
  const days = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 0)).getUTCDate();
  expect((await overview('key=demo')).dailyBudgetUsd).toBeCloseTo(31 / days, 9);
  expect((await overview('team=other')).dailyBudgetUsd).toBeUndefined();
  expect((await overview('')).dailyBudgetUsd).toBeUndefined();
});
