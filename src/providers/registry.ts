// Where shared code finds provider adapters (by config kind) and wire codecs (by the client's wire
// format, request path or headers), so the server never writes `if (format === 'openai')`. The
// built-ins register themselves in ./index.ts: import that module once at start-up. Code outside
// this folder may register more kinds and codecs the same way.

import type { WireFormat } from '../core/canonical.js';
import type { RenderedError, WireCodec, WireStreamParser, WireStreamRenderer, EmbeddingsCodec, CountTokensCodec, StatefulCodec, StoredConversation } from './codec.js';
import type { ProviderConfig } from './config.js';
import type { ProviderAdapter } from './contract.js';

export type { RenderedError, WireCodec, WireStreamParser, WireStreamRenderer, EmbeddingsCodec, CountTokensCodec, StatefulCodec, StoredConversation };

export type ProviderFactory = (cfg: ProviderConfig) => ProviderAdapter;

const kinds = new Map<string, ProviderFactory>();
const codecs = new Map<WireFormat, WireCodec>();
let defaultFormat: WireFormat | undefined;

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

/**
 * `isDefault` marks the format a request gets when neither its path nor its headers name one
 * (unknown paths, GET /v1/models without a format header). The first codec registered is the
 * default until one says otherwise.
 */
export function registerWireCodec(codec: WireCodec, opts: { isDefault?: boolean } = {}): void {
  codecs.set(codec.format, codec);
  if (opts.isDefault || defaultFormat === undefined) defaultFormat = codec.format;
}

export function codecFor(format: WireFormat): WireCodec {
  const c = codecs.get(format);
  if (!c) throw new Error(`no wire codec registered for "${format}" (import providers/index.js at start-up)`);
  return c;
}

export function wireCodecs(): WireCodec[] {
  return [...codecs.values()];
}

export function defaultCodec(): WireCodec {
  if (defaultFormat === undefined) throw new Error('no wire codec registered (import providers/index.js at start-up)');
  return codecFor(defaultFormat);
}

function under(path: string, prefix: string | undefined): boolean {
  return prefix !== undefined && (path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47 /* / */));
}

/** The codec whose chat or embeddings endpoint is `path` or a path below it (/v1/messages/count_tokens). */
export function codecForPath(path: string): WireCodec | undefined {
  for (const c of codecs.values()) if (under(path, c.endpoints.chat) || under(path, c.endpoints.embeddings)) return c;
  return undefined;
}

/** The codec a request's headers claim (WireCodec.claimsHeaders), else the default. */
export function codecForHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): WireCodec {
  for (const c of codecs.values()) if (c.claimsHeaders(headers)) return c;
  return defaultCodec();
}
