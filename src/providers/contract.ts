// The contract every provider adapter implements, kept as small as vercel/ai's doGenerate/doStream.
// Shared code finds adapters through the registry (registry.ts), never through `if (kind === ...)`.
// The client-facing side of a wire format (parse, render, relay facts) is the WireCodec in codec.ts.

import type {
  ChatRequest,
  ChatResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  StreamEvent,
  WireFormat,
} from '../core/canonical.js';
import type { AbortLink } from './shared/abort-link.js';

/** Timestamps (epoch ms, sub-ms precision) the adapter fills in as the call progresses. */
export interface CallTimings {
  upstreamSentAt?: number;
  firstByteAt?: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  upstreamEndAt?: number;
}

export interface CallOptions {
  /** the upstream model id to call */
  model: string;
  signal: AbortSignal;
  /**
   * The same abort as `signal`, as a cheap EventEmitter-like flag (see shared/abort-link.ts). When
   * given, adapters listen to it instead of `signal`, so no AbortSignal is made on the hot path.
   */
  abort?: AbortLink;
  timeoutMs?: number;
  /**
   * Fast path: the client's original body bytes. Set only when the client's wire format equals
   * this adapter's and no lever rewrote the request (and the model name needs no rewrite).
   */
  rawBody?: Buffer;
  /**
   * The format `rawBody` is in when it is one of the adapter's `alsoSpeaks` formats: the call goes
   * to that format's endpoint and the answer's bytes are in it. Absent: the adapter's own format.
   */
  wireFormat?: WireFormat;
  /** extra headers to forward (e.g. anthropic-version, anthropic-beta) */
  headers?: Record<string, string>;
  /**
   * The thinking signatures in the request's history were made by another provider than this
   * call's (a fallback): send the history without them (set only with no rawBody).
   */
  foreignSignatures?: boolean;
  timings: CallTimings;
}

/** One piece of an upstream stream: its raw bytes and the canonical events parsed from them. */
export interface StreamChunk {
  raw: Buffer;
  events: StreamEvent[];
}

export interface UpstreamComplete {
  kind: 'complete';
  status: number;
  response: ChatResponse;
  /** the upstream body bytes, for byte-for-byte relay when formats match */
  raw: Buffer;
  headers: Record<string, string>;
}

export interface UpstreamStream {
  kind: 'stream';
  status: number;
  chunks: AsyncIterable<StreamChunk>;
  headers: Record<string, string>;
}

export type UpstreamResult = UpstreamComplete | UpstreamStream;

/** One entry of GET /v1/models, rendered by WireCodec.renderModelList. */
export interface ModelInfo {
  id: string;
  /** the provider instance serving it, or e.g. 'tollgate-route' for a route */
  ownedBy?: string;
  /** epoch seconds; renderers use a fixed or current time when absent */
  created?: number;
  /** a human name where the format has one (Anthropic's display_name); defaults to the id */
  displayName?: string;
}

export interface ProviderAdapter {
  /** instance name from config, e.g. 'openai' or 'sim-anthropic' */
  readonly name: string;
  /** adapter kind from the registry, e.g. 'openai', 'anthropic', 'openai-compatible' */
  readonly kind: string;
  /** the wire format this upstream speaks */
  readonly wireFormat: WireFormat;
  /** the OTel gen_ai.provider.name value */
  readonly otelProviderName: string;
  /**
   * The upstream's streams carry usage only when the request asks for it (OpenAI:
   * stream_options.include_usage). Such an adapter always asks, so every stream is billed from
   * real usage, and a client that did not ask must get the bytes through
   * WireCodec.stripInjectedUsage; the client's raw body then cannot go out untouched (the fast
   * path needs `req.includeUsage` or a non-streaming request). Absent means false.
   */
  readonly streamUsageOnlyWhenAsked?: boolean;
  /**
   * Other client formats this upstream serves natively (OpenAI: the Responses API): a request in
   * one of them whose bytes nothing changed is relayed as is (CallOptions.wireFormat); changed,
   * it is rendered in `wireFormat`. Streams in these formats always carry usage.
   */
  readonly alsoSpeaks?: readonly WireFormat[];
  chat(req: ChatRequest, opts: CallOptions): Promise<UpstreamResult>;
  embeddings?(req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse>;
  /** the upstream's own count of a request's input tokens, where it has an endpoint for it (Anthropic) */
  countTokens?(req: ChatRequest, opts: CallOptions): Promise<number>;
  close?(): Promise<void>;
}
