// Where shared code finds provider adapters (by config kind) and wire codecs (by the client's wire
// format), so the server never writes `if (format === 'openai')`. The built-ins register themselves
// in ./index.ts: import that module once at start-up.

import type { ChatRequest, ChatResponse, WireFormat } from '../core/canonical.js';
import type { ProviderConfig } from './config.js';
import type { ProviderAdapter } from './contract.js';
import type { RenderedError } from './openai/error.js';
import type { WireStreamParser } from './openai/stream-parser.js';
import type { WireStreamRenderer } from './openai/stream-renderer.js';

export type { RenderedError, WireStreamParser, WireStreamRenderer };

/** The inbound side of one wire format: what the server needs to speak it to a client. */
export interface WireCodec {
  readonly format: WireFormat;
  parseChatRequest(body: unknown): ChatRequest;
  renderChatResponse(r: ChatResponse, opts: { model: string }): Record<string, unknown>;
  /** includeUsage only matters to formats whose usage is optional (OpenAI) */
  createStreamRenderer(opts: { model: string; includeUsage: boolean; id?: string }): WireStreamRenderer;
  renderError(err: unknown): RenderedError;
  parseChatResponse(json: unknown): ChatResponse;
  createStreamParser(): WireStreamParser;
}

export type ProviderFactory = (cfg: ProviderConfig) => ProviderAdapter;

const kinds = new Map<string, ProviderFactory>();
const codecs = new Map<WireFormat, WireCodec>();

export function registerProviderKind(kind: string, factory: ProviderFactory): void {
  kinds.set(kind, factory);
}

export function registeredProviderKinds(): string[] {
  return [...kinds.keys()];
}

export function createProvider(cfg: ProviderConfig): ProviderAdapter {
  const factory = kinds.get(cfg.kind);
  if (!factory) {
    throw new Error(`provider "${cfg.name}": unknown kind "${cfg.kind}" (registered: ${registeredProviderKinds().join(', ') || 'none: import providers/index.js'})`);
  }
  return factory(cfg);
}

export function registerWireCodec(codec: WireCodec): void {
  codecs.set(codec.format, codec);
}

export function codecFor(format: WireFormat): WireCodec {
  const c = codecs.get(format);
  if (!c) throw new Error(`no wire codec registered for "${format}" (import providers/index.js at start-up)`);
  return c;
}
