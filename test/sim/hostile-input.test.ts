// The simulator under input no provider would take gracefully: a very long prompt (a run of one
// letter is a single BPE chunk, quadratic to merge) must neither overflow the stack nor freeze the
// process, since the demo runs the simulator in the gateway's own process.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { startSimulator } from '../../src/sim/index.js';
import { encodeText } from '../../src/sim/tokens.js';

let sim: { url: string; close(): Promise<void> };
beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0, seed: 3 });
});
afterAll(async () => {
  await sim?.close();
});

it('encodes ordinary text exactly, and long runs in bounded pieces', () => {
  const prose = 'Where is my order? It was due on Tuesday, and the tracking page says nothing. '.repeat(200);
  expect(encodeText(prose)).toEqual(encode(prose));
  // 2 million of one letter: linear pieces, not one quadratic chunk (and no spread of a huge array)
  const ids = encodeText('a'.repeat(2_000_000));
  expect(ids.length).toBeGreaterThan(100_000);
});

it('answers a 3-million-character prompt instead of a stack overflow', { timeout: 120_000 }, async () => {
  const res = await fetch(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sim' },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'a'.repeat(3_000_000) }] }),
  });
  const body = (await res.json()) as { usage?: { prompt_tokens: number }; error?: { message: string } };
  expect(body.error?.message ?? '').not.toMatch(/call stack/);
  expect(res.status).toBe(200);
  expect(body.usage!.prompt_tokens).toBeGreaterThan(100_000);
});
