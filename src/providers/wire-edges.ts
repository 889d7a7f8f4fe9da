// What a wire format's bytes look like at the edges the engine and server relay without parsing:
// the terminal event of a stream, the usage-only chunk the gateway asked for on the client's
// behalf, and whether a stream reports usage only when asked. Kept here so that no code outside
// providers/ names a format.

import type { WireFormat } from '../core/canonical.js';

export interface WireEdges {
  /** an SSE chunk that tells the client the answer is complete */
  isTerminalChunk(raw: Buffer): boolean;
  /** removes the usage-only chunk the gateway asked for on the client's behalf (identity if none) */
  stripInjectedUsage(raw: Buffer): Buffer;
  /** the upstream reports usage in a stream only when the request asks for it */
  readonly streamUsageOnlyWhenAsked: boolean;
}

/** GET /v1/models in the caller's format: Anthropic's clients send anthropic-version */
export function modelListFormat(headers: Readonly<Record<string, string | string[] | undefined>>): WireFormat {
  return headers['anthropic-version'] ? 'anthropic' : 'openai';
}

export function renderModelList(format: WireFormat, models: { id: string; ownedBy: string }[]): unknown {
  if (format === 'anthropic') {
    const data = models.map((m) => ({ type: 'model', id: m.id, display_name: m.id, created_at: '2025-01-01T00:00:00Z' }));
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }
  const created = Math.floor(Date.now() / 1000);
  return { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created, owned_by: m.ownedBy })) };
}

const openai: WireEdges = {
  isTerminalChunk: (raw) => raw.indexOf('data: [DONE]') !== -1,
  stripInjectedUsage: stripOpenAIUsageEvents,
  streamUsageOnlyWhenAsked: true,
};

const anthropic: WireEdges = {
  isTerminalChunk: (raw) => raw.indexOf('event: message_stop') !== -1,
  stripInjectedUsage: (raw) => raw,
  streamUsageOnlyWhenAsked: false,
};

const edges: Record<WireFormat, WireEdges> = { openai, anthropic };

export function wireEdges(format: WireFormat): WireEdges {
  return edges[format];
}

/**
 * Removes the usage-only chunk (`"choices":[]` with a usage object) that the gateway asked an OpenAI
 * upstream for on the client's behalf. Works on whole SSE events; other bytes pass untouched.
 */
export function stripOpenAIUsageEvents(raw: Buffer): Buffer {
  if (raw.indexOf('"usage":{') === -1) return raw;
  const text = raw.toString('utf8');
  const events = text.split(/(?<=\n\n)/);
  const kept = events.filter((e) => !(e.includes('"usage":{') && /"choices"\s*:\s*(\[\s*\]|null)/.test(e)));
  return kept.length === events.length ? raw : Buffer.from(kept.join(''), 'utf8');
}
