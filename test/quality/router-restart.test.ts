// The router's self-tightening, alerted and kept: when shadow evaluation finds a route's quality
// ratio below its target and the classifier tightens, a signed notice reaches the local webhook;
// after a restart on the same data dir the tightened threshold and the estimate are back.

import { createHmac } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MMLU_WEIGHTS, simModel } from '../router/e2e-helpers.js';
import { startRestartable, type Restartable } from './restartable.js';

const routes = {
  learned: {
    tiers: [
      { name: 'cheap', models: ['gpt-4o-mini'] },
      { name: 'strong', models: ['gpt-4o'] },
    ],
    classifier: { weights: MMLU_WEIGHTS, target: { quality_ge: 0.95 } },
  },
};

// MMLU-style equations: mostly sent to the cheap tier
const equation = (i: number): string => {
  const [a, b] = [2 + (i % 7), 3 + (i % 11)];
  const x = 1 + (i % 9);
  return `Find the value of x if ${a}x + ${b} = ${a * x + b + i * a}.\nA. ${x}\nB. ${x + 2}\nC. ${x + 5}\nD. ${2 * x + 1}\nAnswer:`;
};

let h: Restartable;
beforeAll(async () => {
  h = await startRestartable(
    (hook) => ({
      routes,
      judge: { model: 'gpt-4o', sampleRate: 0, shadowRate: 1, minSamples: 20, queueSize: 1000 },
      alerts: { intervalSeconds: 3600, channels: [{ name: 'ops', type: 'webhook', url: hook, secret: 's3cret' }], tightening: { channels: ['ops'] } },
    }),
    { quality: true },
  );
});
afterAll(async () => {
  await h?.close();
});

type RouteView = { n: number; threshold: number; tightened: number; estimate: number; lastTightening: { from: number; to: number } | null };

it('alerts when the router tightens, and keeps the tightened threshold and the estimate across a restart', { timeout: 600_000 }, async () => {
  const ai = () => new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'test-key', maxRetries: 0 });
  const route = async (): Promise<RouteView> => (await h.admin('GET', '/admin/quality')).body.routes.learned;
  await simModel(h, 'gpt-4o-mini', { strength: 0.2 });
  let r: RouteView | undefined;
  for (let round = 0; round < 6 && !(r?.tightened); round++) {
    for (let i = 0; i < 40; i++) await ai().chat.completions.create({ model: 'learned', messages: [{ role: 'user', content: equation(round * 40 + i) }], max_tokens: 4096 });
    await h.gw.engine.quality!.idle();
    r = await route();
  }
  expect(r!.tightened).toBeGreaterThanOrEqual(1);
  const from = r!.lastTightening!.from;
  expect(r!.threshold).toBeLessThan(from);

  const rule = 'tightened:router:learned';
  const ofRule = () => h.notices.filter((n) => JSON.parse(n.body).rule === rule);
  for (let i = 0; i < 50 && ofRule().length < r!.tightened; i++) await new Promise((res) => setTimeout(res, 100));
  // one notice per tightening; the last one is about the last move
  expect(ofRule().length).toBe(r!.tightened);
  const notice = ofRule()[ofRule().length - 1]!;
  const body = JSON.parse(notice.body);
  expect(body).toMatchObject({ rule, state: 'firing', threshold: 0.95, metric: 'quality_ratio', direction: 'below', scope: { route: 'learned' }, detail: { lever: 'router', name: 'learned', from, to: r!.threshold, tightened: r!.tightened } });
  expect(body.value).toBeLessThan(0.95);
  expect(body.detail.interval[1]).toBeLessThan(0.95);
  expect(notice.sig).toBe('sha256=' + createHmac('sha256', 's3cret').update(notice.body).digest('hex'));

  // one more shadowed request so there is evidence at the new threshold too, then a restart
  await ai().chat.completions.create({ model: 'learned', messages: [{ role: 'user', content: equation(999) }], max_tokens: 4096 });
  await h.gw.engine.quality!.idle();
  const kept = await route();
  await h.restart();
  const after = await route();
  expect(after).toMatchObject({ threshold: kept.threshold, tightened: kept.tightened, n: kept.n, lastTightening: kept.lastTightening });
  expect(after.estimate).toBeCloseTo(kept.estimate, 10);
  console.log(`[router-restart] tightened ${kept.tightened}x, the last move ${from} -> ${kept.threshold}; after a restart ${after.threshold} (n ${after.n})`);
});
