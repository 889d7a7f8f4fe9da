// The budget store contract: the budget definitions set at run time (the admin API, `tollgate
// budgets set`) beside the ones in tollgate.yaml, so they survive a restart. What a budget has
// spent is not here: that is the counter store's (counters.ts). Implementations:
// memory/budget-store.ts, sqlite/budget-store.ts; both run test/contracts/budgets.contract.ts.
//
// Rules every implementation keeps:
// - a budget is identified by (scope, id, period); put() replaces the one with the same identity;
// - list() is bounded (at most MAX_BUDGETS) and ordered by scope, id, period;
// - what comes back from list() equals what was put.

import { StoreInputError, type Awaitable } from './types.js';

export interface StoredBudget {
  scope: 'key' | 'team' | 'user' | 'route';
  id: string;
  period: 'day' | 'month';
  limitUsd: number;
  thresholds?: number[];
  action: 'reject' | 'downgrade' | 'notify';
  downgradeAt?: number;
  downgradeTo?: string;
  timeZone?: string;
  /** where it came from: tollgate.yaml (put again at every start) or set at run time */
  source: 'config' | 'store';
  /** epoch ms of the last put */
  updatedAt: number;
}

export const MAX_BUDGETS = 10_000;

export interface BudgetStore {
  put(b: StoredBudget): Awaitable<void>;
  /** true when there was one to delete */
  delete(scope: StoredBudget['scope'], id: string, period: StoredBudget['period']): Awaitable<boolean>;
  list(): Awaitable<StoredBudget[]>;
  close(): Awaitable<void>;
}

export const budgetIdentity = (b: Pick<StoredBudget, 'scope' | 'id' | 'period'>): string => `${b.scope}\u0000${b.id}\u0000${b.period}`;

export function checkStoredBudget(b: StoredBudget): void {
  if (b === null || typeof b !== 'object') throw new StoreInputError('a budget must be an object');
  if (!['key', 'team', 'user', 'route'].includes(b.scope)) throw new StoreInputError(`a budget scope is key, team, user or route, not "${String(b.scope)}"`);
  if (!['day', 'month'].includes(b.period)) throw new StoreInputError(`a budget period is day or month, not "${String(b.period)}"`);
  if (typeof b.id !== 'string' || b.id.length === 0 || b.id.length > 256) throw new StoreInputError('a budget id must be a string of 1 to 256 characters');
  if (typeof b.limitUsd !== 'number' || !Number.isFinite(b.limitUsd) || b.limitUsd <= 0) throw new StoreInputError('limitUsd must be a positive number');
}
