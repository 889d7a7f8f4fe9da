// Anthropic Messages request body -> canonical ChatRequest, with Anthropic-style errors.

import type { CacheControl, ChatRequest, ContentPart, Message, TextPart, ToolChoice, ToolDef } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { isObject, type Json } from '../shared/json.js';

const KNOWN = new Set([
  'model',
  'messages',
  'system',
  'max_tokens',
  'tools',
  'tool_choice',
  'temperature',
  'top_p',
  'stop_sequences',
  'stream',
  'metadata',
]);

function bad(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request', `${param}: ${message}`, { param });
}

function expectString(v: unknown, param: string): string {
  if (typeof v !== 'string') throw bad('Input should be a valid string', param);
  return v;
}

function cacheControl(v: unknown, param: string): { cacheControl?: CacheControl } {
  if (v === undefined || v === null) return {};
  if (!isObject(v) || v.type !== 'ephemeral') throw bad("Input should be an object with type 'ephemeral'", param);
  if (v.ttl !== undefined && v.ttl !== '5m' && v.ttl !== '1h') throw bad("Input should be '5m' or '1h'", `${param}.ttl`);
  return { cacheControl: v.ttl ? { type: 'ephemeral', ttl: v.ttl } : { type: 'ephemeral' } };
}

function textBlock(b: Json, param: string): TextPart {
  return { type: 'text', text: expectString(b.text, `${param}.text`), ...cacheControl(b.cache_control, `${param}.cache_control`) };
}

/**
 * A `document` block with a text source (or a content source of text blocks) is text the client
 * retrieved: kept as a marked text part, rendered back as a document. PDF sources (base64, url)
 * carry no text the gateway can count or translate, so they stay unsupported.
 */
function documentBlock(b: Json, param: string): TextPart {
  const src = b.source;
  if (!isObject(src)) throw bad('Field required', `${param}.source`);
  let text: string;
  if (src.type === 'text') text = expectString(src.data, `${param}.source.data`);
  else if (src.type === 'content') {
    if (typeof src.content === 'string') text = src.content;
    else if (Array.isArray(src.content)) {
      text = src.content
        .map((c, i) => {
          const cp = `${param}.source.content.${i}`;
          if (!isObject(c) || c.type !== 'text') throw new GatewayError('unsupported', `${cp}: only text blocks are supported inside a document's content`, { param: cp });
          return expectString(c.text, `${cp}.text`);
        })
        .join('\n');
    } else throw bad('Input should be a valid string or list', `${param}.source.content`);
  } else throw new GatewayError('unsupported', `${param}.source.type: document sources of type ${JSON.stringify(src.type)} are not supported by this gateway (text and content are)`, { param: `${param}.source.type` });
  const document: { title?: string; context?: string } = {};
  if (typeof b.title === 'string') document.title = b.title;
  if (typeof b.context === 'string') document.context = b.context;
  return { type: 'text', text, document, ...cacheControl(b.cache_control, `${param}.cache_control`) };
}

function parseBlock(b: unknown, param: string, role: 'user' | 'assistant'): ContentPart | undefined {
  if (!isObject(b)) throw bad('Input should be a valid dictionary', param);
  const cc = () => cacheControl(b.cache_control, `${param}.cache_control`);
  switch (b.type) {
    case 'text':
      return textBlock(b, param);
    case 'image': {
      const src = b.source;
      if (!isObject(src)) throw bad('Field required', `${param}.source`);
      if (src.type === 'base64') {
        return { type: 'image', mediaType: expectString(src.media_type, `${param}.source.media_type`), data: expectString(src.data, `${param}.source.data`), ...cc() };
      }
      if (src.type === 'url') return { type: 'image', url: expectString(src.url, `${param}.source.url`), ...cc() };
      throw bad("Input tag should be 'base64' or 'url'", `${param}.source.type`);
    }
    case 'tool_use':
      if (role !== 'assistant') throw bad('tool_use blocks are only allowed in assistant messages', param);
      if (!isObject(b.input)) throw bad('Input should be a valid dictionary', `${param}.input`);
      return { type: 'tool_call', id: expectString(b.id, `${param}.id`), name: expectString(b.name, `${param}.name`), arguments: JSON.stringify(b.input), ...cc() };
    case 'tool_result': {
      if (role !== 'user') throw bad('tool_result blocks are only allowed in user messages', param);
      const id = expectString(b.tool_use_id, `${param}.tool_use_id`);
      let content: string | TextPart[] = '';
      if (typeof b.content === 'string') content = b.content;
      else if (Array.isArray(b.content)) {
        content = b.content.map((c, i) => {
          const cp = `${param}.content.${i}`;
          if (!isObject(c) || c.type !== 'text') throw new GatewayError('unsupported', `${cp}: only text blocks are supported inside tool_result`, { param: cp });
          return textBlock(c, cp);
        });
      } else if (b.content !== undefined) throw bad('Input should be a valid string or list', `${param}.content`);
      return { type: 'tool_result', toolCallId: id, content, ...(b.is_error === true ? { isError: true } : {}), ...cc() };
    }
    case 'thinking':
      return { type: 'thinking', text: expectString(b.thinking, `${param}.thinking`), ...(typeof b.signature === 'string' ? { signature: b.signature } : {}) };
    case 'document':
      return documentBlock(b, param);
    case 'redacted_thinking':
      return undefined; // opaque; carries no text we can translate
    default:
      throw new GatewayError('unsupported', `${param}.type: content blocks of type ${JSON.stringify(b.type)} are not supported by this gateway`, { param: `${param}.type` });
  }
}

function parseMessages(v: unknown): Message[] {
  if (v === undefined) throw bad('Field required', 'messages');
  if (!Array.isArray(v)) throw bad('Input should be a valid list', 'messages');
  if (v.length === 0) throw bad('at least one message is required', 'messages');
  return v.map((m, i) => {
    const p = `messages.${i}`;
    if (!isObject(m)) throw bad('Input should be a valid dictionary', p);
    if (m.role !== 'user' && m.role !== 'assistant') throw bad("Input should be 'user' or 'assistant'", `${p}.role`);
    const role = m.role;
    let content: ContentPart[];
    if (typeof m.content === 'string') content = [{ type: 'text', text: m.content }];
    else if (Array.isArray(m.content)) {
      content = [];
      m.content.forEach((b, j) => {
        const part = parseBlock(b, `${p}.content.${j}`, role);
        if (part) content.push(part);
      });
    } else if (m.content === undefined) throw bad('Field required', `${p}.content`);
    else throw bad('Input should be a valid string or list', `${p}.content`);
    return { role, content };
  });
}

function parseSystem(v: unknown): TextPart[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v === '' ? [] : [{ type: 'text', text: v }];
  if (!Array.isArray(v)) throw bad('Input should be a valid string or list', 'system');
  return v.map((b, i) => {
    const p = `system.${i}`;
    if (!isObject(b) || b.type !== 'text') throw bad("Input tag should be 'text'", `${p}.type`);
    return textBlock(b, p);
  });
}

function parseTools(v: unknown): ToolDef[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad('Input should be a valid list', 'tools');
  return v.map((t, i) => {
    const p = `tools.${i}`;
    if (!isObject(t)) throw bad('Input should be a valid dictionary', p);
    if (t.type !== undefined && t.type !== 'custom') {
      throw new GatewayError('unsupported', `${p}.type: server tools (${JSON.stringify(t.type)}) are not supported by this gateway`, { param: `${p}.type` });
    }
    if (!isObject(t.input_schema)) throw bad('Field required', `${p}.input_schema`);
    const def: ToolDef = { name: expectString(t.name, `${p}.name`), parameters: t.input_schema, ...cacheControl(t.cache_control, `${p}.cache_control`) };
    if (t.description !== undefined) def.description = expectString(t.description, `${p}.description`);
    return def;
  });
}

function parseToolChoice(v: unknown): ToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad('Input should be a valid dictionary', 'tool_choice');
  switch (v.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { name: expectString(v.name, 'tool_choice.name') };
    default:
      throw bad("Input tag should be 'auto', 'any', 'tool' or 'none'", 'tool_choice.type');
  }
}

function optNumber(v: unknown, param: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw bad('Input should be a valid number', param);
  // JSON.parse turns a literal beyond ±1.8e308 (e.g. 1e400) into ±Infinity; the wording is Anthropic's (pydantic's)
  if (!Number.isFinite(v)) throw bad('Input should be a finite number', param);
  if (v < min || v > max) throw bad(`Input should be between ${min} and ${max}`, param);
  return v;
}

export function parseAnthropicMessagesRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw new GatewayError('invalid_request', 'The request body must be a JSON object.', { param: 'body' });
  if (body.model === undefined) throw bad('Field required', 'model');
  const model = expectString(body.model, 'model');
  if (body.max_tokens === undefined) throw bad('Field required', 'max_tokens');
  if (typeof body.max_tokens === 'number' && !Number.isFinite(body.max_tokens)) throw bad('Input should be a finite number', 'max_tokens');
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens)) throw bad('Input should be a valid integer', 'max_tokens');
  if (body.max_tokens < 1) throw bad('Input should be greater than or equal to 1', 'max_tokens');
  const system = parseSystem(body.system);
  const messages = parseMessages(body.messages);
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw bad('Input should be a valid boolean', 'stream');
  const stream = body.stream === true;
  const req: ChatRequest = {
    model,
    system,
    messages,
    maxTokens: body.max_tokens,
    stream,
    // Anthropic streams always carry usage
    includeUsage: true,
    extra: {},
    extraFormat: 'anthropic',
  };
  const tools = parseTools(body.tools);
  if (tools) req.tools = tools;
  const tc = parseToolChoice(body.tool_choice);
  if (tc !== undefined) req.toolChoice = tc;
  if (isObject(body.tool_choice) && body.tool_choice.disable_parallel_tool_use !== undefined) {
    req.extra.tool_choice = body.tool_choice; // kept whole so a same-format upstream sees the flag
  }
  const temperature = optNumber(body.temperature, 'temperature', 0, 1);
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(body.top_p, 'top_p', 0, 1);
  if (topP !== undefined) req.topP = topP;
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string')) throw bad('Input should be a valid list of strings', 'stop_sequences');
    req.stop = body.stop_sequences as string[];
  }
  if (body.metadata !== undefined && body.metadata !== null) {
    if (!isObject(body.metadata)) throw bad('Input should be a valid dictionary', 'metadata');
    if (body.metadata.user_id !== undefined && body.metadata.user_id !== null) req.user = expectString(body.metadata.user_id, 'metadata.user_id');
  }
  for (const [k, v] of Object.entries(body)) if (!KNOWN.has(k)) req.extra[k] = v;
  const format = isObject(body.output_config) && isObject(body.output_config.format) ? body.output_config.format : isObject(body.output_format) ? body.output_format : undefined;
  if (format) {
    if (format.type !== 'json_schema') throw bad("Input should be 'json_schema'", 'output_config.format.type');
    if (!isObject(format.schema)) throw bad('Field required', 'output_config.format.schema');
    req.responseFormat = { type: 'json_schema', schema: format.schema };
  }
  return req;
}
