// The case-study workload: what it is made of, from the public data, and its trimmed variant.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSupportWorkload, systemPrompt } from '../../src/forecast/case-study.js';
import { countTextTokens } from '../../src/core/tokens.js';

const opts = { sharedDataDir: '../shared/data', requests: 200, cheapModels: ['cheap-id'], strongModels: ['strong-id'] };

/** built from the public data beside the checkout (../shared/data); skipped without it */
describe.skipIf(!existsSync('../shared/data/gptcache-qqp'))('the support workload', () => {
  const items = existsSync('../shared/data/gptcache-qqp') ? buildSupportWorkload(opts) : [];

  it('has a long system prompt, ten retrieved chunks, multi-turn sessions and arrivals in order', () => {
    expect(items).toHaveLength(200);
    const sys = countTextTokens(systemPrompt(false));
    expect(sys).toBeGreaterThanOrEqual(2900);
    expect(sys).toBeLessThan(3300);
    const first = items[0]!.request.messages.at(-1)!.content[0]!;
    expect(first.type === 'text' && (first.text.match(/^\[\d+\] /gm) ?? []).length).toBe(10);
    expect(items.some((i) => i.request.messages.length > 1)).toBe(true);
    for (let k = 1; k < items.length; k++) expect(items[k]!.at).toBeGreaterThanOrEqual(items[k - 1]!.at);
  });

  it('repeats FAQ questions, carries recorded outcomes for the knowledge questions, marks background work and the engineering queue', () => {
    const users = items.map((i) => {
      const p = i.request.messages.at(-1)!.content[0]!;
      return p.type === 'text' ? p.text : '';
    });
    expect(new Set(users).size).toBeLessThan(users.length);
    const known = items.filter((i) => i.outcomes);
    expect(known.length).toBeGreaterThan(40);
    for (const i of known) expect(Object.keys(i.outcomes!)).toEqual(['cheap-id', 'strong-id']);
    expect(items.some((i) => i.background)).toBe(true);
    expect(items.some((i) => i.headers?.['x-support-queue'] === 'engineering')).toBe(true);
  });

  it('the trimmed variant: the same questions with an ~800-token system prompt and three chunks', () => {
    const trimmed = buildSupportWorkload({ ...opts, trimmed: true });
    expect(trimmed.map((i) => i.id)).toEqual(items.map((i) => i.id));
    const sys = countTextTokens(systemPrompt(true));
    expect(sys).toBeGreaterThanOrEqual(780);
    expect(sys).toBeLessThan(1000);
    const total = (xs: typeof items) => xs.reduce((a, i) => a + i.inputTokens, 0);
    expect(total(trimmed)).toBeLessThan(total(items) * 0.5);
  });
});
