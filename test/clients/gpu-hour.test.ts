// A self-hosted OpenAI-compatible server priced per GPU-hour: the request's cost comes from the
// deployment's hourly price and its measured throughput (prices[].gpuHour), through the gateway.

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(
    // 2 GPUs at $2.88/h = $0.0016/s; 16,000 prefill and 1,600 decode tokens/s sustained
    { prices: [{ provider: 'vllm-local', model: 'llama-3.1-8b', gpuHour: { usdPerHour: 2.88, gpus: 2, inputTokensPerSecond: 16000, outputTokensPerSecond: 1600 } }] },
    {},
    {
      // the simulator stands in for a vLLM server (an OpenAI-compatible API at an unknown host)
      extend: (base) => ({
        providers: [...base.providers, { name: 'vllm-local', kind: 'openai-compatible', baseUrl: (base.providers[0] as { baseUrl: string }).baseUrl, headers: { authorization: 'Bearer local' } }],
        models: [...base.models, { name: 'llama-local', provider: 'vllm-local', model: 'gpt-4o-mini', price: { provider: 'vllm-local', model: 'llama-3.1-8b' } }],
      }),
    },
  );
});
afterAll(async () => {
  await h?.close();
});

describe('per GPU-hour pricing', () => {
  it('cost = input tokens at $/h / prefill tokens/h + output tokens at $/h / decode tokens/h', async () => {
    const openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo', maxRetries: 0 });
    const { data, response } = await openai.chat.completions.create({ model: 'llama-local', messages: [{ role: 'user', content: 'Summarise the toll policy.' }] }).withResponse();
    const rec = (await openai.get(`/tollgate/requests/${response.headers.get('x-tollgate-request-id')}`)) as RequestRecord;
    // $0.0016/s / 16,000 tokens/s = $0.10 per 1M input; / 1,600 tokens/s = $1.00 per 1M output
    expect(rec.costUsd).toBeCloseTo((data.usage!.prompt_tokens * 0.1 + data.usage!.completion_tokens * 1.0) / 1e6, 12);
    expect(Number(response.headers.get('x-tollgate-cost-usd'))).toBeCloseTo(rec.costUsd, 8);
  });
});
