// OpenAI Responses request body -> canonical ChatRequest, with OpenAI-style errors naming the field
// at fault. The conversation is a list of items (messages, function calls and their outputs,
// reasoning); a turn that continues a stored response gets that response's items first.

import type { ChatRequest, ContentPart, Message, ResponseFormat, TextPart, ToolChoice, ToolDef } from '../../core/canonical.js';
import { isObject, type Json } from '../shared/json.js';
import { bad, expectString, optNumber, typeName } from '../openai/request-fields.js';

export { bad, typeName };

/** Fields the canonical model names; everything else goes to `extra` (instructions too: the answer echoes them). */
const KNOWN = new Set(['model', 'input', 'tools', 'tool_choice', 'max_output_tokens', 'temperature', 'top_p', 'text', 'stream', 'user', 'metadata']);

/** Parameters this gateway cannot honour on any upstream: a 400 beats an answer that ignored them. */
const UNSUPPORTED = ['background', 'conversation', 'prompt'];

/** What a create request says about state, read before the conversation can be built. */
export interface TurnState {
  previousResponseId?: string;
  /** default true, as at OpenAI */
  store: boolean;
  /** ids of `item_reference` items in `input`, to look up before parsing */
  itemReferences: string[];
}

export function turnStateOf(body: unknown): TurnState {
  if (!isObject(body)) throw bad(`The request body must be a JSON object, but got ${typeName(body)}.`, 'body');
  const state: TurnState = { store: true, itemReferences: [] };
  if (body.store !== undefined && body.store !== null) {
    if (typeof body.store !== 'boolean') throw bad(`Invalid type for 'store': expected a boolean, but got ${typeName(body.store)} instead.`, 'store');
    state.store = body.store;
  }
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    const id = expectString(body.previous_response_id, 'previous_response_id');
    if (id === '') throw bad(`Invalid 'previous_response_id': empty string.`, 'previous_response_id');
    state.previousResponseId = id;
  }
  if (Array.isArray(body.input)) {
    body.input.forEach((it, i) => {
      if (isObject(it) && it.type === 'item_reference') state.itemReferences.push(expectString(it.id, `input[${i}].id`));
    });
  }
  return state;
}

/**
 * `input` as a list of item objects: a string is one user message; each item is checked here, so
 * what is stored and replayed later is known to be well formed. `item_reference`s are replaced by
 * the items they name (from `refs`).
 */
export function inputItems(input: unknown, refs: ReadonlyMap<string, Json>): Json[] {
  if (input === undefined || input === null) throw bad(`Missing required parameter: 'input'.`, 'input');
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  if (!Array.isArray(input)) throw bad(`Invalid type for 'input': expected one of a string or array of input items, but got ${typeName(input)} instead.`, 'input');
  return input.map((it, i) => {
    const p = `input[${i}]`;
    if (!isObject(it)) throw bad(`Invalid type for '${p}': expected an object, but got ${typeName(it)} instead.`, p);
    if (it.type === 'item_reference') {
      const id = expectString(it.id, `${p}.id`);
      const found = refs.get(id);
      if (!found) throw bad(`Item with id '${id}' not found.`, `${p}.id`);
      return found;
    }
    checkItem(it, p);
    return normalizeItem(it);
  });
}

const INPUT_PART_TYPES = ['input_text', 'input_image', 'input_file', 'output_text', 'refusal'];

function checkItem(it: Json, p: string): void {
  const type = it.type ?? (it.role !== undefined ? 'message' : undefined);
  switch (type) {
    case 'message': {
      const role = it.role;
      if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
        throw bad(`Invalid value: ${JSON.stringify(role)}. Supported values are: 'user', 'assistant', 'system', and 'developer'.`, `${p}.role`);
      }
      const c = it.content;
      if (c === undefined) throw bad(`Missing required parameter: '${p}.content'.`, `${p}.content`);
      if (typeof c === 'string') return;
      if (!Array.isArray(c)) throw bad(`Invalid type for '${p}.content': expected one of a string or array of objects, but got ${typeName(c)} instead.`, `${p}.content`);
      c.forEach((part, j) => {
        const pp = `${p}.content[${j}]`;
        if (!isObject(part)) throw bad(`Invalid type for '${pp}': expected an object, but got ${typeName(part)} instead.`, pp);
        if (!INPUT_PART_TYPES.includes(part.type as string)) {
          throw bad(`Invalid value: ${JSON.stringify(part.type)}. Supported values are: ${INPUT_PART_TYPES.map((t) => `'${t}'`).join(', ')}.`, `${pp}.type`);
        }
        if (part.type === 'input_text' || part.type === 'output_text') expectString(part.text, `${pp}.text`);
        if (part.type === 'refusal') expectString(part.refusal, `${pp}.refusal`);
        if (part.type === 'input_image' && typeof part.image_url !== 'string') {
          throw bad(`Only images given by 'image_url' (a URL or a data: URL) are supported by this gateway; file ids are not.`, `${pp}.image_url`, 'unsupported');
        }
        if (part.type === 'input_file') throw bad(`Content parts of type 'input_file' are not supported by this gateway.`, `${pp}.type`, 'unsupported');
      });
      return;
    }
    case 'function_call':
      expectString(it.call_id, `${p}.call_id`);
      expectString(it.name, `${p}.name`);
      expectString(it.arguments, `${p}.arguments`);
      return;
    case 'function_call_output': {
      expectString(it.call_id, `${p}.call_id`);
      const o = it.output;
      if (typeof o === 'string') return;
      if (!Array.isArray(o) || !o.every((x) => isObject(x) && x.type === 'input_text' && typeof x.text === 'string')) {
        throw bad(`Invalid type for '${p}.output': expected a string or an array of input_text parts.`, `${p}.output`);
      }
      return;
    }
    case 'reasoning':
      if (it.summary !== undefined && !Array.isArray(it.summary)) throw bad(`Invalid type for '${p}.summary': expected an array, but got ${typeName(it.summary)} instead.`, `${p}.summary`);
      return;
    case undefined:
      throw bad(`Missing required parameter: '${p}.type'.`, `${p}.type`);
    default:
      throw bad(`Input items of type ${JSON.stringify(type)} are not supported by this gateway (it supports message, function_call, function_call_output, reasoning and item_reference).`, `${p}.type`, 'unsupported');
  }
}

/** The item as it is stored and listed: explicit type, content as parts. */
function normalizeItem(it: Json): Json {
  if ((it.type ?? 'message') !== 'message') return { ...it };
  const role = it.role as string;
  const content = typeof it.content === 'string' ? [{ type: role === 'assistant' ? 'output_text' : 'input_text', text: it.content }] : it.content;
  return { ...it, type: 'message', role, content };
}

function partText(part: Json): string {
  if (part.type === 'refusal') return part.refusal as string;
  return (part.text as string | undefined) ?? '';
}

function reasoningText(it: Json): string {
  const pieces: string[] = [];
  for (const s of (it.summary as unknown[] | undefined) ?? []) if (isObject(s) && typeof s.text === 'string') pieces.push(s.text);
  for (const s of (it.content as unknown[] | undefined) ?? []) if (isObject(s) && typeof s.text === 'string') pieces.push(s.text);
  return pieces.join('\n\n');
}

/** Items (already checked) -> canonical system parts and messages; consecutive assistant items merge. */
export function itemsToMessages(items: readonly Json[], system: TextPart[]): Message[] {
  const out: Message[] = [];
  const last = (role: Message['role']): Message => {
    const m = out[out.length - 1];
    if (m && m.role === role) return m;
    const fresh: Message = { role, content: [] };
    out.push(fresh);
    return fresh;
  };
  for (const it of items) {
    switch (it.type) {
      case 'message': {
        const parts = it.content as Json[];
        if (it.role === 'system' || it.role === 'developer') {
          for (const p of parts) system.push({ type: 'text', text: partText(p) });
          break;
        }
        if (it.role === 'assistant') {
          const m = last('assistant');
          for (const p of parts) if (partText(p) !== '') m.content.push({ type: 'text', text: partText(p) });
          break;
        }
        const content: ContentPart[] = parts.map((p) => (p.type === 'input_image' ? { type: 'image', url: p.image_url as string } : { type: 'text', text: partText(p) }));
        out.push({ role: 'user', content });
        break;
      }
      case 'function_call':
        last('assistant').content.push({ type: 'tool_call', id: it.call_id as string, name: it.name as string, arguments: it.arguments as string });
        break;
      case 'function_call_output': {
        const o = it.output;
        const content = typeof o === 'string' ? o : (o as Json[]).map((x): TextPart => ({ type: 'text', text: x.text as string }));
        last('tool').content.push({ type: 'tool_result', toolCallId: it.call_id as string, content });
        break;
      }
      case 'reasoning': {
        const text = reasoningText(it);
        const sig = typeof it.encrypted_content === 'string' ? it.encrypted_content : undefined;
        // a reasoning item with neither text nor a signature carries nothing another model can use
        if (text !== '' || sig) last('assistant').content.push({ type: 'thinking', text, ...(sig ? { signature: sig } : {}) });
        break;
      }
    }
  }
  return out;
}

function parseTools(v: unknown): ToolDef[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad(`Invalid type for 'tools': expected an array, but got ${typeName(v)} instead.`, 'tools');
  return v.map((t, i) => {
    const p = `tools[${i}]`;
    if (!isObject(t)) throw bad(`Invalid type for '${p}': expected an object, but got ${typeName(t)} instead.`, p);
    if (t.type !== 'function') {
      throw bad(`Tools of type ${JSON.stringify(t.type)} are not supported by this gateway; only function tools are (tools: [{type: 'function', name, parameters}]).`, `${p}.type`, 'unsupported');
    }
    const name = expectString(t.name, `${p}.name`);
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) throw bad(`Invalid '${p}.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, `${p}.name`);
    if (t.parameters !== undefined && t.parameters !== null && !isObject(t.parameters)) throw bad(`Invalid type for '${p}.parameters': expected an object.`, `${p}.parameters`);
    const def: ToolDef = { name, parameters: (t.parameters as Json | undefined) ?? { type: 'object', properties: {} } };
    if (t.description !== undefined && t.description !== null) def.description = expectString(t.description, `${p}.description`);
    return def;
  });
}

function parseToolChoice(v: unknown): ToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  if (isObject(v) && v.type === 'function' && typeof v.name === 'string') return { name: v.name };
  throw bad(`Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or {"type": "function", "name": ...}.`, 'tool_choice');
}

function parseTextFormat(v: unknown): ResponseFormat | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad(`Invalid type for 'text': expected an object, but got ${typeName(v)} instead.`, 'text');
  const f = v.format;
  if (f === undefined || f === null) return undefined;
  if (!isObject(f)) throw bad(`Invalid type for 'text.format': expected an object, but got ${typeName(f)} instead.`, 'text.format');
  if (f.type === 'text' || f.type === 'json_object') return { type: f.type };
  if (f.type === 'json_schema') {
    if (!isObject(f.schema)) throw bad(`Missing required parameter: 'text.format.schema'.`, 'text.format.schema');
    const rf: ResponseFormat = { type: 'json_schema', schema: f.schema, name: expectString(f.name, 'text.format.name') };
    if (typeof f.strict === 'boolean') rf.strict = f.strict;
    return rf;
  }
  throw bad(`Invalid value for 'text.format.type': expected one of 'text', 'json_object' or 'json_schema'.`, 'text.format.type');
}

/** A stored response a turn continues: its conversation's items and the response's own output. */
export interface PreviousTurn {
  inputItems: readonly Json[];
  output: readonly Json[];
}

export interface ParsedTurn {
  request: ChatRequest;
  /** the conversation up to this turn (history first), as stored and listed by input_items */
  items: Json[];
}

export function parseResponsesTurn(body: unknown, previous?: PreviousTurn, refs: ReadonlyMap<string, Json> = new Map()): ParsedTurn {
  if (!isObject(body)) throw bad(`The request body must be a JSON object, but got ${typeName(body)}.`, 'body');
  if (body.model === undefined) throw bad(`Missing required parameter: 'model'.`, 'model');
  const model = expectString(body.model, 'model');
  if (model === '') throw bad(`Invalid 'model': empty string.`, 'model');
  for (const k of UNSUPPORTED) {
    if (body[k] !== undefined && body[k] !== null && body[k] !== false) throw bad(`The '${k}' parameter is not supported by this gateway.`, k, 'unsupported');
  }
  const turn = inputItems(body.input, refs);
  const items = previous ? [...previous.inputItems, ...previous.output, ...turn] : turn;

  const system: TextPart[] = [];
  if (body.instructions !== undefined && body.instructions !== null) {
    // instructions apply to this turn only: they are not stored with the conversation
    const text = expectString(body.instructions, 'instructions');
    if (text !== '') system.push({ type: 'text', text });
  }
  const messages = itemsToMessages(items, system);
  if (messages.length === 0) throw bad(`Invalid 'input': the conversation has no user or assistant items.`, 'input');

  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw bad(`Invalid type for 'stream': expected a boolean, but got ${typeName(body.stream)} instead.`, 'stream');
  }
  const stream = body.stream === true;
  const extra: Record<string, unknown> = {};
  // Responses streams always carry usage (in response.completed)
  const req: ChatRequest = { model, system, messages, stream, includeUsage: stream, extra, extraFormat: 'openai-responses' };
  const tools = parseTools(body.tools);
  if (tools && tools.length > 0) req.tools = tools;
  const toolChoice = parseToolChoice(body.tool_choice);
  if (toolChoice !== undefined) req.toolChoice = toolChoice;
  const maxTokens = optNumber(body.max_output_tokens, 'max_output_tokens', 16, Number.MAX_SAFE_INTEGER, true);
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const temperature = optNumber(body.temperature, 'temperature', 0, 2);
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(body.top_p, 'top_p', 0, 1);
  if (topP !== undefined) req.topP = topP;
  const rf = parseTextFormat(body.text);
  if (rf) req.responseFormat = rf;
  if (body.user !== undefined && body.user !== null) req.user = expectString(body.user, 'user');
  if (body.metadata !== undefined && body.metadata !== null) {
    const md = body.metadata;
    if (!isObject(md)) throw bad(`Invalid type for 'metadata': expected an object, but got ${typeName(md)} instead.`, 'metadata');
    const entries = Object.entries(md);
    if (entries.length > 16) throw bad(`Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got ${entries.length} instead.`, 'metadata');
    const out: Record<string, string> = {};
    for (const [k, v] of entries) {
      const s = expectString(v, `metadata.${k}`);
      if (k.length > 64 || s.length > 512) throw bad(`Invalid 'metadata.${k}': keys are at most 64 characters and values at most 512.`, `metadata.${k}`);
      out[k] = s;
    }
    req.metadata = out;
  }
  if (isObject(body.text)) {
    const { format: _f, ...restText } = body.text;
    if (Object.keys(restText).length > 0) extra.text = restText;
  }
  for (const [k, v] of Object.entries(body)) if (!KNOWN.has(k)) extra[k] = v;
  // checked here so a bad value is the client's 400 whether or not this turn continues another
  turnStateOf(body);
  return { request: req, items };
}

export function parseResponsesRequest(body: unknown): ChatRequest {
  return parseResponsesTurn(body).request;
}
