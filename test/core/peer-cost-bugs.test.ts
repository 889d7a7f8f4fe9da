// Every known cost bug of the peers (shared/reference/peers.md §3) as a test: the provider's usage
// object is built as it arrives on the wire, mapped with src/providers/<vendor>/usage.ts, priced from the catalog,
// and compared with the figure computed by hand from the list prices (wire-and-telemetry-facts.md §4).
// Hand arithmetic is in USD per 1M tokens: sum(tokens x price) / 1e6.
import { describe, expect, it } from 'vitest';
import type { ChatRequest, Usage } from '../../src/core/canonical.js';
import { StreamAccumulator } from '../../src/core/stream-accumulator.js';
import { mergeUsage } from '../../src/core/usage.js';
import { partialUsageFromAnthropic, usageFromAnthropic } from '../../src/providers/anthropic/usage.js';
import { usageFromGemini } from '../../src/providers/gemini/usage.js';
import { usageFromOpenAI } from '../../src/providers/openai/usage.js';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import { costOf } from '../../src/core/cost.js';
import { countTextTokens, estimateInputTokens, estimateUsage } from '../../src/core/tokens.js';

const catalog = PriceCatalog.load();
const AT = new Date('2026-08-01T12:00:00Z');
const price = (provider: string, model: string) => {
  const p = catalog.lookup(provider, model, AT);
  if (!p) throw new Error(`no price for ${provider}/${model}`);
  return p;
};

/** Replays an Anthropic SSE stream's events through the canonical accumulator (usage only matters here). */
function anthropicStream(events: Array<{ type: string; [k: string]: any }>): StreamAccumulator {
  const acc = new StreamAccumulator();
  for (const ev of events) {
    if (ev.type === 'message_start') {
      acc.push({ type: 'start', id: ev.message.id, model: ev.message.model, created: 0, usage: partialUsageFromAnthropic(ev.message.usage) });
    } else if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') {
      acc.push({ type: 'text_delta', index: ev.index, text: ev.delta.text });
    } else if (ev.type === 'message_delta') {
      acc.push({ type: 'usage', usage: partialUsageFromAnthropic(ev.usage) });
      acc.push({ type: 'finish', finishReason: 'stop', rawFinishReason: ev.delta.stop_reason });
    }
  }
  return acc;
}

const request: ChatRequest = {
  model: 'gpt-4o',
  system: [{ type: 'text', text: 'You are a terse assistant.' }],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Explain prompt caching in two sentences.' }] }],
  stream: true,
  includeUsage: true,
  extra: {},
};

describe('peer cost bugs', () => {
  it('LiteLLM #11789: Anthropic streaming + prompt caching is priced once, cache reads at the read rate', () => {
    const acc = anthropicStream([
      {
        type: 'message_start',
        message: {
          id: 'msg_1',
          model: 'claude-sonnet-4-20250514',
          usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 2000, output_tokens: 1 },
        },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Cached prefixes are cheap.' } },
      // message_delta usage is CUMULATIVE: adding it to message_start would double-count
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 2000, output_tokens: 40 } },
      { type: 'message_stop' },
    ]);
    expect(acc.usage).toMatchObject({ input: 12, cacheRead: 2000, output: 40 });
    const c = costOf(acc.usage, price('anthropic', 'claude-sonnet-4-20250514'));
    // 12 x 3 + 2000 x 0.30 + 40 x 15 = 36 + 600 + 600 = 1236
    expect(c.totalUsd).toBe(0.001236);
    expect(c.cacheReadUsd).toBe(0.0006);
  });

  it('LiteLLM #9812: Anthropic cache writes are charged once, at the write rate, not again as input', () => {
    const u = usageFromAnthropic({
      input_tokens: 50,
      cache_creation_input_tokens: 3000,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 3000, ephemeral_1h_input_tokens: 0 },
      output_tokens: 200,
    });
    const c = costOf(u, price('anthropic', 'claude-sonnet-4'));
    // 50 x 3 + 3000 x 3.75 + 200 x 15 = 150 + 11250 + 3000 = 14400
    expect(c).toEqual({ totalUsd: 0.0144, inputUsd: 0.00015, cacheReadUsd: 0, cacheWriteUsd: 0.01125, outputUsd: 0.003 });
  });

  it('LiteLLM #9812 (1-hour TTL): 5m and 1h writes at their own rates', () => {
    const u = usageFromAnthropic({
      input_tokens: 20,
      cache_creation_input_tokens: 5000,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 4000 },
      output_tokens: 100,
    });
    const c = costOf(u, price('anthropic', 'claude-3-5-haiku-20241022'));
    // 20 x 0.80 + 1000 x 1.00 + 4000 x 1.60 + 100 x 4 = 16 + 1000 + 6400 + 400 = 7816
    expect(c.totalUsd).toBe(0.007816);
    expect(c.cacheWriteUsd).toBe(0.0074);
  });

  it('LiteLLM #42663 (under-reports 20-60%): the long-context tier is chosen on total input, cache included', () => {
    // Sonnet 4.5 request whose uncached input is small but whose total input is 215k > 200k
    const u = usageFromAnthropic({ input_tokens: 5000, cache_creation_input_tokens: 150000, cache_read_input_tokens: 60000, output_tokens: 2000 });
    const c = costOf(u, price('anthropic', 'claude-sonnet-4-5-20250929'));
    // >200k tier: 5000 x 6 + 150000 x 7.5 + 60000 x 0.6 + 2000 x 22.5 = 30000 + 1125000 + 36000 + 45000 = 1236000
    expect(c.totalUsd).toBe(1.236);
    // choosing the tier on input_tokens alone would report 0.6255, 49% under
    expect(c.totalUsd).not.toBe(0.6255);
  });

  it('LiteLLM #29145: cache tokens are never priced at $0', () => {
    const u = usageFromAnthropic({ input_tokens: 100, cache_read_input_tokens: 10000, cache_creation_input_tokens: 2000, output_tokens: 50 });
    const c = costOf(u, price('anthropic', 'claude-3-5-haiku'));
    // 100 x 0.80 + 10000 x 0.08 + 2000 x 1.00 + 50 x 4 = 80 + 800 + 2000 + 200 = 3080
    expect(c).toEqual({ totalUsd: 0.00308, inputUsd: 0.00008, cacheReadUsd: 0.0008, cacheWriteUsd: 0.002, outputUsd: 0.0002 });
  });

  it('LiteLLM #29145 (no cache price listed): cached tokens fall back to the input price, not $0', () => {
    const p = price('openai', 'gpt-4o-audio-preview');
    const u = usageFromOpenAI({ prompt_tokens: 1000, prompt_tokens_details: { cached_tokens: 400 }, completion_tokens: 10 });
    // 600 x 2.5 + 400 x 2.5 + 10 x 10 = 1500 + 1000 + 100 = 2600
    expect(costOf(u, p).totalUsd).toBe(0.0026);
  });

  it('Bifrost #904: OpenAI cached tokens are part of prompt_tokens and billed at the cached rate ($0.34, not $1.68)', () => {
    const u = usageFromOpenAI({
      prompt_tokens: 51232 + 1188096,
      completion_tokens: 12909,
      prompt_tokens_details: { cached_tokens: 1188096 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    const c = costOf(u, price('openai', 'gpt-5'));
    // 51232 x 1.25 + 1188096 x 0.125 + 12909 x 10 = 64040 + 148512 + 129090 = 341642
    expect(c.totalUsd).toBe(0.341642);
  });

  it('Bifrost #3451: Anthropic streaming cache creation is not double-counted as input ($1.06376125)', () => {
    const acc = anthropicStream([
      {
        type: 'message_start',
        message: {
          id: 'msg_2',
          model: 'claude-opus-4-7',
          usage: {
            input_tokens: 6,
            cache_creation_input_tokens: 159217,
            cache_read_input_tokens: 0,
            cache_creation: { ephemeral_5m_input_tokens: 159217, ephemeral_1h_input_tokens: 0 },
            output_tokens: 1,
          },
        },
      },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 6, cache_creation_input_tokens: 159217, cache_read_input_tokens: 0, output_tokens: 2745 } },
    ]);
    const c = costOf(acc.usage, price('anthropic', 'claude-opus-4-7'));
    // 6 x 5 + 159217 x 6.25 + 2745 x 25 = 30 + 995106.25 + 68625 = 1063761.25
    expect(c.totalUsd).toBe(1.06376125);
  });

  it('LiteLLM #14849 (Gemini): cachedContentTokenCount is inside promptTokenCount, billed once; >200k tier', () => {
    const u = usageFromGemini({ promptTokenCount: 262960, cachedContentTokenCount: 257955, candidatesTokenCount: 1744, totalTokenCount: 264704 });
    const c = costOf(u, price('google', 'gemini-2.5-pro'));
    // total input 262960 > 200k: 5005 x 2.5 + 257955 x 0.25 + 1744 x 15 = 12512.5 + 64488.75 + 26160 = 103161.25
    expect(c.totalUsd).toBe(0.10316125);
  });

  it('Gemini thinking tokens are billed as output (candidates + thoughts)', () => {
    const u = usageFromGemini({ promptTokenCount: 1000, candidatesTokenCount: 300, thoughtsTokenCount: 700 });
    // 1000 x 0.30 + (300 + 700) x 2.50 = 300 + 2500 = 2800
    expect(costOf(u, price('google', 'gemini-2.5-flash')).totalUsd).toBe(0.0028);
  });

  it('Helicone #3908: no negative costs when Anthropic cache reads exceed input_tokens', () => {
    const u = usageFromAnthropic({ input_tokens: 3, cache_read_input_tokens: 50000, output_tokens: 10 });
    const c = costOf(u, price('anthropic', 'claude-sonnet-4'));
    // 3 x 3 + 50000 x 0.30 + 10 x 15 = 9 + 15000 + 150 = 15159
    expect(c.totalUsd).toBe(0.015159);
    for (const v of Object.values(c)) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('Helicone #3908: an inconsistent OpenAI usage (cached > prompt) is clamped, never negative', () => {
    const u = usageFromOpenAI({ prompt_tokens: 100, prompt_tokens_details: { cached_tokens: 150 }, completion_tokens: 5 });
    const c = costOf(u, price('openai', 'gpt-4o'));
    // cached clamped to 100: 0 x 2.5 + 100 x 1.25 + 5 x 10 = 125 + 50 = 175
    expect(c.totalUsd).toBe(0.000175);
    expect(c.inputUsd).toBe(0);
    const garbage: Usage = { input: -500, cacheRead: Number.NaN, cacheWrite5m: -1, cacheWrite1h: Infinity, output: -3, reasoning: 0 };
    expect(costOf(garbage, price('openai', 'gpt-4o'))).toEqual({ totalUsd: 0, inputUsd: 0, cacheReadUsd: 0, cacheWriteUsd: 0, outputUsd: 0 });
  });

  it('LiteLLM #37992: an estimate never replaces an explicit zero the provider reported', () => {
    // the provider's last usage (a disconnected stream) said 0 prompt and 0 completion tokens
    const known = usageFromOpenAI({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    const u = estimateUsage(request, 'some text the client saw', known);
    expect(u).toMatchObject({ input: 0, output: 0, estimated: true });
    expect(costOf(u, price('openai', 'gpt-4o')).totalUsd).toBe(0);
    // an ABSENT field is estimated
    const partial = estimateUsage(request, 'some text the client saw', { input: 0 });
    expect(partial.input).toBe(0);
    expect(partial.output).toBe(countTextTokens('some text the client saw'));
  });

  it('llmgateway #3331: a cancelled OpenAI stream (usage chunk never came) is billed from estimates, not $0', () => {
    const acc = new StreamAccumulator();
    acc.push({ type: 'start', id: 'chatcmpl-1', model: 'gpt-4o', created: 0 });
    acc.push({ type: 'text_delta', index: 0, text: 'Prompt caching stores a prefix so repeated ' });
    acc.push({ type: 'text_delta', index: 0, text: 'requests skip recomputing it.' });
    // cut here: no finish, no usage chunk
    expect(acc.sawUsage).toBe(false);
    const u = estimateUsage(request, acc.text());
    const inTok = estimateInputTokens(request);
    const outTok = countTextTokens(acc.text());
    expect(u).toEqual({ input: inTok, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: outTok, reasoning: 0, estimated: true });
    expect(outTok).toBeGreaterThan(5);
    const c = costOf(u, price('openai', 'gpt-4o'));
    expect(c.totalUsd).toBeGreaterThan(0);
    // gpt-4o: input x 2.50 + output x 10.00, per 1M
    expect(c.totalUsd).toBe(Number(((inTok * 2.5 + outTok * 10) / 1e6).toFixed(12)));
  });

  it('llmgateway #3331: a cancelled Anthropic stream keeps message_start input and cache counts, estimates output', () => {
    const events = [
      { type: 'message_start', message: { id: 'm', model: 'claude-sonnet-4', usage: { input_tokens: 1200, cache_read_input_tokens: 3000, cache_creation_input_tokens: 0, output_tokens: 1 } } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'A prompt cache keeps the processed prefix of a long prompt ' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'for a few minutes so that the next request reuses it.' } },
    ];
    const acc = anthropicStream(events);
    // what the provider actually reported, field by field (message_start only)
    const known = mergeUsage({} as Usage, partialUsageFromAnthropic(events[0]!.message!.usage));
    const u = estimateUsage({ ...request, model: 'claude-sonnet-4' }, acc.text(), known);
    const outTok = countTextTokens(acc.text());
    // the input is NOT re-estimated; output_tokens: 1 (message_start's cursor) gives way to the text count
    expect(u).toEqual({ input: 1200, cacheRead: 3000, cacheWrite5m: 0, cacheWrite1h: 0, output: outTok, reasoning: 0, estimated: true });
    const c = costOf(u, price('anthropic', 'claude-sonnet-4'));
    // 1200 x 3 + 3000 x 0.30 + out x 15 = 3600 + 900 + 15 out
    expect(c.inputUsd).toBe(0.0036);
    expect(c.cacheReadUsd).toBe(0.0009);
    expect(c.outputUsd).toBe(Number(((outTok * 15) / 1e6).toFixed(12)));
  });
});
