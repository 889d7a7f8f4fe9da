// Budgets in memory (tests, the SDK): a map by identity.

import { MAX_BUDGETS, budgetIdentity, checkStoredBudget, type BudgetStore, type StoredBudget } from '../budgets.js';
import { StoreInputError } from '../types.js';

export class MemoryBudgetStore implements BudgetStore {
  private readonly budgets = new Map<string, StoredBudget>();

  put(b: StoredBudget): void {
    checkStoredBudget(b);
    const k = budgetIdentity(b);
    if (!this.budgets.has(k) && this.budgets.size >= MAX_BUDGETS) throw new StoreInputError(`at most ${MAX_BUDGETS} budgets`);
    this.budgets.set(k, structuredClone(b));
  }

  delete(scope: StoredBudget['scope'], id: string, period: StoredBudget['period']): boolean {
    return this.budgets.delete(budgetIdentity({ scope, id, period }));
  }

  list(): StoredBudget[] {
    return [...this.budgets.values()].map((b) => structuredClone(b)).sort(byIdentity);
  }

  close(): void {}
}

export function byIdentity(a: StoredBudget, b: StoredBudget): number {
  return a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : a.period < b.period ? -1 : a.period > b.period ? 1 : 0;
}
