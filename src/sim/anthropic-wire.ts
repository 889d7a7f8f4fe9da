// The Anthropic wire: POST /v1/messages (stream and not), POST /v1/messages/count_tokens,
// GET /v1/models (when asked with anthropic-version). Shapes, SSE events, headers and errors as
// api.anthropic.com sends them.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { qualityInput } from './quality.js';
import { FaultSpecError, parseFaults, pickFault, type FaultRule } from './faults.js';
import { generate, Pacer, planTiming, type Generation, type ToolChoiceMode, type ToolSpec } from './generate.js';
import { header, sendJson, startSse } from './http-io.js';
import type { PromptBlock } from './prompt-cache.js';
import { hashSeed, randomId, Rng, stableStringify } from './random.js';
import type { SimModelInfo } from './settings.js';
import type { SimState } from './state.js';
import { encodeText, FRAME_TOKEN } from './tokens.js';
import { signThinking, verifyThinking } from './thinking.js';

type Json = Record<string, unknown>;

interface WireError {
  status: number;
  type: string;
  message: string;
}
const err = (status: number, type: string, message: string): WireError => ({ status, type, message });
const isErr = (x: unknown): x is WireError => !!x && typeof x === 'object' && 'status' in x && 'type' in x && 'message' in x;
const newRequestId = () => `req_011C${randomId(20)}`;

function sendError(res: ServerResponse, e: WireError, headers: Record<string, string> = {}): void {
  const requestId = headers['request-id'] ?? newRequestId();
  sendJson(res, e.status, { type: 'error', error: { type: e.type, message: e.message }, request_id: requestId }, { ...headers, 'request-id': requestId });
}

/** The real API rejects a missing key (401) and a missing anthropic-version (400). */
function checkHeaders(req: IncomingMessage, res: ServerResponse): boolean {
  const key = header(req, 'x-api-key');
  const bearer = /^Bearer\s+\S+/i.test(header(req, 'authorization') ?? '');
  if (!key && !bearer) {
    sendError(res, err(401, 'authentication_error', 'x-api-key header is required'));
    return false;
  }
  if (!header(req, 'anthropic-version')) {
    sendError(res, err(400, 'invalid_request_error', 'anthropic-version: header is required'));
    return false;
  }
  return true;
}

function parseBody(raw: string): Json | WireError {
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Json;
    return err(400, 'invalid_request_error', 'Input should be a valid dictionary or object to extract fields from');
  } catch (e) {
    return err(400, 'invalid_request_error', `There was an error parsing the body of your request: ${(e as Error).message}`);
  }
}

function cacheTtl(cc: unknown, where: string): '5m' | '1h' | undefined | WireError {
  if (cc === undefined || cc === null) return undefined;
  const c = cc as Json;
  if (c.type !== 'ephemeral') return err(400, 'invalid_request_error', `${where}.cache_control.type: Input should be 'ephemeral'`);
  if (c.ttl === undefined || c.ttl === '5m') return '5m';
  if (c.ttl === '1h') return '1h';
  return err(400, 'invalid_request_error', `${where}.cache_control.ttl: Input should be '5m' or '1h'`);
}

function blockText(b: Json): string {
  switch (b.type) {
    case 'text':
      return String(b.text ?? '');
    case 'tool_use':
      return `${String(b.name)} ${JSON.stringify(b.input ?? {})}`;
    case 'tool_result':
      return typeof b.content === 'string' ? b.content : Array.isArray(b.content) ? (b.content as Json[]).map(blockText).join('\n') : '';
    case 'image':
    case 'document':
      return JSON.stringify(b.source ?? '').slice(0, 6000); // images cost ~1.5k tokens; a stand-in
    case 'thinking':
      return String(b.thinking ?? '');
    default:
      return '';
  }
}

interface MessagesPlan {
  model: SimModelInfo;
  stream: boolean;
  maxTokens: number;
  tools: ToolSpec[];
  toolChoice: ToolChoiceMode;
  lastRole: string;
  blocks: PromptBlock[];
  totalTokens: number;
  /** extended thinking asked for, with this budget */
  thinkingBudget?: number;
  /** the tier the usage reports */
  serviceTier: string;
  /** structured output: output_config.format (or the beta's output_format) json_schema */
  json?: { schema: unknown };
}

/** mean thinking tokens of an answer (well under a typical budget; the budget caps it) */
const THINKING_MEAN_TOKENS = 400;

function validate(body: Json, state: SimState, forCount: boolean): MessagesPlan | WireError {
  if (body.model === undefined) return err(400, 'invalid_request_error', 'model: Field required');
  if (typeof body.model !== 'string') return err(400, 'invalid_request_error', 'model: Input should be a valid string');
  const model = state.resolve(body.model);
  if (!model || model.wire !== 'anthropic') return err(404, 'not_found_error', `model: ${body.model}`);
  const mt = body.max_tokens;
  if (!forCount) {
    if (mt === undefined) return err(400, 'invalid_request_error', 'max_tokens: Field required');
    if (typeof mt !== 'number' || !Number.isInteger(mt)) return err(400, 'invalid_request_error', 'max_tokens: Input should be a valid integer');
    if (mt < 1) return err(400, 'invalid_request_error', 'max_tokens: Input should be greater than or equal to 1');
  }
  const messages = body.messages;
  if (messages === undefined) return err(400, 'invalid_request_error', 'messages: Field required');
  if (!Array.isArray(messages)) return err(400, 'invalid_request_error', 'messages: Input should be a valid list');
  if (messages.length === 0) return err(400, 'invalid_request_error', 'messages: at least one message is required');
  if (body.stream !== undefined && typeof body.stream !== 'boolean') return err(400, 'invalid_request_error', 'stream: Input should be a valid boolean');

  const blocks: PromptBlock[] = [];
  const tools: ToolSpec[] = [];
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return err(400, 'invalid_request_error', 'tools: Input should be a valid list');
    for (const [i, t] of (body.tools as Json[]).entries()) {
      if (!t || typeof t.name !== 'string') return err(400, 'invalid_request_error', `tools.${i}.custom.name: Field required`);
      if (t.input_schema === undefined && t.type === undefined) return err(400, 'invalid_request_error', `tools.${i}.custom.input_schema: Field required`);
      const ttl = cacheTtl(t.cache_control, `tools.${i}`);
      if (isErr(ttl)) return ttl;
      const { cache_control: _cc, ...def } = t;
      blocks.push({ tokens: encodeText(JSON.stringify(def)), ttl });
      tools.push({ name: t.name, schema: t.input_schema ?? { type: 'object', properties: {} } });
    }
  }
  const sys = body.system;
  if (typeof sys === 'string') {
    if (sys) blocks.push({ tokens: [FRAME_TOKEN, ...encodeText(sys)] });
  } else if (Array.isArray(sys)) {
    for (const [i, b] of (sys as Json[]).entries()) {
      if (!b || b.type !== 'text' || typeof b.text !== 'string') return err(400, 'invalid_request_error', `system.${i}: Input should be a valid text block`);
      const ttl = cacheTtl(b.cache_control, `system.${i}`);
      if (isErr(ttl)) return ttl;
      blocks.push({ tokens: [FRAME_TOKEN, ...encodeText(b.text)], ttl });
    }
  } else if (sys !== undefined) return err(400, 'invalid_request_error', 'system: Input should be a valid string or list of text blocks');

  for (const [i, m] of (messages as Json[]).entries()) {
    if (!m || (m.role !== 'user' && m.role !== 'assistant')) return err(400, 'invalid_request_error', `messages.${i}.role: Input should be 'user' or 'assistant'`);
    const frame = [FRAME_TOKEN, FRAME_TOKEN, FRAME_TOKEN, ...encodeText(m.role)];
    if (typeof m.content === 'string') {
      blocks.push({ tokens: [...frame, ...encodeText(m.content)] });
    } else if (Array.isArray(m.content)) {
      if (m.content.length === 0 && i < messages.length - 1) return err(400, 'invalid_request_error', `messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
      for (const [j, b] of (m.content as Json[]).entries()) {
        if (!b || typeof b.type !== 'string') return err(400, 'invalid_request_error', `messages.${i}.content.${j}.type: Field required`);
        const ttl = cacheTtl(b.cache_control, `messages.${i}.content.${j}`);
        if (isErr(ttl)) return ttl;
        if (b.type === 'thinking') {
          if (m.role !== 'assistant') return err(400, 'invalid_request_error', `messages.${i}.content.${j}: thinking blocks are only allowed in assistant messages`);
          if (typeof b.thinking !== 'string') return err(400, 'invalid_request_error', `messages.${i}.content.${j}.thinking: Field required`);
          if (b.signature === undefined) return err(400, 'invalid_request_error', `messages.${i}.content.${j}.signature: Field required`);
          if (!verifyThinking(b.thinking, b.signature, state.thinkingKey)) return err(400, 'invalid_request_error', `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`);
        }
        blocks.push({ tokens: [...(j === 0 ? frame : []), ...encodeText(blockText(b))], ttl });
      }
    } else return err(400, 'invalid_request_error', `messages.${i}.content: Input should be a valid string or list of content blocks`);
  }
  // top-level cache_control: automatic caching puts the breakpoint on the last block
  const auto = cacheTtl(body.cache_control, 'cache_control');
  if (isErr(auto)) return auto;
  if (auto && blocks.length > 0 && !blocks[blocks.length - 1]!.ttl) blocks[blocks.length - 1]!.ttl = auto;
  const nBreakpoints = blocks.filter((b) => b.ttl).length;
  if (nBreakpoints > 4) return err(400, 'invalid_request_error', `A maximum of 4 blocks with cache_control may be provided. Found ${nBreakpoints}.`);

  let toolChoice: ToolChoiceMode = { mode: 'auto' };
  const tc = body.tool_choice as Json | undefined;
  if (tc !== undefined) {
    if (tc?.type === 'auto' || tc?.type === 'none') toolChoice = { mode: tc.type };
    else if (tc?.type === 'any') toolChoice = { mode: 'required' };
    else if (tc?.type === 'tool' && typeof tc.name === 'string') {
      if (!tools.some((t) => t.name === tc.name)) return err(400, 'invalid_request_error', `tool_choice: tool '${tc.name}' not found in tools`);
      toolChoice = { mode: 'named', name: tc.name };
    } else return err(400, 'invalid_request_error', "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
  }
  let thinkingBudget: number | undefined;
  const th = body.thinking as Json | undefined | null;
  if (th !== undefined && th !== null) {
    if (typeof th !== 'object' || (th.type !== 'enabled' && th.type !== 'disabled')) return err(400, 'invalid_request_error', "thinking: Input tag should be 'enabled' or 'disabled'");
    if (th.type === 'enabled') {
      const bt = th.budget_tokens;
      if (bt === undefined) return err(400, 'invalid_request_error', 'thinking.enabled.budget_tokens: Field required');
      if (typeof bt !== 'number' || !Number.isInteger(bt)) return err(400, 'invalid_request_error', 'thinking.enabled.budget_tokens: Input should be a valid integer');
      if (bt < 1024) return err(400, 'invalid_request_error', 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
      if (model.reasoning !== 'thinking') return err(400, 'invalid_request_error', `'${model.id}' does not support thinking.`);
      if (!forCount && typeof mt === 'number' && mt <= bt) return err(400, 'invalid_request_error', '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size');
      if (body.temperature !== undefined && body.temperature !== 1) return err(400, 'invalid_request_error', '`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility');
      if (toolChoice.mode === 'required' || toolChoice.mode === 'named') return err(400, 'invalid_request_error', 'Thinking may not be enabled when tool_choice forces tool use.');
      thinkingBudget = bt;
    }
  }
  // structured outputs: output_config.format, or output_format under the structured-outputs beta
  let json: MessagesPlan['json'];
  const oc = body.output_config as Json | undefined;
  const format = (oc && typeof oc === 'object' ? (oc.format as Json | undefined) : undefined) ?? (body.output_format as Json | undefined);
  if (format !== undefined && format !== null) {
    if (typeof format !== 'object' || format.type !== 'json_schema') return err(400, 'invalid_request_error', "output_config.format.type: Input should be 'json_schema'");
    if (!format.schema || typeof format.schema !== 'object') return err(400, 'invalid_request_error', 'output_config.format.schema: Field required');
    json = { schema: format.schema };
  }
  const st = body.service_tier;
  if (st !== undefined && st !== 'auto' && st !== 'standard_only') return err(400, 'invalid_request_error', "service_tier: Input should be 'auto' or 'standard_only'");
  const totalTokens = blocks.reduce((n, b) => n + b.tokens.length, 0);
  return {
    json,
    thinkingBudget,
    serviceTier: 'standard',
    model,
    stream: body.stream === true,
    maxTokens: typeof mt === 'number' ? mt : 0,
    tools,
    toolChoice,
    lastRole: String((messages[messages.length - 1] as Json).role),
    blocks,
    totalTokens,
  };
}

function rateHeaders(model: SimModelInfo, r: { remainingRequests: number; remainingTokens: number; resetMs: number }): Record<string, string> {
  const reset = new Date(Date.now() + r.resetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const s = model.settings;
  // Anthropic splits the token limit into input and output limits; we give output a fifth
  const out = Math.round(s.tokensPerMin / 5);
  return {
    'anthropic-ratelimit-requests-limit': String(s.requestsPerMin),
    'anthropic-ratelimit-requests-remaining': String(r.remainingRequests),
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-tokens-limit': String(s.tokensPerMin),
    'anthropic-ratelimit-tokens-remaining': String(r.remainingTokens),
    'anthropic-ratelimit-tokens-reset': reset,
    'anthropic-ratelimit-input-tokens-limit': String(s.tokensPerMin - out),
    'anthropic-ratelimit-input-tokens-remaining': String(Math.max(0, r.remainingTokens - out)),
    'anthropic-ratelimit-input-tokens-reset': reset,
    'anthropic-ratelimit-output-tokens-limit': String(out),
    'anthropic-ratelimit-output-tokens-remaining': String(Math.min(out, r.remainingTokens)),
    'anthropic-ratelimit-output-tokens-reset': reset,
  };
}

function immediateFault(rule: FaultRule | undefined, stream: boolean, res: ServerResponse, base: Record<string, string>): boolean {
  if (!rule) return false;
  const retryAfter = String(rule.retryAfterS ?? 1);
  switch (rule.kind) {
    case '429':
      sendError(res, err(429, 'rate_limit_error', 'This request would exceed the rate limit for your organization of requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.'), { ...base, 'retry-after': retryAfter, 'anthropic-ratelimit-requests-remaining': '0' });
      return true;
    case 'quota':
      sendError(res, err(400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.'), base);
      return true;
    case '500':
      sendError(res, err(500, 'api_error', 'Internal server error'), base);
      return true;
    case '503':
      sendError(res, err(503, 'api_error', 'Service unavailable'), { ...base, 'retry-after': retryAfter });
      return true;
    case '529':
      sendError(res, err(529, 'overloaded_error', 'Overloaded'), { ...base, 'retry-after': retryAfter });
      return true;
    case 'error-event':
      if (stream) return false;
      sendError(res, err(529, 'overloaded_error', 'Overloaded'), base);
      return true;
    case 'timeout':
      return true;
    case 'reset':
      if (stream && rule.at !== undefined) return false;
      res.socket?.destroy();
      return true;
    case 'cut':
      return false;
  }
}

export async function handleMessages(req: IncomingMessage, res: ServerResponse, raw: string, state: SimState): Promise<void> {
  const t0 = Date.now();
  if (!checkHeaders(req, res)) return;
  const body = parseBody(raw);
  if (isErr(body)) return sendError(res, body);
  const plan = validate(body, state, false);
  if (isErr(plan)) return sendError(res, plan);
  const { model } = plan;
  state.count('requests', model.id);
  let rules: FaultRule[] = [];
  try {
    rules = parseFaults(header(req, 'x-sim-fault') ?? '');
  } catch (e) {
    if (e instanceof FaultSpecError) return sendError(res, err(400, 'invalid_request_error', e.message));
    throw e;
  }
  const rule = pickFault([...rules, ...model.settings.faults], () => state.rng.next());
  if (rule) state.count('faults', rule.kind);

  const win = state.window(model.id).take(plan.totalTokens + plan.maxTokens, model.settings);
  const base = { 'request-id': newRequestId(), 'anthropic-organization-id': '00000000-0000-4000-8000-000000000000', ...rateHeaders(model, win) };
  if (win.over && state.enforceRateLimits) {
    return sendError(res, err(429, 'rate_limit_error', 'This request would exceed the rate limit for your organization of requests per minute.'), { ...base, 'retry-after': String(Math.max(1, Math.ceil(win.resetMs / 1000))) });
  }
  if (immediateFault(rule, plan.stream, res, base)) return;

  const cache = model.promptCache === 'explicit' ? state.cache.anthropicLookup(model.id, plan.blocks, model.minCacheTokens) : { read: 0, write5m: 0, write1h: 0 };
  const written = cache.write5m + cache.write1h;
  const inputTokens = plan.totalTokens - cache.read - written;
  const forced = Number(header(req, 'x-sim-output-tokens'));
  const { stream: _s, ...hashed } = body;
  const requestHash = hashSeed(state.seed, stableStringify(hashed));
  const gen = generate({
    model,
    requestHash,
    maxTokens: plan.maxTokens,
    tools: plan.tools,
    toolChoice: plan.toolChoice,
    lastRole: plan.lastRole,
    forcedOutputTokens: Number.isInteger(forced) && forced > 0 ? forced : undefined,
    prefaceToolCall: true,
    json: plan.json,
    quality: qualityInput(state, body),
    reasoning: plan.thinkingBudget ? { budgetTokens: plan.thinkingBudget, meanTokens: THINKING_MEAN_TOKENS, visible: true } : undefined,
  });
  const signature = gen.thinking ? signThinking(gen.thinking.text, state.thinkingKey) : undefined;
  // cache writes are prefilled like any uncached token; reads are not
  const pacer = new Pacer(t0, planTiming(model.settings, state.latencyScale, state.rng, plan.totalTokens - cache.read));
  const usageIn = {
    input_tokens: inputTokens,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cache.read,
  };
  const usage = {
    ...usageIn,
    cache_creation: { ephemeral_5m_input_tokens: cache.write5m, ephemeral_1h_input_tokens: cache.write1h },
    output_tokens: gen.outputTokens,
    service_tier: plan.serviceTier,
  };
  const id = `msg_01${randomId(22)}`;
  const stopReason = gen.toolCall ? 'tool_use' : gen.truncated ? 'max_tokens' : 'end_turn';
  const toolId = `toolu_01${randomId(22)}`;

  if (!plan.stream) {
    await pacer.waitToken(Math.max(0, gen.outputTokens - 1));
    if (res.destroyed) return;
    const content: Json[] = [];
    if (gen.thinking) content.push({ type: 'thinking', thinking: gen.thinking.text, signature });
    if (gen.text) content.push({ type: 'text', text: gen.text.text });
    if (gen.toolCall) content.push({ type: 'tool_use', id: toolId, name: gen.toolCall.name, input: JSON.parse(gen.toolCall.args) });
    const payload = { id, type: 'message', role: 'assistant', model: body.model, content, stop_reason: stopReason, stop_sequence: null, usage };
    if (rule?.kind === 'cut') {
      const text = JSON.stringify(payload);
      res.writeHead(200, { ...base, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.write(text.slice(0, Math.floor(text.length * (rule.at ?? 0.5))));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    return sendJson(res, 200, payload, base);
  }

  await pacer.waitQueue();
  if (res.destroyed) return;
  startSse(res, base);
  await streamMessage(res, gen, {
    rng: new Rng(requestHash ^ 0xa5a5),
    pacer,
    rule,
    toolId,
    signature,
    start: { id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
    deltaUsage: { ...usageIn, output_tokens: gen.outputTokens },
    stopReason,
  });
}

type Event = [name: string, data: Json, tokenIndex: number];

async function streamMessage(
  res: ServerResponse,
  gen: Generation,
  o: { rng: Rng; pacer: Pacer; rule?: FaultRule; toolId: string; signature?: string; start: Json; deltaUsage: Json; stopReason: string },
): Promise<void> {
  // build the whole event list first, each tagged with the output token it waits for
  const events: Event[] = [];
  let tok = 0;
  let index = 0;
  let pinged = false;
  const ping = () => {
    if (!pinged) events.push(['ping', { type: 'ping' }, tok]);
    pinged = true;
  };
  if (gen.thinking) {
    // thinking streams in larger deltas than text, then its signature, just before the block stops
    events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }, 0]);
    ping();
    const p = gen.thinking.pieces;
    for (let i = 0; i < p.length; ) {
      const n = o.rng.int(4, 12);
      events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: p.slice(i, i + n).join('') } }, Math.min(i + n, p.length) - 1]);
      i += n;
    }
    tok = p.length;
    events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: o.signature } }, tok]);
    events.push(['content_block_stop', { type: 'content_block_stop', index }, tok]);
    index++;
  }
  if (gen.text) {
    events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }, tok]);
    ping();
    const p = gen.text.pieces;
    const base = tok;
    let sinceLastPing = 0;
    for (let i = 0; i < p.length; ) {
      const n = o.rng.int(1, 3); // Claude's deltas usually carry a few tokens
      events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: p.slice(i, i + n).join('') } }, base + Math.min(i + n, p.length) - 1]);
      i += n;
      if (++sinceLastPing >= 40) {
        events.push(['ping', { type: 'ping' }, base + i]);
        sinceLastPing = 0;
      }
    }
    tok = base + p.length;
    events.push(['content_block_stop', { type: 'content_block_stop', index }, tok]);
    index++;
  }
  if (gen.toolCall) {
    events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: o.toolId, name: gen.toolCall.name, input: {} } }, tok]);
    ping();
    events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } }, tok]);
    const p = gen.toolCall.argPieces;
    for (let i = 0; i < p.length; ) {
      const n = o.rng.int(2, 6);
      events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: p.slice(i, i + n).join('') } }, tok + Math.min(i + n, p.length) - 1]);
      i += n;
    }
    tok += p.length;
    events.push(['content_block_stop', { type: 'content_block_stop', index }, tok]);
  }
  const last = Math.max(0, tok - 1);
  events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: o.stopReason, stop_sequence: null }, usage: o.deltaUsage }, last]);
  events.push(['message_stop', { type: 'message_stop' }, last]);

  const send = (name: string, data: Json) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  send('message_start', { type: 'message_start', message: o.start });
  const faulty = o.rule && (o.rule.kind === 'cut' || o.rule.kind === 'error-event' || o.rule.kind === 'reset');
  const stopAt = faulty ? Math.max(1, Math.floor(events.length * (o.rule!.at ?? 0.5))) : Infinity;
  for (let i = 0; i < events.length; i++) {
    if (i >= stopAt) {
      if (o.rule!.kind === 'error-event') {
        res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`);
      } else if (o.rule!.kind === 'reset') res.socket?.destroy();
      else res.end(); // cut: no message_delta, no message_stop
      return;
    }
    const [name, data, t] = events[i]!;
    await o.pacer.waitToken(t);
    if (res.destroyed) return;
    send(name, data);
  }
  res.end();
}

export async function handleCountTokens(req: IncomingMessage, res: ServerResponse, raw: string, state: SimState): Promise<void> {
  if (!checkHeaders(req, res)) return;
  const body = parseBody(raw);
  if (isErr(body)) return sendError(res, body);
  const plan = validate(body, state, true);
  if (isErr(plan)) return sendError(res, plan);
  sendJson(res, 200, { input_tokens: plan.totalTokens }, { 'request-id': newRequestId() });
}

export function isAnthropicClient(req: IncomingMessage): boolean {
  return header(req, 'anthropic-version') !== undefined || header(req, 'x-api-key') !== undefined;
}

export function handleAnthropicModels(req: IncomingMessage, res: ServerResponse, state: SimState, path: string): void {
  if (!checkHeaders(req, res)) return;
  const entry = (m: SimModelInfo) => ({ type: 'model', id: m.id, display_name: m.displayName, created_at: new Date(m.createdAt * 1000).toISOString() });
  const one = path.match(/\/models\/(.+)$/)?.[1];
  if (one) {
    const m = state.resolve(decodeURIComponent(one));
    if (!m || m.wire !== 'anthropic') return sendError(res, err(404, 'not_found_error', `model: ${one}`));
    return sendJson(res, 200, entry(m), { 'request-id': newRequestId() });
  }
  const data = [...state.models.values()].filter((m) => m.wire === 'anthropic').map(entry);
  sendJson(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null }, { 'request-id': newRequestId() });
}
