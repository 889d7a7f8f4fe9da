// OpenAI's Responses API: POST /v1/responses, whole and streamed, as api.openai.com answers it (the
// response object, the event stream with sequence numbers, usage with cached and reasoning
// tokens), with `store` and `previous_response_id` kept in a bounded map, and GET/DELETE of a
// stored response. Errors, faults and rate-limit headers are the Chat Completions wire's.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generate, Pacer, planTiming, type Generation, type ToolChoiceMode, type ToolSpec } from './generate.js';
import { sampleFromSchema } from './json-schema-sample.js';
import { header, sendJson, startSse } from './http-io.js';
import { applyImmediateFault, checkOpenAiAuth, chooseFault, isErr, openaiError, parseJsonBody, rateHeaders, sendError, type WireError } from './openai-wire.js';
import { hashSeed, Rng, stableStringify } from './random.js';
import type { SimModelInfo } from './settings.js';
import type { SimState } from './state.js';
import { encodeText, FRAME_TOKEN, pushAll } from './tokens.js';

type Json = Record<string, unknown>;

/** stored responses the simulator keeps for previous_response_id (oldest dropped first past either cap) */
const MAX_STORED = 2000;
const MAX_STORED_BYTES = 64 * 1024 * 1024;

interface Stored {
  response: Json;
  /** the conversation's items through this response's output */
  items: Json[];
  /** about what it holds: the request body that made it plus its answer */
  bytes: number;
}

class StoredResponses extends Map<string, Stored> {
  private total = 0;
  keep(id: string, s: Stored): void {
    this.set(id, s);
    this.total += s.bytes;
    while (this.size > MAX_STORED || this.total > MAX_STORED_BYTES) {
      const [oldest, e] = this.entries().next().value as [string, Stored];
      this.remove(oldest, e);
    }
  }
  remove(id: string, e = this.get(id)): void {
    if (!e) return;
    this.delete(id);
    this.total -= e.bytes;
  }
}

/** per simulator: responses by id, in insertion order */
const stores = new WeakMap<SimState, StoredResponses>();
function storeOf(state: SimState): StoredResponses {
  let s = stores.get(state);
  if (!s) stores.set(state, (s = new StoredResponses()));
  return s;
}

const hex = (n: number): string => randomBytes(n).toString('hex');

interface Plan {
  model: SimModelInfo;
  stream: boolean;
  store: boolean;
  maxTokens?: number;
  tools: ToolSpec[];
  toolChoice: ToolChoiceMode;
  format: Json | undefined;
  /** this turn's conversation: the previous response's items, then the input */
  items: Json[];
  lastRole: string;
  promptIds: number[];
}

function itemText(it: Json): string {
  const c = it.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (p && typeof p === 'object' ? String((p as Json).text ?? (p as Json).refusal ?? (p as Json).image_url ?? '').slice(0, 4000) : '')).join('\n');
  if (it.type === 'function_call') return `${String(it.name)} ${String(it.arguments)}`;
  if (it.type === 'function_call_output') return typeof it.output === 'string' ? it.output : JSON.stringify(it.output);
  return '';
}

function validate(body: Json, state: SimState): Plan | WireError {
  if (typeof body.model !== 'string' || body.model === '') return openaiError(400, "Missing required parameter: 'model'.", 'invalid_request_error', 'model', 'missing_required_parameter');
  const model = state.resolve(body.model);
  if (!model || model.wire !== 'openai' || model.kind !== 'chat') {
    return openaiError(400, `The requested model '${body.model}' does not exist.`, 'invalid_request_error', 'model', 'model_not_found');
  }
  const store = body.store !== false;
  const items: Json[] = [];
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    const prev = storeOf(state).get(String(body.previous_response_id));
    if (!prev) return openaiError(400, `Previous response with id '${String(body.previous_response_id)}' not found.`, 'invalid_request_error', 'previous_response_id', 'previous_response_not_found');
    items.push(...prev.items);
  }
  const input = body.input;
  if (typeof input === 'string') items.push({ type: 'message', role: 'user', content: input });
  else if (Array.isArray(input)) {
    for (const [i, it] of input.entries()) {
      if (!it || typeof it !== 'object' || Array.isArray(it)) return openaiError(400, `Invalid type for 'input[${i}]': expected an object.`, 'invalid_request_error', `input[${i}]`, 'invalid_type');
      const item = it as Json;
      if (item.type === 'item_reference') {
        const found = [...storeOf(state).values()].flatMap((s) => s.items).find((x) => x.id === item.id);
        if (!found) return openaiError(404, `Item with id '${String(item.id)}' not found.`, 'invalid_request_error', `input[${i}].id`);
        items.push(found);
        continue;
      }
      const type = item.type ?? 'message';
      if (type === 'message' && !['user', 'assistant', 'system', 'developer'].includes(String(item.role))) {
        return openaiError(400, `Invalid value: '${String(item.role)}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`, 'invalid_request_error', `input[${i}].role`, 'invalid_value');
      }
      items.push({ ...item, type });
    }
  } else if (items.length === 0 || input !== undefined) {
    return openaiError(400, "Invalid type for 'input': expected one of a string or array of input items.", 'invalid_request_error', 'input', 'invalid_type');
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return openaiError(400, "Invalid type for 'stream': expected a boolean.", 'invalid_request_error', 'stream', 'invalid_type');
  }
  const mot = body.max_output_tokens;
  if (mot !== undefined && mot !== null && (typeof mot !== 'number' || !Number.isInteger(mot) || mot < 16)) {
    return openaiError(400, `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${String(mot)} instead.`, 'invalid_request_error', 'max_output_tokens', 'integer_below_min_value');
  }
  const tools: ToolSpec[] = [];
  if (Array.isArray(body.tools)) {
    for (const [i, t] of body.tools.entries()) {
      const tool = t as Json;
      if (tool?.type !== 'function') continue; // built-in tools: the simulator does not run them
      if (typeof tool.name !== 'string') return openaiError(400, `Missing required parameter: 'tools[${i}].name'.`, 'invalid_request_error', `tools[${i}].name`, 'missing_required_parameter');
      tools.push({ name: tool.name, schema: tool.parameters ?? { type: 'object', properties: {} } });
    }
  }
  let toolChoice: ToolChoiceMode = { mode: 'auto' };
  const tc = body.tool_choice;
  if (tc === 'none' || tc === 'auto' || tc === 'required') toolChoice = { mode: tc };
  else if (tc && typeof tc === 'object' && typeof (tc as Json).name === 'string') {
    const name = (tc as Json).name as string;
    if (!tools.some((t) => t.name === name)) return openaiError(400, `Tool choice '${name}' not found in 'tools' parameter.`, 'invalid_request_error', 'tool_choice');
    toolChoice = { mode: 'named', name };
  }
  const text = body.text as Json | undefined;
  const format = text && typeof text === 'object' && text.format && typeof text.format === 'object' ? (text.format as Json) : undefined;
  if (format?.type === 'json_schema' && (typeof format.name !== 'string' || typeof format.schema !== 'object')) {
    return openaiError(400, "Missing required parameter: 'text.format.schema'.", 'invalid_request_error', 'text.format.schema', 'missing_required_parameter');
  }
  const promptIds: number[] = [];
  if (tools.length > 0) pushAll(promptIds, encodeText(JSON.stringify(body.tools)));
  if (typeof body.instructions === 'string') {
    promptIds.push(FRAME_TOKEN, FRAME_TOKEN, FRAME_TOKEN);
    pushAll(promptIds, encodeText(body.instructions));
  }
  for (const it of items) {
    promptIds.push(FRAME_TOKEN, FRAME_TOKEN, FRAME_TOKEN, ...encodeText(String(it.role ?? it.type)));
    pushAll(promptIds, encodeText(itemText(it)));
  }
  promptIds.push(FRAME_TOKEN, FRAME_TOKEN, FRAME_TOKEN);
  const last = items[items.length - 1];
  const lastRole = !last ? 'user' : last.type === 'function_call_output' ? 'tool' : String(last.role ?? 'assistant');
  return { model, stream: body.stream === true, store, maxTokens: mot as number | undefined, tools, toolChoice, format, items, lastRole, promptIds };
}

/** text that is valid for the requested format: JSON matching the schema, any JSON object, or prose */
function formattedText(gen: Generation, format: Json | undefined, hash: number): Generation {
  if (!gen.text || gen.toolCall || (format?.type !== 'json_schema' && format?.type !== 'json_object')) return gen;
  const value = format.type === 'json_schema' ? sampleFromSchema(format.schema, new Rng(hash)) : { answer: gen.text.text };
  const text = JSON.stringify(value);
  const pieces = encodeText(text).length;
  // cut in pieces of ~4 characters, one per token, as the real stream arrives
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += 4) parts.push(text.slice(i, i + 4));
  return { ...gen, text: { text, pieces: parts }, outputTokens: pieces, truncated: false };
}

export async function handleResponses(req: IncomingMessage, res: ServerResponse, raw: string, state: SimState): Promise<void> {
  const t0 = Date.now();
  if (!checkOpenAiAuth(req, res)) return;
  const body = parseJsonBody(raw);
  if (isErr(body)) return sendError(res, body);
  const plan = validate(body, state);
  if (isErr(plan)) return sendError(res, plan);
  const { model } = plan;
  state.count('requests', model.id);
  const fault = chooseFault(req, model, state);
  if (isErr(fault)) return sendError(res, fault);
  const promptTokens = plan.promptIds.length;
  const win = state.window(model.id).take(promptTokens + (plan.maxTokens ?? 0), model.settings);
  const base = { 'x-request-id': `req_${hex(16)}`, 'openai-version': '2020-10-01', 'openai-organization': 'org-sim', ...rateHeaders(model, win) };
  if (applyImmediateFault(fault.rule, plan.stream, res, model, base)) return;

  const cached = model.promptCache === 'auto' ? state.cache.openaiLookup(model.id, plan.promptIds, model.minCacheTokens) : 0;
  const forced = Number(header(req, 'x-sim-output-tokens'));
  const { stream: _s, ...hashed } = body;
  const requestHash = hashSeed(state.seed, stableStringify(hashed));
  const gen = formattedText(
    generate({
      model,
      requestHash,
      maxTokens: plan.maxTokens,
      tools: plan.tools,
      toolChoice: plan.toolChoice,
      lastRole: plan.lastRole,
      forcedOutputTokens: Number.isInteger(forced) && forced > 0 ? forced : undefined,
      prefaceToolCall: false,
    }),
    plan.format,
    requestHash,
  );
  const pacer = new Pacer(t0, planTiming(model.settings, state.latencyScale, state.rng, promptTokens - cached));
  const id = `resp_${hex(24)}`;
  const createdAt = Math.floor(t0 / 1000);
  const usage = {
    input_tokens: promptTokens,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: gen.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: promptTokens + gen.outputTokens,
  };
  const msgId = `msg_${hex(24)}`;
  const fcId = `fc_${hex(24)}`;
  const callId = `call_${randomBytes(12).toString('base64url')}`;
  const textPart = (text: string) => ({ type: 'output_text', annotations: [], logprobs: [], text });
  const output: Json[] = [];
  if (gen.text) output.push({ id: msgId, type: 'message', status: 'completed', content: [textPart(gen.text.text)], role: 'assistant' });
  if (gen.toolCall) output.push({ id: fcId, type: 'function_call', status: 'completed', arguments: gen.toolCall.args, call_id: callId, name: gen.toolCall.name });
  const shell = (status: string, out: Json[], u: unknown): Json => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: plan.maxTokens ?? null,
    max_tool_calls: null,
    model: String(body.model),
    output: out,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    service_tier: 'default',
    store: plan.store,
    temperature: body.temperature ?? 1,
    text: { format: plan.format ?? { type: 'text' }, verbosity: 'medium' },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_logprobs: 0,
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: u,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  });
  const finalStatus = gen.truncated ? 'incomplete' : 'completed';
  const final = shell(finalStatus, output, usage);
  if (plan.store) storeOf(state).keep(id, { response: final, items: [...plan.items, ...output], bytes: raw.length + (gen.text?.text.length ?? 0) + (gen.toolCall?.args.length ?? 0) });

  if (!plan.stream) {
    await pacer.waitToken(Math.max(0, gen.outputTokens - 1));
    if (res.destroyed) return;
    const headers = { ...base, 'openai-processing-ms': String(Date.now() - t0) };
    if (fault.rule?.kind === 'cut') {
      const text = JSON.stringify(final);
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.write(text.slice(0, Math.floor(text.length * (fault.rule.at ?? 0.5))));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    return sendJson(res, 200, final, headers);
  }

  await pacer.waitQueue();
  if (res.destroyed) return;
  startSse(res, { ...base, 'openai-processing-ms': String(Date.now() - t0) });
  let seq = 0;
  const events: string[] = [];
  const ev = (type: string, data: Json): string => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  // built up front: what streams is fixed; the pacer spaces the deltas
  const head = ev('response.created', { response: shell('in_progress', [], null) }) + ev('response.in_progress', { response: shell('in_progress', [], null) });
  let outIndex = 0;
  if (gen.text) {
    const o = outIndex++;
    events.push(
      ev('response.output_item.added', { output_index: o, item: { id: msgId, type: 'message', status: 'in_progress', content: [], role: 'assistant' } }) +
        ev('response.content_part.added', { item_id: msgId, output_index: o, content_index: 0, part: textPart('') }),
    );
    for (const p of gen.text.pieces) events.push(ev('response.output_text.delta', { item_id: msgId, output_index: o, content_index: 0, delta: p, logprobs: [] }));
    events.push(
      ev('response.output_text.done', { item_id: msgId, output_index: o, content_index: 0, text: gen.text.text, logprobs: [] }) +
        ev('response.content_part.done', { item_id: msgId, output_index: o, content_index: 0, part: textPart(gen.text.text) }) +
        ev('response.output_item.done', { output_index: o, item: output[0] }),
    );
  }
  if (gen.toolCall) {
    const o = outIndex++;
    events.push(ev('response.output_item.added', { output_index: o, item: { id: fcId, type: 'function_call', status: 'in_progress', arguments: '', call_id: callId, name: gen.toolCall.name } }));
    for (const p of gen.toolCall.argPieces) events.push(ev('response.function_call_arguments.delta', { item_id: fcId, output_index: o, delta: p }));
    events.push(
      ev('response.function_call_arguments.done', { item_id: fcId, output_index: o, arguments: gen.toolCall.args }) +
        ev('response.output_item.done', { output_index: o, item: output[o] }),
    );
  }
  const rule = fault.rule;
  const stopAt = rule && (rule.kind === 'cut' || rule.kind === 'error-event' || rule.kind === 'reset') ? Math.floor(events.length * (rule.at ?? 0.5)) : Infinity;
  await pacer.waitToken(0);
  if (res.destroyed) return;
  res.write(head);
  for (let i = 0; i < events.length; i++) {
    if (i >= stopAt) {
      if (rule!.kind === 'error-event') res.end(ev('error', { code: 'server_error', message: 'The server had an error while processing your request. Sorry about that!', param: null }));
      else if (rule!.kind === 'reset') res.socket?.destroy();
      else res.end();
      return;
    }
    await pacer.waitToken(i);
    if (res.destroyed) return;
    res.write(events[i]!);
  }
  res.end(ev(finalStatus === 'completed' ? 'response.completed' : 'response.incomplete', { response: final }));
}

/** GET and DELETE /v1/responses/{id}: what the simulator stored */
export function handleStoredResponse(req: IncomingMessage, res: ServerResponse, state: SimState, id: string, method: string): void {
  if (!checkOpenAiAuth(req, res)) return;
  const kept = storeOf(state);
  const s = kept.get(id);
  if (!s) return sendError(res, openaiError(404, `Response with id '${id}' not found.`, 'invalid_request_error'));
  if (method === 'DELETE') {
    kept.remove(id);
    return sendJson(res, 200, { id, object: 'response.deleted', deleted: true });
  }
  sendJson(res, 200, s.response);
}
