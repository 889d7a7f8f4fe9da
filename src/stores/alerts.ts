// The alert store contract: the history of alert notices (firing, resolved, and deliveries that
// failed) and the rules added through the admin API (the config's own rules live in the config).
// Implementations: memory/alert-store.ts, sqlite/alert-store.ts; both run test/contracts/alerts.contract.ts.
//
// Rules: history is append-only and read newest first, bounded (at most MAX_HISTORY_LIMIT a call,
// paged by `before`); a rule is replaced whole by name.

import { StoreInputError, type Awaitable } from './types.js';

export interface AlertEvent {
  /** grows with every event */
  seq: number;
  at: number;
  rule: string;
  state: 'firing' | 'resolved';
  value: number | null;
  threshold: number;
  detail?: Record<string, unknown>;
  /** channels the notice reached, and those it did not (with why) */
  delivered: string[];
  failed?: { channel: string; error: string }[];
}

export const MAX_HISTORY_LIMIT = 500;

export interface AlertStore {
  append(e: Omit<AlertEvent, 'seq'>): Awaitable<AlertEvent>;
  history(limit: number, before?: number, rule?: string): Awaitable<AlertEvent[]>;
  /** rules added at run time, as JSON the rule schema parses */
  rules(): Awaitable<unknown[]>;
  putRule(name: string, rule: unknown): Awaitable<void>;
  deleteRule(name: string): Awaitable<boolean>;
  close(): Awaitable<void>;
}

export function checkHistoryLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) throw new StoreInputError(`limit must be an integer in 1..${MAX_HISTORY_LIMIT}`);
}
