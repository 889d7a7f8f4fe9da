// The response store contract: answers a stateful API keeps for later turns (OpenAI's Responses
// API: `store`, `previous_response_id`, GET/DELETE /v1/responses/{id}). What an entry means is the
// wire format's business (providers/*/conversation.ts); this keeps them, scoped and bounded.
// Implementations: memory/response-store.ts, sqlite/response-store.ts; both run
// test/contracts/responses.contract.ts.
//
// Rules every implementation keeps:
// - an entry belongs to one scope (a tenant: the caller's team, else its key); get() and delete()
//   with another scope answer as if the id did not exist;
// - get() never returns an entry past its expiresAt; sweep(now) removes those and returns how many;
// - put() replaces by id (within its scope) and a get() right after it sees the entry, even when
//   the write itself is batched;
// - getByItem() finds the newest entry holding an item id (of its conversation or its output), in
//   the same scope; an entry's items stop resolving to it once it is deleted, evicted or expired;
// - the sum of the entries' `bytes` stays at or below `maxTotalBytes`: put() evicts the oldest
//   entries (by createdAt) first; an entry larger than the cap alone is refused (StoreInputError).

import type { Awaitable } from './types.js';

export interface StoredResponse {
  id: string;
  /** the tenant the entry belongs to, e.g. 'team:acme' or 'key:k1' */
  scope: string;
  /** epoch ms */
  createdAt: number;
  expiresAt: number;
  model: string;
  /**
   * The provider instance that keeps this answer's state too (it was relayed byte for byte to an
   * upstream that stores responses), so a later turn's bytes may go there as they are.
   */
  upstreamProvider?: string;
  /** the ids of the items in `inputItems` and in the answer's output (for item references) */
  itemIds: readonly string[];
  /** JSON text: the conversation's items up to this answer */
  inputItems: string;
  /** JSON text: the answer as the client got it */
  response: string;
  /** what the entry counts against the cap: the two JSON texts' UTF-8 length */
  bytes: number;
}

export interface ResponseStoreLimits {
  /** the cap on the sum of the stored entries' bytes */
  maxTotalBytes: number;
}

export interface ResponseStore {
  put(entry: StoredResponse): Awaitable<void>;
  get(scope: string, id: string, now: number): Awaitable<StoredResponse | undefined>;
  /** the newest live entry of `scope` that holds the item `itemId` */
  getByItem(scope: string, itemId: string, now: number): Awaitable<StoredResponse | undefined>;
  /** true when an entry was removed */
  delete(scope: string, id: string): Awaitable<boolean>;
  /** removes the expired entries; returns how many */
  sweep(now: number): Awaitable<number>;
  /** entries and bytes held (for /metrics and tests) */
  stats(): Awaitable<{ entries: number; bytes: number }>;
  close(): Awaitable<void>;
}

export function storedBytes(inputItems: string, response: string): number {
  return Buffer.byteLength(inputItems, 'utf8') + Buffer.byteLength(response, 'utf8');
}
