// OpenAI Chat Completions request body -> canonical ChatRequest, with OpenAI-style errors that name
// the offending field (error.param), so a client sees what OpenAI itself would have told it.

import type { CacheControl, ChatRequest, ContentPart, ImagePart, Message, ResponseFormat, TextPart, ToolChoice, ToolDef } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { isObject, type Json } from '../shared/json.js';
import { bad, expectString, optNumber, typeName } from './request-fields.js';

/** Fields the canonical model names; everything else goes to `extra`. */
const KNOWN = new Set([
  'model',
  'messages',
  'tools',
  'tool_choice',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'seed',
  'n',
  'response_format',
  'stream',
  'stream_options',
  'user',
  'metadata',
]);

/**
 * `cache_control` on a content part or a tool, as LiteLLM and OpenRouter let OpenAI-format clients
 * mark Anthropic prompt-cache breakpoints; kept in the canonical request so a call that ends at
 * Anthropic carries it exactly (TTL included), and dropped by renderers of formats without it.
 */
function cacheControlOf(v: unknown, param: string): { cacheControl?: CacheControl } {
  if (v === undefined || v === null) return {};
  if (!isObject(v) || v.type !== 'ephemeral') throw bad(`Invalid value for '${param}': expected {"type": "ephemeral"} with an optional "ttl" of '5m' or '1h'.`, param);
  if (v.ttl !== undefined && v.ttl !== '5m' && v.ttl !== '1h') throw bad(`Invalid value for '${param}.ttl': expected '5m' or '1h'.`, `${param}.ttl`);
  return { cacheControl: v.ttl ? { type: 'ephemeral', ttl: v.ttl } : { type: 'ephemeral' } };
}

function textParts(content: unknown, param: string, allowRefusal = false): TextPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw bad(`Invalid type for '${param}': expected one of a string or array of objects, but got ${typeName(content)} instead.`, param);
  return content.map((p, i) => {
    const pp = `${param}[${i}]`;
    if (!isObject(p)) throw bad(`Invalid type for '${pp}': expected an object, but got ${typeName(p)} instead.`, pp);
    if (p.type === 'text') return { type: 'text', text: expectString(p.text, `${pp}.text`), ...cacheControlOf(p.cache_control, `${pp}.cache_control`) };
    if (allowRefusal && p.type === 'refusal') return { type: 'text', text: expectString(p.refusal, `${pp}.refusal`) };
    throw bad(`Invalid value for '${pp}.type': expected 'text', got ${JSON.stringify(p.type)}.`, `${pp}.type`);
  });
}

function userParts(content: unknown, param: string): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw bad(`Invalid type for '${param}': expected one of a string or array of objects, but got ${typeName(content)} instead.`, param);
  if (content.length === 0) throw bad(`Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`, param);
  return content.map((p, i): ContentPart => {
    const pp = `${param}[${i}]`;
    if (!isObject(p)) throw bad(`Invalid type for '${pp}': expected an object, but got ${typeName(p)} instead.`, pp);
    switch (p.type) {
      case 'text':
        return { type: 'text', text: expectString(p.text, `${pp}.text`), ...cacheControlOf(p.cache_control, `${pp}.cache_control`) };
      case 'image_url': {
        const iu = p.image_url;
        const url = isObject(iu) ? iu.url : undefined;
        const img: ImagePart = { type: 'image', url: expectString(url, `${pp}.image_url.url`), ...cacheControlOf(p.cache_control, `${pp}.cache_control`) };
        return img;
      }
      case 'input_audio':
      case 'file':
        throw new GatewayError('unsupported', `Content parts of type '${p.type}' are not supported by this gateway.`, { param: `${pp}.type` });
      default:
        throw bad(`Invalid value for '${pp}.type': expected one of 'text', 'image_url', 'input_audio' or 'file', got ${JSON.stringify(p.type)}.`, `${pp}.type`);
    }
  });
}

function parseToolCalls(v: unknown, param: string): ContentPart[] {
  if (!Array.isArray(v)) throw bad(`Invalid type for '${param}': expected an array, but got ${typeName(v)} instead.`, param);
  return v.map((tc, i) => {
    const pp = `${param}[${i}]`;
    if (!isObject(tc)) throw bad(`Invalid type for '${pp}': expected an object, but got ${typeName(tc)} instead.`, pp);
    if (tc.type !== undefined && tc.type !== 'function') throw bad(`Invalid value for '${pp}.type': expected 'function'.`, `${pp}.type`);
    const fn = tc.function;
    if (!isObject(fn)) throw bad(`Missing required parameter: '${pp}.function'.`, `${pp}.function`);
    return {
      type: 'tool_call',
      id: expectString(tc.id, `${pp}.id`),
      name: expectString(fn.name, `${pp}.function.name`),
      arguments: expectString(fn.arguments, `${pp}.function.arguments`),
    };
  });
}

function parseMessages(v: unknown, system: TextPart[], wire: { system: number[]; messages: number[] }): Message[] {
  if (v === undefined) throw bad(`Missing required parameter: 'messages'.`, 'messages');
  if (!Array.isArray(v)) throw bad(`Invalid type for 'messages': expected an array, but got ${typeName(v)} instead.`, 'messages');
  if (v.length === 0) throw bad(`Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.`, 'messages');
  const out: Message[] = [];
  v.forEach((m, i) => {
    const p = `messages[${i}]`;
    if (!isObject(m)) throw bad(`Invalid type for '${p}': expected an object, but got ${typeName(m)} instead.`, p);
    const name = m.name === undefined ? undefined : expectString(m.name, `${p}.name`);
    switch (m.role) {
      case 'system':
      case 'developer':
        if (m.content === undefined) throw bad(`Missing required parameter: '${p}.content'.`, `${p}.content`);
        for (const t of textParts(m.content, `${p}.content`)) {
          system.push(t);
          wire.system.push(i);
        }
        return;
      case 'user':
        if (m.content === undefined) throw bad(`Missing required parameter: '${p}.content'.`, `${p}.content`);
        wire.messages.push(i);
        out.push({ role: 'user', content: userParts(m.content, `${p}.content`), ...(name ? { name } : {}) });
        return;
      case 'assistant': {
        const content: ContentPart[] = [];
        if (m.content !== undefined && m.content !== null) content.push(...textParts(m.content, `${p}.content`, true).filter((t) => t.text !== ''));
        if (m.tool_calls !== undefined && m.tool_calls !== null) content.push(...parseToolCalls(m.tool_calls, `${p}.tool_calls`));
        if ((m.content === undefined || m.content === null) && content.length === 0 && m.function_call === undefined) {
          throw bad(`Invalid '${p}': an assistant message needs 'content' or 'tool_calls'.`, `${p}.content`);
        }
        wire.messages.push(i);
        out.push({ role: 'assistant', content, ...(name ? { name } : {}) });
        return;
      }
      case 'tool': {
        const id = expectString(m.tool_call_id, `${p}.tool_call_id`);
        if (m.content === undefined) throw bad(`Missing required parameter: '${p}.content'.`, `${p}.content`);
        const content = typeof m.content === 'string' ? m.content : textParts(m.content, `${p}.content`);
        wire.messages.push(i);
        out.push({ role: 'tool', content: [{ type: 'tool_result', toolCallId: id, content }] });
        return;
      }
      case undefined:
        throw bad(`Missing required parameter: '${p}.role'.`, `${p}.role`);
      default:
        throw bad(
          `Invalid value: ${JSON.stringify(m.role)}. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.`,
          `${p}.role`,
        );
    }
  });
  return out;
}

function parseTools(v: unknown): ToolDef[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad(`Invalid type for 'tools': expected an array, but got ${typeName(v)} instead.`, 'tools');
  return v.map((t, i) => {
    const p = `tools[${i}]`;
    if (!isObject(t)) throw bad(`Invalid type for '${p}': expected an object, but got ${typeName(t)} instead.`, p);
    if (t.type !== 'function') throw bad(`Invalid value for '${p}.type': expected 'function', got ${JSON.stringify(t.type)}.`, `${p}.type`);
    const fn = t.function;
    if (!isObject(fn)) throw bad(`Missing required parameter: '${p}.function'.`, `${p}.function`);
    const name = expectString(fn.name, `${p}.function.name`);
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) throw bad(`Invalid '${p}.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, `${p}.function.name`);
    if (fn.parameters !== undefined && !isObject(fn.parameters)) throw bad(`Invalid type for '${p}.function.parameters': expected an object.`, `${p}.function.parameters`);
    const def: ToolDef = { name, parameters: (fn.parameters as Json | undefined) ?? { type: 'object', properties: {} }, ...cacheControlOf(t.cache_control, `${p}.cache_control`) };
    if (fn.description !== undefined) def.description = expectString(fn.description, `${p}.function.description`);
    return def;
  });
}

function parseToolChoice(v: unknown): ToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  if (isObject(v) && v.type === 'function' && isObject(v.function) && typeof v.function.name === 'string') return { name: v.function.name };
  throw bad(`Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or {"type": "function", "function": {"name": ...}}.`, 'tool_choice');
}

function parseStop(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) {
    if (v.length > 4) throw bad(`Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ${v.length} instead.`, 'stop');
    return v as string[];
  }
  throw bad(`Invalid type for 'stop': expected one of a string or array of strings, but got ${typeName(v)} instead.`, 'stop');
}

function parseResponseFormat(v: unknown): ResponseFormat | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad(`Invalid type for 'response_format': expected an object, but got ${typeName(v)} instead.`, 'response_format');
  if (v.type === 'text' || v.type === 'json_object') return { type: v.type };
  if (v.type === 'json_schema') {
    const js = v.json_schema;
    if (!isObject(js)) throw bad(`Missing required parameter: 'response_format.json_schema'.`, 'response_format.json_schema');
    const rf: ResponseFormat = { type: 'json_schema', schema: isObject(js.schema) ? js.schema : {} };
    if (typeof js.name === 'string') rf.name = js.name;
    if (typeof js.strict === 'boolean') rf.strict = js.strict;
    return rf;
  }
  throw bad(`Invalid value for 'response_format.type': expected one of 'text', 'json_object' or 'json_schema'.`, 'response_format.type');
}

export function parseOpenAIChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw bad(`The request body must be a JSON object, but got ${typeName(body)}.`, 'body');
  if (body.model === undefined) throw bad(`Missing required parameter: 'model'.`, 'model');
  const model = expectString(body.model, 'model');
  if (model === '') throw bad(`Invalid 'model': empty string.`, 'model');

  const system: TextPart[] = [];
  const wire = { system: [] as number[], messages: [] as number[] };
  const messages = parseMessages(body.messages, system, wire);

  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw bad(`Invalid type for 'stream': expected a boolean, but got ${typeName(body.stream)} instead.`, 'stream');
  }
  const stream = body.stream === true;
  let includeUsage = false;
  const extra: Record<string, unknown> = {};
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!stream) throw bad(`The 'stream_options' parameter is only allowed when 'stream' is enabled.`, 'stream_options');
    const so = body.stream_options;
    if (!isObject(so)) throw bad(`Invalid type for 'stream_options': expected an object, but got ${typeName(so)} instead.`, 'stream_options');
    if (so.include_usage !== undefined && typeof so.include_usage !== 'boolean') {
      throw bad(`Invalid type for 'stream_options.include_usage': expected a boolean, but got ${typeName(so.include_usage)} instead.`, 'stream_options.include_usage');
    }
    includeUsage = so.include_usage === true;
    const { include_usage: _iu, ...rest } = so;
    if (Object.keys(rest).length > 0) extra.stream_options = rest;
  }

  const maxCompletion = optNumber(body.max_completion_tokens, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  const maxTokens = optNumber(body.max_tokens, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);

  const req: ChatRequest = { model, system, messages, stream, includeUsage, extra, extraFormat: 'openai' };
  // only hoisted system messages make canonical and wire message indices differ
  if (wire.system.length > 0) req.wireIndex = wire;
  const tools = parseTools(body.tools);
  if (tools) req.tools = tools;
  const toolChoice = parseToolChoice(body.tool_choice);
  if (toolChoice !== undefined) req.toolChoice = toolChoice;
  if (maxCompletion !== undefined || maxTokens !== undefined) req.maxTokens = maxCompletion ?? maxTokens;
  const temperature = optNumber(body.temperature, 'temperature', 0, 2);
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(body.top_p, 'top_p', 0, 1);
  if (topP !== undefined) req.topP = topP;
  const stop = parseStop(body.stop);
  if (stop) req.stop = stop;
  const seed = optNumber(body.seed, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  if (seed !== undefined) req.seed = seed;
  const n = optNumber(body.n, 'n', 1, 128, true);
  if (n !== undefined) req.n = n;
  const rf = parseResponseFormat(body.response_format);
  if (rf) req.responseFormat = rf;
  if (body.user !== undefined && body.user !== null) req.user = expectString(body.user, 'user');
  if (body.metadata !== undefined && body.metadata !== null) {
    const md = body.metadata;
    if (!isObject(md)) throw bad(`Invalid type for 'metadata': expected an object, but got ${typeName(md)} instead.`, 'metadata');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(md)) out[k] = expectString(v, `metadata.${k}`);
    req.metadata = out;
  }
  for (const [k, v] of Object.entries(body)) if (!KNOWN.has(k)) extra[k] = v;
  return req;
}
