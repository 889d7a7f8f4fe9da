// The flag store contract: named flags with values, and the audit log of every change (who, when,
// why, before and after). Implementations: memory/flag-store.ts, sqlite/flag-store.ts; both run
// test/contracts/flags.contract.ts.
//
// Rules every implementation keeps:
// - set() and unset() change the flag and append its audit entry in one step (one transaction):
//   no change without its entry, no entry without its change;
// - version() grows with every change, so a reader can tell its snapshot is stale without a list;
// - audit() is bounded (at most MAX_AUDIT_LIMIT entries a call), newest first, paged by `before`.

import type { PolicyOverlay } from '../pipeline/stage.js';
import { StoreInputError, type Awaitable } from './types.js';

export type FlagValue = boolean | string | number;

export interface Flag {
  name: string;
  value: FlagValue;
  /**
   * The requests a policy overlay applies to: a route or model name as the client sends it, or
   * '*' for every request. Only with `overlay`.
   */
  target?: string;
  /** applied to the target's requests while `value` is true (an overlay flag is boolean) */
  overlay?: PolicyOverlay;
  description?: string;
  updatedAt: number;
  updatedBy: string;
  reason: string;
}

export interface FlagChange {
  /** grows with every change; the store's version() is the last one's */
  seq: number;
  at: number;
  by: string;
  reason: string;
  name: string;
  action: 'set' | 'unset';
  before?: Flag;
  after?: Flag;
}

export const MAX_AUDIT_LIMIT = 500;

export interface FlagStore {
  list(): Awaitable<Flag[]>;
  /** Create or replace a flag; returns its audit entry. */
  set(flag: Flag): Awaitable<FlagChange>;
  /** Remove a flag; null (and no entry) when there was none. */
  unset(name: string, change: { at: number; by: string; reason: string }): Awaitable<FlagChange | null>;
  /** Newest first; `before` pages back from a seq. */
  audit(limit: number, before?: number): Awaitable<FlagChange[]>;
  version(): Awaitable<number>;
  close(): Awaitable<void>;
}

export function checkAuditLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) throw new StoreInputError(`limit must be an integer in 1..${MAX_AUDIT_LIMIT}`);
}
