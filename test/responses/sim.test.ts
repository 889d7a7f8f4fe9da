// The simulator's Responses API, consumed by the official openai SDK pointed straight at it: the
// response object, the event stream, store / previous_response_id / retrieve / delete, tools,
// structured output, cached tokens, errors and faults.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { Ajv } from 'ajv';
import { startSimulator, type SimulatorHandle } from '../../src/sim/index.js';

let sim: SimulatorHandle;
let openai: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0, seed: 11 });
  openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'sim', maxRetries: 0 });
});
afterAll(async () => {
  await sim?.close();
});

describe('simulator: /v1/responses', () => {
  it('whole: a completed response with a message item, usage whose total adds up', async () => {
    const r = await openai.responses.create({ model: 'gpt-4o', input: 'Say something about bridges.', instructions: 'Be brief.', metadata: { run: '1' } });
    expect(r).toMatchObject({ object: 'response', status: 'completed', instructions: 'Be brief.', store: true, metadata: { run: '1' }, model: 'gpt-4o' });
    expect(r.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(r.output).toHaveLength(1);
    expect(r.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(r.output_text.length).toBeGreaterThan(0);
    const u = r.usage!;
    expect(u.total_tokens).toBe(u.input_tokens + u.output_tokens);
    expect(u.input_tokens_details.cached_tokens).toBe(0);
    expect(u.output_tokens_details.reasoning_tokens).toBe(0);
  });

  it('a long prompt sent twice: the second reports cached input tokens', async () => {
    const input = 'Explain the history of the printing press in detail. '.repeat(150);
    await openai.responses.create({ model: 'gpt-4o', input });
    const again = await openai.responses.create({ model: 'gpt-4o', input });
    expect(again.usage!.input_tokens_details.cached_tokens).toBeGreaterThan(1000);
    expect(again.usage!.input_tokens_details.cached_tokens).toBeLessThanOrEqual(again.usage!.input_tokens);
  });

  it('streamed: created, in_progress, item/part/delta/done events with consecutive sequence numbers, then completed with usage', async () => {
    const stream = await openai.responses.create({ model: 'gpt-4o-mini', input: 'Tell me about rivers.', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const ev of stream) events.push(ev);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    const done = events.find((e) => e.type === 'response.output_text.done');
    expect(done?.type === 'response.output_text.done' && done.text).toBe(text);
    const last = events[events.length - 1]!;
    expect(last.type === 'response.completed' && last.response.usage!.output_tokens).toBeGreaterThan(0);
  });

  it('previous_response_id: the stored conversation is in the next prompt; store: false is not kept; retrieve and delete', async () => {
    const first = await openai.responses.create({ model: 'gpt-4o', input: 'My name is Ada.' });
    const second = await openai.responses.create({ model: 'gpt-4o', input: 'What is my name?', previous_response_id: first.id });
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens + first.usage!.output_tokens);
    expect((await openai.responses.retrieve(first.id)).output_text).toBe(first.output_text);
    const unstored = await openai.responses.create({ model: 'gpt-4o', input: 'Forget me.', store: false });
    await expect(openai.responses.create({ model: 'gpt-4o', input: 'x', previous_response_id: unstored.id })).rejects.toMatchObject({ status: 400, param: 'previous_response_id' });
    await openai.responses.delete(first.id);
    await expect(openai.responses.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
  });

  it('tools: a function_call item whose arguments validate against the schema, and text.format json_schema output that validates', async () => {
    const parameters = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'], additionalProperties: false };
    const r = await openai.responses.create({ model: 'gpt-4o', input: 'Forecast for Paris', tools: [{ type: 'function', name: 'forecast', parameters, strict: true }], tool_choice: 'required' });
    const call = r.output.find((o) => o.type === 'function_call');
    expect(call?.type === 'function_call' && new Ajv().validate(parameters, JSON.parse(call.arguments))).toBe(true);
    const schema = { type: 'object', properties: { title: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } }, required: ['title', 'tags'], additionalProperties: false };
    const s = await openai.responses.create({ model: 'gpt-4o', input: 'A blog post idea', text: { format: { type: 'json_schema', name: 'idea', schema, strict: true } } });
    expect(new Ajv().validate(schema, JSON.parse(s.output_text))).toBe(true);
  });

  it('max_output_tokens: an incomplete response with incomplete_details', async () => {
    const r = await openai.responses.create({ model: 'gpt-4o', input: 'Write a long essay.', max_output_tokens: 16 }, { headers: { 'x-sim-output-tokens': '400' } });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(r.usage!.output_tokens).toBe(16);
  });

  it('errors in OpenAI shape: no key, unknown model, bad input; a 429 fault with retry-after', async () => {
    const noKey = await fetch(`${sim.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401);
    await expect(openai.responses.create({ model: 'no-such', input: 'x' })).rejects.toMatchObject({ status: 400, param: 'model' });
    await expect(openai.responses.create({ model: 'gpt-4o', input: 7 as unknown as string })).rejects.toMatchObject({ status: 400, param: 'input' });
    const limited = await openai.responses.create({ model: 'gpt-4o', input: 'x' }, { headers: { 'x-sim-fault': '429' } }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('1');
  });

  it('an error-event fault mid-stream: the SDK sees an error event', async () => {
    const stream = await openai.responses.create({ model: 'gpt-4o', input: 'Tell me a story.', stream: true }, { headers: { 'x-sim-fault': 'error-event;at=0.5' } });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const ev of stream) seen.push(ev.type);
    })().catch((e: unknown) => e);
    // the SDK raises the error event, or hands it over as an `error` event
    expect(err instanceof Error || seen.includes('error')).toBe(true);
    expect(seen).not.toContain('response.completed');
  });
});
