// The contract of one wire format as the server speaks it to a client: parse what the client sent,
// render what it gets back (whole, streamed, as an error, as a model list), and the few byte-level
// facts a relay needs. Every vendor folder implements it; the server finds one through the
// registry (codecFor / codecForPath / codecForHeaders), never by comparing format names.

import type { ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, StreamEvent, WireFormat } from '../core/canonical.js';
import type { ModelInfo, StreamChunk } from './contract.js';

/** An error as a client of one format expects it: the HTTP status and the JSON body. */
export interface RenderedError {
  status: number;
  body: object;
}

/** Upstream SSE bytes -> canonical events, incrementally over arbitrary byte splits. */
export interface WireStreamParser {
  push(bytes: Buffer): StreamChunk[];
  end(): StreamChunk[];
}

/** Canonical events -> the SSE text a client of one format expects. */
export interface WireStreamRenderer {
  render(ev: StreamEvent): string;
  end(): string;
}

/** The embeddings endpoint of a format that has one (OpenAI's /v1/embeddings). */
export interface EmbeddingsCodec {
  parseRequest(body: unknown): EmbeddingsRequest;
  renderResponse(r: EmbeddingsResponse, opts: { model: string; encodingFormat?: 'float' | 'base64' }): Record<string, unknown>;
}

/** One rate limit's state, for the headers of an answer (see RateLimitHeaderInfo). */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** ms until the limit is back to its full allowance */
  resetMs: number;
}

/** What a gateway rate limit tells a client, in whatever headers its format uses. */
export interface RateLimitHeaderInfo {
  requests?: RateLimitState;
  tokens?: RateLimitState;
  /** a refused request: ms until it would pass */
  retryAfterMs?: number;
}

/** The inbound side of one wire format: what the server needs to speak it to a client. */
export interface WireCodec {
  readonly format: WireFormat;
  /** the client-facing paths of this format, e.g. { chat: '/v1/chat/completions', embeddings: '/v1/embeddings' } */
  readonly endpoints: { readonly chat: string; readonly embeddings?: string };
  parseChatRequest(body: unknown): ChatRequest;
  /**
   * `id`: the id the answer goes out under (formats whose answers are stored and referred to by id
   * take it; others keep the response's own); `request`: the request, for formats that echo it.
   */
  renderChatResponse(r: ChatResponse, opts: { model: string; id?: string; request?: ChatRequest }): Record<string, unknown>;
  /**
   * includeUsage only matters to formats whose usage is optional (OpenAI); inputTokens (a local
   * count) only to formats whose first event reports the input (streamStartReportsInput); `id` and
   * `request` as for renderChatResponse
   */
  createStreamRenderer(opts: { model: string; includeUsage: boolean; id?: string; inputTokens?: number; request?: ChatRequest }): WireStreamRenderer;
  /**
   * This format's stream opens with the input usage (Anthropic's message_start), before an upstream
   * of another format has said it (OpenAI's usage comes last): the renderer then needs a local count.
   */
  readonly streamStartReportsInput: boolean;
  renderError(err: unknown): RenderedError;
  parseChatResponse(json: unknown): ChatResponse;
  createStreamParser(): WireStreamParser;
  /**
   * Whether these relayed bytes hold the event that tells a client the answer is complete
   * (`data: [DONE]`, `event: message_stop`): the relay holds it back until the request is recorded.
   */
  isTerminalChunk(raw: Buffer): boolean;
  /**
   * Drops the usage-only event the gateway asked the upstream for on the client's behalf (see
   * ProviderAdapter.streamUsageOnlyWhenAsked). Call it only when the client did not ask for usage;
   * formats whose streams always carry usage return the bytes untouched.
   */
  stripInjectedUsage(raw: Buffer): Buffer;
  /**
   * This format's streams carry usage only when the request asks (OpenAI's
   * stream_options.include_usage); the same fact as ProviderAdapter.streamUsageOnlyWhenAsked, for
   * code that holds a format rather than an adapter.
   */
  readonly streamUsageOnlyWhenAsked: boolean;
  /** the GET /v1/models body in this format */
  renderModelList(models: readonly ModelInfo[]): Record<string, unknown>;
  /** the GET /v1/models/{id} body in this format */
  renderModel(model: ModelInfo): Record<string, unknown>;
  /**
   * Whether a request's headers say the client speaks this format, for endpoints whose path does
   * not tell (GET /v1/models: the Anthropic SDK sends anthropic-version).
   */
  claimsHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): boolean;
  /** present when the format has an embeddings endpoint */
  readonly embeddings?: EmbeddingsCodec;
  /**
   * The gateway's rate limits as this format's clients read them (x-ratelimit-* for OpenAI,
   * anthropic-ratelimit-* for Anthropic), with retry-after on a refusal; `now` is epoch ms.
   */
  rateLimitHeaders(info: RateLimitHeaderInfo, now: number): Record<string, string>;
  /** present when the format has a token-counting endpoint (Anthropic's /v1/messages/count_tokens) */
  readonly countTokens?: CountTokensCodec;
  /** present when the format's API keeps answers for later turns (OpenAI's Responses API) */
  readonly stateful?: StatefulCodec;
}

/** A stored answer as the format describes it: the conversation's items up to it, and its response object. */
export interface StoredConversation {
  inputItems: readonly unknown[];
  response: Record<string, unknown>;
}

/**
 * A format whose API keeps answers server-side, so a turn may continue one (`previous_response_id`)
 * or point at its items (`item_reference`), and stored answers are read, listed and deleted at
 * `${endpoints.chat}/{id}` and `${endpoints.chat}/{id}/input_items`. The server keeps the stored
 * forms in a ResponseStore (stores/responses.ts), scoped to the caller; this says what they mean.
 */
export interface StatefulCodec {
  /** what a create request says about state, read before its conversation can be built */
  turnState(body: unknown): { previousResponseId?: string; store: boolean; itemReferences: string[] };
  /** a turn as a request: the previous answer's conversation first, item references resolved from `refs` */
  parseTurn(body: unknown, previous: StoredConversation | undefined, refs: ReadonlyMap<string, unknown>): { request: ChatRequest; items: unknown[] };
  newResponseId(): string;
  /** what is stored for an answer: the conversation's items (ids given) and the response object as rendered */
  storedForm(items: readonly unknown[], response: Record<string, unknown>, responseId: string): StoredConversation;
  /** a stored answer's items by id (its conversation and its output), for item references */
  itemsOf(stored: StoredConversation): ReadonlyMap<string, unknown>;
  /** GET .../input_items: a page of the conversation (query: limit, order, after) */
  renderInputItems(items: readonly unknown[], query: URLSearchParams): Record<string, unknown>;
  /** DELETE's answer */
  renderDeleted(id: string): Record<string, unknown>;
}

/** A token-counting endpoint: its path, the request (a chat request without an output limit), the answer. */
export interface CountTokensCodec {
  readonly endpoint: string;
  parseRequest(body: unknown): ChatRequest;
  renderResponse(inputTokens: number): Record<string, unknown>;
}

/** retry-after (whole seconds, rounded up, as HTTP has it) and retry-after-ms, which both official SDKs read first */
export function retryAfterHeaders(ms: number | undefined): Record<string, string> {
  if (ms === undefined) return {};
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))), 'retry-after-ms': String(Math.max(0, Math.ceil(ms))) };
}
