// The budgets in force, indexed by what a request belongs to (its key, team, user and route), each
// with the counter key of its current period. Built from the budget store (the config's budgets
// and those set at run time); rebuilt whole when one is set, so a request sees one consistent set.

import { createHash } from 'node:crypto';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { Caller, Target } from '../pipeline/stage.js';
import type { StoredBudget } from '../stores/budgets.js';
import type { RoutesConfig } from '../levers/router/config.js';
import { DEFAULT_THRESHOLDS, type BudgetConfig, type BudgetScope } from './config.js';
import { PeriodClock, type PeriodWindow } from './periods.js';
import type { SpendCell } from './persist.js';

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
  /** the counter of `key`, once SpendControl has looked it up (a budget of the CLI's view has none) */
  cell?: SpendCell;
}

/** the stored form, with its time zone resolved (so the store alone says which calendar it counts in) */
export function storedFromConfig(b: BudgetConfig, source: StoredBudget['source'], now: number, defaultTimeZone: string): StoredBudget {
  const s: StoredBudget = { scope: b.scope, id: b.id, period: b.period, limitUsd: b.limitUsd, action: b.action, source, updatedAt: now, timeZone: b.timeZone ?? defaultTimeZone };
  if (b.thresholds) s.thresholds = [...b.thresholds];
  if (b.action === 'downgrade') s.downgradeAt = b.downgradeAt;
  if (b.downgradeTo !== undefined) s.downgradeTo = b.downgradeTo;
  return s;
}

/** what applicable() found for one key id last (a key's team and user rarely change between its requests) */
interface Applicable {
  team: string | undefined;
  user: string | undefined;
  route: string | undefined;
  list: readonly LiveBudget[];
}

/** key ids whose applicable budgets are remembered; past this the memory starts again */
const MAX_REMEMBERED_KEYS = 10_000;
const NONE: readonly LiveBudget[] = Object.freeze([]);

export class BudgetBook {
  /** by scope, then id: no key string is built per request */
  private readonly byScope: Record<BudgetScope, Map<string, LiveBudget[]>> = { key: new Map(), team: new Map(), user: new Map(), route: new Map() };
  private readonly remembered = new Map<string, Applicable>();
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
      const byId = this.byScope[spec.scope];
      const list = byId.get(spec.id);
      if (list) list.push(b);
      else byId.set(spec.id, [b]);
    }
    this.all = all;
  }

  get empty(): boolean {
    return this.all.length === 0;
  }

  /**
   * The budgets a request belongs to: its key's, team's, user's and route's. The list is shared
   * (remembered per key id while its team, user and route stay the same): read it, never change it.
   */
  applicable(caller: Caller, route: string | undefined): readonly LiveBudget[] {
    const keyId = caller.keyId;
    const last = this.remembered.get(keyId);
    if (last && last.team === caller.team && last.user === caller.user && last.route === route) return last.list;
    const by = this.byScope;
    const parts = [by.key.get(keyId), caller.team === undefined ? undefined : by.team.get(caller.team), caller.user === undefined ? undefined : by.user.get(caller.user), route === undefined ? undefined : by.route.get(route)];
    let list: readonly LiveBudget[] = NONE;
    for (const p of parts) if (p) list = list.length === 0 ? p : [...list, ...p];
    if (this.remembered.size >= MAX_REMEMBERED_KEYS) this.remembered.clear();
    this.remembered.set(keyId, { team: caller.team, user: caller.user, route, list });
    return list;
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
