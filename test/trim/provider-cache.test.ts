// The break-even's cache estimate against a real prompt cache: the simulator's Anthropic emulation
// (cache_control breakpoints placed by the prompt-cache lever, 5-minute TTL). A cut that would break
// the prefix the simulator really holds is refused, and the simulator then reads that prefix.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { readLedger } from '../../src/ledger/read.js';
import { estimateInputTokens } from '../../src/core/tokens.js';
import type { ChatRequest } from '../../src/core/canonical.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

const SYSTEM = 'You are an analyst. Answer from the reports the user pastes.';
const report = (i: number) => `Report ${i}. ` + 'Revenue, costs, headcount and risks are listed by region and quarter with notes. '.repeat(90);
const first: Anthropic.MessageParam[] = [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }];
for (let i = 1; i <= 3; i++) first.push({ role: 'user', content: report(i) }, { role: 'assistant', content: `read ${i}` });
first.push({ role: 'user', content: 'Which region grew fastest?' });
const second: Anthropic.MessageParam[] = [...first, { role: 'assistant', content: 'The north.' }, { role: 'user', content: 'And the risks there?' }];

const canonical = (m: Anthropic.MessageParam[]): ChatRequest => ({ model: 'claude-sonnet-4', system: [{ type: 'text', text: SYSTEM }], messages: m.map((x) => ({ role: x.role as 'user' | 'assistant', content: [{ type: 'text' as const, text: x.content as string }] })), stream: false, includeUsage: false, extra: {} });

let h: Harness;
let claude: Anthropic;
beforeAll(async () => {
  // the second request is just over the budget: the only cut that fits drops the short first turn
  const budget = estimateInputTokens(canonical(second)) - 5;
  h = await startHarness({
    pipeline: ['cache', 'router', 'trim', 'prompt-cache', 'execute'],
    cache: { routes: { 'claude-sonnet-4': { promptCache: { enabled: true } } } },
    trim: { routes: { 'claude-sonnet-4': { enabled: true, history: { maxInputTokens: budget, cutToRatio: 1 } } } },
  });
  claude = new Anthropic({ baseURL: h.gw.url, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

describe('break-even against the simulator prompt cache', () => {
  it('keeps a prefix the provider holds when cutting it costs more than it saves', async () => {
    const a = await claude.messages.create({ model: 'claude-sonnet-4', max_tokens: 10, system: SYSTEM, messages: first });
    expect(a.usage.cache_creation_input_tokens).toBeGreaterThan(1024);
    const b = await claude.messages.create({ model: 'claude-sonnet-4', max_tokens: 10, system: SYSTEM, messages: second }).withResponse();
    // the simulator read the prefix back: it was cached, as the lever estimated
    expect(b.data.usage.cache_read_input_tokens).toBeGreaterThan(1024);
    await h.gw.ledger.flush();
    const rec = readLedger(h.dataDir, { last: 10 }).find((r) => r.requestId === b.response.headers.get('x-tollgate-request-id'))!;
    const trim = rec.trail.find((e) => e.stage === 'trim')!;
    expect(trim.decision).toBe('keep');
    const d = trim.data as { cachedTokensBefore: number; cachedTokensAfter: number; lostCacheUsd: number; grossUsd: number };
    expect(d.cachedTokensBefore).toBeGreaterThan(1024);
    expect(d.cachedTokensAfter).toBe(0);
    expect(d.lostCacheUsd).toBeGreaterThan(d.grossUsd);
  });
});
