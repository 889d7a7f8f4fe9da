// The trim lever inside the real gateway, in front of the simulator, driven by the official openai
// and @anthropic-ai/sdk clients: the upstream receives the trimmed request (the simulator counts the
// tokens it was sent), the ledger's baseline is the untrimmed request, and a summary of dropped
// turns is made once per conversation prefix, priced as an attempt with purpose `summary`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { readLedger } from '../../src/ledger/read.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
let gw: OpenAI;
let sim: OpenAI;
let claude: Anthropic;
let simClaude: Anthropic;

beforeAll(async () => {
  h = await startHarness({
    pipeline: ['cache', 'router', 'trim', 'prompt-cache', 'execute'],
    trim: {
      routes: {
        'gpt-4o-mini': { enabled: true, history: { keepLastTurns: 2 } },
        'claude-3-5-haiku': { enabled: true, history: { keepLastTurns: 2 }, summary: { enabled: true, model: 'gpt-4o-mini', maxTokens: 60 } },
      },
    },
  });
  gw = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'client', maxRetries: 0 });
  sim = new OpenAI({ baseURL: `${h.sim.url}/v1`, apiKey: 'sim', maxRetries: 0 });
  claude = new Anthropic({ baseURL: h.gw.url, apiKey: 'client', maxRetries: 0 });
  simClaude = new Anthropic({ baseURL: h.sim.url, apiKey: 'sim', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

async function record(id: string | null): Promise<RequestRecord> {
  await h.gw.ledger.flush();
  const rec = readLedger(h.dataDir, { last: 1000 }).find((r) => r.requestId === id);
  if (!rec) throw new Error(`no record ${id}`);
  return rec;
}

// MT-Bench's first two-turn question (../shared/data/routellm-evals/mt_bench_questions.jsonl, id 81), then more turns
const TURNS = [
  'Compose an engaging travel blog post about a recent trip to Hawaii, highlighting cultural experiences and must-see attractions.',
  'Rewrite your previous response. Start every sentence with the letter A.',
  'Now list three dishes I should try there and why.',
  'Which island would you pick for a first visit, in two sentences?',
];
const REPLIES = ['Aloha! My trip to Hawaii began on Oahu...', 'A trip to Hawaii always starts with aloha...', 'Poke, laulau and shave ice: each tells a story...'];

function openaiConversation(): OpenAI.ChatCompletionMessageParam[] {
  const out: OpenAI.ChatCompletionMessageParam[] = [{ role: 'system', content: 'You are a travel writer.' }];
  TURNS.forEach((t, i) => {
    out.push({ role: 'user', content: t });
    if (REPLIES[i]) out.push({ role: 'assistant', content: REPLIES[i]! });
  });
  return out;
}

describe('trimming through the gateway', () => {
  it('openai SDK: the simulator receives only the last two turns; the ledger prices the untrimmed request as the baseline', async () => {
    const messages = openaiConversation();
    const { data, response } = await gw.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 20 }).withResponse();
    // what the upstream was sent: the same as asking the simulator for the system prompt and the last two turns
    const trimmed = [messages[0]!, ...messages.slice(-3)];
    const direct = await sim.chat.completions.create({ model: 'gpt-4o-mini', messages: trimmed, max_tokens: 20 });
    const full = await sim.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 20 });
    expect(data.usage!.prompt_tokens).toBe(direct.usage!.prompt_tokens);
    expect(data.usage!.prompt_tokens).toBeLessThan(full.usage!.prompt_tokens);

    const rec = await record(response.headers.get('x-tollgate-request-id'));
    const trim = rec.trail.find((e) => e.stage === 'trim')!;
    expect(trim.decision).toBe('history');
    const removed = (trim.data as { tokensRemoved: number }).tokensRemoved;
    expect(removed).toBe(full.usage!.prompt_tokens - direct.usage!.prompt_tokens);
    // baseline: the untrimmed input at gpt-4o-mini's $0.15 per million, over what the answer cost
    expect(rec.baselineCostUsd! - rec.costUsd).toBeCloseTo(removed * 0.15e-6, 12);
  });

  it('openai SDK, streaming: trimmed the same way', async () => {
    const messages = openaiConversation();
    const stream = await gw.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 20, stream: true, stream_options: { include_usage: true } });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    const direct = await sim.chat.completions.create({ model: 'gpt-4o-mini', messages: [messages[0]!, ...messages.slice(-3)], max_tokens: 20 });
    expect(usage!.prompt_tokens).toBe(direct.usage!.prompt_tokens);
  });

  it('@anthropic-ai/sdk: dropped turns become a summary made once for that prefix, priced with purpose summary', async () => {
    // long answers: dropping them pays for the summary that replaces them
    const messages: Anthropic.MessageParam[] = [];
    TURNS.forEach((t, i) => {
      messages.push({ role: 'user', content: t });
      if (REPLIES[i]) messages.push({ role: 'assistant', content: `${REPLIES[i]!} ${'The beaches, the food and the people make every island different. '.repeat(40)}` });
    });
    const ask = () => claude.messages.create({ model: 'claude-3-5-haiku', max_tokens: 20, system: 'You are a travel writer.', messages }).withResponse();
    const first = await ask();
    const r1 = await record(first.response.headers.get('x-tollgate-request-id'));
    const summaries1 = (r1.attempts ?? []).filter((a) => a.purpose === "summary");
    expect(summaries1).toHaveLength(1);
    expect(summaries1[0]).toMatchObject({ model: 'gpt-4o-mini', status: 200 });
    expect(summaries1[0]!.costUsd).toBeGreaterThan(0);
    const t1 = r1.trail.find((e) => e.stage === 'trim')!;
    expect(t1.data).toMatchObject({ summary: 'made', droppedTurns: 2 });
    expect((t1.data as { summaryUsd: number }).summaryUsd).toBeCloseTo(summaries1[0]!.costUsd, 12);
    // the summary's cost is in what the request cost
    expect(r1.costUsd).toBeCloseTo(summaries1[0]!.costUsd + (r1.attempts ?? []).filter((a) => !a.purpose).reduce((s, a) => s + a.costUsd, 0), 12);

    const full = await simClaude.messages.create({ model: 'claude-3-5-haiku', max_tokens: 20, system: 'You are a travel writer.', messages });
    expect(first.data.usage.input_tokens).toBeLessThan(full.usage.input_tokens);

    // the same conversation again: the summary comes from the cache, the upstream gets the same request
    const second = await ask();
    const r2 = await record(second.response.headers.get('x-tollgate-request-id'));
    expect((r2.attempts ?? []).filter((a) => a.purpose === 'summary')).toHaveLength(0);
    expect(r2.trail.find((e) => e.stage === 'trim')!.data).toMatchObject({ summary: 'cached', summaryUsd: 0 });
    expect(second.data.usage.input_tokens).toBe(first.data.usage.input_tokens);
  });

  it('@anthropic-ai/sdk: concurrent requests of one conversation share one summary call', async () => {
    const messages: Anthropic.MessageParam[] = [];
    for (let i = 0; i < 4; i++) {
      messages.push({ role: 'user', content: `Concurrent question ${i}: what should I pack for a week on Maui?` });
      messages.push({ role: 'assistant', content: `Packing list ${i}: ${'Reef-safe sunscreen, a light rain jacket, hiking shoes and a swimsuit. '.repeat(40)}` });
    }
    messages.push({ role: 'user', content: 'And for Kauai?' });
    const answers = await Promise.all([0, 1, 2].map(() => claude.messages.create({ model: 'claude-3-5-haiku', max_tokens: 20, messages }).withResponse()));
    const recs = await Promise.all(answers.map((a) => record(a.response.headers.get('x-tollgate-request-id'))));
    const calls = recs.flatMap((r) => (r.attempts ?? []).filter((a) => a.purpose === 'summary'));
    expect(calls).toHaveLength(1);
    // every one of them was sent the same trimmed request
    expect(new Set(answers.map((a) => a.data.usage.input_tokens)).size).toBe(1);
  });

  it('a summary call that fails leaves the history whole (and is in the ledger as a failed summary attempt)', async () => {
    await fetch(`${h.sim.url}/_sim/models/gpt-4o-mini`, { method: 'PUT', body: JSON.stringify({ faults: '500' }) });
    try {
      const messages: Anthropic.MessageParam[] = [];
      for (let i = 0; i < 3; i++) {
        messages.push({ role: 'user', content: `Failing summary question ${i}: which beaches are calm in winter?` });
        messages.push({ role: 'assistant', content: `Beaches ${i}: ${'Hanauma Bay and Ko Olina lagoons stay calm most of the winter. '.repeat(40)}` });
      }
      messages.push({ role: 'user', content: 'Any on Maui?' });
      const { data, response } = await claude.messages.create({ model: 'claude-3-5-haiku', max_tokens: 20, messages }).withResponse();
      const full = await simClaude.messages.create({ model: 'claude-3-5-haiku', max_tokens: 20, messages });
      expect(data.usage.input_tokens).toBe(full.usage.input_tokens);
      const rec = await record(response.headers.get('x-tollgate-request-id'));
      expect(rec.status).toBe('ok');
      expect(rec.trail.find((e) => e.stage === 'trim')).toMatchObject({ decision: 'keep' });
      const failed = (rec.attempts ?? []).filter((a) => a.purpose === 'summary');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.status).toBe(500);
    } finally {
      await fetch(`${h.sim.url}/_sim/models/gpt-4o-mini`, { method: 'PUT', body: JSON.stringify({ faults: '' }) });
    }
  });
});
