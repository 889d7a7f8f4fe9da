// Budgets and rate limits: built once per engine from the config and the stores.

import type { LoadedConfig } from '../config/load.js';
import type { Pricing } from '../engine/pricing.js';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { AdminRoute } from '../pipeline/stage.js';
import type { BudgetStore } from '../stores/budgets.js';
import type { CounterStore } from '../stores/counters.js';
import { MemoryBudgetStore } from '../stores/memory/budget-store.js';
import { budgetAdminRoutes } from './admin.js';
import { BudgetBook, storedFromConfig } from './budget-book.js';
import { silentNotifier, webhookNotifier, type Notifier } from './notify.js';
import { SpendCounters, type DurableCounters } from './persist.js';
import { RateLimiter } from './rate-limits.js';
import { SpendControl } from './spend.js';

export { SpendControl, type Hold } from './spend.js';
export type { Notifier, BudgetEvent } from './notify.js';

export interface SpendStores {
  /** where spend is written behind (default: none, spend lives as long as the process) */
  counters?: DurableCounters | CounterStore;
  /** where budgets set at run time are kept (default: memory) */
  budgets?: BudgetStore;
  /** instead of the configured webhook (tests) */
  notifier?: Notifier;
}

export interface Spend {
  control: SpendControl;
  adminRoutes: AdminRoute[];
  /** rebuilds the budgets in force from the store (after a change through the admin API) */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export async function createSpend(config: LoadedConfig, deps: { pricing: Pricing; registry: ModelRegistry; stores?: SpendStores; now?: () => number }): Promise<Spend> {
  const now = deps.now ?? Date.now;
  const store = deps.stores?.budgets ?? new MemoryBudgetStore();
  // the config's budgets are put again at every start (an edit takes effect); a config budget no
  // longer in the file goes; budgets set at run time stay
  const inConfig = new Set<string>();
  for (const b of config.budgets) {
    await store.put(storedFromConfig(b, 'config', now(), config.spend.timeZone));
    inConfig.add(`${b.scope}\u0000${b.id}\u0000${b.period}`);
  }
  for (const b of await store.list()) if (b.source === 'config' && !inConfig.has(`${b.scope}\u0000${b.id}\u0000${b.period}`)) await store.delete(b.scope, b.id, b.period);

  const settings = config.spend;
  const webhook = settings.webhook;
  const notifier =
    deps.stores?.notifier ?? (webhook ? webhookNotifier({ url: webhook.url, secret: webhook.secretEnv ? process.env[webhook.secretEnv] : undefined, timeoutMs: webhook.timeoutMs }) : silentNotifier());
  const maxOutput = new Map<string, number>();
  for (const m of config.models) if (m.maxOutputTokens !== undefined) maxOutput.set(`${m.provider}\u0000${m.model ?? m.name}`, m.maxOutputTokens);
  const counters = new SpendCounters(deps.stores?.counters, settings.flushMs);
  const bookOf = async (): Promise<BudgetBook> =>
    new BudgetBook(await store.list(), { defaultTimeZone: settings.timeZone, registry: deps.registry, routes: config.routes ?? {}, now: now() });
  const control = new SpendControl(await bookOf(), {
    settings,
    pricing: deps.pricing,
    registry: deps.registry,
    counters,
    rates: new RateLimiter(config.rateLimits, now()),
    notifier,
    maxOutput,
    now,
  });
  const reload = async (): Promise<void> => {
    control.use(await bookOf());
  };
  return {
    control,
    adminRoutes: budgetAdminRoutes({ config, store, control, reload }),
    reload,
    async close() {
      await notifier.idle();
      counters.close();
      await store.close();
    },
  };
}
