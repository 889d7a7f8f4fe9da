// The OpenAI wire: POST /v1/chat/completions (also Gemini's /v1beta/openai/chat/completions),
// POST /v1/embeddings, GET /v1/models. Shapes, headers and errors as api.openai.com sends them.

import { qualityInput } from './quality.js';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generate, Pacer, planTiming, type Generation, type ToolChoiceMode, type ToolSpec } from './generate.js';
import { FaultSpecError, parseFaults, pickFault, type FaultRule } from './faults.js';
import { goDuration, header, sendJson, startSse } from './http-io.js';
import { hashSeed, randomId, Rng, stableStringify } from './random.js';
import type { SimModelInfo } from './settings.js';
import type { SimState } from './state.js';
import { encodeText, FRAME_TOKEN, pushAll } from './tokens.js';
import { embed } from './embeddings.js';

type Json = Record<string, unknown>;

export function openaiError(status: number, message: string, type: string, param: string | null = null, code: string | null = null) {
  return { status, body: { error: { message, type, param, code } } };
}
export type WireError = ReturnType<typeof openaiError>;

export function sendError(res: ServerResponse, e: WireError, headers: Record<string, string> = {}): void {
  sendJson(res, e.status, e.body, { 'x-request-id': `req_${randomBytes(16).toString('hex')}`, ...headers });
}

/** the 401 the real API sends when no key is given */
export function checkOpenAiAuth(req: IncomingMessage, res: ServerResponse): boolean {
  const auth = header(req, 'authorization') ?? '';
  if (/^Bearer\s+\S+/i.test(auth)) return true;
  sendError(
    res,
    openaiError(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", 'invalid_request_error'),
  );
  return false;
}

export function parseJsonBody(raw: string): Json | WireError {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return openaiError(400, 'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)', 'invalid_request_error');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    return openaiError(400, 'Invalid request body: expected a JSON object.', 'invalid_request_error');
  }
  return v as Json;
}

export const isErr = (x: unknown): x is WireError => !!x && typeof x === 'object' && 'status' in x && 'body' in x;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function invalidType(param: string, expected: string, v: unknown): WireError {
  return openaiError(400, `Invalid type for '${param}': expected ${expected}, but got ${typeName(v)} instead.`, 'invalid_request_error', param, 'invalid_type');
}

function intParam(body: Json, param: string): number | undefined | WireError {
  const v = body[param];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) return invalidType(param, 'an integer', v);
  if (v < 1) return openaiError(400, `Invalid '${param}': integer below minimum value. Expected a value >= 1, but got ${v} instead.`, 'invalid_request_error', param, 'integer_below_min_value');
  return v;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => {
        const part = p as Json;
        if (part?.type === 'text') return String(part.text ?? '');
        if (part?.type === 'image_url') return String((part.image_url as Json | undefined)?.url ?? '').slice(0, 340); // ~85 tokens, a low-detail image
        return '';
      })
      .join('\n');
  }
  return '';
}

interface ChatPlan {
  model: SimModelInfo;
  stream: boolean;
  includeUsage: boolean;
  maxTokens?: number;
  /** choices to generate */
  n: number;
  /** logprobs asked, with this many alternatives per token (0..20) */
  logprobs?: { top: number };
  /** response_format: json_schema (its schema) or json_object */
  json?: { schema?: unknown };
  /** a reasoning model's effort (default medium) */
  reasoningEffort?: string;
  /** the tier the answer reports */
  serviceTier: string;
  tools: ToolSpec[];
  toolChoice: ToolChoiceMode;
  lastRole: string;
  promptIds: number[];
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
/** mean reasoning tokens per effort, for reasoning models (an answer's reasoning varies around it) */
const REASONING_TOKENS: Record<string, number> = { minimal: 16, low: 192, medium: 640, high: 1920 };
const SERVICE_TIERS = new Set(['auto', 'default', 'flex', 'scale', 'priority']);

function validateChat(body: Json, state: SimState, path: string): ChatPlan | WireError {
  if (typeof body.model !== 'string' || body.model === '') {
    return openaiError(400, 'you must provide a model parameter', 'invalid_request_error');
  }
  const model = state.resolve(body.model);
  const geminiPath = path.startsWith('/v1beta/');
  if (!model || model.wire !== 'openai' || model.kind !== 'chat' || (geminiPath && model.ownedBy !== 'google')) {
    return openaiError(404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found');
  }
  const messages = body.messages;
  if (messages === undefined) return openaiError(400, "Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages)) return invalidType('messages', 'an array', messages);
  if (messages.length === 0) {
    return openaiError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'invalid_request_error', 'messages', 'empty_array');
  }
  for (const [i, m] of messages.entries()) {
    if (!m || typeof m !== 'object' || Array.isArray(m)) return invalidType(`messages[${i}]`, 'an object', m);
    const role = (m as Json).role;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      return openaiError(400, `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`, 'invalid_request_error', `messages[${i}].role`, 'invalid_value');
    }
    const c = (m as Json).content;
    if (c !== undefined && c !== null && typeof c !== 'string' && !Array.isArray(c)) return invalidType(`messages[${i}].content`, 'one of a string or array of objects', c);
    if ((c === undefined || c === null) && role !== 'assistant') {
      return openaiError(400, `Missing required parameter: 'messages[${i}].content'.`, 'invalid_request_error', `messages[${i}].content`, 'missing_required_parameter');
    }
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') return invalidType('stream', 'a boolean', body.stream);
  const stream = body.stream === true;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!stream) return openaiError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'invalid_request_error', 'stream_options');
    if (typeof body.stream_options !== 'object') return invalidType('stream_options', 'an object', body.stream_options);
  }
  const includeUsage = stream && (body.stream_options as Json | undefined)?.include_usage === true;
  const maxTokens = intParam(body, 'max_completion_tokens');
  if (isErr(maxTokens)) return maxTokens;
  const legacyMax = intParam(body, 'max_tokens');
  if (isErr(legacyMax)) return legacyMax;
  let n = 1;
  if (body.n !== undefined && body.n !== null) {
    if (typeof body.n !== 'number' || !Number.isInteger(body.n)) return invalidType('n', 'an integer', body.n);
    if (body.n < 1) return openaiError(400, `Invalid 'n': integer below minimum value. Expected a value >= 1, but got ${body.n} instead.`, 'invalid_request_error', 'n', 'integer_below_min_value');
    if (body.n > 128) return openaiError(400, `Invalid 'n': integer above maximum value. Expected a value <= 128, but got ${body.n} instead.`, 'invalid_request_error', 'n', 'integer_above_max_value');
    n = body.n;
  }
  let logprobs: ChatPlan['logprobs'];
  if (body.logprobs !== undefined && body.logprobs !== null && typeof body.logprobs !== 'boolean') return invalidType('logprobs', 'a boolean', body.logprobs);
  if (body.top_logprobs !== undefined && body.top_logprobs !== null) {
    const t = body.top_logprobs;
    if (typeof t !== 'number' || !Number.isInteger(t)) return invalidType('top_logprobs', 'an integer', t);
    if (t < 0 || t > 20) return openaiError(400, `Invalid 'top_logprobs': expected a value between 0 and 20, but got ${t} instead.`, 'invalid_request_error', 'top_logprobs', 'invalid_value');
    if (body.logprobs !== true) return openaiError(400, "Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.", 'invalid_request_error', 'top_logprobs', 'invalid_value');
  }
  if (body.logprobs === true) {
    if (model.reasoning) return openaiError(400, "Unsupported parameter: 'logprobs' is not supported with this model.", 'invalid_request_error', 'logprobs', 'unsupported_parameter');
    logprobs = { top: typeof body.top_logprobs === 'number' ? body.top_logprobs : 0 };
  }
  let json: ChatPlan['json'];
  const rf = body.response_format as Json | undefined | null;
  if (rf !== undefined && rf !== null) {
    if (typeof rf !== 'object' || Array.isArray(rf)) return invalidType('response_format', 'an object', rf);
    if (rf.type === 'json_object') json = {};
    else if (rf.type === 'json_schema') {
      const js = rf.json_schema as Json | undefined;
      if (!js || typeof js !== 'object') return openaiError(400, "Missing required parameter: 'response_format.json_schema'.", 'invalid_request_error', 'response_format.json_schema', 'missing_required_parameter');
      if (typeof js.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(js.name)) {
        return openaiError(400, "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.", 'invalid_request_error', 'response_format.json_schema.name', 'invalid_value');
      }
      if (js.schema !== undefined && (typeof js.schema !== 'object' || js.schema === null || Array.isArray(js.schema))) return invalidType('response_format.json_schema.schema', 'an object', js.schema);
      json = { schema: js.schema ?? { type: 'object', properties: {} } };
    } else if (rf.type !== 'text') {
      return openaiError(400, `Invalid value: '${String(rf.type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`, 'invalid_request_error', 'response_format.type', 'invalid_value');
    }
  }
  let reasoningEffort: string | undefined;
  if (body.reasoning_effort !== undefined && body.reasoning_effort !== null) {
    if (!model.reasoning) return openaiError(400, "Unsupported parameter: 'reasoning_effort' is not supported with this model.", 'invalid_request_error', 'reasoning_effort', 'unsupported_parameter');
    if (typeof body.reasoning_effort !== 'string' || !REASONING_TOKENS[body.reasoning_effort]) {
      return openaiError(400, `Invalid value: '${String(body.reasoning_effort)}'. Supported values are: 'minimal', 'low', 'medium', and 'high'.`, 'invalid_request_error', 'reasoning_effort', 'invalid_value');
    }
    reasoningEffort = body.reasoning_effort;
  }
  if (model.reasoning && body.max_tokens !== undefined && body.max_tokens !== null) {
    return openaiError(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", 'invalid_request_error', 'max_tokens', 'unsupported_parameter');
  }
  let serviceTier = 'default';
  if (body.service_tier !== undefined && body.service_tier !== null) {
    if (typeof body.service_tier !== 'string' || !SERVICE_TIERS.has(body.service_tier)) {
      return openaiError(400, `Invalid value: '${String(body.service_tier)}'. Supported values are: 'auto', 'default', 'flex', 'scale', and 'priority'.`, 'invalid_request_error', 'service_tier', 'invalid_value');
    }
    serviceTier = body.service_tier === 'auto' ? 'default' : body.service_tier;
  }
  const tools: ToolSpec[] = [];
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) return invalidType('tools', 'an array', body.tools);
    for (const [i, t] of body.tools.entries()) {
      const fn = (t as Json)?.function as Json | undefined;
      if ((t as Json)?.type !== 'function' || !fn || typeof fn.name !== 'string') {
        return openaiError(400, `Missing required parameter: 'tools[${i}].function'.`, 'invalid_request_error', `tools[${i}].function`, 'missing_required_parameter');
      }
      tools.push({ name: fn.name, schema: fn.parameters ?? { type: 'object', properties: {} } });
    }
  }
  let toolChoice: ToolChoiceMode = { mode: 'auto' };
  const tc = body.tool_choice;
  if (tc !== undefined && tc !== null) {
    if (tools.length === 0) return openaiError(400, "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'invalid_request_error', 'tool_choice');
    if (tc === 'none' || tc === 'auto' || tc === 'required') toolChoice = { mode: tc };
    else if (typeof tc === 'object' && typeof ((tc as Json).function as Json | undefined)?.name === 'string') {
      const name = ((tc as Json).function as Json).name as string;
      if (!tools.some((t) => t.name === name)) {
        return openaiError(400, `Invalid value for 'tool_choice': tool '${name}' is not in 'tools'.`, 'invalid_request_error', 'tool_choice');
      }
      toolChoice = { mode: 'named', name };
    } else return openaiError(400, "Invalid value for 'tool_choice'.", 'invalid_request_error', 'tool_choice', 'invalid_value');
  }

  // the prompt as tokens, in the order the provider caches it: tools, then messages
  const promptIds: number[] = [];
  if (tools.length > 0) pushAll(promptIds, encodeText(JSON.stringify(body.tools)));
  for (const m of messages as Json[]) {
    promptIds.push(FRAME_TOKEN, FRAME_TOKEN, FRAME_TOKEN, ...encodeText(String(m.role)));
    if (typeof m.name === 'string') pushAll(promptIds, encodeText(m.name));
    pushAll(promptIds, encodeText(contentText(m.content)));
    if (Array.isArray(m.tool_calls)) pushAll(promptIds, encodeText(JSON.stringify(m.tool_calls)));
  }
  promptIds.push(FRAME_TOKEN, FRAME_TOKEN, FRAME_TOKEN);
  const last = messages[messages.length - 1] as Json;
  return {
    model,
    stream,
    includeUsage,
    maxTokens: maxTokens ?? legacyMax,
    n,
    logprobs,
    json,
    reasoningEffort,
    serviceTier,
    tools,
    toolChoice,
    lastRole: String(last.role),
    promptIds,
  };
}

export function rateHeaders(model: SimModelInfo, r: { remainingRequests: number; remainingTokens: number; resetMs: number }, limits = model.settings): Record<string, string> {
  // requests replenish continuously: one request's worth of the window; tokens likewise
  const perReqMs = 60_000 / limits.requestsPerMin;
  const usedTokens = limits.tokensPerMin - r.remainingTokens;
  return {
    'x-ratelimit-limit-requests': String(limits.requestsPerMin),
    'x-ratelimit-remaining-requests': String(r.remainingRequests),
    'x-ratelimit-reset-requests': goDuration(Math.min(r.resetMs, perReqMs * (limits.requestsPerMin - r.remainingRequests))),
    'x-ratelimit-limit-tokens': String(limits.tokensPerMin),
    'x-ratelimit-remaining-tokens': String(r.remainingTokens),
    'x-ratelimit-reset-tokens': goDuration(Math.min(r.resetMs, (usedTokens / limits.tokensPerMin) * 60_000)),
  };
}

interface Faulted {
  rule?: FaultRule;
}

/** header faults first, then the model's; a malformed header is the client's 400 */
export function chooseFault(req: IncomingMessage, model: SimModelInfo, state: SimState): Faulted | WireError {
  let rules: FaultRule[] = [];
  const h = header(req, 'x-sim-fault');
  if (h) {
    try {
      rules = parseFaults(h);
    } catch (e) {
      if (e instanceof FaultSpecError) return openaiError(400, e.message, 'invalid_request_error', null, 'invalid_sim_fault');
      throw e;
    }
  }
  const rule = pickFault([...rules, ...model.settings.faults], () => state.rng.next());
  if (rule) state.count('faults', rule.kind);
  return { rule };
}

/** status faults answered at once, as the real APIs do; true when the request is finished */
export function applyImmediateFault(rule: FaultRule | undefined, stream: boolean, res: ServerResponse, model: SimModelInfo, base: Record<string, string>): boolean {
  if (!rule) return false;
  const retryAfter = String(rule.retryAfterS ?? 1);
  switch (rule.kind) {
    case '429':
      sendError(res, openaiError(429, `Rate limit reached for ${model.id} in organization org-sim on requests per min (RPM): Limit ${model.settings.requestsPerMin}, Used ${model.settings.requestsPerMin}, Requested 1. Please try again in ${retryAfter}s.`, 'requests', 'requests', 'rate_limit_exceeded'), {
        ...base,
        'x-ratelimit-remaining-requests': '0',
        'retry-after': retryAfter,
        'retry-after-ms': String(Math.round(Number(retryAfter) * 1000)),
      });
      return true;
    case 'quota':
      sendError(res, openaiError(429, 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.', 'insufficient_quota', null, 'insufficient_quota'), base);
      return true;
    case '500':
      sendError(res, openaiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error'), base);
      return true;
    case '503':
      sendError(res, openaiError(503, 'The engine is currently overloaded, please try again later.', 'server_error'), { ...base, 'retry-after': retryAfter });
      return true;
    case '529':
      sendError(res, openaiError(529, 'The server is overloaded, please try again later.', 'server_error'), { ...base, 'retry-after': retryAfter });
      return true;
    case 'error-event':
      if (stream) return false;
      sendError(res, openaiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error'), base);
      return true;
    case 'timeout':
      // never answer: the client's own timeout ends it (the server closes it on shutdown)
      return true;
    case 'reset':
      if (stream && rule.at !== undefined) return false;
      res.socket?.destroy();
      return true;
    case 'cut':
      return false;
  }
}

function usageOf(promptTokens: number, cached: number, completion: number, reasoning: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completion,
    total_tokens: promptTokens + completion,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function fingerprint(model: SimModelInfo): string {
  return `fp_${hashSeed('fp', model.id).toString(16).padStart(8, '0').slice(0, 10)}`;
}

export async function handleChatCompletions(req: IncomingMessage, res: ServerResponse, raw: string, state: SimState, path: string): Promise<void> {
  const t0 = Date.now();
  if (!checkOpenAiAuth(req, res)) return;
  const body = parseJsonBody(raw);
  if (isErr(body)) return sendError(res, body);
  const plan = validateChat(body, state, path);
  if (isErr(plan)) return sendError(res, plan);
  const { model } = plan;
  state.count('requests', model.id);
  const fault = chooseFault(req, model, state);
  if (isErr(fault)) return sendError(res, fault);

  const promptTokens = plan.promptIds.length;
  const win = state.window(model.id).take(promptTokens + (plan.maxTokens ?? 0), model.settings);
  const requestId = `req_${randomBytes(16).toString('hex')}`;
  const base = { 'x-request-id': requestId, 'openai-version': '2020-10-01', 'openai-organization': 'org-sim', ...rateHeaders(model, win) };
  if (win.over && state.enforceRateLimits) {
    const wait = Math.max(1, Math.ceil(win.resetMs / 1000));
    return sendError(res, openaiError(429, `Rate limit reached for ${model.id} in organization org-sim on requests per min (RPM). Please try again in ${wait}s.`, 'requests', 'requests', 'rate_limit_exceeded'), {
      ...base,
      'retry-after': String(wait),
      'retry-after-ms': String(win.resetMs),
    });
  }
  if (applyImmediateFault(fault.rule, plan.stream, res, model, base)) return;

  const cached = model.promptCache === 'auto' ? state.cache.openaiLookup(model.id, plan.promptIds, model.minCacheTokens) : 0;
  const forced = Number(header(req, 'x-sim-output-tokens'));
  const { stream: _s, stream_options: _so, ...hashed } = body;
  const bodyHash = stableStringify(hashed);
  // one draw per choice; choice 0 is the draw an n=1 request gets
  const gens = Array.from({ length: plan.n }, (_, i) =>
    generate({
      model,
      requestHash: i === 0 ? hashSeed(state.seed, bodyHash) : hashSeed(state.seed, bodyHash, i),
      maxTokens: plan.maxTokens,
      tools: plan.tools,
      toolChoice: plan.toolChoice,
      lastRole: plan.lastRole,
      forcedOutputTokens: Number.isInteger(forced) && forced > 0 ? forced : undefined,
      prefaceToolCall: false,
      json: plan.json,
      quality: qualityInput(state, body),
      reasoning: model.reasoning === 'hidden' ? { budgetTokens: Number.MAX_SAFE_INTEGER, meanTokens: REASONING_TOKENS[plan.reasoningEffort ?? 'medium']!, visible: false } : undefined,
    }),
  );
  const timing = planTiming(model.settings, state.latencyScale, state.rng, promptTokens - cached);
  const pacer = new Pacer(t0, timing);
  const id = `chatcmpl-${randomId(29)}`;
  const created = Math.floor(t0 / 1000);
  const finishOf = (g: Generation) => (g.toolCall ? 'tool_calls' : g.truncated ? 'length' : 'stop');
  const usage = usageOf(promptTokens, cached, sum(gens, (g) => g.outputTokens), sum(gens, (g) => g.reasoningTokens));
  const lp = plan.logprobs ? gens.map((g, i) => logprobsOf(g, plan.logprobs!.top, hashSeed(state.seed, bodyHash, 'logprobs', i))) : undefined;

  if (!plan.stream) {
    await pacer.waitToken(Math.max(0, Math.max(...gens.map((g) => g.outputTokens)) - 1));
    if (res.destroyed) return;
    const payload = {
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: gens.map((gen, index) => {
        const toolCalls = gen.toolCall
          ? [{ id: `call_${randomId(24)}`, type: 'function', function: { name: gen.toolCall.name, arguments: gen.toolCall.args } }]
          : undefined;
        return {
          index,
          message: { role: 'assistant', content: gen.text?.text ?? null, ...(toolCalls ? { tool_calls: toolCalls } : {}), refusal: null, annotations: [] },
          logprobs: lp ? { content: lp[index]!, refusal: null } : null,
          finish_reason: finishOf(gen),
        };
      }),
      usage,
      service_tier: plan.serviceTier,
      system_fingerprint: fingerprint(model),
    };
    const headers = { ...base, 'openai-processing-ms': String(Date.now() - t0) };
    if (fault.rule?.kind === 'cut') {
      // headers and part of the body, then the connection drops
      const text = JSON.stringify(payload);
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.write(text.slice(0, Math.floor(text.length * (fault.rule.at ?? 0.5))));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    return sendJson(res, 200, payload, headers);
  }

  await pacer.waitQueue();
  if (res.destroyed) return;
  startSse(res, { ...base, 'openai-processing-ms': String(Date.now() - t0) });
  await streamChat(res, plan, gens, { id, created, model: String(body.model), fp: fingerprint(model), finishOf, usage, pacer, rule: fault.rule, logprobs: lp });
}

const sum = <T,>(xs: T[], f: (x: T) => number): number => xs.reduce((n, x) => n + f(x), 0);

type LogprobEntry = { token: string; logprob: number; bytes: number[]; top_logprobs: { token: string; logprob: number; bytes: number[] }[] };

const ALTERNATIVES = [' the', ' a', ',', '.', ' and', ' to', ' of', ' in', ' is', ' that', ' it', ' for', ' on', ' with', ' as', ' this', ' be', ' at', ' by', ' or'];

/**
 * Seeded log-probabilities for each output token of the text (OpenAI gives none for tool-call
 * arguments): the chosen token's, then `top` alternatives, each less likely, summing to at most 1.
 */
function logprobsOf(gen: Generation, top: number, seed: number): LogprobEntry[] | null {
  if (!gen.text) return null;
  const rng = new Rng(seed);
  const bytes = (t: string) => [...Buffer.from(t, 'utf8')];
  return gen.text.pieces.map((token) => {
    const p = 0.35 + 0.65 * rng.next();
    const logprob = Math.log(p);
    const alts: { token: string; logprob: number; bytes: number[] }[] = [{ token, logprob, bytes: bytes(token) }];
    let left = 1 - p;
    for (let k = 0; alts.length < top && k < ALTERNATIVES.length * 2; k++) {
      const alt = ALTERNATIVES[(rng.int(0, ALTERNATIVES.length - 1) + k) % ALTERNATIVES.length]!;
      if (alts.some((a) => a.token === alt)) continue;
      left /= 2;
      alts.push({ token: alt, logprob: Math.log(Math.max(left, 1e-12)), bytes: bytes(alt) });
    }
    return { token, logprob, bytes: bytes(token), top_logprobs: alts.slice(0, top) };
  });
}

async function streamChat(
  res: ServerResponse,
  plan: ChatPlan,
  gens: Generation[],
  o: {
    id: string;
    created: number;
    model: string;
    fp: string;
    finishOf: (g: Generation) => string;
    usage: ReturnType<typeof usageOf>;
    pacer: Pacer;
    rule?: FaultRule;
    logprobs?: (LogprobEntry[] | null)[];
  },
): Promise<void> {
  const chunk = (index: number, delta: Json, finish: string | null = null, logprobs: unknown = null) => ({
    id: o.id,
    object: 'chat.completion.chunk',
    created: o.created,
    model: o.model,
    service_tier: plan.serviceTier,
    system_fingerprint: o.fp,
    choices: [{ index, delta, logprobs, finish_reason: finish }],
    ...(plan.includeUsage ? { usage: null } : {}),
  });
  const send = (v: unknown) => res.write(`data: ${JSON.stringify(v)}\n\n`);

  // each choice's chunks, one token each, as the API streams them: [output token index, chunk]
  const perChoice = gens.map((gen, index) => {
    const lp = o.logprobs?.[index];
    const out: [number, unknown][] = [];
    const first = gen.toolCall && !gen.text ? { role: 'assistant', content: null } : { role: 'assistant', content: '', refusal: null };
    out.push([0, chunk(index, first, null, lp ? { content: [], refusal: null } : null)]);
    // hidden reasoning comes first: the first visible token waits for it
    let tok = gen.reasoningTokens;
    (gen.text?.pieces ?? []).forEach((p, i) => out.push([tok++, chunk(index, { content: p }, null, lp ? { content: [lp[i]!], refusal: null } : null)]));
    if (gen.toolCall) {
      const callId = `call_${randomId(24)}`;
      out.push([tok, chunk(index, { tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: gen.toolCall.name, arguments: '' } }] })]);
      for (const p of gen.toolCall.argPieces) out.push([tok++, chunk(index, { tool_calls: [{ index: 0, function: { arguments: p } }] })]);
    }
    out.push([Math.max(0, tok - 1), chunk(index, {}, o.finishOf(gen))]);
    return out;
  });
  // the choices interleaved in the order their tokens are due, as n > 1 streams arrive
  const all = perChoice.flat().map((e, seq) => ({ due: e[0], seq, data: e[1] }));
  all.sort((a, b) => a.due - b.due || a.seq - b.seq);
  const faulty = o.rule && (o.rule.kind === 'cut' || o.rule.kind === 'error-event' || o.rule.kind === 'reset');
  // a fault lands inside the content (never before the first chunk, never on the finish)
  const stopAt = faulty ? 1 + Math.floor((all.length - 1 - gens.length) * (o.rule!.at ?? 0.5)) : Infinity;
  for (let i = 0; i < all.length; i++) {
    if (i >= stopAt) return endWithFault(res, o.rule!);
    await o.pacer.waitToken(all[i]!.due);
    if (res.destroyed) return;
    send(all[i]!.data);
  }
  if (plan.includeUsage) {
    send({ id: o.id, object: 'chat.completion.chunk', created: o.created, model: o.model, service_tier: plan.serviceTier, system_fingerprint: o.fp, choices: [], usage: o.usage });
  }
  res.end('data: [DONE]\n\n');
}

function endWithFault(res: ServerResponse, rule: FaultRule): void {
  if (rule.kind === 'error-event') {
    res.end(`data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } })}\n\n`);
  } else if (rule.kind === 'reset') {
    res.socket?.destroy();
  } else {
    res.end(); // cut: the stream just stops, no finish chunk, no usage, no [DONE]
  }
}

export function handleModels(req: IncomingMessage, res: ServerResponse, state: SimState, path: string): void {
  if (!checkOpenAiAuth(req, res)) return;
  const gemini = path.startsWith('/v1beta/');
  const models = [...state.models.values()].filter((m) => m.wire === 'openai' && (!gemini || m.ownedBy === 'google'));
  const one = path.match(/\/models\/(.+)$/)?.[1];
  const entry = (m: SimModelInfo) => ({ id: m.id, object: 'model', created: m.createdAt, owned_by: m.ownedBy });
  if (one) {
    const m = state.resolve(decodeURIComponent(one));
    if (!m || m.wire !== 'openai') return sendError(res, openaiError(404, `The model '${one}' does not exist`, 'invalid_request_error', 'model', 'model_not_found'));
    return sendJson(res, 200, entry(m), { 'x-request-id': `req_${randomBytes(16).toString('hex')}` });
  }
  sendJson(res, 200, { object: 'list', data: models.map(entry) }, { 'x-request-id': `req_${randomBytes(16).toString('hex')}` });
}

export async function handleEmbeddings(req: IncomingMessage, res: ServerResponse, raw: string, state: SimState): Promise<void> {
  const t0 = Date.now();
  if (!checkOpenAiAuth(req, res)) return;
  const body = parseJsonBody(raw);
  if (isErr(body)) return sendError(res, body);
  if (typeof body.model !== 'string') return sendError(res, openaiError(400, 'you must provide a model parameter', 'invalid_request_error'));
  const model = state.resolve(body.model);
  if (!model || model.kind !== 'embedding') {
    return sendError(res, openaiError(404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found'));
  }
  state.count('requests', model.id);
  const input = body.input;
  let items: (string | number[])[];
  if (typeof input === 'string') items = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'number')) items = [input as number[]];
  else if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'string' || (Array.isArray(x) && x.every((n) => typeof n === 'number')))) {
    items = input as (string | number[])[];
  } else {
    return sendError(res, openaiError(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'invalid_request_error'));
  }
  if (items.length > 2048) return sendError(res, openaiError(400, "'$.input' is invalid: at most 2048 inputs per request.", 'invalid_request_error', 'input'));
  if (items.some((x) => x.length === 0)) return sendError(res, openaiError(400, "'$.input' is invalid: inputs must not be empty.", 'invalid_request_error', 'input'));
  const full = model.dimensions ?? 1536;
  let dims = full;
  if (body.dimensions !== undefined && body.dimensions !== null) {
    if (typeof body.dimensions !== 'number' || !Number.isInteger(body.dimensions) || body.dimensions < 1 || body.dimensions > full) {
      return sendError(res, openaiError(400, `Invalid value for 'dimensions' = ${String(body.dimensions)}. Must be an integer between 1 and ${full}.`, 'invalid_request_error', 'dimensions', 'invalid_value'));
    }
    dims = body.dimensions;
  }
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    return sendError(res, openaiError(400, `Invalid value for 'encoding_format' = ${String(format)}. Supported values are: 'float' and 'base64'.`, 'invalid_request_error', 'encoding_format', 'invalid_value'));
  }
  const fault = chooseFault(req, model, state);
  if (isErr(fault)) return sendError(res, fault);
  let tokens = 0;
  const data = items.map((item, index) => {
    const text = typeof item === 'string' ? item : item.join(' ');
    tokens += typeof item === 'string' ? encodeText(item).length : item.length;
    const v = embed(text, full, dims, state.seed);
    const embedding = format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v);
    return { object: 'embedding', index, embedding };
  });
  const win = state.window(model.id).take(tokens, model.settings);
  const base = { 'x-request-id': `req_${randomBytes(16).toString('hex')}`, 'openai-version': '2020-10-01', 'openai-organization': 'org-sim', ...rateHeaders(model, win) };
  if (applyImmediateFault(fault.rule?.kind === 'cut' ? { kind: 'reset' } : fault.rule, false, res, model, base)) return;
  const timing = planTiming(model.settings, state.latencyScale, state.rng, tokens);
  await new Pacer(t0, timing).waitToken(0);
  if (res.destroyed) return;
  sendJson(res, 200, { object: 'list', data, model: model.id, usage: { prompt_tokens: tokens, total_tokens: tokens } }, { ...base, 'openai-processing-ms': String(Date.now() - t0) });
}

