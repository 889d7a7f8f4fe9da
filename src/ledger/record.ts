// One RequestRecord per request: hits and misses, successes and failures. Dashboards, alerts,
// experiments and replay all read these.

import type { Usage, WireFormat } from '../core/canonical.js';

export type RequestStatus = 'ok' | 'error' | 'aborted';

/** A decision a pipeline stage took, in order; shown in the ledger and the dashboard. */
export interface TrailEntry {
  stage: string;
  /** short machine-readable decision, e.g. 'hit', 'miss', 'route', 'retry', 'fallback' */
  decision: string;
  /** human-readable reason */
  reason?: string;
  /** any numbers or names that explain the decision (similarity, threshold, model, attempt...) */
  data?: Record<string, unknown>;
}

/** One upstream attempt (a request can make several: retries, fallbacks, cascades). */
export interface AttemptRecord {
  /** why the call was made when it was not the request itself (e.g. 'cache-verifier') */
  purpose?: string;
  provider: string;
  model: string;
  status: number | null;
  errorClass?: string;
  startedAt: number;
  endedAt: number;
  usage?: Usage;
  costUsd: number;
}

export interface RequestRecord {
  /** ids */
  requestId: string;
  traceId?: string;
  keyId?: string;
  team?: string;
  user?: string;
  session?: string;
  route?: string;
  endpoint: string; // e.g. '/v1/chat/completions'
  apiFormat: WireFormat;
  flag?: string;
  variant?: string;

  /** what was asked and what answered */
  requestedModel: string;
  provider?: string;
  model?: string;
  stream: boolean;

  /** timestamps, epoch milliseconds with sub-ms precision where measured */
  receivedAt: number;
  dequeuedAt?: number;
  upstreamSentAt?: number;
  firstByteAt?: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  completedAt: number;

  /** derived durations, milliseconds */
  latencyMs: number;
  ttftMs?: number;
  upstreamMs?: number;
  /** time the gateway itself added: total minus time spent waiting on the upstream */
  overheadMs: number;

  /** tokens and cost */
  usage: Usage;
  costUsd: number;
  /** cost split by prompt component (system, tools, history, user, context) when measured */
  costByComponent?: Record<string, number>;
  /** input tokens split the same way (keys of src/insights/contract.ts PromptComponent) */
  tokensByComponent?: Record<string, number>;
  /**
   * dollars each lever saved (negative: cost) against the request without it (keys of
   * src/insights/contract.ts SavingsLever); costUsd + their sum is the counterfactual cost
   */
  savedByLever?: Record<string, number>;
  /** the provider's prompt cache, when this request wrote or read it */
  promptCache?: { prefixHash: string; writeTokens: number; readTokens: number; ttlSeconds: number };
  /** what this request's provider prompt-cache writes cost over the plain input price (the write premium), USD */
  cacheWritePremiumUsd?: number;
  /** input tokens of the prefix this request shares with the previous request on its route */
  stablePrefixTokens?: number;
  /** the baseline policy's cost: what the user would have paid without Tollgate */
  baselineCostUsd?: number;
  baselineModel?: string;
  /** part of costUsd is an estimate (an attempt timed out or was cut after the provider took it) */
  costEstimated?: boolean;
  /** cost of attempts that failed (retries, fallbacks), included in costUsd */
  failedAttemptsCostUsd?: number;
  attempts?: AttemptRecord[];

  /** caching */
  cacheStatus?: 'hit' | 'miss' | 'bypass' | 'semantic_hit';
  savedCostUsd?: number;
  savedMs?: number;

  /** the decision trail */
  trail: TrailEntry[];

  /** outcome */
  status: RequestStatus;
  httpStatus: number;
  errorClass?: string;
  errorMessage?: string;
  finishReason?: string;

  /** fields shortened before storing (strings over 1,024 characters, lists over 256 entries), e.g. ['user'] */
  truncated?: string[];
}
