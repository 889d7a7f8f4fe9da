// The budgets in force, indexed by what a request belongs to (its key, team, user and route), each
// with the counter key of its current period. Built from the budget store (the config's budgets
// and those set at run time); rebuilt whole when one is set, so a request sees one consistent set.

import { createHash } from 'node:crypto';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { Caller, Target } from '../pipeline/stage.js';
import type { StoredBudget } from '../stores/budgets.js';
import type { RoutesConfig } from '../levers/router/config.js';
import { DEFAULT_THRESHOLDS, type BudgetConfig } from './config.js';
import { PeriodClock, type PeriodWindow } from './periods.js';

/** dollars are counted in whole nano-dollars, rounded up: sums are exact, and never under the ledger's */
export const NANO = 1e9;
export const toNano = (usd: number): number => (usd > 0 ? Math.ceil(usd * NANO - 1e-6) : 0);
export const fromNano = (n: number): number => n / NANO;

export interface LiveBudget {
  readonly spec: StoredBudget;
  readonly timeZone: string;
  /** ascending fractions of the limit */
  readonly thresholds: readonly number[];
  readonly limitNano: number;
  /** refuse what would pass the limit (reject, downgrade); notify only counts */
  readonly hard: boolean;
  readonly downgradeAt: number;
  /** where a downgrade sends a request */
  readonly downgradeTarget?: Target;
  /** the current period and its counter key (refreshed when the period ends) */
  window: PeriodWindow;
  key: string;
  /** index of the next threshold to announce in this period */
  nextThreshold: number;
}

/** the stored form, with its time zone resolved (so the store alone says which calendar it counts in) */
export function storedFromConfig(b: BudgetConfig, source: StoredBudget['source'], now: number, defaultTimeZone: string): StoredBudget {
  const s: StoredBudget = { scope: b.scope, id: b.id, period: b.period, limitUsd: b.limitUsd, action: b.action, source, updatedAt: now, timeZone: b.timeZone ?? defaultTimeZone };
  if (b.thresholds) s.thresholds = [...b.thresholds];
  if (b.action === 'downgrade') s.downgradeAt = b.downgradeAt;
  if (b.downgradeTo !== undefined) s.downgradeTo = b.downgradeTo;
  return s;
}

const scopeKey = (scope: string, id: string): string => `${scope}\u0000${id}`;

export class BudgetBook {
  private readonly byScope = new Map<string, LiveBudget[]>();
  readonly all: readonly LiveBudget[];
  private readonly clock = new PeriodClock();
  /** told when a budget moves to a new period, with the counter key it leaves */
  onPeriodEnd?: (b: LiveBudget, oldKey: string) => void;

  constructor(
    budgets: readonly StoredBudget[],
    opts: { defaultTimeZone: string; registry: ModelRegistry; routes: RoutesConfig; now: number },
  ) {
    const all: LiveBudget[] = [];
    for (const spec of budgets) {
      const timeZone = spec.timeZone ?? opts.defaultTimeZone;
      const b: LiveBudget = {
        spec,
        timeZone,
        thresholds: [...(spec.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, c) => a - c),
        limitNano: toNano(spec.limitUsd),
        hard: spec.action !== 'notify',
        downgradeAt: spec.downgradeAt ?? 0.8,
        downgradeTarget: spec.action === 'downgrade' ? downgradeTargetOf(spec, opts.registry, opts.routes) : undefined,
        window: { label: '', startMs: 0, endMs: 0 },
        key: '',
        nextThreshold: 0,
      };
      this.refresh(b, opts.now);
      all.push(b);
      const k = scopeKey(spec.scope, spec.id);
      const list = this.byScope.get(k);
      if (list) list.push(b);
      else this.byScope.set(k, [b]);
    }
    this.all = all;
  }

  get empty(): boolean {
    return this.all.length === 0;
  }

  /** the budgets a request belongs to: its key's, team's, user's and route's */
  applicable(caller: Caller, route: string | undefined): LiveBudget[] {
    const out: LiveBudget[] = [];
    const add = (scope: string, id: string | undefined): void => {
      if (id === undefined) return;
      const l = this.byScope.get(scopeKey(scope, id));
      if (l) for (const b of l) out.push(b);
    };
    add('key', caller.keyId);
    add('team', caller.team);
    add('user', caller.user);
    add('route', route);
    return out;
  }

  /** moves a budget to the period `now` is in (a new counter key, thresholds announced afresh) */
  refresh(b: LiveBudget, now: number): void {
    if (now >= b.window.startMs && now < b.window.endMs) return;
    const old = b.key;
    b.window = this.clock.at(b.spec.period, b.timeZone, now);
    b.key = `budget|${b.spec.scope}|${keyPart(b.spec.id)}|${b.spec.period}|${b.timeZone}|${b.window.label}`;
    b.nextThreshold = 0;
    if (old && old !== b.key) this.onPeriodEnd?.(b, old);
  }
}

/** an id as it goes into a counter key: escaped, or hashed when long (counter keys are at most 512 characters) */
function keyPart(id: string): string {
  const e = encodeURIComponent(id);
  return e.length <= 160 ? e : `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

/** downgradeTo, else the route's first (cheapest) tier's first model; checked at start (exit 2) */
function downgradeTargetOf(spec: StoredBudget, registry: ModelRegistry, routes: RoutesConfig): Target | undefined {
  let name = spec.downgradeTo;
  if (name === undefined && spec.scope === 'route') {
    const first = routes[spec.id]?.tiers[0]?.models[0];
    name = typeof first === 'string' ? first : first?.model;
  }
  return name === undefined ? undefined : registry.resolve(name)?.target;
}
