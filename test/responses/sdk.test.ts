// The official openai SDK's Responses API (client.responses.*) against the gateway in front of the
// simulator: whole and streamed answers, stored responses, function calling across turns,
// structured output, previous_response_id on an OpenAI model (relayed) and an Anthropic one
// (translated), and what the ledger records.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { Ajv } from 'ajv';
import { readLedger } from '../../src/ledger/read.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
let openai: OpenAI;

beforeAll(async () => {
  h = await startHarness();
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo-key', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

async function recordOf(requestId: string) {
  await h.gw.ledger.flush();
  return readLedger(h.dataDir, { last: 200 }).find((r) => r.requestId === requestId);
}

describe.each(['gpt-4o', 'claude-sonnet-4', 'gemini-2.0-flash'])('responses.create on %s', (model) => {
  it('answers whole: a response object with output_text and usage, recorded at /v1/responses', async () => {
    const { data: r, response } = await openai.responses.create({ model, input: 'Say something about bridges.', instructions: 'Be brief.' }).withResponse();
    expect(r.object).toBe('response');
    expect(r.id).toMatch(/^resp_/);
    expect(r.status).toBe('completed');
    expect(r.output_text.length).toBeGreaterThan(0);
    expect(r.output[0]!.type).toBe('message');
    expect(r.instructions).toBe('Be brief.');
    expect(r.usage!.input_tokens).toBeGreaterThan(0);
    expect(r.usage!.output_tokens).toBeGreaterThan(0);
    expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
    expect(typeof r.usage!.input_tokens_details.cached_tokens).toBe('number');
    expect(typeof r.usage!.output_tokens_details.reasoning_tokens).toBe('number');
    const rec = await recordOf(response.headers.get('x-tollgate-request-id')!);
    expect(rec).toMatchObject({ endpoint: '/v1/responses', apiFormat: 'openai-responses', requestedModel: model, stream: false });
    expect(rec!.usage.output).toBe(r.usage!.output_tokens);
    expect(rec!.usage.input + rec!.usage.cacheRead + rec!.usage.cacheWrite5m + rec!.usage.cacheWrite1h).toBe(r.usage!.input_tokens);
    expect(rec!.costUsd).toBeGreaterThan(0);
    expect(Number(response.headers.get('x-tollgate-cost-usd'))).toBeCloseTo(rec!.costUsd, 8);
  });

  it('streams: the SDK iterates the events in order, with sequence numbers, ending in response.completed', async () => {
    const stream = await openai.responses.create({ model, input: 'Tell me about rivers.', stream: true });
    const types: string[] = [];
    const seqs: number[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const ev of stream) {
      types.push(ev.type);
      seqs.push(ev.sequence_number);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
      if (ev.type === 'response.completed') completed = ev.response;
    }
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.content_part.added');
    expect(types).toContain('response.output_text.done');
    expect(types).toContain('response.output_item.done');
    expect(types[types.length - 1]).toBe('response.completed');
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(text.length).toBeGreaterThan(0);
    // the SDK adds output_text only to create()'s own answer: read the event's output items
    const msg = completed!.output.find((o) => o.type === 'message');
    expect(msg?.type === 'message' && msg.content.map((c) => ('text' in c ? c.text : '')).join('')).toBe(text);
    expect(completed!.usage!.output_tokens).toBeGreaterThan(0);
    // stored: the gateway answers GET with the same response
    const got = await openai.responses.retrieve(completed!.id);
    expect(got.id).toBe(completed!.id);
    expect(got.output_text).toBe(text);
  });

  it('stream() helper: finalResponse() has the text', async () => {
    const stream = openai.responses.stream({ model, input: 'One fact about owls.' });
    const final = await stream.finalResponse();
    expect(final.output_text.length).toBeGreaterThan(0);
  });

  it('previous_response_id across two turns: the second sees the first (more input tokens), input_items lists the conversation', async () => {
    const first = await openai.responses.create({ model, input: 'My name is Ada. Remember it.' });
    const second = await openai.responses.create({ model, input: 'What is my name?', previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text.length).toBeGreaterThan(0);
    // the second turn's prompt holds the first turn's input and answer
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens + first.usage!.output_tokens);
    const items = await openai.responses.inputItems.list(second.id, { order: 'asc' });
    const texts = items.data.map((it) => (it.type === 'message' ? it.content.map((c) => ('text' in c ? c.text : '')).join('') : ''));
    expect(texts[0]).toBe('My name is Ada. Remember it.');
    expect(texts[1]).toBe(first.output_text);
    expect(texts[2]).toBe('What is my name?');
    const third = await openai.responses.create({ model, input: 'And again?', previous_response_id: second.id });
    expect(third.usage!.input_tokens).toBeGreaterThan(second.usage!.input_tokens);
  });

  it("item_reference: an earlier answer's item, by id, is part of the next prompt", async () => {
    const first = await openai.responses.create({ model, input: 'Name a colour.' });
    const plain = await openai.responses.create({ model, input: 'Why that one?' });
    const withRef = await openai.responses.create({ model, input: [{ type: 'item_reference', id: first.output[0]!.id! }, { role: 'user', content: 'Why that one?' }] });
    expect(withRef.output_text.length).toBeGreaterThan(0);
    expect(withRef.usage!.input_tokens).toBeGreaterThan(plain.usage!.input_tokens + first.usage!.output_tokens - 1);
  });

  it('function calling across two turns: function_call, then function_call_output', async () => {
    const first = await openai.responses.create({ model, input: 'What is the weather in Paris?', tools: [weather], tool_choice: 'required' });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toBeDefined();
    if (call?.type !== 'function_call') throw new Error('no call');
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toHaveProperty('city');
    expect(call.call_id.length).toBeGreaterThan(0);
    const second = await openai.responses.create({
      model,
      previous_response_id: first.id,
      tools: [weather],
      input: [{ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ temperature: 21, unit: 'celsius' }) }],
    });
    expect(second.status).toBe('completed');
    expect(second.output_text.length).toBeGreaterThan(0);
    // the same conversation carried explicitly, without stored state
    const third = await openai.responses.create({
      model,
      store: false,
      tools: [weather],
      input: [
        { role: 'user', content: 'What is the weather in Paris?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '{"temperature":21}' },
      ],
    });
    expect(third.output_text.length).toBeGreaterThan(0);
    await expect(openai.responses.retrieve(third.id)).rejects.toMatchObject({ status: 404 });
  });

  it('streams a function call: function_call_arguments.delta then .done, and the item in response.completed', async () => {
    const stream = await openai.responses.create({ model, input: 'Weather in Tokyo?', tools: [weather], tool_choice: 'required', stream: true });
    let args = '';
    let done = '';
    let final: OpenAI.Responses.Response | undefined;
    for await (const ev of stream) {
      if (ev.type === 'response.function_call_arguments.delta') args += ev.delta;
      if (ev.type === 'response.function_call_arguments.done') done = ev.arguments;
      if (ev.type === 'response.completed') final = ev.response;
    }
    expect(args).toBe(done);
    expect(JSON.parse(done)).toHaveProperty('city');
    const item = final!.output.find((o) => o.type === 'function_call');
    expect(item?.type === 'function_call' && item.arguments).toBe(done);
  });

  it('delete: the response is gone for retrieve and for previous_response_id', async () => {
    const r = await openai.responses.create({ model, input: 'Something to forget.' });
    await openai.responses.delete(r.id);
    await expect(openai.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
    await expect(openai.responses.create({ model, input: 'Next', previous_response_id: r.id })).rejects.toMatchObject({ status: 400, param: 'previous_response_id' });
    await expect(openai.responses.delete(r.id)).rejects.toMatchObject({ status: 404 });
  });
});

describe('responses.inputTokens.count', () => {
  it('counts a turn locally, its stored conversation included; bad input is a 400', async () => {
    const alone = await openai.responses.inputTokens.count({ model: 'claude-sonnet-4', input: 'What is my name?' });
    expect(alone.object).toBe('response.input_tokens');
    expect(alone.input_tokens).toBeGreaterThan(3);
    const first = await openai.responses.create({ model: 'claude-sonnet-4', input: 'My name is Ada. '.repeat(20) });
    const after = await openai.responses.inputTokens.count({ input: 'What is my name?', previous_response_id: first.id });
    expect(after.input_tokens).toBeGreaterThan(alone.input_tokens + 60);
    await expect(openai.responses.inputTokens.count({ input: 5 as unknown as string })).rejects.toMatchObject({ status: 400, param: 'input' });
    await expect(openai.responses.inputTokens.count({ input: 'x', previous_response_id: 'resp_nope' })).rejects.toMatchObject({ status: 400 });
  });
});

describe('prompt caching priced right', () => {
  it('a long prompt sent twice to gpt-4o: cached_tokens reported, recorded as cache reads, priced at the cached rate', async () => {
    const input = 'Explain the history of the printing press in detail. '.repeat(150);
    await openai.responses.create({ model: 'gpt-4o', input });
    const { data: r, response } = await openai.responses.create({ model: 'gpt-4o', input }).withResponse();
    const cached = r.usage!.input_tokens_details.cached_tokens;
    expect(cached).toBeGreaterThan(1000);
    const rec = await recordOf(response.headers.get('x-tollgate-request-id')!);
    expect(rec!.usage.cacheRead).toBe(cached);
    expect(rec!.usage.input).toBe(r.usage!.input_tokens - cached);
    const price = h.gw.prices.lookup('openai', 'gpt-4o')!;
    const expected = (rec!.usage.input * price.input + cached * price.cacheRead + rec!.usage.output * price.output) / 1e6;
    expect(rec!.costUsd).toBeCloseTo(expected, 10);
  });
});

describe('structured output (text.format json_schema)', () => {
  const schema = {
    type: 'object',
    properties: { name: { type: 'string' }, population: { type: 'integer' }, coastal: { type: 'boolean' } },
    required: ['name', 'population', 'coastal'],
    additionalProperties: false,
  };
  it('gpt-4o answers JSON that validates against the schema, and the format is echoed', async () => {
    const r = await openai.responses.create({
      model: 'gpt-4o',
      input: 'Describe Lisbon.',
      text: { format: { type: 'json_schema', name: 'city', schema, strict: true } },
    });
    const value = JSON.parse(r.output_text);
    const ajv = new Ajv();
    expect(ajv.validate(schema, value)).toBe(true);
    expect(r.text?.format).toMatchObject({ type: 'json_schema', name: 'city' });
  });
});

describe('bad input gets a 400 in OpenAI shape', () => {
  it.each([
    [{ model: 'gpt-4o' }, 'input'],
    [{ input: 'hi' }, 'model'],
    [{ model: 'gpt-4o', input: 42 }, 'input'],
    [{ model: 'gpt-4o', input: [{ role: 'wizard', content: 'x' }] }, 'input[0].role'],
    [{ model: 'gpt-4o', input: 'x', tools: [{ type: 'function', function: { name: 'chat_style' } }] }, 'tools[0].name'],
    [{ model: 'gpt-4o', input: 'x', max_output_tokens: 'many' }, 'max_output_tokens'],
    [{ model: 'gpt-4o', input: 'x', previous_response_id: 'resp_nope' }, 'previous_response_id'],
    [{ model: 'gpt-4o', input: [{ type: 'item_reference', id: 'msg_nope' }] }, 'input[0].id'],
    [{ model: 'gpt-4o', input: 'x', store: 'yes' }, 'store'],
    [{ model: 'gpt-4o', input: 'x', text: { format: { type: 'json_schema', name: 'x' } } }, 'text.format.schema'],
  ])('%j -> param %s', async (body, param) => {
    const res = await fetch(`${h.gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer demo-key' }, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { message: string; type: string; param: string | null } };
    expect(json.error.type).toBe('invalid_request_error');
    expect(json.error.param).toBe(param);
    expect(json.error.message.length).toBeGreaterThan(0);
  });

  it('not JSON: 400; unknown model: 404; an unknown stored id: 404 in OpenAI shape', async () => {
    const post = (body: string) => fetch(`${h.gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer demo-key' }, body });
    expect((await post('{nope')).status).toBe(400);
    const unknown = await post(JSON.stringify({ model: 'no-such-model', input: 'x' }));
    expect(unknown.status).toBe(404);
    const got = await fetch(`${h.gw.url}/v1/responses/resp_missing`, { headers: { authorization: 'Bearer demo-key' } });
    expect(got.status).toBe(404);
    const malformed = await fetch(`${h.gw.url}/v1/responses/%E0%A4%A`, { headers: { authorization: 'Bearer demo-key' } });
    expect(malformed.status).toBe(404);
    expect(((await malformed.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect(((await got.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });
});
