// `tollgate budgets list|set` against a running gateway's admin API and straight from its data
// directory: the same budgets, the same spend.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBudgetsList, runBudgetsSet } from '../../src/cli/budgets.js';
import { KEYS, chatRaw, startBudgetHarness, type Harness } from './helpers.js';

let h: Harness;
const io = () => {
  const o = { out: '', err: '' };
  return { o, io: { out: (t: string) => void (o.out += t), err: (t: string) => void (o.err += t) } };
};

beforeAll(async () => {
  h = await startBudgetHarness({ budgets: [{ scope: 'team', id: 'a', period: 'month', limitUsd: 2 }] });
  expect((await chatRaw(h, KEYS.alpha, { model: 'gpt-4o', max_tokens: 100 })).status).toBe(200);
});
afterAll(async () => {
  await h?.close();
});

describe('tollgate budgets', () => {
  it('list through the admin API: a table, and JSON with spent and remaining', async () => {
    const t = io();
    expect(await runBudgetsList({ url: h.gw.url, adminKey: KEYS.admin }, t.io, {})).toBe(0);
    expect(t.o.out).toMatch(/^SCOPE\s+ID\s+PERIOD\s+LIMIT\s+SPENT\s+LEFT\s+USED\s+BURN\/DAY\s+EXHAUSTED AT\s+RESETS\s+ACTION\n/);
    expect(t.o.out).toMatch(/team\s+a\s+month \d{4}-\d{2}\s+\$2\.00\s+\$/);
    const j = io();
    expect(await runBudgetsList({ url: h.gw.url, adminKey: KEYS.admin, json: true }, j.io, {})).toBe(0);
    const b = JSON.parse(j.o.out).budgets[0];
    expect(b.spentUsd).toBeGreaterThan(0);
    expect(b.spentUsd + b.remainingUsd).toBeCloseTo(2, 9);
  });

  it('set through the admin API applies at once; list from the data directory shows the same', async () => {
    const t = io();
    expect(await runBudgetsSet({ url: h.gw.url, adminKey: KEYS.admin, scope: 'key', id: 'beta', period: 'day', limitUsd: 0.0000001, json: true }, t.io, {})).toBe(0);
    expect(JSON.parse(t.o.out).budget).toMatchObject({ scope: 'key', id: 'beta', limitUsd: 0.0000001, source: 'store' });
    expect((await chatRaw(h, KEYS.beta, { model: 'gpt-4o-mini', max_tokens: 10 })).status).toBe(429);
    // spend is written behind (every spend.flushMs, and at a graceful stop): restart to be sure it is on disk
    await h.restart();
    const d = io();
    expect(await runBudgetsList({ dataDir: h.dataDir, json: true }, d.io, {})).toBe(0);
    const fromDisk = JSON.parse(d.o.out).budgets as { scope: string; id: string; spentUsd: number }[];
    expect(fromDisk.map((x) => `${x.scope}/${x.id}`)).toEqual(['key/beta', 'team/a']);
    expect(fromDisk.find((x) => x.id === 'a')!.spentUsd).toBeGreaterThan(0);
  });

  it('set into the data directory, and clear errors for bad input or a missing key', async () => {
    const t = io();
    expect(await runBudgetsSet({ dataDir: h.dataDir, scope: 'user', id: 'ana', period: 'month', limitUsd: 9, timeZone: 'Asia/Tokyo' }, t.io, {})).toBe(0);
    expect(t.o.out).toMatch(/user\s+ana\s+month/);
    expect(t.o.out).toMatch(/applies it at its next start/);
    const bad = io();
    expect(await runBudgetsSet({ dataDir: h.dataDir, scope: 'org', id: 'x', period: 'day', limitUsd: 1 }, bad.io, {})).toBe(1);
    expect(bad.o.err).toMatch(/^tollgate budgets: invalid budget: scope/);
    const nokey = io();
    expect(await runBudgetsList({ url: h.gw.url }, nokey.io, {})).toBe(1);
    expect(nokey.o.err).toMatch(/needs an admin key/);
    const client = io();
    expect(await runBudgetsList({ url: h.gw.url, adminKey: KEYS.alpha }, client.io, {})).toBe(1);
    expect(client.o.err).toMatch(/403/);
    const nodir = io();
    expect(await runBudgetsList({ dataDir: '/nonexistent/tollgate' }, nodir.io, {})).toBe(1);
    expect(nodir.o.err).toMatch(/no data directory/);
  });
});
