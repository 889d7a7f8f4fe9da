// The canonical prompt-cache breakpoint <-> Anthropic's `cache_control` block field. The wire
// object is built here field by field, so a canonical field Anthropic does not know can never leak
// into a request it would refuse.

import type { CacheControl } from '../../core/canonical.js';

export interface AnthropicCacheControlWire {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export function renderAnthropicCacheControl(c: CacheControl): AnthropicCacheControlWire {
  return c.ttl ? { type: 'ephemeral', ttl: c.ttl } : { type: 'ephemeral' };
}
