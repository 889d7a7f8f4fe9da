// The quality store contract: what live quality evaluation learnt about each self-tightening lever
// (a route's classifier, a semantic-cache policy) and what it did about it, so a restart neither
// forgets the estimates nor loosens a threshold the evidence had raised.
// Implementations: memory/quality-store.ts, sqlite/quality-store.ts; both run
// test/contracts/quality.test.ts.

import type { Awaitable } from './types.js';

export interface LeverQualityState {
  lever: 'router' | 'cache';
  /** the route (router) or the cache policy, a route or model name (cache) */
  name: string;
  /**
   * the threshold the config gave when this was saved: state saved under another config is
   * stale (the operator moved the threshold) and is not applied
   */
  baseThreshold: number | null;
  /** the threshold in force: the base, or where tightening moved it (null: a route with no classifier) */
  threshold: number | null;
  tightened: number;
  lastTightening?: { at: number; from: number; to: number; bound: number; estimate: number };
  /** the estimator's running sums since the last tightening (PairedSums for a route, {n, k} for the cache) */
  evidence: Record<string, number>;
  updatedAt: number;
}

export interface QualityStore {
  list(): Awaitable<LeverQualityState[]>;
  /** replaces the state of (lever, name) whole */
  put(s: LeverQualityState): Awaitable<void>;
  close(): Awaitable<void>;
}
