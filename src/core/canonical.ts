// The canonical request/response/usage model. Provider adapters translate wire formats into these
// types and back; levers (cache, router, optimizer) only ever see these.

/** a wire format: one clients speak (a WireCodec is registered for it: OpenAI Chat Completions, Anthropic Messages, OpenAI Responses) or one only an upstream speaks (gemini) */
export type WireFormat = 'openai' | 'anthropic' | 'openai-responses' | 'gemini';

/** how long a provider keeps a prompt-cache entry: the two lifetimes providers price today */
export type CacheTtl = '5m' | '1h';

/**
 * A prompt-cache breakpoint: "cache the prompt up to and including this part". The canonical
 * model keeps the provider-neutral meaning (a breakpoint and its lifetime); each vendor folder maps
 * it to its own wire (Anthropic: `cache_control`, see providers/anthropic/cache-control.ts;
 * formats without explicit breakpoints drop it). Make one with cacheBreakpoint().
 */
export interface CacheControl {
  /** the only kind of breakpoint there is; kept as a field so the shape can grow without a break */
  type: 'ephemeral';
  /** absent: the provider's default lifetime (5 minutes at Anthropic) */
  ttl?: CacheTtl;
}

/** A breakpoint with the given lifetime, or the provider's default when none is given. */
export function cacheBreakpoint(ttl?: CacheTtl): CacheControl {
  return ttl ? { type: 'ephemeral', ttl } : { type: 'ephemeral' };
}

export interface TextPart {
  type: 'text';
  text: string;
  cacheControl?: CacheControl;
  /**
   * set when the client sent this text as a retrieved document (an Anthropic `document` block with
   * a text or content source): prompt anatomy counts it as retrieved context, one chunk per part
   */
  document?: { title?: string; context?: string };
}

export interface ImagePart {
  type: 'image';
  /** URL or data: URL (OpenAI style) */
  url?: string;
  /** base64 payload and media type (Anthropic style) */
  mediaType?: string;
  data?: string;
  cacheControl?: CacheControl;
}

export interface ToolCallPart {
  type: 'tool_call';
  id: string;
  name: string;
  /** JSON text of the arguments, exactly as the model produced it */
  arguments: string;
  cacheControl?: CacheControl;
}

export interface ToolResultPart {
  type: 'tool_result';
  toolCallId: string;
  content: string | TextPart[];
  isError?: boolean;
  cacheControl?: CacheControl;
}

export interface ThinkingPart {
  type: 'thinking';
  text: string;
  signature?: string;
}

export type ContentPart = TextPart | ImagePart | ToolCallPart | ToolResultPart | ThinkingPart;

export type Role = 'user' | 'assistant' | 'tool';

export interface Message {
  role: Role;
  content: ContentPart[];
  name?: string;
}

export interface ToolDef {
  name: string;
  description?: string;
  /** JSON Schema of the arguments */
  parameters: Record<string, unknown>;
  cacheControl?: CacheControl;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name?: string; schema: Record<string, unknown>; strict?: boolean };

export interface ChatRequest {
  /** the model (or route) name the client asked for */
  model: string;
  /** system prompt: OpenAI system/developer messages are hoisted here, in order */
  system: TextPart[];
  messages: Message[];
  tools?: ToolDef[];
  toolChoice?: ToolChoice;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  n?: number;
  responseFormat?: ResponseFormat;
  stream: boolean;
  /** OpenAI stream_options.include_usage; Anthropic streams always carry usage */
  includeUsage: boolean;
  user?: string;
  metadata?: Record<string, string>;
  /** wire fields the canonical model does not name, kept so a same-format upstream still gets them */
  extra: Record<string, unknown>;
  /** the wire format `extra` came from: renderers of another format leave those fields out */
  extraFormat?: WireFormat;
  /**
   * where each part came from in the client's `messages` array, for formats that hoist some messages
   * into `system` (OpenAI system/developer messages): the wire index of each `system` part and of
   * each canonical message. Absent: canonical message i is wire message i. Read by prompt anatomy
   * (the `x-tollgate-context` header names wire indices).
   */
  wireIndex?: { system: number[]; messages: number[] };
  /**
   * The provider instances that hold the state the client's bytes refer to (a Responses
   * `previous_response_id` or item reference): the bytes are relayed only to these; any other
   * upstream gets the request rendered, and its messages carry the whole conversation. Absent:
   * the bytes stand on their own.
   */
  relayOnlyTo?: readonly string[];
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error';

/**
 * Token usage in disjoint buckets, so that no bucket is ever counted twice (the most common cost
 * bug in gateways: OpenAI's prompt_tokens includes cached tokens, Anthropic's input_tokens does not).
 */
export interface Usage {
  /** input tokens billed at the base input price: excludes cache reads and cache writes */
  input: number;
  /** input tokens read from the provider's prompt cache */
  cacheRead: number;
  /** input tokens written to the provider's prompt cache, 5-minute TTL (Anthropic) */
  cacheWrite5m: number;
  /** input tokens written to the provider's prompt cache, 1-hour TTL (Anthropic) */
  cacheWrite1h: number;
  /** output tokens, reasoning included */
  output: number;
  /** reasoning tokens (a subset of output) */
  reasoning: number;
  /** true when counted locally with a tokenizer because the provider never reported usage */
  estimated?: boolean;
}

export const ZERO_USAGE: Readonly<Usage> = Object.freeze({
  input: 0,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  output: 0,
  reasoning: 0,
});

export function totalInput(u: Usage): number {
  return u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h;
}

export interface ChatResponse {
  id: string;
  model: string;
  created: number;
  /** text, tool_call and thinking parts, in order */
  content: ContentPart[];
  finishReason: FinishReason;
  /** the provider's own stop reason, kept for same-format rendering (e.g. Anthropic stop_sequence) */
  rawFinishReason?: string;
  usage: Usage;
}

/** Canonical streaming events, produced by provider stream parsers and rendered by wire renderers. */
export type StreamEvent =
  | { type: 'start'; id: string; model: string; created: number; usage?: Partial<Usage> }
  | { type: 'text_delta'; index: number; text: string }
  | { type: 'thinking_delta'; index: number; text: string }
  /** the provider's signature of a thinking block (Anthropic's signature_delta): opaque, relayed as given */
  | { type: 'signature_delta'; index: number; signature: string }
  | { type: 'tool_call_start'; index: number; id: string; name: string }
  | { type: 'tool_call_delta'; index: number; argumentsDelta: string }
  | { type: 'block_stop'; index: number }
  | { type: 'finish'; finishReason: FinishReason; rawFinishReason?: string }
  /** usage so far; providers may send several (Anthropic message_start and message_delta), the last wins per field */
  | { type: 'usage'; usage: Partial<Usage> }
  | { type: 'error'; error: { type: string; message: string; status?: number } }
  | { type: 'ping' };

export interface EmbeddingsRequest {
  model: string;
  input: string[];
  /** whether the client sent a single string (rendered back the same way) */
  single: boolean;
  encodingFormat?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

export interface EmbeddingsResponse {
  model: string;
  data: number[][];
  usage: Usage;
}

/** Whether a request carries a provider's signed reasoning (thinking blocks sent back in the history). */
export function hasSignedThinking(req: ChatRequest): boolean {
  return req.messages.some((m) => m.content.some((p) => p.type === 'thinking' && p.signature !== undefined));
}

/**
 * The request without its thinking parts: what goes to a provider that did not sign them (a
 * fallback to another provider would refuse them with a 400, and retrying that is a loop).
 */
export function withoutThinking(req: ChatRequest): ChatRequest {
  return { ...req, messages: req.messages.map((m) => (m.content.some((p) => p.type === 'thinking') ? { ...m, content: m.content.filter((p) => p.type !== 'thinking') } : m)) };
}
